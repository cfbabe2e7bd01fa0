//! The anti-fraud panel of the cockpit: people dissuaded (人) and dissuasions (人次), money
//! protected, transfers stopped at the bank, work in hand, cases by month; dissuasions, warnings and cases by district on the map.

use ningan_store::{Db, FraudFigures, Scope, SupervisionBoard};
use serde_json::json;

use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture, by_unit};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "fraud", compute, monthly };

fn compute<'a>(db: &'a Db, scope: &'a Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let mut data = fraud(&db.fraud_figures(scope).await?, &db.fraud_supervision(scope).await?, tr);
        let (_, stopped, stopped_fen) = db.fraud_stop_figures(scope).await?;
        data.counters.push(Counter {
            key: "fraud_stopped",
            label: tr.pick("紧急止付成功（笔）", "Transfers stopped at the bank"),
            value: stopped,
        });
        data.counters.push(Counter {
            key: "fraud_stopped_yuan",
            label: tr.pick("止付金额（元）", "Money stopped (yuan)"),
            value: stopped_fen / 100,
        });
        let dissuaded = by_unit(db, scope, "fraud_tasks", "unit_path", "COUNT(*)", "outcome = 'dissuaded'").await?;
        // Per occurrence, as the report counts: a person dissuaded twice counts twice.
        data.map_figures.push(MapFigure::new("fraud_dissuaded", tr.pick("劝阻人次", "Dissuasions"), &dissuaded));
        let warnings = by_unit(db, scope, "fraud_tasks", "unit_path", "COUNT(*)", "").await?;
        data.map_figures.push(MapFigure::new("fraud_warnings", tr.pick("预警", "Warnings"), &warnings));
        let cases = by_unit(db, scope, "fraud_cases", "unit_path", "COUNT(*)", "").await?;
        data.map_figures.push(MapFigure::new("fraud_cases", tr.pick("电诈发案", "Fraud cases"), &cases));
        Ok(data)
    })
}

/// Anti-fraud: people dissuaded and money protected, work in hand, cases by month.
pub fn fraud(f: &FraudFigures, b: &SupervisionBoard, tr: Tr) -> PanelData {
    let this_month = f.cases_by_month.last().map_or(0, |m| m.cases);
    let solved_this_month = f.cases_by_month.last().map_or(0, |m| m.solved);
    let counters = vec![
        Counter {
            key: "fraud_dissuaded", label: tr.pick("劝阻人数", "People dissuaded"), value: f.persons_dissuaded
        },
        Counter { key: "fraud_dissuasions", label: tr.pick("劝阻人次", "Dissuasions"), value: f.dissuasions },
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
        Counter {
            key: "fraud_solved_month",
            label: tr.pick("本月电诈破案", "Fraud cases solved this month"),
            value: solved_this_month,
        },
    ];
    let months: Vec<&str> = f.cases_by_month.iter().map(|m| m.month.as_str()).collect();
    let cases: Vec<i64> = f.cases_by_month.iter().map(|m| m.cases).collect();
    let solved: Vec<i64> = f.cases_by_month.iter().map(|m| m.solved).collect();
    let chart = Chart {
        id: "fraud_cases",
        title: tr.pick("电信网络诈骗发案与破案（按月）", "Telecom fraud cases and cases solved by month"),
        option: json!({
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 20, "top": 20, "bottom": 30},
            "xAxis": {"type": "category", "data": months},
            "yAxis": {"type": "value"},
            "legend": {},
            "series": [
                {"type": "bar", "data": cases, "name": tr.pick("发案数", "cases")},
                {"type": "bar", "data": solved, "name": tr.pick("破案数", "solved")}
            ]
        }),
    };
    PanelData { counters, map_figures: Vec::new(), charts: vec![chart] }
}

fn monthly<'a>(
    db: &'a ningan_store::Db,
    scope: &'a ningan_store::Scope,
    m: crate::modules::cockpit::monthly::Month,
    tr: Tr,
) -> crate::modules::cockpit::monthly::MonthlyFuture<'a> {
    use crate::modules::cockpit::monthly::{Figure, Section, Tally};
    Box::pin(async move {
        let warned = Tally { from: "fraud_tasks", path: "unit_path", time: "created_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let dissuaded = Tally {
            from: "fraud_tasks",
            path: "unit_path",
            time: "closed_at",
            agg: "COUNT(*)",
            extra: "outcome = 'dissuaded'",
        }
        .both(db, scope, m)
        .await?;
        let protected = Tally {
            from: "fraud_tasks",
            path: "unit_path",
            time: "closed_at",
            agg: "SUM(amount_protected_fen)",
            extra: "",
        }
        .both(db, scope, m)
        .await?;
        let cases = Tally { from: "fraud_cases", path: "unit_path", time: "occurred_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let solved = Tally { from: "fraud_cases", path: "unit_path", time: "solved_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let en = tr.is_en();
        Ok(Section::new("fraud", tr.pick("反诈预警劝阻", "Anti-fraud"))
            .figure(Figure::count(tr.pick("预警下发", "Warnings issued"), warned.0, warned.1))
            .figure(Figure::count(tr.pick("成功劝阻（人次）", "Dissuasions"), dissuaded.0, dissuaded.1))
            .figure(Figure::yuan(tr.pick("避免损失（元）", "Losses prevented (yuan)"), protected.0, protected.1))
            .figure(Figure::count(tr.pick("电诈发案", "Fraud cases"), cases.0, cases.1))
            .figure(Figure::count(tr.pick("电诈破案", "Fraud cases solved"), solved.0, solved.1))
            .chart(tr.pick("成功劝阻人次（按区县）", "Dissuasions, by district"), &dissuaded.2, en))
    })
}
