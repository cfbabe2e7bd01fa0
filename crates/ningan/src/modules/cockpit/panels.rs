//! The cockpit's panels. [`Panel`] is the one registration point: a module adds a variant
//! and a function that computes its counters, map figures and charts for a scope.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use ningan_core::district::DISTRICTS;
use ningan_store::{
    Db, FraudFigures, PopulationStats, PreciseStats, Scope, ServiceStats, StationRating, SupervisionBoard,
};
use serde_json::{Value, json};

use crate::web::Tr;

pub struct Counter {
    pub key: &'static str,
    pub label: &'static str,
    pub value: i64,
}

/// A figure the map can be coloured by: one value per district.
pub struct MapFigure {
    pub key: &'static str,
    pub label: &'static str,
    pub values: Vec<(&'static str, i64)>,
}

pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    /// An ECharts option, drawn by `static/app.js`.
    pub option: Value,
}

#[derive(Default)]
pub struct PanelData {
    pub counters: Vec<Counter>,
    pub map_figures: Vec<MapFigure>,
    pub charts: Vec<Chart>,
}

#[derive(Debug, Clone, Copy)]
pub enum Panel {
    Population,
    Precise,
    Fraud,
    Services,
}

impl Panel {
    pub const ALL: &'static [Panel] = &[Panel::Population, Panel::Precise, Panel::Fraud, Panel::Services];

    pub async fn compute(self, db: &Db, scope: &Scope, tr: Tr) -> Result<PanelData, ningan_store::StoreError> {
        match self {
            Panel::Population => Ok(population(&db.population_stats(scope).await?, tr)),
            Panel::Precise => Ok(precise(&db.precise_stats(scope).await?, tr)),
            Panel::Fraud => Ok(fraud(&db.fraud_figures(scope).await?, &db.fraud_supervision(scope).await?, tr)),
            Panel::Services => {
                let now = ningan_core::time::now_ms();
                Ok(services(&db.service_stats(scope, now).await?, &db.station_ratings(scope).await?, tr))
            }
        }
    }
}

/// Precise control: cases in care, contacts under follow-up, zones in force.
pub fn precise(s: &PreciseStats, tr: Tr) -> PanelData {
    let cases: i64 = s.active_cases_by_unit.iter().map(|r| r.1).sum();
    let count = |status: &str| s.followups_by_status.iter().filter(|r| r.0 == status).map(|r| r.1).sum::<i64>();
    let open: i64 = s.followups_by_status.iter().filter(|r| r.0 != "released").map(|r| r.1).sum();
    let zones: i64 = s.zones_by_level.iter().map(|r| r.1).sum();
    let counters = vec![
        Counter { key: "active_cases", label: tr.pick("在管病例", "Active cases"), value: cases },
        Counter {
            key: "followups_open", label: tr.pick("在管密接次密接", "Contacts under follow-up"), value: open
        },
        Counter { key: "quarantined", label: tr.pick("隔离中", "In quarantine"), value: count("quarantined") },
        Counter { key: "zones", label: tr.pick("管控区域", "Zones in force"), value: zones },
        Counter {
            key: "in_quarantine",
            label: tr.pick("在隔离人数", "In quarantine (sites and home)"),
            value: s.in_quarantine,
        },
        Counter { key: "beds", label: tr.pick("隔离床位", "Quarantine beds"), value: s.beds },
    ];
    let map_figures = vec![MapFigure {
        key: "active_cases",
        label: tr.pick("在管病例", "Active cases"),
        values: per_district(&s.active_cases_by_unit),
    }];
    let statuses = ["notified", "transferred", "quarantined", "released"];
    let labels: Vec<&str> = statuses
        .iter()
        .map(|st| match *st {
            "notified" => tr.pick("已通知", "notified"),
            "transferred" => tr.pick("已转运", "transferred"),
            "quarantined" => tr.pick("隔离中", "quarantined"),
            _ => tr.pick("已解除", "released"),
        })
        .collect();
    let values: Vec<i64> = statuses.iter().map(|st| count(st)).collect();
    let chart = Chart {
        id: "followups",
        title: tr.pick("密接次密接管控状态", "Contact follow-ups by status"),
        option: json!({
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 20, "top": 20, "bottom": 30},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": {"type": "value"},
            "series": [{"type": "bar", "data": values, "name": tr.pick("人数", "people")}]
        }),
    };
    PanelData { counters, map_figures, charts: vec![chart] }
}

