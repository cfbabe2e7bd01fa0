//! Life first's share of the cockpit: risk points found, rectified, overdue and escalated;
//! traffic and drowning deaths this year against last; helmet-wearing rates; points and
//! helmet rates per district on the map; deaths by month.

use serde_json::json;

use super::model;
use super::store::Viewer;
use super::store::stats::{self, Deaths, Helmets, PointStats};
use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "life", compute, monthly };

fn compute<'a>(db: &'a ningan_store::Db, scope: &'a ningan_store::Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let now = ningan_core::time::now_ms();
        let year = stats::month_of(now).0;
        let points = stats::points(db, &Viewer::officer(scope.clone()), now).await?;
        let deaths = stats::deaths(db, scope, year).await?;
        let helmets = stats::helmets(db, scope, stats::year_start(year), stats::year_start(year + 1)).await?;
        Ok(panel(&points, &deaths, &helmets, year, tr))
    })
}

fn deaths_in(d: &Deaths, kind: &str, year: i32) -> i64 {
    d.by_month.iter().filter(|((k, y, _), _)| k == kind && *y == year).map(|(_, n)| n).sum()
}

pub fn panel(p: &PointStats, d: &Deaths, h: &Helmets, year: i32, tr: Tr) -> PanelData {
    let count = |state: &str| p.by_state.iter().filter(|r| r.0 == state).map(|r| r.1).sum::<i64>();
    let found: i64 = p.by_state.iter().map(|r| r.1).sum();
    let rate = |road: &str| {
        h.by_road.get(road).and_then(|c| {
            let (yes, n) = c.riders();
            model::wilson(yes, n)
        })
    };
    let pct = |r: Option<model::Rate>| r.map(|r| r.rate.round() as i64).unwrap_or(0);
    let counters = vec![
        Counter { key: "life_points", label: tr.pick("隐患点", "Risk points found"), value: found },
        Counter {
            key: "life_rectified",
            label: tr.pick("已整改验收", "Rectified and verified"),
            value: count("verified") + count("closed"),
        },
        Counter { key: "life_overdue", label: tr.pick("超期未整改", "Overdue"), value: p.overdue },
        Counter { key: "life_escalated", label: tr.pick("升级督办", "Escalated"), value: p.escalated },
        Counter {
            key: "life_traffic_deaths",
            label: tr.pick("交通事故亡人（今年）", "Traffic deaths this year"),
            value: deaths_in(d, "traffic", year),
        },
        Counter {
            key: "life_drownings",
            label: tr.pick("溺水亡人（今年）", "Drownings this year"),
            value: deaths_in(d, "drowning", year),
        },
        Counter {
            key: "life_helmet_urban",
            label: tr.pick("城市道路头盔佩戴率（%）", "Helmets, urban roads (%)"),
            value: pct(rate("urban")),
        },
        Counter {
            key: "life_helmet_highway",
            label: tr.pick("公路头盔佩戴率（%）", "Helmets, highways (%)"),
            value: pct(rate("highway")),
        },
    ];
    let helmet_rows: Vec<(String, i64)> = h
        .per_district()
        .iter()
        .filter_map(|(code, c)| {
            let (yes, n) = c.riders();
            let r = model::wilson(yes, n)?;
            Some((format!("/{}/{code}/", ningan_core::district::NINGBO_CODE), r.rate.round() as i64))
        })
        .collect();
    let months: Vec<String> = (1..=12).map(|m| if tr.is_en() { m.to_string() } else { format!("{m}月") }).collect();
    let series_of = |kind: &str, y: i32| -> Vec<i64> {
        (1..=12).map(|m| d.by_month.get(&(kind.to_string(), y, m)).copied().unwrap_or(0)).collect()
    };
    let chart = Chart {
        id: "life_deaths_by_month",
        title: tr
            .pick("交通、溺水亡人（按月，今年与去年）", "Traffic and drowning deaths by month, this year and last"),
        option: json!({
            "tooltip": {"trigger": "axis"},
            "legend": {"type": "scroll"},
            "grid": {"left": 40, "right": 20, "top": 40, "bottom": 30},
            "xAxis": {"type": "category", "data": months},
            "yAxis": {"type": "value"},
            "series": [
                {"type": "bar", "name": format!("{year} {}", tr.pick("交通", "traffic")), "data": series_of("traffic", year)},
                {"type": "line", "name": format!("{} {}", year - 1, tr.pick("交通", "traffic")), "data": series_of("traffic", year - 1)},
                {"type": "bar", "name": format!("{year} {}", tr.pick("溺水", "drowning")), "data": series_of("drowning", year)},
                {"type": "line", "name": format!("{} {}", year - 1, tr.pick("溺水", "drowning")), "data": series_of("drowning", year - 1)},
            ]
        }),
    };
    PanelData {
        counters,
        map_figures: vec![
            MapFigure::new("life_points", tr.pick("隐患点", "Risk points"), &p.by_unit),
            MapFigure::new(
                "life_rectified",
                tr.pick("已整改验收的隐患点", "Risk points rectified"),
                &p.rectified_by_unit,
            ),
            MapFigure::new("life_helmets", tr.pick("头盔佩戴率（%）", "Helmet wearing (%)"), &helmet_rows),
        ],
        charts: vec![chart],
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
        let found = Tally { from: "life_points", path: "unit_path", time: "found_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let verified = Tally {
            from: "life_point_events e JOIN life_points p ON p.id = e.point_id",
            path: "p.unit_path",
            time: "e.at",
            agg: "COUNT(*)",
            extra: "e.to_state = 'verified'",
        }
        .both(db, scope, m)
        .await?;
        let riders = Tally {
            from: "life_helmet_samples",
            path: "unit_path",
            time: "at",
            agg: "SUM(drivers + passengers)",
            extra: "",
        }
        .both(db, scope, m)
        .await?;
        let helmets = Tally {
            from: "life_helmet_samples",
            path: "unit_path",
            time: "at",
            agg: "SUM(drivers_helmet + passengers_helmet)",
            extra: "",
        }
        .both(db, scope, m)
        .await?;
        let deaths = Tally { from: "life_incidents", path: "unit_path", time: "at", agg: "SUM(deaths)", extra: "" }
            .both(db, scope, m)
            .await?;
        let en = tr.is_en();
        Ok(Section::new("life", tr.pick("生命至上", "Life first"))
            .figure(Figure::count(tr.pick("排查隐患点", "Risk points found"), found.0, found.1))
            .figure(Figure::count(tr.pick("整改验收", "Rectified and verified"), verified.0, verified.1))
            .figure(Figure::percent(
                tr.pick("头盔佩戴率", "Helmet wearing"),
                ratio(helmets.0, riders.0),
                ratio(helmets.1, riders.1),
            ))
            .figure(Figure::count(tr.pick("事故亡人（交通、溺水等）", "Accidental deaths"), deaths.0, deaths.1))
            .chart(tr.pick("整改验收（按区县）", "Rectified, by district"), &verified.2, en))
    })
}

