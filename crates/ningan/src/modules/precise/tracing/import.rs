//! Bulk import of cases and contacts (CSV), as districts send them in: rows that are one
//! person are merged (same ID number, or same name, birth date and phone), each person is
//! matched to the register the same way instead of being added twice, and every row that
//! cannot be used is named with its line and reason. Duplicate people are the commonest
//! complaint about case-management systems; here a person is one record however often listed.
//!
//! Columns: `kind,name,id_number,birth_date,phone,status,time,case_id_number` — kind `case`
//! (status confirmed | asymptomatic | suspected, time = onset) or `contact` (time = last
//! exposure, case_id_number = the case's ID number, in this file or already registered).

use std::collections::HashMap;

use axum::extract::State;
use chrono::NaiveDate;
use ningan_core::{IdNumber, Phone};
use ningan_store::{CASE_STATUSES, FoundContact, NewEpiCase};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::error::ApiResult;
use crate::http::json::Json;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;

pub const HEADER: &str = "kind,name,id_number,birth_date,phone,status,time,case_id_number";
const MAX_ROWS: usize = 20_000;

fn csv_body(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::csv_with_header(HEADER)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ImportRequest {
    /// The CSV text, header first.
    #[schemars(schema_with = "csv_body")]
    pub csv: String,
}

#[derive(Debug, Serialize, JsonSchema, Default)]
pub struct ImportReport {
    pub rows: usize,
    /// Distinct people after merging rows.
    pub people: usize,
    /// Rows merged into an earlier row of the same person.
    pub merged: Vec<Merge>,
    pub cases_created: usize,
    /// Cases listed that were already registered.
    pub cases_existing: usize,
    pub contacts_created: u64,
    pub rejected: Vec<RowError>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Merge {
    pub line: usize,
    pub into_line: usize,
    /// id_number | name_birth_phone
    pub by: &'static str,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RowError {
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Clone)]
struct Row {
    line: usize,
    is_case: bool,
    name: String,
    id_number: Option<String>,
    birth: Option<NaiveDate>,
    phone: Option<String>,
    status: String,
    time_ms: i64,
    case_ref: Option<String>,
}

fn parse_row(line: usize, text: &str) -> Result<Row, String> {
    let f: Vec<&str> = text.split(',').map(str::trim).collect();
    if f.len() != 8 {
        return Err(format!("需要8列，实有{} / expected 8 columns, found {}", f.len(), f.len()));
    }
    let is_case = match f[0] {
        "case" => true,
        "contact" => false,
        k => return Err(format!("类型“{k}”无效，应为 case 或 contact / kind must be case or contact")),
    };
    if f[1].is_empty() {
        return Err("姓名必填 / name is required".into());
    }
    let today = ningan_core::time::today_cst();
    let id_number = match f[2] {
        "" => None,
        s => Some(IdNumber::parse(s, today).map_err(|e| format!("id_number: {e}"))?),
    };
    let birth = match (f[3], &id_number) {
        ("", Some(id)) => Some(id.birth_date()),
        ("", None) => None,
        (s, _) => Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "birth_date: YYYY-MM-DD".to_string())?),
    };
    let phone = match f[4] {
        "" => None,
        s => Some(Phone::parse(s).map_err(|e| format!("phone: {e}"))?.as_str().to_string()),
    };
    if id_number.is_none() && (birth.is_none() || phone.is_none()) {
        return Err("无身份证号时须有出生日期和手机号 / without an ID number, give birth_date and phone".into());
    }
    if is_case && !CASE_STATUSES.contains(&f[5]) {
        return Err(format!("status: {}", CASE_STATUSES.join(" | ")));
    }
    let time_ms = chrono::DateTime::parse_from_rfc3339(f[6])
        .map(|t| t.timestamp_millis())
        .map_err(|_| "time: RFC 3339".to_string())?;
    let case_ref = (!f[7].is_empty()).then(|| f[7].to_string());
    if !is_case && case_ref.is_none() {
        return Err("密接须填写病例身份证号 / a contact needs case_id_number".into());
    }
    Ok(Row {
        line,
        is_case,
        name: f[1].to_string(),
        id_number: id_number.map(|i| i.as_str().to_string()),
        birth,
        phone,
        status: f[5].to_string(),
        time_ms,
        case_ref,
    })
}

