//! A module's figures for one month, as the monthly report prints them: each module's
//! `Panel::monthly` returns a [`Section`] — headline figures with the month before beside
//! them, and one figure per district for the section's chart. [`tally`] counts or sums a
//! table's rows in the viewer's scope and the month, per district.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use chrono::{Datelike, NaiveDate};
use ningan_store::sql::{RowExt as _, query};
use ningan_store::{Db, Scope, StoreError};

/// A calendar month in Ningbo time, `[from, to)` in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub year: i32,
    pub month: u32,
    pub from: i64,
    pub to: i64,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let ms = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis() - 8 * 3_600_000);
        Some(Month { year, month, from: ms(first)?, to: ms(next)? })
    }

    /// `2026-11`.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }

    /// The month holding `ms`.
    pub fn of(ms: i64) -> Month {
        let d = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
            .map(|t| t.with_timezone(&ningan_core::time::cst()).date_naive())
            .unwrap_or_default();
        Month::new(d.year(), d.month()).unwrap_or(Month { year: 1970, month: 1, from: 0, to: 0 })
    }

    pub fn previous(&self) -> Month {
        let (y, m) = if self.month == 1 { (self.year - 1, 12) } else { (self.year, self.month - 1) };
        Month::new(y, m).unwrap_or(*self)
    }

    pub fn key(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    pub fn label(&self, en: bool) -> String {
        if en { format!("{:04}-{:02}", self.year, self.month) } else { format!("{}年{}月", self.year, self.month) }
    }
}

/// One figure: this month's value and the month before's, as shown.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Figure {
    pub label: String,
    pub value: String,
    pub before: String,
}

impl Figure {
    pub fn count(label: &str, now: i64, before: i64) -> Figure {
        Figure { label: label.into(), value: crate::web::fmt::count(now), before: crate::web::fmt::count(before) }
    }

    /// Fen as yuan with thousands separators.
    pub fn yuan(label: &str, now_fen: i64, before_fen: i64) -> Figure {
        Figure {
            label: label.into(),
            value: crate::web::fmt::yuan_fen(now_fen),
            before: crate::web::fmt::yuan_fen(before_fen),
        }
    }

    pub fn percent(label: &str, now: Option<f64>, before: Option<f64>) -> Figure {
        let p = |v: Option<f64>| v.map(|v| format!("{v:.2}%")).unwrap_or_else(|| "—".into());
        Figure { label: label.into(), value: p(now), before: p(before) }
    }
}

/// A module's part of the monthly report.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Section {
    pub module: String,
    pub title: String,
    pub figures: Vec<Figure>,
    /// What the chart shows, per district.
    pub chart_title: String,
    /// `(district name, value)`, in the order of `DISTRICTS`.
    pub chart: Vec<(String, f64)>,
}

impl Section {
    pub fn new(module: &str, title: &str) -> Section {
        Section {
            module: module.into(),
            title: title.into(),
            figures: Vec::new(),
            chart_title: String::new(),
            chart: Vec::new(),
        }
    }

    /// Charts a per-district tally, naming the districts in the report's language.
    pub fn chart(mut self, title: &str, per_district: &BTreeMap<u32, i64>, en: bool) -> Section {
        self.chart_title = title.into();
        self.chart = ningan_core::DISTRICTS
            .iter()
            .map(|d| {
                (
                    (if en { d.name_en } else { d.name }).to_string(),
                    per_district.get(&d.code).copied().unwrap_or(0) as f64,
                )
            })
            .collect();
        self
    }

    pub fn figure(mut self, f: Figure) -> Section {
        self.figures.push(f);
        self
    }
}

/// What a module's monthly computation returns.
pub type MonthlyFuture<'a> = Pin<Box<dyn Future<Output = Result<Section, StoreError>> + Send + 'a>>;

