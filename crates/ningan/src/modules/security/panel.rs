//! Major-event security's share of the cockpit: the events under way in the viewer's scope,
//! officers needed, assigned and at their posts, and the incidents inside the perimeters.

use super::store::plans;
use crate::modules::cockpit::panels::{Counter, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "security", compute, monthly };

fn compute<'a>(db: &'a ningan_store::Db, scope: &'a ningan_store::Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let now = ningan_core::time::now_ms();
        let running = plans::under_way(db, scope, now).await?;
        let mut figures = Figures { events: running.len() as i64, ..Default::default() };
        for p in &running {
            for post in plans::posts(db, p.id).await? {
                figures.required += post.required;
                figures.assigned += post.assigned;
                figures.checked_in += post.checked_in;
            }
        }
        Ok(panel(&figures, tr))
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
