//! Public opinion's share of the cockpit: posts today and the negative share, alerts open and
//! assigned, and today's posts by topic.

use serde_json::json;

use super::store::alerts::{self, Viewer};
use super::store::posts;
use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "opinion", compute, monthly };

fn compute<'a>(db: &'a ningan_store::Db, scope: &'a ningan_store::Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let now = ningan_core::time::now_ms();
        let start = crate::modules::command::panel::day_start(now);
        let (count, negative) = posts::counts_since(db, start).await?;
        // The cockpit shows what its viewer's scope was given, and the unassigned ones to a
        // city-wide viewer.
        let viewer =
            Viewer { scope: scope.clone(), unassigned: scope.range().0 == ningan_store::Scope::everything().range().0 };
        let states = alerts::by_state(db, &viewer).await?;
        let hours = posts::all_hours(db, posts::hour_of(start), posts::hour_of(now) + 1).await?;
        let mut by_topic: std::collections::BTreeMap<String, i64> = Default::default();
        for (topic, _, n, _, _) in hours {
            *by_topic.entry(topic).or_default() += n;
        }
        let mut data = panel(count, negative, &states, &by_topic, tr);
        let assigned = crate::modules::cockpit::panels::by_unit(
            db,
            scope,
            "op_alerts",
            "unit_path",
            "COUNT(*)",
            "state <> 'closed'",
        )
        .await?;
        data.map_figures.push(MapFigure::new(
            "opinion_alerts",
            tr.pick("未办结舆情预警", "Alerts not closed"),
            &assigned,
        ));
        Ok(data)
    })
}

pub fn panel(
    count: i64,
    negative: i64,
    states: &[(String, i64)],
    by_topic: &std::collections::BTreeMap<String, i64>,
    tr: Tr,
) -> PanelData {
    let state = |s: &str| states.iter().filter(|r| r.0 == s).map(|r| r.1).sum::<i64>();
    let counters = vec![
        Counter { key: "opinion_posts", label: tr.pick("今日舆情信息", "Posts today"), value: count },
        Counter {
            key: "opinion_negative",
            label: tr.pick("负面占比（%）", "Negative (%)"),
            value: if count > 0 { negative * 100 / count } else { 0 },
        },
        Counter { key: "opinion_open", label: tr.pick("待研判预警", "Alerts to judge"), value: state("open") },
        Counter {
            key: "opinion_assigned",
            label: tr.pick("交办未回复", "Assigned, unanswered"),
            value: state("assigned"),
        },
    ];
    let data: Vec<serde_json::Value> = by_topic.iter().map(|(t, n)| json!({"name": t, "value": n})).collect();
    PanelData {
        counters,
        map_figures: Vec::new(),
        charts: vec![Chart {
            id: "opinion_topics",
            title: tr.pick("今日各话题信息量", "Today's posts by topic"),
            option: json!({"tooltip": {"trigger": "item"}, "series": [{"type": "pie", "radius": ["35%", "65%"], "data": data}]}),
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
        let alerts = Tally {
            from: "op_alerts",
            path: "COALESCE(unit_path, '/330200/')",
            time: "created_at",
            agg: "COUNT(*)",
            extra: "",
        }
        .both(db, scope, m)
        .await?;
        let closed = Tally {
            from: "op_alerts",
            path: "unit_path",
            time: "updated_at",
            agg: "COUNT(*)",
            extra: "state = 'closed'",
        }
        .both(db, scope, m)
        .await?;
        let en = tr.is_en();
        Ok(Section::new("opinion", tr.pick("舆情", "Public opinion"))
            .figure(Figure::count(tr.pick("舆情预警", "Alerts raised"), alerts.0, alerts.1))
            .figure(Figure::count(tr.pick("办结", "Alerts closed"), closed.0, closed.1))
            .chart(tr.pick("舆情预警（按区县）", "Alerts, by district"), &alerts.2, en))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_the_days_posts_and_the_alerts_waiting() {
        let states = [("open".to_string(), 2), ("assigned".to_string(), 1), ("closed".to_string(), 5)];
        let topics = [("flood".to_string(), 40)].into_iter().collect();
        let out = panel(200, 50, &states, &topics, Tr::new("en"));
        let v = |k: &str| out.counters.iter().find(|c| c.key == k).map(|c| c.value);
        assert_eq!((v("opinion_posts"), v("opinion_negative")), (Some(200), Some(25)));
        assert_eq!((v("opinion_open"), v("opinion_assigned")), (Some(2), Some(1)));
    }
}
