//! Major-event security's share of the cockpit: the events under way in the viewer's scope,
//! officers needed, assigned and at their posts, and the incidents inside the perimeters.

use super::store::plans;
use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "security", compute, monthly };

fn compute<'a>(db: &'a ningan_store::Db, scope: &'a ningan_store::Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let now = ningan_core::time::now_ms();
        let running = plans::under_way(db, scope, now).await?;
        let mut figures = Figures { events: running.len() as i64, ..Default::default() };
        let mut per_plan = Vec::new();
        for p in &running {
            let (mut required, mut checked) = (0, 0);
            for post in plans::posts(db, p.id).await? {
                figures.required += post.required;
                figures.assigned += post.assigned;
                figures.checked_in += post.checked_in;
                required += post.required;
                checked += post.checked_in;
            }
            per_plan.push((p.name.clone(), required, checked));
        }
        let mut data = panel(&figures, tr);
        // Officers at their posts, by the unit that runs the event, for events under way.
        let under_way = format!("p.starts_at <= {now} AND p.ends_at > {now} AND a.checked_in_at IS NOT NULL");
        let at_posts = crate::modules::cockpit::panels::by_unit(
            db,
            scope,
            "sec_assignments a JOIN sec_plans p ON p.id = a.plan_id",
            "p.unit_path",
            "COUNT(*)",
            &under_way,
        )
        .await?;
        data.map_figures.push(MapFigure::new(
            "security_checked_in",
            tr.pick("安保民警到岗", "Officers at their posts"),
            &at_posts,
        ));
        let (needed, present) = (tr.pick("所需警力", "Needed"), tr.pick("已到岗", "At posts"));
        data.charts.push(Chart {
            id: "security_staffing",
            title: tr.pick("进行中的活动：所需警力与到岗", "Events under way: officers needed and at posts"),
            option: serde_json::json!({
                "tooltip": {"trigger": "axis"},
                "legend": {"data": [needed, present]},
                "xAxis": {"type": "category", "data": per_plan.iter().map(|p| p.0.clone()).collect::<Vec<_>>()},
                "yAxis": {"type": "value"},
                "series": [
                    {"name": needed, "type": "bar", "data": per_plan.iter().map(|p| p.1).collect::<Vec<_>>()},
                    {"name": present, "type": "bar", "data": per_plan.iter().map(|p| p.2).collect::<Vec<_>>()},
                ]
            }),
        });
        Ok(data)
    })
}

#[derive(Debug, Default)]
pub struct Figures {
    pub events: i64,
    pub required: i64,
    pub assigned: i64,
    pub checked_in: i64,
}

pub fn panel(f: &Figures, tr: Tr) -> PanelData {
    PanelData {
        counters: vec![
            Counter {
                key: "security_events",
                label: tr.pick("进行中的重大活动", "Major events under way"),
                value: f.events,
            },
            Counter {
                key: "security_required", label: tr.pick("安保所需警力", "Officers needed"), value: f.required
            },
            Counter { key: "security_assigned", label: tr.pick("已安排", "Officers posted"), value: f.assigned },
            Counter { key: "security_checked_in", label: tr.pick("已到岗", "At their posts"), value: f.checked_in },
            Counter {
                key: "security_staffed",
                label: tr.pick("到岗率（%）", "Posts staffed (%)"),
                value: if f.required > 0 { f.checked_in * 100 / f.required } else { 0 },
            },
        ],
        map_figures: Vec::new(),
        charts: Vec::new(),
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
        let plans = Tally { from: "sec_plans", path: "unit_path", time: "starts_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let checked = Tally {
            from: "sec_assignments a JOIN sec_plans p ON p.id = a.plan_id",
            path: "p.unit_path",
            time: "a.checked_in_at",
            agg: "COUNT(*)",
            extra: "",
        }
        .both(db, scope, m)
        .await?;
        let en = tr.is_en();
        Ok(Section::new("security", tr.pick("重大活动安保", "Major-event security"))
            .figure(Figure::count(tr.pick("安保活动", "Events secured"), plans.0, plans.1))
            .figure(Figure::count(tr.pick("民警到岗签到", "Officer check-ins"), checked.0, checked.1))
            .chart(tr.pick("到岗签到（按区县）", "Check-ins, by district"), &checked.2, en))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staffed_share_is_officers_at_posts_over_those_needed() {
        let out = panel(&Figures { events: 1, required: 40, assigned: 36, checked_in: 30 }, Tr::new("en"));
        let v = |k: &str| out.counters.iter().find(|c| c.key == k).map(|c| c.value);
        assert_eq!((v("security_events"), v("security_staffed")), (Some(1), Some(75)));
    }
}
