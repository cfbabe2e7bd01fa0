//! The audit log: append-only, hash-chained. Each entry's hash covers its fields and the
//! previous entry's hash, so changing or removing any entry breaks every link after it and
//! [`Db::verify_audit_chain`] names the first broken one.

use ningan_core::time::now_ms;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Dialect, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who is acting: the name written to the trail and the unit they act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `user:<username>`, `token:<prefix>`, `cli:<os user>` or `system`.
    pub name: String,
    pub unit_id: Option<i64>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor { name: "system".into(), unit_id: None }
    }

    pub fn audit(
        &self,
        action: &str,
        object_type: &str,
        object_id: impl ToString,
        person_id: Option<i64>,
        purpose: Option<&str>,
        detail: &str,
    ) -> NewAudit {
        NewAudit {
            actor: self.name.clone(),
            actor_unit_id: self.unit_id,
            action: action.into(),
            object_type: object_type.into(),
            object_id: object_id.to_string(),
            person_id,
            purpose: purpose.map(str::to_string),
            detail: detail.into(),
        }
    }
}

/// What a caller records; sequence, time and hashes are added on append.
#[derive(Debug, Clone)]
pub struct NewAudit {
    /// `user:<username>`, `token:<prefix>`, `cli:<os user>` or `system`.
    pub actor: String,
    pub actor_unit_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// The resident whose personal data was read or written, if any.
    pub person_id: Option<i64>,
    pub purpose: Option<String>,
    /// Free text without personal identifiers (ids of records, counts, changed field names).
    pub detail: String,
}

