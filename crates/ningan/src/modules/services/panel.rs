//! The citizen-services panel of the cockpit: applications by stage, time to decision, facts verified without paper, identity changes acknowledged, ratings by station.

use ningan_store::{Db, Scope, ServiceStats, StationRating};
use serde_json::json;

use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "services", compute, monthly };

fn compute<'a>(db: &'a Db, scope: &'a Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let now = ningan_core::time::now_ms();
        Ok(services(&db.service_stats(scope, now).await?, &db.station_ratings(scope).await?, tr))
    })
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
    let unanswered: i64 = ratings.iter().map(|r| r.unanswered).sum();
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
        Counter {
            key: "poor_ratings_unanswered",
            label: tr.pick("差评待答复", "Poor ratings to answer"),
            value: unanswered,
        },
    ];
    let map_figures = vec![MapFigure::new("applications", tr.pick("办事申请", "Applications"), &s.by_unit)];
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

fn monthly<'a>(
    db: &'a ningan_store::Db,
    scope: &'a ningan_store::Scope,
    m: crate::modules::cockpit::monthly::Month,
    tr: Tr,
) -> crate::modules::cockpit::monthly::MonthlyFuture<'a> {
    use crate::modules::cockpit::monthly::{Figure, Section, Tally};
    Box::pin(async move {
        let filed = Tally { from: "applications", path: "unit_path", time: "created_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let approved = Tally {
            from: "applications",
            path: "unit_path",
            time: "decided_at",
            agg: "COUNT(*)",
            extra: "status = 'approved'",
        }
        .both(db, scope, m)
        .await?;
        let facts = Tally {
            from: "application_facts f JOIN applications a ON a.id = f.application_id",
            path: "a.unit_path",
            time: "f.verified_at",
            agg: "COUNT(*)",
            extra: "f.status = 'verified'",
        }
        .both(db, scope, m)
        .await?;
        let en = tr.is_en();
        Ok(Section::new("services", tr.pick("便民服务", "Citizen services"))
            .figure(Figure::count(tr.pick("受理办事申请", "Applications filed"), filed.0, filed.1))
            .figure(Figure::count(tr.pick("办结（准予）", "Approved"), approved.0, approved.1))
            .figure(Figure::count(tr.pick("免证明核验事项", "Certificate-free facts verified"), facts.0, facts.1))
            .chart(tr.pick("免证明核验（按区县）", "Certificate-free facts, by district"), &facts.2, en))
    })
}
