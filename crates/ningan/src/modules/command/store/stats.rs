//! The figures of a day's calls: incidents by hour and family, answer and arrival times per
//! district against the targets, units by status. A day has a few thousand calls, so its
//! rows are read once and added up here rather than in one query per figure.

use ningan_core::incident::{Category, Family, Intervals, UnitStatus};
use ningan_store::sql::{Filter, RowExt as _};
use ningan_store::{Db, Result, Scope};

/// One call's timings, as the figures need them.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub hour: u32,
    pub family: Option<Family>,
    pub district: u32,
    pub urban: bool,
    pub intervals: Intervals,
}

/// Per district: calls, answered, seconds to answer summed, arrivals, arrivals on target.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DistrictTimes {
    pub calls: i64,
    pub answered: i64,
    pub answer_s: i64,
    pub arrived: i64,
    pub on_target: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Day {
    pub by_hour: [i64; 24],
    pub by_family: Vec<(Family, i64)>,
    pub by_district: std::collections::BTreeMap<u32, DistrictTimes>,
    pub open: i64,
}

impl Day {
    pub fn of(timings: &[Timing], open: i64) -> Day {
        let mut day = Day { open, ..Default::default() };
        for t in timings {
            day.by_hour[(t.hour as usize).min(23)] += 1;
            if let Some(f) = t.family {
                match day.by_family.iter_mut().find(|(g, _)| *g == f) {
                    Some((_, n)) => *n += 1,
                    None => day.by_family.push((f, 1)),
                }
            }
            let d = day.by_district.entry(t.district).or_default();
            d.calls += 1;
            if let Some(s) = t.intervals.answer_s() {
                d.answered += 1;
                d.answer_s += s;
            }
            if let Some(ok) = t.intervals.on_target(t.urban) {
                d.arrived += 1;
                d.on_target += i64::from(ok);
            }
        }
        day.by_family.sort_by_key(|(f, _)| Family::ALL.iter().position(|g| g == f));
        day
    }

    pub fn calls(&self) -> i64 {
        self.by_hour.iter().sum()
    }

    /// The whole day's arrivals on target, in percent; `None` before any arrival.
    pub fn on_target_pct(&self) -> Option<i64> {
        let (arrived, ok) = self.by_district.values().fold((0, 0), |(a, o), d| (a + d.arrived, o + d.on_target));
        (arrived > 0).then(|| (ok * 100 + arrived / 2) / arrived)
    }

    /// Mean seconds to answer over the day; `None` before any answer.
    pub fn mean_answer_s(&self) -> Option<i64> {
        let (n, s) = self.by_district.values().fold((0, 0), |(n, s), d| (n + d.answered, s + d.answer_s));
        (n > 0).then(|| s / n)
    }
}

/// The calls received in `[from, to)` within `scope`, and how many of all in scope are open.
pub async fn day(db: &Db, scope: &Scope, from: i64, to: i64) -> Result<Day> {
    let mut f = Filter::new();
    f.within(scope, "unit_path");
    let (a, b) = (f.arg_i64(from), f.arg_i64(to));
    f.cond(format!("received_at >= {a} AND received_at < {b}"));
    let sql = format!(
        "SELECT category, district, urban, received_at, answered_at, on_scene_at FROM cmd_incidents WHERE {}",
        f.where_sql()
    );
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    let offset = i64::from(ningan_core::time::cst().local_minus_utc()) * 1000;
    let mut timings = Vec::with_capacity(rows.len());
    for r in &rows {
        let received: i64 = r.try_get("received_at")?;
        let category: String = r.try_get("category")?;
        let district: i64 = r.try_get("district")?;
        let urban: i64 = r.try_get("urban")?;
        timings.push(Timing {
            hour: ((received + offset).rem_euclid(86_400_000) / 3_600_000) as u32,
            family: Category::parse(&category).map(Category::family),
            district: u32::try_from(district).unwrap_or(0),
            urban: urban != 0,
            intervals: Intervals {
                received,
                answered: r.try_get("answered_at")?,
                on_scene: r.try_get("on_scene_at")?,
                ..Default::default()
            },
        });
    }
    let mut g = Filter::new();
    g.within(scope, "unit_path");
    let (c, x) = (g.arg_text("cleared".into()), g.arg_text("cancelled".into()));
    g.cond(format!("stage NOT IN ({c}, {x})"));
    let sql = format!("SELECT COUNT(*) AS n FROM cmd_incidents WHERE {}", g.where_sql());
    let open: i64 = g.bind(&sql).fetch_one(db.reader()).await?.try_get("n")?;
    Ok(Day::of(&timings, open))
}

/// Units in scope by status.
pub async fn units_by_status(db: &Db, scope: &Scope) -> Result<Vec<(UnitStatus, i64)>> {
    let mut f = Filter::new();
    f.within(scope, "unit_path");
    let sql = format!("SELECT status, COUNT(*) AS n FROM cmd_units WHERE {} GROUP BY status", f.where_sql());
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    let mut out = Vec::new();
    for r in &rows {
        let status: String = r.try_get("status")?;
        if let Some(s) = UnitStatus::parse(&status) {
            out.push((s, r.try_get("n")?));
        }
    }
    out.sort_by_key(|(s, _)| *s);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_adds_up_by_hour_family_and_district_against_the_targets() {
        let at = 1_790_000_000_000;
        let call = |hour, family, district, urban, answer_s: i64, arrive_s: Option<i64>| Timing {
            hour,
            family: Some(family),
            district,
            urban,
            intervals: Intervals {
                received: at,
                answered: Some(at + answer_s * 1000),
                on_scene: arrive_s.map(|s| at + s * 1000),
                ..Default::default()
            },
        };
        let day = Day::of(
            &[
                call(8, Family::Traffic, 330203, true, 10, Some(240)),
                call(8, Family::Traffic, 330203, true, 20, Some(420)),
                call(23, Family::Dispute, 330281, false, 30, Some(420)),
                call(23, Family::Help, 330281, false, 40, None),
            ],
            1,
        );
        assert_eq!((day.calls(), day.by_hour[8], day.by_hour[23]), (4, 2, 2));
        assert_eq!(day.by_family, vec![(Family::Traffic, 2), (Family::Dispute, 1), (Family::Help, 1)]);
        let haishu = day.by_district[&330203];
        assert_eq!((haishu.arrived, haishu.on_target), (2, 1), "seven minutes misses the city's five");
        assert_eq!(day.by_district[&330281].on_target, 1, "but meets the suburbs' ten");
        assert_eq!(day.on_target_pct(), Some(67));
        assert_eq!(day.mean_answer_s(), Some(25));
    }
}