/// Citizen services: applications by stage, time to decision, facts verified without paper,
/// identity changes acknowledged by the agencies, and how citizens rate each station.
pub fn services(s: &ServiceStats, ratings: &[StationRating], tr: Tr) -> PanelData {
    let count = |status: &str| s.by_status.iter().filter(|r| r.0 == status).map(|r| r.1).sum::<i64>();
    let in_hand = count("submitted") + count("accepted");
    let facts = s.facts_electronic + s.facts_by_hand;
    let paperless_pct = if facts == 0 { 0 } else { (s.facts_electronic * 100 + facts / 2) / facts };
    let acknowledged: i64 = s.deliveries_by_status.iter().filter(|r| r.0 == "acknowledged").map(|r| r.1).sum();
    let dead: i64 = s.deliveries_by_status.iter().filter(|r| r.0 == "dead").map(|r| r.1).sum();
    let rated: i64 = ratings.iter().map(|r| r.rated).sum();
    let counters = vec![
        Counter { key: "applications_open", label: tr.pick("办理中申请", "Applications in hand"), value: in_hand },
        Counter {
            key: "applications_overdue", label: tr.pick("超期未办结", "Past their deadline"), value: s.overdue
        },
        Counter { key: "applications_decided", label: tr.pick("已办结", "Decided"), value: s.decided },
        Counter {
            key: "hours_to_decision",
            label: tr.pick("平均办结用时（小时）", "Mean hours to decision"),
            value: s.mean_hours_to_decision.round() as i64,
        },
        Counter {
            key: "paperless_pct",
            label: tr.pick("免证明核验占比（%）", "Facts verified without paper (%)"),
            value: paperless_pct,
        },
        Counter {
            key: "deliveries_acknowledged",
            label: tr.pick("身份变更已确认推送", "Identity changes acknowledged"),
            value: acknowledged,
        },
        Counter { key: "deliveries_dead", label: tr.pick("推送死信", "Dead deliveries"), value: dead },
        Counter { key: "applications_rated", label: tr.pick("群众已评价", "Rated by citizens"), value: rated },
    ];
    let map_figures = vec![MapFigure {
        key: "applications",
        label: tr.pick("办事申请", "Applications"),
        values: per_district(&s.by_unit),
    }];
    let stages = ["submitted", "accepted", "approved", "rejected"];
    let stage_labels: Vec<&str> = stages
        .iter()
        .map(|st| match *st {
            "submitted" => tr.pick("已提交", "submitted"),
            "accepted" => tr.pick("已受理", "accepted"),
            "approved" => tr.pick("准予", "approved"),
            _ => tr.pick("不予办理", "rejected"),
        })
        .collect();
    let stage_values: Vec<i64> = stages.iter().map(|st| count(st)).collect();
    let by_stage = Chart {
        id: "applications_by_stage",
        title: tr.pick("办事申请（按环节）", "Applications by stage"),
        option: json!({
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 20, "top": 20, "bottom": 30},
            "xAxis": {"type": "category", "data": stage_labels},
            "yAxis": {"type": "value"},
            "series": [{"type": "bar", "data": stage_values, "name": tr.pick("件数", "applications")}]
        }),
    };
    // The ten stations with the most rated applications, best first.
    let mut top: Vec<&StationRating> = ratings.iter().filter(|r| r.rated > 0).collect();
    top.sort_by_key(|r| std::cmp::Reverse(r.rated));
    top.truncate(10);
    top.sort_by(|a, b| b.average.total_cmp(&a.average));
    let names: Vec<&str> = top.iter().map(|r| r.unit_name.as_str()).collect();
    let averages: Vec<f64> = top.iter().map(|r| r.average).collect();
    let by_station = Chart {
        id: "ratings_by_station",
        title: tr.pick("群众评价（按派出所）", "Citizens' ratings by station"),
        option: json!({
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 120, "right": 20, "top": 20, "bottom": 30},
            "xAxis": {"type": "value", "min": 0, "max": 5},
            "yAxis": {"type": "category", "data": names},
            "series": [{"type": "bar", "data": averages, "name": tr.pick("平均分", "mean rating")}]
        }),
    };
    PanelData { counters, map_figures, charts: vec![by_stage, by_station] }
}