/// Groups rows into people: rows sharing an ID number, or a name with birth date and phone,
/// are one person, however they link (union-find, so the order of rows does not matter).
/// Returns each row's group leader (its earliest row) and the merges, each saying how the
/// merged row is recognised.
fn group(rows: &[Row]) -> (Vec<usize>, Vec<Merge>) {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..rows.len()).collect();
    let mut first_by_key: HashMap<String, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let nbp = match (&r.birth, &r.phone) {
            (Some(b), Some(p)) => Some(format!("nbp:{}|{b}|{p}", r.name)),
            _ => None,
        };
        for key in r.id_number.as_ref().map(|id| format!("id:{id}")).into_iter().chain(nbp) {
            match first_by_key.get(&key) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    // The earlier row leads.
                    let (lo, hi) = (a.min(b), a.max(b));
                    parent[hi] = lo;
                }
                None => {
                    first_by_key.insert(key, i);
                }
            }
        }
    }
    let leader: Vec<usize> = (0..rows.len()).map(|i| root(&mut parent, i)).collect();
    let merges = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| leader[*i] != *i)
        .map(|(i, r)| {
            let shares_id = r.id_number.is_some()
                && rows.iter().enumerate().any(|(j, o)| j != i && leader[j] == leader[i] && o.id_number == r.id_number);
            Merge {
                line: r.line,
                into_line: rows[leader[i]].line,
                by: if shares_id { "id_number" } else { "name_birth_phone" },
            }
        })
        .collect();
    (leader, merges)
}

pub async fn import_csv(state: &AppState, ctx: &Ctx, csv: &str) -> ApiResult<ImportReport> {
    let mut lines = csv.lines();
    if lines.next().map(str::trim) != Some(HEADER) {
        return Err(refuse("csv", Rule::CsvHeader(HEADER)));
    }
    let mut report = ImportReport::default();
    let mut rows = Vec::new();
    for (i, text) in lines.enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        report.rows += 1;
        match parse_row(i + 2, text) {
            Ok(r) => rows.push(r),
            Err(reason) => report.rejected.push(RowError { line: i + 2, reason }),
        }
    }
    if report.rows > MAX_ROWS {
        return Err(refuse("csv", Rule::other(format!("每次最多{MAX_ROWS}行"), format!("at most {MAX_ROWS} rows"))));
    }
    let (leader, merges) = group(&rows);
    report.merged = merges;
    // Each person (group leader) matched to the register.
    let scope = ctx.scope();
    let mut resident_of: HashMap<usize, i64> = HashMap::new();
    for (i, r) in rows.iter().enumerate().filter(|(i, _)| leader[*i] == *i) {
        report.people += 1;
        let by_id = match &r.id_number {
            Some(id) => state.db.resident_by_id_number(&scope, id).await?,
            None => None,
        };
        let found = match by_id {
            Some(id) => Ok(id),
            None => match (&r.birth, &r.phone) {
                (Some(b), Some(p)) => {
                    let ids = state.db.residents_by_name_birth_phone(&scope, &r.name, &b.to_string(), p).await?;
                    match ids.as_slice() {
                        [one] => Ok(*one),
                        [] => Err("人口库中无此人，请先登记 / no resident matches; register them first".to_string()),
                        many => Err(format!(
                            "人口库中有{}人同名同生日同手机号，请人工核对 / {} residents match",
                            many.len(),
                            many.len()
                        )),
                    }
                }
                _ => Err("人口库中无此人，请先登记 / no resident matches; register them first".to_string()),
            },
        };
        match found {
            Ok(id) => {
                resident_of.insert(i, id);
            }
            Err(reason) => report.rejected.push(RowError { line: r.line, reason }),
        }
    }
    // Cases first, so contacts can point at cases of the same file.
    let mut case_by_id_number: HashMap<String, i64> = HashMap::new();
    let mut w = state.db.write().await?;
    // Rows of one resident that no key linked (an ID number on one, only a phone on the
    // other) meet here: one case per resident.
    let mut case_of_resident: HashMap<i64, i64> = HashMap::new();
    for (i, r) in rows.iter().enumerate().filter(|(_, r)| r.is_case) {
        let Some(resident) = resident_of.get(&leader[i]).copied() else { continue };
        let known = match case_of_resident.get(&resident) {
            Some(c) => Some(*c),
            None => state.db.epi_case_of(resident).await?,
        };
        let case_id = match known {
            Some(c) => {
                report.cases_existing += 1;
                c
            }
            None => {
                let new = NewEpiCase {
                    resident_id: resident,
                    status: r.status.clone(),
                    onset_at: r.time_ms,
                    note: format!("批量导入第{}行", r.line),
                };
                report.cases_created += 1;
                w.epi_case_insert(&ctx.actor(), &scope, &new).await?
            }
        };
        case_of_resident.insert(resident, case_id);
        for id in
            rows.iter().enumerate().filter(|(j, _)| leader[*j] == leader[i]).filter_map(|(_, x)| x.id_number.clone())
        {
            case_by_id_number.insert(id, case_id);
        }
    }
    let mut per_case: HashMap<i64, Vec<FoundContact>> = HashMap::new();
    for (i, r) in rows.iter().enumerate().filter(|(_, r)| !r.is_case) {
        let Some(resident) = resident_of.get(&leader[i]).copied() else { continue };
        let case_ref = r.case_ref.clone().unwrap_or_default();
        let case_id = match case_by_id_number.get(&case_ref) {
            Some(c) => Some(*c),
            None => match state.db.resident_by_id_number(&scope, &case_ref).await? {
                Some(res) => state.db.epi_case_of(res).await?,
                None => None,
            },
        };
        let Some(case_id) = case_id else {
            report
                .rejected
                .push(RowError { line: r.line, reason: "case_id_number: 无此病例 / no such case".into() });
            continue;
        };
        let at_s = r.time_ms / 1000;
        let list = per_case.entry(case_id).or_default();
        if !list.iter().any(|c| c.resident_id == resident) {
            list.push(FoundContact {
                resident_id: resident,
                tier: "close",
                via_resident_id: None,
                overlap_s: 0,
                first_exposure: at_s,
                last_exposure: at_s,
            });
        }
    }
    for (case_id, found) in &per_case {
        report.contacts_created += w.followups_confirm(&ctx.actor(), *case_id, found).await?.added_close;
    }
    let detail = format!(
        "import: {} rows, {} people, {} merged, {} cases, {} contacts, {} refused",
        report.rows,
        report.people,
        report.merged.len(),
        report.cases_created,
        report.contacts_created,
        report.rejected.len()
    );
    w.audit(ctx.actor().audit("case.import", "epi_case", 0, None, None, &detail)).await?;
    w.commit().await?;
    let people: Vec<i64> = resident_of.values().copied().collect();
    state.precise.registry.refresh_people(&state.db, &people).await?;
    report.rejected.sort_by_key(|r| r.line);
    Ok(report)
}

