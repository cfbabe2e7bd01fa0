//! The precise-control panel of the cockpit: cases in care, contacts under follow-up, zones in force, quarantine.

use ningan_store::{Db, PreciseStats, Scope};
use serde_json::json;

use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "precise", compute, monthly };

fn compute<'a>(db: &'a Db, scope: &'a Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let mut data = precise(&db.precise_stats(scope).await?, tr);
        data.counters.extend(beyond_the_register(db, scope, tr).await?);
        Ok(data)
    })
}

/// People beyond the register in the scope: visitors' follow-ups open at the stations where
/// they stay, contacts other cities handed over still being worked here, and contacts handed
/// over to other cities not yet released there.
async fn beyond_the_register(db: &Db, scope: &Scope, tr: Tr) -> Result<Vec<Counter>, ningan_store::StoreError> {
    use ningan_store::sql::{RowExt as _, query};
    let (lo, hi) = scope.range();
    let mut counts = Vec::with_capacity(3);
    for sql in [
        "SELECT COUNT(*) AS n FROM visitor_followups WHERE status <> 'released' AND unit_path >= $1 AND unit_path < $2",
        "SELECT COUNT(*) AS n FROM handovers_in WHERE status <> 'released' AND unit_path >= $1 AND unit_path < $2",
        "SELECT COUNT(*) AS n FROM handovers_out WHERE status NOT IN ('released', 'refused') \
         AND unit_path >= $1 AND unit_path < $2",
    ] {
        let n: i64 = query(sql).bind(&lo).bind(&hi).fetch_one(db.reader()).await?.try_get("n")?;
        counts.push(n);
    }
    Ok(vec![
        Counter {
            key: "visitor_followups",
            label: tr.pick("外来人员在管", "Visitors under follow-up"),
            value: counts[0],
        },
        Counter {
            key: "handovers_received",
            label: tr.pick("外市协查在办", "Hand-overs being worked"),
            value: counts[1],
        },
        Counter {
            key: "handovers_sent", label: tr.pick("移交外市在办", "Handed over, open there"), value: counts[2]
        },
    ])
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
    let map_figures =
        vec![MapFigure::new("active_cases", tr.pick("在管病例", "Active cases"), &s.active_cases_by_unit)];
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

fn monthly<'a>(
    db: &'a ningan_store::Db,
    scope: &'a ningan_store::Scope,
    m: crate::modules::cockpit::monthly::Month,
    tr: Tr,
) -> crate::modules::cockpit::monthly::MonthlyFuture<'a> {
    use crate::modules::cockpit::monthly::{Figure, Section, Tally};
    Box::pin(async move {
        let cases = Tally { from: "cases", path: "unit_path", time: "created_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let contacts = Tally { from: "followups", path: "unit_path", time: "created_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let stays = Tally { from: "quarantines", path: "unit_path", time: "starts_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let en = tr.is_en();
        Ok(Section::new("precise", tr.pick("精密智控", "Precise control"))
            .figure(Figure::count(tr.pick("登记病例", "Cases registered"), cases.0, cases.1))
            .figure(Figure::count(tr.pick("追踪密接、次密接", "Contacts traced"), contacts.0, contacts.1))
            .figure(Figure::count(tr.pick("集中隔离入住", "Quarantine admissions"), stays.0, stays.1))
            .chart(tr.pick("追踪密接（按区县）", "Contacts traced, by district"), &contacts.2, en))
    })
}
