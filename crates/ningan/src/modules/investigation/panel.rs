//! Investigation's share of the cockpit: cases by stage, cases solved, organised-crime cases
//! and the gangs they broke up (扫黑除恶), cases on the map by unit.

use serde_json::json;

use super::store::cases::{self, Figures, STAGES};
use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "investigation", compute, monthly };

fn compute<'a>(db: &'a ningan_store::Db, scope: &'a ningan_store::Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move { Ok(panel(&cases::figures(db, scope).await?, tr)) })
}

pub fn panel(f: &Figures, tr: Tr) -> PanelData {
    let en = tr.is_en();
    let stages: Vec<&str> = STAGES.iter().map(|s| if en { s.2 } else { s.1 }).collect();
    let series = |organised: bool| -> Vec<i64> {
        f.by_stage.iter().map(|(_, n, org)| if organised { *org } else { n - org }).collect()
    };
    PanelData {
        counters: vec![
            Counter { key: "investigation_cases", label: tr.pick("刑事案件", "Criminal cases"), value: f.cases },
            Counter { key: "investigation_solved", label: tr.pick("已破案件", "Cases solved"), value: f.solved },
            Counter {
                key: "investigation_organised",
                label: tr.pick("涉黑涉恶案件", "Organised-crime cases"),
                value: f.organised,
            },
            Counter {
                key: "investigation_gangs",
                label: tr.pick("打掉涉黑涉恶团伙", "Gangs broken up"),
                value: f.gangs_broken,
            },
        ],
        map_figures: vec![MapFigure::new("investigation_cases", tr.pick("刑事案件", "Criminal cases"), &f.by_path)],
        charts: vec![Chart {
            id: "investigation_by_stage",
            title: tr.pick("案件阶段（涉黑涉恶与其他）", "Cases by stage (organised crime and other)"),
            option: json!({
                "tooltip": {"trigger": "axis"},
                "legend": {"type": "scroll"},
                "grid": {"left": 40, "right": 20, "top": 40, "bottom": 30},
                "xAxis": {"type": "category", "data": stages},
                "yAxis": {"type": "value"},
                "series": [
                    {"type": "bar", "stack": "c", "name": tr.pick("涉黑涉恶", "Organised crime"), "data": series(true)},
                    {"type": "bar", "stack": "c", "name": tr.pick("其他", "Other"), "data": series(false)},
                ]
            }),
        }],
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
        let opened = Tally { from: "inv_cases", path: "unit_path", time: "created_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let solved = Tally { from: "inv_cases", path: "unit_path", time: "solved_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let gangs =
            Tally { from: "inv_cases", path: "unit_path", time: "solved_at", agg: "SUM(gangs_broken)", extra: "" }
                .both(db, scope, m)
                .await?;
        let en = tr.is_en();
        Ok(Section::new("investigation", tr.pick("侦查打击", "Investigation"))
            .figure(Figure::count(tr.pick("立案", "Cases opened"), opened.0, opened.1))
            .figure(Figure::count(tr.pick("破案", "Cases solved"), solved.0, solved.1))
            .figure(Figure::count(tr.pick("打掉涉黑涉恶团伙", "Gangs broken up"), gangs.0, gangs.1))
            .chart(tr.pick("破案（按区县）", "Solved, by district"), &solved.2, en))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stage_chart_splits_organised_crime_from_the_rest() {
        let f = Figures {
            by_stage: vec![("filed".into(), 5, 2), ("solved".into(), 3, 3)],
            cases: 8,
            solved: 3,
            organised: 5,
            gangs_broken: 4,
            ..Default::default()
        };
        let out = panel(&f, Tr::new("en"));
        let v = |k: &str| out.counters.iter().find(|c| c.key == k).map(|c| c.value);
        assert_eq!((v("investigation_cases"), v("investigation_gangs")), (Some(8), Some(4)));
        assert_eq!(out.charts[0].option["series"][0]["data"], json!([2, 3]));
        assert_eq!(out.charts[0].option["series"][1]["data"], json!([3, 0]));
    }
}