pub(super) async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<ImportRequest>,
) -> ApiResult<axum::Json<ImportReport>> {
    Ok(axum::Json(import_csv(&state, &ctx, &req.csv).await?))
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::post;
    use ningan_core::Action;
    api.add(
        Op::api(
            Method::POST,
            "/api/cases/import",
            Access::Action(Action::CaseManage),
            "precise",
            "批量导入病例与密接（CSV；同一人合并，与人口库比对）",
        )
        .request::<ImportRequest>()
        .response::<ImportReport>(),
        post(import),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, name: &str, id: Option<&str>, birth: &str, phone: &str) -> Row {
        Row {
            line,
            is_case: false,
            name: name.into(),
            id_number: id.map(str::to_string),
            birth: NaiveDate::parse_from_str(birth, "%Y-%m-%d").ok(),
            phone: Some(phone.into()),
            status: String::new(),
            time_ms: 0,
            case_ref: None,
        }
    }

    #[test]
    fn rows_of_one_person_merge_by_id_then_by_name_birth_and_phone() {
        let rows = vec![
            row(2, "甲", Some("ID1"), "1990-01-01", "1"),
            row(3, "甲", Some("ID1"), "1990-01-01", "2"),
            row(4, "甲", None, "1990-01-01", "1"),
            row(5, "乙", None, "1990-01-01", "1"),
        ];
        let (leader, merges) = group(&rows);
        assert_eq!(leader, vec![0, 0, 0, 3]);
        let by: Vec<(usize, usize, &str)> = merges.iter().map(|m| (m.line, m.into_line, m.by)).collect();
        assert_eq!(by, vec![(3, 2, "id_number"), (4, 2, "name_birth_phone")]);
        // A later row can join two earlier ones into one person.
        let rows = vec![
            Row { phone: None, ..row(2, "甲", Some("ID1"), "1990-01-01", "") },
            row(3, "甲", None, "1990-01-01", "7"),
            row(4, "甲", Some("ID1"), "1990-01-01", "7"),
        ];
        assert_eq!(group(&rows).0, vec![0, 0, 0]);
    }
}