/// Anti-fraud: people dissuaded and money protected, work in hand, cases by month.
pub fn fraud(f: &FraudFigures, b: &SupervisionBoard, tr: Tr) -> PanelData {
    let this_month = f.cases_by_month.last().map_or(0, |m| m.cases);
    let counters = vec![
        Counter {
            key: "fraud_dissuaded", label: tr.pick("劝阻人数", "People dissuaded"), value: f.persons_dissuaded
        },
        Counter {
            key: "fraud_protected_yuan",
            label: tr.pick("挽回/避免损失（元）", "Money protected (yuan)"),
            value: f.amount_protected_fen / 100,
        },
        Counter { key: "fraud_open", label: tr.pick("待劝阻预警", "Warnings in hand"), value: b.open },
        Counter { key: "fraud_overdue", label: tr.pick("超时未劝阻", "Overdue dissuasions"), value: b.overdue },
        Counter { key: "fraud_high", label: tr.pick("红色预警", "Red warnings"), value: f.warnings[0] },
        Counter {
            key: "fraud_cases_month",
            label: tr.pick("本月电诈发案", "Fraud cases this month"),
            value: this_month,
        },
    ];
    let months: Vec<&str> = f.cases_by_month.iter().map(|m| m.month.as_str()).collect();
    let cases: Vec<i64> = f.cases_by_month.iter().map(|m| m.cases).collect();
    let chart = Chart {
        id: "fraud_cases",
        title: tr.pick("电信网络诈骗发案（按月）", "Telecom fraud cases by month"),
        option: json!({
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 20, "top": 20, "bottom": 30},
            "xAxis": {"type": "category", "data": months},
            "yAxis": {"type": "value"},
            "series": [{"type": "bar", "data": cases, "name": tr.pick("发案数", "cases")}]
        }),
    };
    PanelData { counters, map_figures: Vec::new(), charts: vec![chart] }
}

/// `/330200/330203/…` → 330203; units above the districts have none.
fn district_of(path: &str) -> Option<u32> {
    path.split('/').nth(2).and_then(|s| s.parse().ok())
}

fn per_district(rows: &[(String, i64)]) -> Vec<(&'static str, i64)> {
    let mut sums: BTreeMap<u32, i64> = BTreeMap::new();
    for (path, n) in rows {
        if let Some(d) = district_of(path) {
            *sums.entry(d).or_default() += n;
        }
    }
    DISTRICTS.iter().map(|d| (d.name, sums.get(&d.code).copied().unwrap_or(0))).collect()
}

fn stations_per_district(rows: &[(String, i64)]) -> Vec<(&'static str, i64)> {
    let station_rows: Vec<(String, i64)> =
        rows.iter().filter(|(p, _)| p.matches('/').count() == 4).map(|(p, _)| (p.clone(), 1)).collect();
    per_district(&station_rows)
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
        MapFigure {
            key: "residents",
            label: tr.pick("户籍人口", "Residents"),
            values: per_district(&s.residents_by_unit),
        },
        MapFigure {
            key: "compounds", label: tr.pick("小区", "Compounds"), values: per_district(&s.compounds_by_unit)
        },
        MapFigure {
            key: "stations",
            label: tr.pick("派出所", "Stations"),
            values: stations_per_district(&s.residents_by_unit),
        },
        MapFigure {
            key: "officers",
            label: tr.pick("民警账号", "Officer accounts"),
            values: per_district(&s.officers_by_unit),
        },
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
        let residents = &p.map_figures[0].values;
        assert_eq!(residents.iter().find(|d| d.0 == "海曙区").map(|d| d.1), Some(12));
        assert_eq!(residents.iter().find(|d| d.0 == "北仑区").map(|d| d.1), Some(3));
        assert_eq!(residents.iter().find(|d| d.0 == "余姚市").map(|d| d.1), Some(0));
        let officers = &p.map_figures[3].values;
        assert_eq!(officers.iter().map(|d| d.1).sum::<i64>(), 1, "city-level accounts are on no district");
        // Days 18628–18629 are 2021-01-01/02, 18659 is 2021-02-01.
        assert_eq!(p.charts[0].option["xAxis"]["data"], json!(["2021-01", "2021-02"]));
        assert_eq!(p.charts[0].option["series"][0]["data"], json!([10, 1]));
    }
}
