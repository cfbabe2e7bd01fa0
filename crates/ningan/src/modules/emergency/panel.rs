//! Typhoon and flood response's share of the cockpit: for the active event (the latest if
//! several), households still to move and those with needs among them, people in shelters
//! against the places, evacuation by district on the map, and occupancy of the fullest
//! shelters.

use serde_json::json;

use super::store::{events, households, shelters};
use crate::modules::cockpit::panels::{Chart, Counter, MapFigure, Panel, PanelData, PanelFuture};
use crate::web::Tr;

pub const PANEL: Panel = Panel { name: "emergency", compute, monthly };

fn compute<'a>(db: &'a ningan_store::Db, scope: &'a ningan_store::Scope, tr: Tr) -> PanelFuture<'a> {
    Box::pin(async move {
        let Some(event) = events::list(db).await?.into_iter().find(|e| e.state == "active") else {
            return Ok(panel(None, &[], &[], tr));
        };
        let counts = households::counts(db, scope, event.id).await?;
        let all: Vec<shelters::Shelter> =
            shelters::all(db, event.id).await?.into_iter().filter(|s| scope.contains(&s.unit_path)).collect();
        Ok(panel(Some(&event.name), &counts, &all, tr))
    })
}

pub fn panel(
    event: Option<&str>,
    counts: &[(String, String, bool, i64, i64)],
    all: &[shelters::Shelter],
    tr: Tr,
) -> PanelData {
    let outstanding = |c: &&(String, String, bool, i64, i64)| matches!(c.1.as_str(), "listed" | "notified" | "refused");
    let listed: i64 = counts.iter().map(|c| c.3).sum();
    let to_move: i64 = counts.iter().filter(outstanding).map(|c| c.3).sum();
    let first: i64 = counts.iter().filter(outstanding).filter(|c| c.2).map(|c| c.3).sum();
    let inside: i64 = all.iter().map(|s| s.occupancy).sum();
    let places: i64 = all.iter().map(|s| s.capacity).sum();
    let counters = vec![
        Counter {
            key: "emergency_listed", label: tr.pick("转移名单（户）", "Households listed"), value: listed
        },
        Counter { key: "emergency_outstanding", label: tr.pick("待转移（户）", "Still to move"), value: to_move },
        Counter {
            key: "emergency_first", label: tr.pick("其中特殊需求户", "Of them, with needs"), value: first
        },
        Counter {
            key: "emergency_sheltered", label: tr.pick("安置点在住（人）", "In shelters"), value: inside
        },
        Counter {
            key: "emergency_occupancy",
            label: tr.pick("安置点占用率（%）", "Shelters full (%)"),
            value: if places > 0 { inside * 100 / places } else { 0 },
        },
    ];
    let mut by_unit: std::collections::BTreeMap<String, i64> = Default::default();
    for c in counts.iter().filter(outstanding) {
        *by_unit.entry(c.0.clone()).or_default() += c.3;
    }
    let by_unit: Vec<(String, i64)> = by_unit.into_iter().collect();
    let mut fullest: Vec<&shelters::Shelter> = all.iter().filter(|s| s.occupancy > 0).collect();
    fullest.sort_by_key(|s| std::cmp::Reverse(s.occupancy * 1000 / s.capacity.max(1)));
    fullest.truncate(10);
    let title = match event {
        Some(_) => tr.pick("最满的安置点（占用率 %）", "Fullest shelters (% of places)"),
        None => tr.pick("安置点（无进行中的事件）", "Shelters (no active event)"),
    };
    PanelData {
        counters,
        map_figures: vec![MapFigure::new("emergency_outstanding", tr.pick("待转移户", "Households to move"), &by_unit)],
        charts: vec![Chart {
            id: "emergency_shelters",
            title,
            option: json!({
                "tooltip": {"trigger": "axis"},
                "grid": {"left": 110, "right": 20, "top": 10, "bottom": 20},
                "xAxis": {"type": "value", "max": 100},
                "yAxis": {"type": "category", "data": fullest.iter().map(|s| s.name.clone()).collect::<Vec<_>>()},
                "series": [{"type": "bar", "data": fullest.iter().map(|s| s.occupancy * 100 / s.capacity.max(1)).collect::<Vec<_>>()}],
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
        let listed = Tally { from: "em_households", path: "unit_path", time: "updated_at", agg: "COUNT(*)", extra: "" }
            .both(db, scope, m)
            .await?;
        let sheltered = Tally {
            from: "em_stays s JOIN em_households h ON h.id = s.household_id",
            path: "h.unit_path",
            time: "s.arrived_at",
            agg: "COUNT(*)",
            extra: "",
        }
        .both(db, scope, m)
        .await?;
        let en = tr.is_en();
        Ok(Section::new("emergency", tr.pick("抗台防汛", "Typhoon and flood"))
            .figure(Figure::count(tr.pick("转移户处置", "Households worked"), listed.0, listed.1))
            .figure(Figure::count(tr.pick("安置点入住人次", "Shelter check-ins"), sheltered.0, sheltered.1))
            .chart(tr.pick("安置入住（按区县）", "Sheltered, by district"), &sheltered.2, en))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shelter(id: i64, capacity: i64, occupancy: i64) -> shelters::Shelter {
        shelters::Shelter {
            id,
            name: format!("s{id}"),
            address: String::new(),
            lon: 121.5,
            lat: 29.8,
            capacity,
            unit_id: 1,
            unit_path: "/330200/".into(),
            occupancy,
        }
    }

    #[test]
    fn counters_show_what_is_left_to_move_and_how_full_the_shelters_are() {
        let counts = [
            ("/a/".to_string(), "listed".to_string(), true, 2, 5),
            ("/a/".to_string(), "listed".to_string(), false, 3, 9),
            ("/a/".to_string(), "evacuated".to_string(), false, 5, 12),
            ("/b/".to_string(), "refused".to_string(), false, 1, 2),
        ];
        let out = panel(Some("烟花"), &counts, &[shelter(1, 100, 30), shelter(2, 100, 10)], Tr::new("en"));
        let v = |k: &str| out.counters.iter().find(|c| c.key == k).map(|c| c.value);
        assert_eq!(v("emergency_listed"), Some(11));
        assert_eq!(v("emergency_outstanding"), Some(6));
        assert_eq!(v("emergency_first"), Some(2));
        assert_eq!((v("emergency_sheltered"), v("emergency_occupancy")), (Some(40), Some(20)));
        assert_eq!(out.map_figures[0].by_unit, vec![("/a/".to_string(), 5), ("/b/".to_string(), 1)]);
    }
}
