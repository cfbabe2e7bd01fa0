//! Evaluation's share of the cockpit: the newest wave's sense of security and approval (in
//! basis points: keys ending `_bp` are shown as per cent with two decimals), its answers
//! against the target, review rounds open and scenarios live; security per district on the
//! map; the indices over the waves.

use serde_json::json;

use super::service::{self, Viewer};
use super::store::{reviews, scenarios};
use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "evaluation", compute, monthly: super::report::monthly };

fn bp(share: Option<ningan_core::survey::Share>) -> i64 {
    share.map(|s| (s.rate * 100.0).round() as i64).unwrap_or(0)
}

fn compute<'a>(db: &'a ningan_store::Db, scope: &'a ningan_store::Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let viewer = Viewer::of_scope(scope);
        let now = ningan_core::time::now_ms();
        let latest = service::latest_results(db, &viewer).await.map_err(store_error)?;
        let open_rounds = reviews::list(db, scope, scope.path())
            .await?
            .iter()
            .filter(|r| r.opens_at <= now && now < r.closes_at)
            .count();
        let live = scenarios::list(db, Some("live")).await?.len();
        let mut counters = Vec::new();
        let mut map_figures = Vec::new();
        let mut charts = Vec::new();
        let head = latest.as_ref().map(|r| r.city.clone().or_else(|| r.districts.first().cloned()));
        let head = head.flatten();
        counters.push(Counter {
            key: "evaluation_security_bp",
            label: tr.pick("群众安全感（%）", "Sense of security (%)"),
            value: bp(head.as_ref().and_then(|h| h.security)),
        });
        counters.push(Counter {
            key: "evaluation_approval_bp",
            label: tr.pick("公安工作满意度（%）", "Approval of the police (%)"),
            value: bp(head.as_ref().and_then(|h| h.approval)),
        });
        counters.push(Counter {
            key: "evaluation_answers",
            label: tr.pick("最新一轮测评答卷", "Answers, latest wave"),
            value: head.as_ref().map(|h| h.answers).unwrap_or(0),
        });
        counters.push(Counter {
            key: "evaluation_rounds_open",
            label: tr.pick("进行中的民主评议", "Reviews open"),
            value: open_rounds as i64,
        });
        counters.push(Counter {
            key: "evaluation_scenarios_live",
            label: tr.pick("已上线应用场景", "Scenarios live"),
            value: live as i64,
        });
        if let Some(r) = &latest {
            let rows: Vec<(String, i64)> = r
                .districts
                .iter()
                .filter(|d| d.security.is_some())
                .map(|d| (service::district_path(d.code), bp(d.security)))
                .collect();
            map_figures.push(MapFigure::new(
                "evaluation_security_bp",
                tr.pick("群众安全感（%）", "Sense of security (%)"),
                &rows,
            ));
            let series = service::series(db, &viewer, r.wave.questionnaire_id).await.map_err(store_error)?;
            let names: Vec<&str> = series.iter().map(|p| p.name.as_str()).collect();
            let line = |f: fn(&service::SeriesPoint) -> Option<ningan_core::survey::Share>| -> Vec<serde_json::Value> {
                series.iter().map(|p| f(p).map(|s| json!(s.rate)).unwrap_or(json!(null))).collect()
            };
            charts.push(Chart {
                id: "evaluation-indices",
                title: tr.pick("安全感与满意度走势（%）", "Security and approval by wave (%)"),
                option: json!({
                    "tooltip": {"trigger": "axis"},
                    "legend": {"data": [tr.pick("安全感", "Security"), tr.pick("满意度", "Approval")]},
                    "xAxis": {"type": "category", "data": names},
                    "yAxis": {"type": "value", "min": 80, "max": 100},
                    "series": [
                        {"name": tr.pick("安全感", "Security"), "type": "line", "data": line(|p| p.security)},
                        {"name": tr.pick("满意度", "Approval"), "type": "line", "data": line(|p| p.approval)},
                    ]
                }),
            });
        }
        Ok(PanelData { counters, map_figures, charts })
    })
}

fn store_error(e: super::error::EvaluationError) -> ningan_store::StoreError {
    match e {
        super::error::EvaluationError::Store(s) => s,
        other => ningan_store::StoreError::State(other.to_string()),
    }
}
