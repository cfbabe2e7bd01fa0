//! Importing risk points and roadside helmet samples from CSV or XLSX: each row checked as
//! the form would check it (kinds and road types by code or by their Chinese or English
//! names), every refused row reported with its line and reason, the rest stored in batches.

use std::collections::HashMap;

use super::error::LifeError;
use super::model::{self, Kind, Severity};
use super::service::{self, PointInput, SampleInput};
use super::store::{points, records};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::principal::Ctx;
use crate::web::import::{ColumnNames, Format, ImportReport, Refused, columns, number, read, split, whole};

/// At most this many rows per file.
pub const MAX_ROWS: usize = 20_000;
const BATCH: usize = 500;

const POINT_COLUMNS: ColumnNames = &[
    ("kind", &["隐患类型", "类型", "kind"]),
    ("severity", &["等级", "severity"]),
    ("title", &["名称", "title"]),
    ("address", &["地址", "address"]),
    ("lon", &["经度", "lon", "longitude"]),
    ("lat", &["纬度", "lat", "latitude"]),
    ("description", &["情况描述", "描述", "description"]),
];

const SAMPLE_COLUMNS: ColumnNames = &[
    ("at", &["时间", "抽样时间", "at", "time"]),
    ("place", &["地点", "place"]),
    ("lon", &["经度", "lon", "longitude"]),
    ("lat", &["纬度", "lat", "latitude"]),
    ("road_type", &["道路类型", "道路", "road_type", "road"]),
    ("drivers", &["驾驶人", "drivers"]),
    ("drivers_helmet", &["戴头盔驾驶人", "drivers_helmet"]),
    ("passengers", &["乘员", "passengers"]),
    ("passengers_helmet", &["戴头盔乘员", "passengers_helmet"]),
];

/// A code from its code or either name.
fn code_of<T: Copy>(all: &[T], v: &str, as_str: fn(T) -> &'static str, label: fn(T, bool) -> &'static str) -> String {
    let v = v.trim();
    all.iter()
        .find(|x| as_str(**x) == v || label(**x, false) == v || label(**x, true).eq_ignore_ascii_case(v))
        .map(|x| as_str(*x).to_string())
        .unwrap_or_else(|| v.to_string())
}

fn reason(e: LifeError) -> String {
    e.to_string()
}

fn cells<'a>(col: &'a HashMap<&'static str, usize>) -> impl Fn(&[String], &str) -> String + 'a {
    move |cells: &[String], f: &str| col.get(f).and_then(|&i| cells.get(i)).cloned().unwrap_or_default()
}

/// Checks and stores the risk points of one file in the caller's area.
pub async fn points(state: &AppState, ctx: &Ctx, bytes: &[u8], format: Format) -> Result<ImportReport, ApiError> {
    let rows = read(bytes, format)?;
    let (headings, body) = split(&rows, MAX_ROWS)?;
    let col = columns(headings, POINT_COLUMNS, &["description"])?;
    let cell = cells(&col);
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let mut refused = Vec::new();
    let mut ready = Vec::new();
    for (line, row) in body.iter().filter(|(_, r)| r.iter().any(|c| !c.is_empty())) {
        let checked = (|| -> Result<points::NewPoint, String> {
            let input = PointInput {
                kind: code_of(Kind::ALL, &cell(row, "kind"), Kind::as_str, Kind::label),
                severity: code_of(Severity::ALL, &cell(row, "severity"), Severity::as_str, Severity::label),
                title: cell(row, "title"),
                description: cell(row, "description"),
                address: cell(row, "address"),
                lon: number("经度/lon", &cell(row, "lon"))?,
                lat: number("纬度/lat", &cell(row, "lat"))?,
                water: None,
            };
            service::check_point(&input, &units).map_err(reason)
        })();
        match checked {
            Ok(p) => ready.push(p),
            Err(reason) => refused.push(Refused { line: *line, reason }),
        }
    }
    let now = ningan_core::time::now_ms();
    let mut ids = Vec::new();
    for (n, batch) in ready.chunks(BATCH).enumerate() {
        let mut w = state.db.write().await?;
        for p in batch {
            ids.push(points::insert(&mut w, &ctx.actor(), p, now).await?);
        }
        w.commit().await?;
        if ready.len() > BATCH {
            tracing::info!(done = ((n + 1) * BATCH).min(ready.len()), of = ready.len(), "risk point import");
        }
    }
    super::refresh_many(state, &ids).await;
    Ok(ImportReport { rows: body.len(), accepted: ids.len(), refused })
}

