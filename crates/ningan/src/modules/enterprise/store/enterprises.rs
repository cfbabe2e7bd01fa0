//! The enterprise register, liaison assignments and the contact log. Every read and write is
//! bounded by the caller's scope; writes are audited in the same transaction.

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, Scope, StoreError, Write};

use super::paged;
use crate::modules::enterprise::model;

#[derive(Debug, Clone)]
pub struct Enterprise {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub industry: String,
    pub size: String,
    pub key_enterprise: bool,
    pub contact_name: String,
    pub contact_phone: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub unit_name_en: String,
    pub officer_id: Option<i64>,
    pub officer_name: Option<String>,
    pub last_contact_at: Option<i64>,
    pub last_visit_at: Option<i64>,
    pub next_due_at: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "e.id, e.uscc, e.name, e.address, e.lon, e.lat, e.industry, e.size, e.key_enterprise, \
    e.contact_name, e.contact_phone, e.unit_id, e.unit_path, u.name AS unit_name, u.name_en AS unit_name_en, \
    e.officer_id, o.display_name AS officer_name, e.last_contact_at, e.last_visit_at, e.next_due_at, e.created_at";
const FROM: &str = "enterprises e JOIN org_units u ON u.id = e.unit_id LEFT JOIN users o ON o.id = e.officer_id";

fn from_row(r: &Row) -> Result<Enterprise> {
    Ok(Enterprise {
        id: r.try_get("id")?,
        uscc: r.try_get("uscc")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        industry: r.try_get("industry")?,
        size: r.try_get("size")?,
        key_enterprise: r.try_get::<i64, _>("key_enterprise")? != 0,
        contact_name: r.try_get("contact_name")?,
        contact_phone: r.try_get("contact_phone")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        unit_name: r.try_get("unit_name")?,
        unit_name_en: r.try_get("unit_name_en")?,
        officer_id: r.try_get("officer_id")?,
        officer_name: r.try_get("officer_name")?,
        last_contact_at: r.try_get("last_contact_at")?,
        last_visit_at: r.try_get("last_visit_at")?,
        next_due_at: r.try_get("next_due_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A validated new enterprise; the service checked every field.
#[derive(Debug, Clone)]
pub struct NewEnterprise {
    pub uscc: String,
    pub name: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub industry: String,
    pub size: String,
    pub key_enterprise: bool,
    pub contact_name: String,
    pub contact_phone: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub officer_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct EnterpriseQuery {
    /// Name or credit code, in part.
    pub q: Option<String>,
    pub industry: Option<String>,
    pub key_only: bool,
    pub officer_id: Option<i64>,
    /// Only those due (a contact or visit) before this instant.
    pub due_before: Option<i64>,
    /// `due` (soonest first) or the default, newest first.
    pub sort: Option<String>,
}

pub async fn insert(w: &mut Write, actor: &Actor, scope: &Scope, e: &NewEnterprise, now: i64) -> Result<i64> {
    if !scope.contains(&e.unit_path) {
        return Err(StoreError::NotFound);
    }
    let next_due = model::next_due(e.key_enterprise, now, None, None);
    let r = query(
        "INSERT INTO enterprises (uscc, name, address, lon, lat, industry, size, key_enterprise, contact_name, \
         contact_phone, unit_id, unit_path, officer_id, next_due_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(&e.uscc)
    .bind(&e.name)
    .bind(&e.address)
    .bind(e.lon)
    .bind(e.lat)
    .bind(&e.industry)
    .bind(&e.size)
    .bind(i64::from(e.key_enterprise))
    .bind(&e.contact_name)
    .bind(&e.contact_phone)
    .bind(e.unit_id)
    .bind(&e.unit_path)
    .bind(e.officer_id)
    .bind(next_due)
    .bind(now)
    .fetch_one(w.connection())
    .await
    .map_err(|err| match StoreError::from(err) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("enterprise {}", e.uscc)),
        other => other,
    })?;
    let id: i64 = r.try_get("id")?;
    if let Some(officer) = e.officer_id {
        liaison_insert(w, id, officer, "登记时指定 / assigned at registration", actor, now).await?;
    }
    w.audit(actor.audit("enterprise.create", "enterprise", id, None, None, &e.uscc)).await?;
    Ok(id)
}

async fn liaison_insert(w: &mut Write, id: i64, officer: i64, reason: &str, actor: &Actor, now: i64) -> Result<()> {
    query("UPDATE enterprise_liaisons SET ended_at = $1 WHERE enterprise_id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(w.connection())
        .await?;
    query(
        "INSERT INTO enterprise_liaisons (enterprise_id, officer_id, reason, assigned_by, assigned_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(officer)
    .bind(reason)
    .bind(&actor.name)
    .bind(now)
    .execute(w.connection())
    .await?;
    Ok(())
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Enterprise> {
    let mut f = Filter::new();
    let i = f.arg_i64(id);
    f.cond(format!("e.id = {i}"));
    f.within(scope, "e.unit_path");
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {}", f.where_sql());
    let row = f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// The enterprise an account belongs to, whatever its unit (the portal's own view).
pub async fn get_any(db: &Db, id: i64) -> Result<Enterprise> {
    get(db, &Scope::everything(), id).await
}

pub async fn search(db: &Db, scope: &Scope, q: &EnterpriseQuery, page: PageRequest) -> Result<Page<Enterprise>> {
    let mut f = Filter::new();
    f.within(scope, "e.unit_path");
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = f.arg_text(format!("%{}%", text.replace(['%', '_'], "")));
        let code = f.arg_text(format!("{}%", text.to_ascii_uppercase()));
        f.cond(format!("(e.name LIKE {like} OR e.uscc LIKE {code})"));
    }
    if let Some(ind) = &q.industry {
        let i = f.arg_text(ind.clone());
        f.cond(format!("e.industry = {i}"));
    }
    if q.key_only {
        f.cond("e.key_enterprise = 1".into());
    }
    if let Some(o) = q.officer_id {
        let i = f.arg_i64(o);
        f.cond(format!("e.officer_id = {i}"));
    }
    if let Some(t) = q.due_before {
        let i = f.arg_i64(t);
        f.cond(format!("e.next_due_at < {i}"));
    }
    // By default station by station, newest first within each: the order of the
    // (unit_path, id) index read backwards, so a city-wide page sorts nothing.
    let order = match q.sort.as_deref() {
        Some("due") => "e.next_due_at, e.id",
        Some("name") => "e.name, e.id",
        _ => "e.unit_path DESC, e.id DESC",
    };
    paged(db, COLUMNS, FROM, "enterprises e", &f, order, page, from_row).await
}

/// Hands the enterprise to another officer of its station, keeping the history.
pub async fn assign(
    w: &mut Write,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    officer: i64,
    reason: &str,
    now: i64,
) -> Result<()> {
    let r = query("SELECT unit_path FROM enterprises WHERE id = $1")
        .bind(id)
        .fetch_optional(w.connection())
        .await?
        .ok_or(StoreError::NotFound)?;
    let path: String = r.try_get("unit_path")?;
    if !scope.contains(&path) {
        return Err(StoreError::NotFound);
    }
    query("UPDATE enterprises SET officer_id = $1 WHERE id = $2")
        .bind(officer)
        .bind(id)
        .execute(w.connection())
        .await?;
    liaison_insert(w, id, officer, reason, actor, now).await?;
    w.audit(actor.audit("enterprise.assign", "enterprise", id, None, Some(reason), &format!("officer {officer}")))
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct NewContact {
    pub enterprise_id: i64,
    pub officer_id: i64,
    /// `contact` or `visit`.
    pub kind: String,
    pub at: i64,
    pub topics: String,
    pub problems: String,
}

/// Logs a contact or visit and moves the enterprise's next due date.
pub async fn contact_insert(w: &mut Write, actor: &Actor, scope: &Scope, c: &NewContact, now: i64) -> Result<i64> {
    let r = query(
        "SELECT unit_path, key_enterprise, created_at, last_contact_at, last_visit_at FROM enterprises WHERE id = $1",
    )
    .bind(c.enterprise_id)
    .fetch_optional(w.connection())
    .await?
    .ok_or(StoreError::NotFound)?;
    let path: String = r.try_get("unit_path")?;
    if !scope.contains(&path) {
        return Err(StoreError::NotFound);
    }
    let key = r.try_get::<i64, _>("key_enterprise")? != 0;
    let mut last_contact: Option<i64> = r.try_get("last_contact_at")?;
    let mut last_visit: Option<i64> = r.try_get("last_visit_at")?;
    if c.kind == "visit" {
        last_visit = last_visit.max(Some(c.at));
    } else {
        last_contact = last_contact.max(Some(c.at));
    }
    let next = model::next_due(key, r.try_get("created_at")?, last_contact, last_visit);
    let id: i64 = query(
        "INSERT INTO enterprise_contacts (enterprise_id, officer_id, kind, at, topics, problems, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(c.enterprise_id)
    .bind(c.officer_id)
    .bind(&c.kind)
    .bind(c.at)
    .bind(&c.topics)
    .bind(&c.problems)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    query("UPDATE enterprises SET last_contact_at = $1, last_visit_at = $2, next_due_at = $3 WHERE id = $4")
        .bind(last_contact)
        .bind(last_visit)
        .bind(next)
        .bind(c.enterprise_id)
        .execute(w.connection())
        .await?;
    w.audit(actor.audit("enterprise.contact", "enterprise", c.enterprise_id, None, None, &c.kind)).await?;
    Ok(id)
}

/// One line of an enterprise's service file.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub at: i64,
    /// `contact`, `visit`, `liaison`, `request`.
    pub kind: String,
    pub actor: String,
    pub text: String,
    pub extra: String,
}

/// Everything about an enterprise in time order, newest first (at most `limit` of each kind).
pub async fn file(db: &Db, id: i64, limit: i64) -> Result<Vec<FileEntry>> {
    let mut out = Vec::new();
    let rows = query(
        "SELECT c.at, c.kind, o.display_name AS actor, c.topics, c.problems FROM enterprise_contacts c \
         JOIN users o ON o.id = c.officer_id WHERE c.enterprise_id = $1 ORDER BY c.at DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    for r in rows {
        out.push(FileEntry {
            at: r.try_get("at")?,
            kind: r.try_get("kind")?,
            actor: r.try_get("actor")?,
            text: r.try_get("topics")?,
            extra: r.try_get("problems")?,
        });
    }
    let rows = query(
        "SELECT l.assigned_at, o.display_name AS officer, l.reason FROM enterprise_liaisons l \
         JOIN users o ON o.id = l.officer_id WHERE l.enterprise_id = $1 ORDER BY l.assigned_at DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    for r in rows {
        out.push(FileEntry {
            at: r.try_get("assigned_at")?,
            kind: "liaison".into(),
            actor: r.try_get("officer")?,
            text: r.try_get("reason")?,
            extra: String::new(),
        });
    }
    let rows = query(
        "SELECT created_at, no, title, stage FROM enterprise_requests WHERE enterprise_id = $1 ORDER BY created_at DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    for r in rows {
        out.push(FileEntry {
            at: r.try_get("created_at")?,
            kind: "request".into(),
            actor: r.try_get("no")?,
            text: r.try_get("title")?,
            extra: r.try_get("stage")?,
        });
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(out)
}

/// Officers of a unit's subtree who may be liaisons: `(id, display name)`.
pub async fn officers(db: &Db, scope: &Scope) -> Result<Vec<(i64, String, String)>> {
    let mut f = Filter::new();
    f.within(scope, "u.path");
    f.cond("us.disabled = 0".into());
    let sql = format!(
        "SELECT us.id, us.display_name, u.path FROM users us JOIN org_units u ON u.id = us.unit_id WHERE {} ORDER BY us.display_name",
        f.where_sql()
    );
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("display_name")?, r.try_get("path")?))).collect()
}

/// Records the work phone enterprises reach a liaison officer on.
pub async fn work_phone_set(w: &mut Write, officer_id: i64, phone: &str) -> Result<()> {
    query(
        "INSERT INTO enterprise_work_phones (officer_id, work_phone) VALUES ($1, $2) \
         ON CONFLICT (officer_id) DO UPDATE SET work_phone = excluded.work_phone",
    )
    .bind(officer_id)
    .bind(phone)
    .execute(w.connection())
    .await?;
    Ok(())
}

pub async fn work_phone(db: &Db, officer_id: i64) -> Result<Option<String>> {
    let r = query("SELECT work_phone FROM enterprise_work_phones WHERE officer_id = $1")
        .bind(officer_id)
        .fetch_optional(db.reader())
        .await?;
    r.map(|r| Ok(r.try_get("work_phone")?)).transpose()
}

/// A work phone as printed on a card: a landline with its area code or a mobile.
pub fn valid_work_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (7..=12).contains(&digits) && s.chars().all(|c| c.is_ascii_digit() || c == '-') && !s.starts_with('-')
}

/// Per station, how many enterprises are late for a contact or visit by more than `grace`
/// milliseconds at `now`, and the oldest due date: what a station head, then a district
/// branch (with a longer grace), is shown to chase.
pub async fn late_by_station(db: &Db, scope: &Scope, now: i64, grace: i64) -> Result<Vec<(String, String, i64, i64)>> {
    let mut f = Filter::new();
    f.within(scope, "e.unit_path");
    let t = f.arg_i64(now - grace);
    let sql = format!(
        "SELECT u.name, u.name_en, COUNT(*) AS n, MIN(e.next_due_at) AS oldest FROM enterprises e \
         JOIN org_units u ON u.id = e.unit_id WHERE {} AND e.next_due_at < {t} \
         GROUP BY u.name, u.name_en ORDER BY n DESC, u.name LIMIT 50",
        f.where_sql()
    );
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("name_en")?, r.try_get("n")?, r.try_get("oldest")?)))
        .collect()
}
