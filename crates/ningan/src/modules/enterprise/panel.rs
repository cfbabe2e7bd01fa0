//! Enterprise services' share of the cockpit: enterprises covered and liaison rhythms kept,
//! requests by stage, overdue at the desks, time to close and satisfaction; enterprises per
//! district on the map.

use serde_json::json;

use super::model::Stage;
use super::store::stats::{EnterpriseStats, stats};
use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "enterprise", compute, monthly };

fn compute<'a>(db: &'a ningan_store::Db, scope: &'a ningan_store::Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move { Ok(panel(&stats(db, scope, ningan_core::time::now_ms()).await?, tr)) })
}

pub fn panel(s: &EnterpriseStats, tr: Tr) -> PanelData {
    let total: i64 = s.by_unit.iter().map(|r| r.1).sum();
    let on_rhythm = if total > 0 { (total - s.late) * 100 / total } else { 100 };
    let open: i64 =
        s.requests_by_stage.iter().filter(|(st, _)| Stage::parse(st).is_some_and(Stage::open)).map(|r| r.1).sum();
    let counters = vec![
        Counter { key: "enterprises", label: tr.pick("服务企业", "Enterprises served"), value: total },
        Counter {
            key: "liaison_on_rhythm",
            label: tr.pick("联系走访按期率（%）", "Contacts on rhythm (%)"),
            value: on_rhythm,
        },
        Counter {
            key: "enterprise_requests_open",
            label: tr.pick("在办涉企诉求", "Enterprise requests open"),
            value: open,
        },
        Counter {
            key: "enterprise_requests_overdue",
            label: tr.pick("涉企诉求超期", "Enterprise requests overdue"),
            value: s.overdue,
        },
        Counter {
            key: "enterprise_hours_to_close",
            label: tr.pick("诉求平均办结（小时）", "Hours to close a request"),
            value: s.hours_to_close.map(|h| h.round() as i64).unwrap_or(0),
        },
        Counter {
            key: "enterprise_satisfaction",
            label: tr.pick("企业满意度（%）", "Enterprise satisfaction (%)"),
            value: s.rating.map(|r| ((r - 1.0) / 4.0 * 100.0).round() as i64).unwrap_or(0),
        },
    ];
    let stages: Vec<Stage> = Stage::ALL.to_vec();
    let counts: Vec<i64> =
        stages.iter().map(|st| s.requests_by_stage.iter().filter(|r| r.0 == st.as_str()).map(|r| r.1).sum()).collect();
    let chart = Chart {
        id: "enterprise_requests_by_stage",
        title: tr.pick("涉企诉求各环节", "Enterprise requests by stage"),
        option: json!({
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 20, "top": 20, "bottom": 30},
            "xAxis": {"type": "category", "data": stages.iter().map(|st| st.label(tr.is_en())).collect::<Vec<_>>()},
            "yAxis": {"type": "value"},
            "series": [{"type": "bar", "data": counts, "name": tr.pick("件", "requests")}]
        }),
    };
    PanelData {
        counters,
        map_figures: vec![MapFigure::new("enterprises", tr.pick("服务企业", "Enterprises served"), &s.by_unit)],
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
        let filed =
            Tally { from: "enterprise_requests", path: "unit_path", time: "created_at", agg: "COUNT(*)", extra: "" }
                .both(db, scope, m)
                .await?;
        let closed =
            Tally { from: "enterprise_requests", path: "unit_path", time: "closed_at", agg: "COUNT(*)", extra: "" }
                .both(db, scope, m)
                .await?;
        let en = tr.is_en();
        Ok(Section::new("enterprise", tr.pick("惠企服务", "Enterprise services"))
            .figure(Figure::count(tr.pick("受理涉企诉求", "Requests filed"), filed.0, filed.1))
            .figure(Figure::count(tr.pick("办结涉企诉求", "Requests closed"), closed.0, closed.1))
            .chart(tr.pick("涉企诉求（按区县）", "Requests, by district"), &filed.2, en))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rhythm_and_satisfaction_are_shares_and_open_counts_only_waiting_stages() {
        let s = EnterpriseStats {
            by_unit: vec![("/330200/330203/1/".into(), 8), ("/330200/330212/2/".into(), 2)],
            late: 1,
            requests_by_stage: vec![("submitted".into(), 2), ("replied".into(), 1), ("evaluated".into(), 5)],
            overdue: 1,
            hours_to_close: Some(30.4),
            rating: Some(4.5),
            rated: 5,
        };
        let p = panel(&s, Tr::new("zh"));
        let v = |k: &str| p.counters.iter().find(|c| c.key == k).unwrap().value;
        assert_eq!((v("enterprises"), v("liaison_on_rhythm"), v("enterprise_requests_open")), (10, 90, 3));
        assert_eq!((v("enterprise_hours_to_close"), v("enterprise_satisfaction")), (30, 88));
    }
}
