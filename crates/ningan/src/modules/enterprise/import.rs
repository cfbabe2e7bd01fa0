//! Importing the enterprise register from a CSV or XLSX file of thousands of rows: each row is
//! checked as a registration typed in the workbench would be, every refused row is reported
//! with its line and reason, and the rest are stored in batches (a row already registered is
//! refused, not half-written). Headings may be Chinese or English.

use std::collections::HashSet;

use super::service::{self, EnterpriseInput};
use super::store::enterprises;
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::principal::Ctx;
pub use crate::web::import::{ColumnNames, Format, ImportReport, Refused, columns, number, read, split};
use ningan_store::sql::query;
use ningan_store::{OrgUnit, UnitKind};

/// At most this many rows per file.
pub const MAX_ROWS: usize = 20_000;
const BATCH: usize = 200;

/// Each field with the headings that name it.
const COLUMNS: ColumnNames = &[
    ("uscc", &["统一社会信用代码", "信用代码", "uscc"]),
    ("name", &["企业名称", "名称", "name"]),
    ("address", &["地址", "address"]),
    ("lon", &["经度", "lon", "longitude"]),
    ("lat", &["纬度", "lat", "latitude"]),
    ("industry", &["行业门类", "行业", "industry"]),
    ("size", &["规模", "size"]),
    ("key_enterprise", &["重点企业", "重点", "key_enterprise", "key"]),
    ("contact_name", &["联系人", "contact_name", "contact"]),
    ("contact_phone", &["联系电话", "联系人电话", "contact_phone", "phone"]),
    ("station", &["派出所代码", "派出所", "station"]),
];

/// Checks and stores the rows of one file for the caller's scope.
pub async fn import(state: &AppState, ctx: &Ctx, bytes: &[u8], format: Format) -> Result<ImportReport, ApiError> {
    let rows = read(bytes, format)?;
    let (headings, body) = split(&rows, MAX_ROWS)?;
    let col = columns(headings, COLUMNS, &["station", "key_enterprise"])?;
    let units: Vec<OrgUnit> = state.db.units_in_scope(&ctx.scope()).await?;
    let cell = |cells: &[String], f: &str| col.get(f).and_then(|&i| cells.get(i)).cloned().unwrap_or_default();
    let mut refused = Vec::new();
    let mut ready: Vec<(usize, enterprises::NewEnterprise)> = Vec::new();
    let mut seen = HashSet::new();
    for (line, cells) in body {
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let checked = (|| -> Result<enterprises::NewEnterprise, String> {
            let key = cell(cells, "key_enterprise");
            let input = EnterpriseInput {
                uscc: cell(cells, "uscc"),
                name: cell(cells, "name"),
                address: cell(cells, "address"),
                lon: number("经度/lon", &cell(cells, "lon"))?,
                lat: number("纬度/lat", &cell(cells, "lat"))?,
                industry: cell(cells, "industry"),
                size: cell(cells, "size"),
                key_enterprise: matches!(key.to_lowercase().as_str(), "是" | "1" | "true" | "yes" | "y"),
                contact_name: cell(cells, "contact_name"),
                contact_phone: cell(cells, "contact_phone"),
                unit_id: None,
                officer_id: None,
            };
            let mut new = service::validate(&input).map_err(|e| e.to_string())?;
            let code = cell(cells, "station");
            let station = if code.is_empty() {
                crate::geo::owning_station(&units, new.lon, new.lat)
            } else {
                units.iter().find(|u| u.code == code && u.kind == UnitKind::Station)
            }
            .ok_or_else(|| "辖区内找不到所属派出所 / no station in your scope owns this point".to_string())?;
            new.unit_id = station.id;
            new.unit_path = station.path.clone();
            Ok(new)
        })();
        match checked {
            Ok(new) if !seen.insert(new.uscc.clone()) => refused.push(Refused {
                line: *line,
                reason: format!(
                    "信用代码{}在文件中重复 / credit code {} appears twice in the file",
                    new.uscc, new.uscc
                ),
            }),
            Ok(new) => ready.push((*line, new)),
            Err(reason) => refused.push(Refused { line: *line, reason }),
        }
    }
    let now = ningan_core::time::now_ms();
    let mut accepted = 0;
    for (n, batch) in ready.chunks(BATCH).enumerate() {
        // Codes already registered are refused before writing, so no insert fails midway.
        let mut existing = HashSet::new();
        for (_, e) in batch {
            let found = query("SELECT 1 AS one FROM enterprises WHERE uscc = $1")
                .bind(&e.uscc)
                .fetch_optional(state.db.reader())
                .await
                .map_err(ningan_store::StoreError::from)?;
            if found.is_some() {
                existing.insert(e.uscc.clone());
            }
        }
        let mut w = state.db.write().await?;
        for (line, e) in batch {
            if existing.contains(&e.uscc) {
                refused.push(Refused {
                    line: *line,
                    reason: format!("信用代码{}已登记 / credit code {} is already registered", e.uscc, e.uscc),
                });
                continue;
            }
            enterprises::insert(&mut w, &ctx.actor(), &ctx.scope(), e, now).await?;
            accepted += 1;
        }
        w.commit().await?;
        if ready.len() > BATCH {
            tracing::info!(done = ((n + 1) * BATCH).min(ready.len()), of = ready.len(), "enterprise import");
        }
    }
    refused.sort_by_key(|r| r.line);
    Ok(ImportReport { rows: body.len(), accepted, refused })
}