/// `2026-05-01 16:30`, `2026-05-01T16:30` (China Standard Time) or RFC 3339.
fn instant(v: &str) -> Result<i64, String> {
    use chrono::TimeZone as _;
    let v = v.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(t.timestamp_millis());
    }
    ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(v, f).ok())
        .and_then(|t| ningan_core::time::cst().from_local_datetime(&t).single())
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| format!("时间“{v}”应为 2026-05-01 16:30 / time “{v}” should look like 2026-05-01 16:30"))
}

/// Checks and stores the helmet samples of one file in the caller's area.
pub async fn samples(state: &AppState, ctx: &Ctx, bytes: &[u8], format: Format) -> Result<ImportReport, ApiError> {
    let rows = read(bytes, format)?;
    let (headings, body) = split(&rows, MAX_ROWS)?;
    let col = columns(headings, SAMPLE_COLUMNS, &["passengers", "passengers_helmet"])?;
    let cell = cells(&col);
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let now = ningan_core::time::now_ms();
    let road = |v: &str| {
        let v = v.trim();
        model::ROAD_TYPES
            .iter()
            .find(|r| r.0 == v || r.1 == v || r.2.eq_ignore_ascii_case(v))
            .map(|r| r.0.to_string())
            .unwrap_or_else(|| v.to_string())
    };
    let optional = |row: &[String], f: &str, name: &str| -> Result<i64, String> {
        let v = cell(row, f);
        if v.is_empty() { Ok(0) } else { whole(name, &v) }
    };
    let mut refused = Vec::new();
    let mut ready = Vec::new();
    for (line, row) in body.iter().filter(|(_, r)| r.iter().any(|c| !c.is_empty())) {
        let checked = (|| -> Result<records::NewSample, String> {
            let input = SampleInput {
                at: Some(instant(&cell(row, "at"))?),
                place: cell(row, "place"),
                lon: number("经度/lon", &cell(row, "lon"))?,
                lat: number("纬度/lat", &cell(row, "lat"))?,
                road_type: road(&cell(row, "road_type")),
                drivers: whole("驾驶人/drivers", &cell(row, "drivers"))?,
                drivers_helmet: whole("戴头盔驾驶人/drivers_helmet", &cell(row, "drivers_helmet"))?,
                passengers: optional(row, "passengers", "乘员/passengers")?,
                passengers_helmet: optional(row, "passengers_helmet", "戴头盔乘员/passengers_helmet")?,
            };
            service::check_sample(&input, &units, now).map_err(reason)
        })();
        match checked {
            Ok(s) => ready.push(s),
            Err(reason) => refused.push(Refused { line: *line, reason }),
        }
    }
    let mut accepted = 0;
    for batch in ready.chunks(BATCH) {
        let mut w = state.db.write().await?;
        for s in batch {
            records::sample_insert(&mut w, &ctx.actor(), s, now).await?;
            accepted += 1;
        }
        w.commit().await?;
    }
    Ok(ImportReport { rows: body.len(), accepted, refused })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_either_language_become_codes_and_times_read_as_china_time() {
        assert_eq!(code_of(Kind::ALL, "河埠头", Kind::as_str, Kind::label), "river_steps");
        assert_eq!(code_of(Kind::ALL, "dangerous crossing", Kind::as_str, Kind::label), "crossing");
        assert_eq!(code_of(Severity::ALL, "重大", Severity::as_str, Severity::label), "major");
        assert_eq!(code_of(Kind::ALL, "火山", Kind::as_str, Kind::label), "火山");
        let t = instant("2026-05-01 16:30").unwrap();
        assert_eq!(ningan_core::time::rfc3339_ms(t), "2026-05-01T16:30:00+08:00");
        assert!(instant("tomorrow").unwrap_err().contains("2026-05-01"));
    }
}