impl NewAudit {
    pub fn system(action: &str, object_type: &str, object_id: &str, detail: &str) -> NewAudit {
        NewAudit {
            actor: "system".into(),
            actor_unit_id: None,
            action: action.into(),
            object_type: object_type.into(),
            object_id: object_id.into(),
            person_id: None,
            purpose: None,
            detail: detail.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor: String,
    pub actor_unit_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub person_id: Option<i64>,
    pub purpose: Option<String>,
    pub detail: String,
}

impl AuditRecord {
    fn from_row(r: &AnyRow) -> Result<AuditRecord> {
        Ok(AuditRecord {
            seq: r.try_get("seq")?,
            at: r.try_get("at")?,
            entry: AuditEntry {
                actor: r.try_get("actor")?,
                actor_unit_id: r.try_get("actor_unit_id")?,
                action: r.try_get("action")?,
                object_type: r.try_get("object_type")?,
                object_id: r.try_get("object_id")?,
                person_id: r.try_get("person_id")?,
                purpose: r.try_get("purpose")?,
                detail: r.try_get("detail")?,
            },
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        })
    }

    /// The hash this record should carry given its fields and `prev_hash`.
    fn expected_hash(&self) -> String {
        chain_hash(self.seq, self.at, &self.entry, &self.prev_hash)
    }
}

/// SHA-256 over a canonical JSON array of every field and the previous hash.
fn chain_hash(seq: i64, at: i64, e: &AuditEntry, prev_hash: &str) -> String {
    let canonical = serde_json::json!([
        seq,
        at,
        e.actor,
        e.actor_unit_id,
        e.action,
        e.object_type,
        e.object_id,
        e.person_id,
        e.purpose,
        e.detail,
        prev_hash
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

const COLUMNS: &str =
    "seq, at, actor, actor_unit_id, action, object_type, object_id, person_id, purpose, detail, prev_hash, hash";

impl Write {
    /// Appends to the chain inside this transaction, so the entry commits or rolls back
    /// together with the change it records.
    pub async fn audit(&mut self, new: NewAudit) -> Result<i64> {
        if let Some(area) = crate::changes::area_of(&new.action) {
            self.touch(area);
        }
        if self.dialect == Dialect::Postgres && !self.audit_locked {
            // Orders appenders across processes; readers are not blocked.
            sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE").execute(self.conn()).await?;
            self.audit_locked = true;
        }
        let last: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(self.conn())
            .await?;
        let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS.to_string()));
        let seq = prev_seq + 1;
        let at = now_ms();
        let entry = AuditEntry {
            actor: new.actor,
            actor_unit_id: new.actor_unit_id,
            action: new.action,
            object_type: new.object_type,
            object_id: new.object_id,
            person_id: new.person_id,
            purpose: new.purpose,
            detail: new.detail,
        };
        let hash = chain_hash(seq, at, &entry, &prev_hash);
        sqlx::query(&format!(
            "INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(seq)
        .bind(at)
        .bind(entry.actor)
        .bind(entry.actor_unit_id)
        .bind(entry.action)
        .bind(entry.object_type)
        .bind(entry.object_id)
        .bind(entry.person_id)
        .bind(entry.purpose)
        .bind(entry.detail)
        .bind(prev_hash)
        .bind(hash)
        .execute(self.conn())
        .await?;
        Ok(seq)
    }
}

impl Write {
    /// Appends one entry for a read that showed several people, and indexes it under each of
    /// them, so every person's own access record finds it. The ids are in the hashed detail
    /// too (the caller writes them there); the index is only for finding.
    pub async fn audit_showing(&mut self, mut new: NewAudit, persons: &[i64]) -> Result<i64> {
        let mut persons = persons.to_vec();
        persons.sort_unstable();
        persons.dedup();
        if new.person_id.is_none() && persons.len() == 1 {
            new.person_id = Some(persons[0]);
        }
        let seq = self.audit(new).await?;
        for chunk in persons.chunks(self.rows_per_insert(2)) {
            let mut f = Filter::new();
            let rows: Vec<String> = chunk
                .iter()
                .map(|p| {
                    let (a, b) = (f.arg_i64(*p), f.arg_i64(seq));
                    format!("({a}, {b})")
                })
                .collect();
            let sql = format!("INSERT INTO audit_persons (person_id, seq) VALUES {}", rows.join(", "));
            f.bind(&sql).execute(self.conn()).await?;
        }
        Ok(seq)
    }
}

/// The condition that an audit entry (columns prefixed by `t`, e.g. `"l."` or `""`) concerns
/// person `{i}`: named on the entry, or in the index of entries that showed several people.
pub fn concerns_person(t: &str, i: &str) -> String {
    format!("({t}person_id = {i} OR {t}seq IN (SELECT seq FROM audit_persons WHERE person_id = {i}))")
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub person_id: Option<i64>,
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: i64,
    pub head: String,
    /// The first entry whose link does not hold, with why.
    pub first_broken: Option<(i64, String)>,
}

impl Db {
    /// Entries made by actors of units in `scope`, newest first. Entries without a unit
    /// (system, command line) are shown only to a scope that covers the whole city.
    pub async fn audit_search(&self, scope: &Scope, f: &AuditFilter, page: PageRequest) -> Result<Page<AuditRecord>> {
        let (lo, hi) = scope.range();
        let mut q = Filter::new();
        let lo_i = q.arg_text(lo);
        let hi_i = q.arg_text(hi);
        let whole_city = scope.is_whole_tree();
        q.cond(format!(
            "(actor_unit_id IN (SELECT id FROM org_units WHERE path >= {lo_i} AND path < {hi_i}){})",
            if whole_city { " OR actor_unit_id IS NULL" } else { "" }
        ));
        if let Some(a) = &f.actor {
            let i = q.arg_text(a.clone());
            q.cond(format!("actor = {i}"));
        }
        if let Some(p) = f.person_id {
            let i = q.arg_i64(p);
            q.cond(concerns_person("", &i));
        }
        if let Some(a) = &f.action {
            let i = q.arg_text(a.clone());
            q.cond(format!("action = {i}"));
        }
        if let Some(t) = f.from_ms {
            let i = q.arg_i64(t);
            q.cond(format!("at >= {i}"));
        }
        if let Some(t) = f.to_ms {
            let i = q.arg_i64(t);
            q.cond(format!("at < {i}"));
        }
        let total: (i64,) =
            q.bind_as(&format!("SELECT COUNT(*) FROM audit_log WHERE {}", q.where_sql())).fetch_one(&self.pool).await?;
        let lim = q.arg_i64(page.per_page);
        let off = q.arg_i64(page.offset());
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE {} ORDER BY seq DESC LIMIT {lim} OFFSET {off}",
            q.where_sql()
        );
        let rows = q.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows.iter().map(AuditRecord::from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }

    /// Recomputes the whole chain in sequence order.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport> {
        let mut expected_prev = GENESIS.to_string();
        let mut expected_seq = 1i64;
        let mut entries = 0i64;
        loop {
            let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 5000"))
                .bind(expected_seq)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let rec = AuditRecord::from_row(r)?;
                let broken = if rec.seq != expected_seq {
                    Some(format!("entry {expected_seq} is missing"))
                } else if rec.prev_hash != expected_prev {
                    Some("prev_hash does not match the previous entry's hash".to_string())
                } else if rec.expected_hash() != rec.hash {
                    Some("hash does not match the entry's contents".to_string())
                } else {
                    None
                };
                if let Some(why) = broken {
                    return Ok(ChainReport { entries, head: expected_prev, first_broken: Some((expected_seq, why)) });
                }
                entries += 1;
                expected_seq += 1;
                expected_prev = rec.hash;
            }
        }
        Ok(ChainReport { entries, head: expected_prev, first_broken: None })
    }
}
