//! Integrated command's share of the cockpit: today's calls, those still open, arrivals on
//! target and the mean time to answer, units free and busy; arrivals on target per district
//! on the map; calls by hour and by family.

use ningan_core::incident::UnitStatus;
use serde_json::json;

use super::store::stats::{self, Day};
use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "command", compute, monthly };

/// Midnight in Ningbo of the day holding `now` (ms).
pub fn day_start(now: i64) -> i64 {
    let offset = i64::from(ningan_core::time::cst().local_minus_utc()) * 1000;
    now - (now + offset).rem_euclid(86_400_000)
}

fn compute<'a>(db: &'a ningan_store::Db, scope: &'a ningan_store::Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let start = day_start(ningan_core::time::now_ms());
        let day = stats::day(db, scope, start, start + 86_400_000).await?;
        let units = stats::units_by_status(db, scope).await?;
        Ok(panel(&day, &units, tr))
    })
}

pub fn panel(day: &Day, units: &[(UnitStatus, i64)], tr: Tr) -> PanelData {
    let units_in = |f: fn(UnitStatus) -> bool| units.iter().filter(|(s, _)| f(*s)).map(|(_, n)| n).sum::<i64>();
    let counters = vec![
        Counter { key: "command_calls", label: tr.pick("今日接警", "Calls today"), value: day.calls() },
        Counter { key: "command_open", label: tr.pick("未处结警情", "Incidents open"), value: day.open },
        Counter {
            key: "command_on_target",
            label: tr.pick("今日按时到场率（%）", "Arrivals on target today (%)"),
            value: day.on_target_pct().unwrap_or(0),
        },
        Counter {
            key: "command_answer_s",
            label: tr.pick("平均受理用时（秒）", "Mean time to answer (s)"),
            value: day.mean_answer_s().unwrap_or(0),
        },
        Counter {
            key: "command_units_free",
            label: tr.pick("待命警力", "Units available"),
            value: units_in(|s| s == UnitStatus::Available),
        },
        Counter {
            key: "command_units_busy",
            label: tr.pick("出警中警力", "Units on calls"),
            value: units_in(|s| matches!(s, UnitStatus::Dispatched | UnitStatus::EnRoute | UnitStatus::OnScene)),
        },
    ];
    let on_target: Vec<(String, i64)> = day
        .by_district
        .iter()
        .filter(|(_, d)| d.arrived > 0)
        .map(|(code, d)| (format!("/{}/{code}/", ningan_core::district::NINGBO_CODE), d.on_target * 100 / d.arrived))
        .collect();
    let calls: Vec<(String, i64)> = day
        .by_district
        .iter()
        .map(|(code, d)| (format!("/{}/{code}/", ningan_core::district::NINGBO_CODE), d.calls))
        .collect();
    let hours: Vec<String> = (0..24).map(|h| format!("{h}")).collect();
    let families: Vec<serde_json::Value> =
        day.by_family.iter().map(|(f, n)| json!({"name": f.label(tr.is_en()), "value": n})).collect();
    PanelData {
        counters,
        map_figures: vec![
            MapFigure::new("command_calls", tr.pick("今日接警", "Calls today"), &calls),
            MapFigure::new("command_on_target", tr.pick("按时到场率（%）", "Arrivals on target (%)"), &on_target),
        ],
        charts: vec![
            Chart {
                id: "command_by_hour",
                title: tr.pick("今日接警（按小时）", "Calls today by hour"),
                option: json!({
                    "tooltip": {"trigger": "axis"},
                    "grid": {"left": 40, "right": 20, "top": 30, "bottom": 30},
                    "xAxis": {"type": "category", "data": hours},
                    "yAxis": {"type": "value"},
                    "series": [{"type": "bar", "name": tr.pick("接警", "calls"), "data": day.by_hour.to_vec()}],
                }),
            },
            Chart {
                id: "command_by_family",
                title: tr.pick("今日警情类别", "Today's calls by kind"),
                option: json!({
                    "tooltip": {"trigger": "item"},
                    "series": [{"type": "pie", "radius": ["35%", "65%"], "data": families}],
                }),
            },
        ],
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
        let calls = Tally { from: "cmd_incidents", path: "unit_path", time: "received_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let arrived = Tally {
            from: "cmd_incidents",
            path: "unit_path",
            time: "received_at",
            agg: "COUNT(*)",
            extra: "on_scene_at IS NOT NULL",
        }
        .both(db, scope, m)
        .await?;
        let ontime = Tally { from: "cmd_incidents", path: "unit_path", time: "received_at", agg: "COUNT(*)", extra: "on_scene_at IS NOT NULL AND on_scene_at - received_at < CASE WHEN urban <> 0 THEN 301000 ELSE 601000 END" }.both(db, scope, m).await?;
        let en = tr.is_en();
        Ok(Section::new("command", tr.pick("110接处警", "110 calls"))
            .figure(Figure::count(tr.pick("110警情", "110 calls"), calls.0, calls.1))
            .figure(Figure::percent(
                tr.pick("按时到场率", "Arrivals on target"),
                ratio(ontime.0, arrived.0),
                ratio(ontime.1, arrived.1),
            ))
            .chart(tr.pick("110警情（按区县）", "Calls, by district"), &calls.2, en))
    })
}

/// A share in per cent, two decimals; none of nothing.
fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 10_000.0 / whole as f64).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::command::store::stats::DistrictTimes;

    #[test]
    fn counters_show_todays_calls_the_targets_and_the_units() {
        let mut day = Day { open: 3, ..Default::default() };
        day.by_hour[9] = 5;
        day.by_district.insert(330203, DistrictTimes { calls: 5, answered: 5, answer_s: 50, arrived: 4, on_target: 3 });
        let units = [(UnitStatus::Available, 7), (UnitStatus::EnRoute, 2), (UnitStatus::OnScene, 1)];
        let out = panel(&day, &units, Tr::new("en"));
        let v = |k: &str| out.counters.iter().find(|c| c.key == k).map(|c| c.value);
        assert_eq!(v("command_calls"), Some(5));
        assert_eq!(v("command_on_target"), Some(75));
        assert_eq!(v("command_answer_s"), Some(10));
        assert_eq!((v("command_units_free"), v("command_units_busy")), (Some(7), Some(3)));
        assert_eq!(out.map_figures[1].districts().iter().find(|d| d.0 == "海曙区").map(|d| d.1), Some(75));
    }
}
