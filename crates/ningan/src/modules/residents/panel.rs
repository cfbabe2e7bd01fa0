//! The population panel of the cockpit: residents, households, compounds, stations and officers by district, registrations by month, ages and sexes.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use ningan_store::{Db, PopulationStats, Scope};
use serde_json::json;

use crate::modules::cockpit::panels::station_rows;

use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "population", compute, monthly };

fn compute<'a>(db: &'a Db, scope: &'a Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move { Ok(population(&db.population_stats(scope).await?, tr)) })
}

pub fn population(s: &PopulationStats, tr: Tr) -> PanelData {
    let residents: i64 = s.residents_by_unit.iter().map(|r| r.1).sum();
    let compounds: i64 = s.compounds_by_unit.iter().map(|r| r.1).sum();
    let officers: i64 = s.officers_by_unit.iter().map(|r| r.1).sum();
    let stations = s.residents_by_unit.iter().filter(|(p, _)| p.matches('/').count() == 4).count() as i64;
    let counters = vec![
        Counter { key: "residents", label: tr.pick("户籍人口", "Residents"), value: residents },
        Counter { key: "households", label: tr.pick("户数", "Households"), value: s.households },
        Counter { key: "compounds", label: tr.pick("小区", "Compounds"), value: compounds },
        Counter { key: "stations", label: tr.pick("派出所", "Stations"), value: stations },
        Counter { key: "officers", label: tr.pick("民警账号", "Officer accounts"), value: officers },
    ];
    let map_figures = vec![
        MapFigure::new("residents", tr.pick("户籍人口", "Residents"), &s.residents_by_unit),
        MapFigure::new("compounds", tr.pick("小区", "Compounds"), &s.compounds_by_unit),
        MapFigure::new("stations", tr.pick("派出所", "Stations"), &station_rows(&s.residents_by_unit)),
        MapFigure::new("officers", tr.pick("民警账号", "Officer accounts"), &s.officers_by_unit),
    ];
    PanelData { counters, map_figures, charts: vec![registrations_chart(s, tr), age_chart(s, tr), sex_chart(s, tr)] }
}

fn registrations_chart(s: &PopulationStats, tr: Tr) -> Chart {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let mut months: BTreeMap<String, i64> = BTreeMap::new();
    for (day, n) in &s.registrations_by_day {
        let d = epoch + Duration::days(*day);
        *months.entry(format!("{:04}-{:02}", d.year(), d.month())).or_default() += n;
    }
    let recent: Vec<(String, i64)> = months.into_iter().rev().take(24).collect::<Vec<_>>().into_iter().rev().collect();
    let (labels, values): (Vec<String>, Vec<i64>) = recent.into_iter().unzip();
    Chart {
        id: "registrations",
        title: tr.pick("每月户籍登记", "Registrations per month"),
        option: json!({
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 20, "top": 20, "bottom": 40},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": {"type": "value"},
            "series": [{"type": "line", "smooth": true, "areaStyle": {"opacity": 0.2}, "data": values, "name": tr.pick("登记", "registrations")}]
        }),
    }
}

const AGE_BANDS: [(i64, i64, &str); 6] =
    [(0, 14, "0–14"), (15, 29, "15–29"), (30, 44, "30–44"), (45, 59, "45–59"), (60, 74, "60–74"), (75, 200, "75+")];

fn age_chart(s: &PopulationStats, tr: Tr) -> Chart {
    let year = i64::from(ningan_core::time::today_cst().year());
    let (mut male, mut female) = ([0i64; 6], [0i64; 6]);
    for (birth_year, sex, n) in &s.by_birth_year_and_sex {
        let age = year - birth_year;
        if let Some(i) = AGE_BANDS.iter().position(|(lo, hi, _)| (*lo..=*hi).contains(&age)) {
            if sex == "男" { male[i] += n } else { female[i] += n }
        }
    }
    let labels: Vec<&str> = AGE_BANDS.iter().map(|b| b.2).collect();
    Chart {
        id: "ages",
        title: tr.pick("年龄结构", "Age structure"),
        option: json!({
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 0},
            "grid": {"left": 50, "right": 20, "top": 30, "bottom": 30},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": {"type": "value"},
            "series": [
                {"type": "bar", "stack": "a", "name": tr.pick("男", "male"), "data": male},
                {"type": "bar", "stack": "a", "name": tr.pick("女", "female"), "data": female}
            ]
        }),
    }
}

fn sex_chart(s: &PopulationStats, tr: Tr) -> Chart {
    let count = |sex: &str| s.by_birth_year_and_sex.iter().filter(|r| r.1 == sex).map(|r| r.2).sum::<i64>();
    Chart {
        id: "sex",
        title: tr.pick("性别构成", "By sex"),
        option: json!({
            "tooltip": {"trigger": "item"},
            "series": [{"type": "pie", "radius": ["40%", "70%"], "data": [
                {"name": tr.pick("男", "male"), "value": count("男")},
                {"name": tr.pick("女", "female"), "value": count("女")}
            ]}]
        }),
    }
}

fn monthly<'a>(
    db: &'a ningan_store::Db,
    scope: &'a ningan_store::Scope,
    m: crate::modules::cockpit::monthly::Month,
    tr: Tr,
) -> crate::modules::cockpit::monthly::MonthlyFuture<'a> {
    use crate::modules::cockpit::monthly::{Figure, Section, Tally};
    Box::pin(async move {
        let reg = Tally { from: "residents", path: "unit_path", time: "created_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let en = tr.is_en();
        Ok(Section::new("residents", tr.pick("人口管理", "Population"))
            .figure(Figure::count(tr.pick("新登记人口", "Residents registered"), reg.0, reg.1))
            .chart(tr.pick("新登记人口（按区县）", "Residents registered, by district"), &reg.2, en))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_fold_units_into_districts_and_months() {
        let s = PopulationStats {
            residents_by_unit: vec![
                ("/330200/330203/330203001/".into(), 5),
                ("/330200/330203/330203002/".into(), 7),
                ("/330200/330206/330206001/".into(), 3),
            ],
            by_birth_year_and_sex: vec![(2020, "男".into(), 2), (1950, "女".into(), 4)],
            registrations_by_day: vec![(18_628, 4), (18_629, 6), (18_659, 1)],
            households: 4,
            compounds_by_unit: vec![("/330200/330203/330203001/".into(), 2)],
            officers_by_unit: vec![("/330200/".into(), 3), ("/330200/330203/330203001/".into(), 1)],
        };
        let p = population(&s, Tr::new("zh"));
        assert_eq!(p.counters[0].value, 15);
        assert_eq!(p.counters[3].value, 3, "three stations");
        assert_eq!(p.counters[4].value, 4, "city-level officers count in the total");
        let residents = &p.map_figures[0].districts();
        assert_eq!(residents.iter().find(|d| d.0 == "海曙区").map(|d| d.1), Some(12));
        assert_eq!(residents.iter().find(|d| d.0 == "北仑区").map(|d| d.1), Some(3));
        assert_eq!(residents.iter().find(|d| d.0 == "余姚市").map(|d| d.1), Some(0));
        let officers = &p.map_figures[3].districts();
        assert_eq!(officers.iter().map(|d| d.1).sum::<i64>(), 1, "city-level accounts are on no district");
        // Days 18628–18629 are 2021-01-01/02, 18659 is 2021-02-01.
        assert_eq!(p.charts[0].option["xAxis"]["data"], json!(["2021-01", "2021-02"]));
        assert_eq!(p.charts[0].option["series"][0]["data"], json!([10, 1]));
    }
}