/// A table's rows in `scope` (by `path`, an org-unit path column) whose `time` falls in the
/// month, aggregated by `agg` (`COUNT(*)`, `SUM(x)`) per district, with `extra` conditions.
/// Table, columns and conditions are the calling module's literals, never input.
pub struct Tally<'a> {
    pub from: &'a str,
    pub path: &'a str,
    pub time: &'a str,
    pub agg: &'a str,
    pub extra: &'a str,
}

impl Tally<'_> {
    pub async fn run(&self, db: &Db, scope: &Scope, m: Month) -> Result<BTreeMap<u32, i64>, StoreError> {
        let (lo, hi) = scope.range();
        let extra = if self.extra.is_empty() { String::new() } else { format!(" AND {}", self.extra) };
        let sql = format!(
            "SELECT substr({p}, 9, 6) AS d, CAST(COALESCE({agg}, 0) AS BIGINT) AS n FROM {from} \
             WHERE {p} >= $1 AND {p} < $2 AND {t} >= $3 AND {t} < $4{extra} GROUP BY substr({p}, 9, 6)",
            p = self.path,
            agg = self.agg,
            from = self.from,
            t = self.time,
        );
        let rows = query(&sql).bind(lo).bind(hi).bind(m.from).bind(m.to).fetch_all(db.reader()).await?;
        let mut out = BTreeMap::new();
        for r in rows {
            let d: Option<String> = r.try_get("d")?;
            // Rows of units above the districts (the city's own) count under 0: in the
            // total, on no district's bar.
            let code = d.and_then(|d| d.parse::<u32>().ok()).unwrap_or(0);
            *out.entry(code).or_default() += r.try_get::<i64, _>("n")?;
        }
        Ok(out)
    }

    /// This month's and the month before's totals, and this month's per district.
    pub async fn both(&self, db: &Db, scope: &Scope, m: Month) -> Result<(i64, i64, BTreeMap<u32, i64>), StoreError> {
        let now = self.run(db, scope, m).await?;
        let before = self.run(db, scope, m.previous()).await?;
        Ok((now.values().sum(), before.values().sum(), now))
    }
}

/// A horizontal bar chart as SVG, drawn by the server so that the printed report needs no
/// script: one bar per row, the value at its end.
pub fn bars_svg(rows: &[(String, f64)], en: bool) -> String {
    let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(1.0);
    let (label_w, bar_w, row_h) = (if en { 110.0 } else { 80.0 }, 400.0, 20.0);
    let height = row_h * rows.len() as f64 + 10.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bars\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\">",
        w = label_w + bar_w + 70.0
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 5.0 + i as f64 * row_h;
        let len = (v / max * bar_w).max(if *v > 0.0 { 1.0 } else { 0.0 });
        let shown = if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") };
        out.push_str(&format!(
            "<text x=\"{tx}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{ry}\" width=\"{len:.1}\" height=\"14\" fill=\"#1c4f8a\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"12\">{shown}</text>",
            tx = label_w - 6.0,
            ty = y + 12.0,
            label = escape(label),
            ry = y + 1.0,
            vx = label_w + len + 4.0,
        ));
    }
    out.push_str("</svg>");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_its_days_in_ningbo_time() {
        let m = Month::parse("2026-11").unwrap();
        assert_eq!(m.key(), "2026-11");
        // 2026-11-01T00:00+08:00 is 2026-10-31T16:00Z.
        assert_eq!(m.from, 1_793_462_400_000);
        assert_eq!(m.to - m.from, 30 * 86_400_000);
        assert_eq!(m.previous().key(), "2026-10");
        assert_eq!(Month::parse("2026-01").unwrap().previous().key(), "2025-12");
        assert_eq!(Month::of(m.from), m);
        assert_eq!(Month::of(m.from - 1).key(), "2026-10");
        assert!(Month::parse("2026-13").is_none() && Month::parse("26-1").is_none());
    }

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars_svg(&[("<a>".into(), 10.0), ("b".into(), 5.0)], false);
        assert!(svg.contains("&lt;a&gt;") && svg.contains("width=\"400.0\"") && svg.contains("width=\"200.0\""));
    }
}