/// A share in per cent, two decimals; none of nothing.
fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 10_000.0 / whole as f64).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_states_and_deaths_of_the_year() {
        let p = PointStats {
            by_state: vec![("found".into(), 3), ("assigned".into(), 2), ("verified".into(), 1), ("closed".into(), 10)],
            by_unit: vec![("/330200/330203/1/".into(), 16)],
            rectified_by_unit: vec![("/330200/330203/1/".into(), 11)],
            overdue: 1,
            escalated: 1,
        };
        let mut d = Deaths::default();
        d.by_month.insert(("traffic".into(), 2026, 3), 4);
        d.by_month.insert(("traffic".into(), 2025, 3), 9);
        d.by_month.insert(("drowning".into(), 2026, 7), 2);
        let mut h = Helmets::default();
        h.by_road.insert(
            "urban".into(),
            stats::Counts { drivers: 100, drivers_helmet: 95, passengers: 0, passengers_helmet: 0 },
        );
        let out = panel(&p, &d, &h, 2026, Tr::new("zh"));
        let v = |k: &str| out.counters.iter().find(|c| c.key == k).unwrap().value;
        assert_eq!((v("life_points"), v("life_rectified"), v("life_overdue")), (16, 11, 1));
        assert_eq!((v("life_traffic_deaths"), v("life_drownings"), v("life_helmet_urban")), (4, 2, 95));
    }
}
