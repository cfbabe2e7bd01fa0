//! The people register: residents with their identifiers stored once. Every read of a
//! resident is scoped to the reader's units and writes its own audit entry, so no caller can
//! read personal data without leaving a trace.

use ningan_core::time::now_ms;
use ningan_core::{IdNumber, Phone};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::org_units::UnitKind;
use crate::query::Filter;
use crate::sql::COUNT_CAP;
use crate::{Page, PageRequest, Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct Resident {
    pub id: i64,
    pub name: String,
    /// Full number; the application masks it unless revealed with a purpose.
    pub id_number: String,
    pub gender: String,
    pub birth_date: String,
    pub phone: Option<String>,
    pub hukou_address: String,
    pub residence_address: Option<String>,
    pub unit_id: i64,
    pub compound_id: Option<i64>,
    /// Residents sharing a household (户) carry the same number.
    pub household_no: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Resident {
    fn from_row(r: &AnyRow) -> Result<Resident> {
        Ok(Resident {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            id_number: r.try_get("id_number")?,
            gender: r.try_get("gender")?,
            birth_date: r.try_get("birth_date")?,
            phone: r.try_get("phone")?,
            hukou_address: r.try_get("hukou_address")?,
            residence_address: r.try_get("residence_address")?,
            unit_id: r.try_get("unit_id")?,
            compound_id: r.try_get("compound_id")?,
            household_no: r.try_get("household_no")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewResident {
    pub name: String,
    pub id_number: IdNumber,
    pub phone: Option<Phone>,
    pub hukou_address: String,
    pub residence_address: Option<String>,
    /// The registered station (户籍派出所), which owns the record.
    pub unit_id: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResidentSort {
    #[default]
    Id,
    Name,
    BirthDate,
    Newest,
}

impl ResidentSort {
    pub fn parse(s: &str) -> Option<ResidentSort> {
        Some(match s {
            "id" => ResidentSort::Id,
            "name" => ResidentSort::Name,
            "birth_date" => ResidentSort::BirthDate,
            "newest" => ResidentSort::Newest,
            _ => return None,
        })
    }

    /// PostgreSQL orders names by code point (`COLLATE "C"`) as SQLite does, so a prefix is
    /// an index range and both backends list in one order.
    fn order_by(self, pg: bool) -> &'static str {
        match self {
            ResidentSort::Id => "id",
            ResidentSort::Name if pg => r#"name COLLATE "C", id"#,
            ResidentSort::Name => "name, id",
            ResidentSort::BirthDate => "birth_date, id",
            ResidentSort::Newest => "id DESC",
        }
    }

    /// The condition that a row comes after `c` in this order.
    fn after(self, pg: bool, c: &ResidentCursor, f: &mut Filter) -> String {
        let id = f.arg_i64(c.id);
        match self {
            ResidentSort::Id => format!("id > {id}"),
            ResidentSort::Newest => format!("id < {id}"),
            ResidentSort::Name => {
                let key = f.arg_text(c.key.clone());
                let name = if pg { r#"name COLLATE "C""# } else { "name" };
                format!("({name}, id) > ({key}, {id})")
            }
            ResidentSort::BirthDate => {
                let key = f.arg_text(c.key.clone());
                format!("(birth_date, id) > ({key}, {id})")
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ResidentQuery {
    /// A name prefix, a full ID number, a masked one (`330203***********4`) or a mobile number.
    pub q: Option<String>,
    pub unit_id: Option<i64>,
    pub sort: ResidentSort,
    /// Why, for a search by a full identifier (recorded with the search).
    pub purpose: Option<String>,
    /// Where the previous page ended: the page starts after it (keyset paging), whatever
    /// its number, so a deep page costs what the first does. Without it the page number
    /// decides (a jump).
    pub after: Option<ResidentCursor>,
    /// Count every match rather than stop at [`COUNT_CAP`]: asked for, since it reads them all.
    pub exact_count: bool,
}

impl ResidentQuery {
    /// Where this query's count stops: [`COUNT_CAP`], or nowhere when an exact count was
    /// asked for. The store counts to it and the answer's `total_capped` is judged by it,
    /// so an exact total past the cap is never shown as a lower bound.
    pub fn count_cap(&self) -> i64 {
        if self.exact_count { i64::MAX } else { COUNT_CAP }
    }
}

/// The last row of a page in the list's order: its sort key and id. Written as `{id}` or
/// `{id}~{key}`; opaque to clients, which hand back the `next_after` they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentCursor {
    pub id: i64,
    pub key: String,
}

impl ResidentCursor {
    /// The cursor after `r` in `sort`'s order.
    pub fn after(r: &Resident, sort: ResidentSort) -> String {
        match sort {
            ResidentSort::Id | ResidentSort::Newest => r.id.to_string(),
            ResidentSort::Name => format!("{}~{}", r.id, r.name),
            ResidentSort::BirthDate => format!("{}~{}", r.id, r.birth_date),
        }
    }

    /// Where the page after `page` starts, when there may be one (the page is full).
    pub fn next(page: &Page<Resident>, sort: ResidentSort) -> Option<String> {
        let full = page.items.len() as i64 >= page.per_page;
        page.items.last().filter(|_| full).map(|r| Self::after(r, sort))
    }

    /// Every cursor of any sort matches this (as stated in the API's schema).
    pub const PATTERN: &str = "^[1-9][0-9]{0,17}(~.+)?$";

    /// None when `s` is not a cursor of `sort`'s shape.
    pub fn parse(s: &str, sort: ResidentSort) -> Option<ResidentCursor> {
        let (c, keyed) = Self::parse_any(s)?;
        (keyed == matches!(sort, ResidentSort::Name | ResidentSort::BirthDate)).then_some(c)
    }

    /// A cursor of some sort, and whether it carries a key (sorts by name or birth date do).
    pub fn parse_any(s: &str) -> Option<(ResidentCursor, bool)> {
        let (id, key) = match s.split_once('~') {
            Some((_, "")) => return None,
            Some((id, key)) => (id, Some(key)),
            None => (s, None),
        };
        let digits = !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0');
        let id = id.parse::<i64>().ok().filter(|_| digits)?;
        Some((ResidentCursor { id, key: key.unwrap_or_default().to_string() }, key.is_some()))
    }
}

/// Whether `q` would be matched as a full ID number or phone: such a search confirms a
/// person's identifier, so the application treats it as a reveal.
pub fn is_identifier_search(q: &str) -> bool {
    matches!(classify(q), Term::IdNumber(_) | Term::Phone(_))
}

const COLUMNS: &str = "id, name, id_number, gender, birth_date, phone, hukou_address, residence_address, unit_id, compound_id, household_no, created_at, updated_at";

/// How a free-text search term is matched, decided by its shape.
#[derive(Debug, PartialEq, Eq)]
enum Term {
    IdNumber(String),
    /// Region code and check character of a masked number, as a LIKE pattern.
    MaskedId(String),
    Phone(String),
    NamePrefix(String),
}

/// The least string above every string that starts with `prefix`, in code-point order: the
/// prefix with its last character raised by one (None if none can be).
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn classify(q: &str) -> Term {
    let q = q.trim();
    let upper = q.to_ascii_uppercase();
    let b = upper.as_bytes();
    let digit_or_x = |c: &u8| c.is_ascii_digit() || *c == b'X';
    if b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && digit_or_x(&b[17]) {
        return Term::IdNumber(upper);
    }
    if b.len() == 18
        && b[..6].iter().all(u8::is_ascii_digit)
        && b[6..17].iter().all(|c| *c == b'*')
        && digit_or_x(&b[17])
    {
        return Term::MaskedId(format!("{}___________{}", &upper[..6], &upper[17..]));
    }
    if let Ok(p) = Phone::parse(q) {
        return Term::Phone(p.as_str().to_string());
    }
    Term::NamePrefix(q.replace(['%', '_'], ""))
}

impl Write {
    /// Registers a resident at a station in `scope`. A duplicate ID number is a conflict.
    pub async fn resident_insert(&mut self, actor: &Actor, scope: &Scope, new: &NewResident) -> Result<Resident> {
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(StoreError::Invalid("name: 1–64 characters".into()));
        }
        if new.hukou_address.trim().is_empty() {
            return Err(StoreError::Invalid("hukou_address: required".into()));
        }
        let unit: Option<(String, String)> = sqlx::query_as("SELECT path, kind FROM org_units WHERE id = $1")
            .bind(new.unit_id)
            .fetch_optional(self.conn())
            .await?;
        let Some((path, kind)) = unit.filter(|(p, _)| scope.contains(p)) else {
            return Err(StoreError::Invalid("unit_id: no such station in your scope".into()));
        };
        if kind != UnitKind::Station.as_str() {
            return Err(StoreError::Invalid("unit_id: residents are registered at a station".into()));
        }
        // A registered mobile signs its holder in to the portal and receives their codes: it
        // belongs to one person.
        if let Some(phone) = &new.phone {
            // The same person registered twice is the ID number's conflict, named as such.
            let taken: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM residents WHERE phone = $1 AND id_number <> $2 LIMIT 1")
                    .bind(phone.as_str())
                    .bind(new.id_number.as_str())
                    .fetch_optional(self.conn())
                    .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict("phone".into()));
            }
        }
        let now = now_ms();
        let r = sqlx::query(&format!(
            "INSERT INTO residents (name, id_number, gender, birth_date, phone, hukou_address, residence_address, unit_id, unit_path, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {COLUMNS}"
        ))
        .bind(name)
        .bind(new.id_number.as_str())
        .bind(if new.id_number.is_male() { "男" } else { "女" })
        .bind(new.id_number.birth_date().format("%Y-%m-%d").to_string())
        .bind(new.phone.as_ref().map(|p| p.as_str().to_string()))
        .bind(new.hukou_address.trim())
        .bind(new.residence_address.as_deref().map(str::trim).filter(|s| !s.is_empty()))
        .bind(new.unit_id)
        .bind(&path)
        .bind(now)
        .fetch_one(self.conn())
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("id_number".into()),
            other => other,
        })?;
        let resident = Resident::from_row(&r)?;
        self.audit(actor.audit("resident.create", "resident", resident.id, Some(resident.id), None, "registered"))
            .await?;
        Ok(resident)
    }

    /// One resident in `scope`, audited as a view (or a reveal, when a purpose is given).
    pub async fn resident_get(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        purpose: Option<&str>,
    ) -> Result<Resident> {
        let (lo, hi) = scope.range();
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM residents WHERE id = $1 AND unit_path >= $2 AND unit_path < $3"
        ))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        let resident = Resident::from_row(&r)?;
        let action = if purpose.is_some() { "resident.reveal" } else { "resident.view" };
        self.audit(actor.audit(action, "resident", id, Some(id), purpose, "")).await?;
        Ok(resident)
    }

    /// A page of residents in `scope`, audited as one search entry naming how many were shown.
    pub async fn resident_search(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        query: &ResidentQuery,
        page: PageRequest,
    ) -> Result<Page<Resident>> {
        let pg = self.is_postgres();
        let mut f = Filter::new();
        if !scope.is_whole_tree() {
            f.within(scope, "unit_path");
        }
        let mut term_kind = "all";
        if let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
            match classify(q) {
                Term::IdNumber(v) => {
                    term_kind = "id_number";
                    let i = f.arg_text(v);
                    f.cond(format!("id_number = {i}"));
                }
                Term::MaskedId(v) => {
                    term_kind = "masked_id";
                    let i = f.arg_text(v);
                    f.cond(format!("id_number LIKE {i}"));
                }
                Term::Phone(v) => {
                    term_kind = "phone";
                    let i = f.arg_text(v);
                    f.cond(format!("phone = {i}"));
                }
                Term::NamePrefix(v) => {
                    term_kind = "name";
                    // A range, not LIKE: an index serves it on both backends.
                    let name = if pg { r#"name COLLATE "C""# } else { "name" };
                    let lo = f.arg_text(v.clone());
                    match prefix_end(&v) {
                        Some(end) => {
                            let hi = f.arg_text(end);
                            f.cond(format!("{name} >= {lo} AND {name} < {hi}"));
                        }
                        None => f.cond(format!("{name} >= {lo}")),
                    }
                }
            }
        }
        if let Some(u) = query.unit_id {
            let i = f.arg_i64(u);
            f.cond(format!("unit_id = {i}"));
        }
        let where_sql = f.where_sql();
        // Counting stops at the cap unless asked: the pager says "10000+" rather than scan a
        // city on every page.
        let count = match query.count_cap() {
            i64::MAX => format!("SELECT COUNT(*) FROM residents WHERE {where_sql}"),
            cap => format!("SELECT COUNT(*) FROM (SELECT 1 FROM residents WHERE {where_sql} LIMIT {cap}) c"),
        };
        let total: (i64,) = f.bind_as(&count).fetch_one(self.conn()).await?;
        let order = query.sort.order_by(pg);
        let sql = match &query.after {
            Some(cursor) => {
                let after = query.sort.after(pg, cursor, &mut f);
                let lim = f.arg_i64(page.per_page);
                format!("SELECT {COLUMNS} FROM residents WHERE {where_sql} AND {after} ORDER BY {order} LIMIT {lim}")
            }
            // A jump to a page by number still skips its offset, but over ids alone (an
            // index) before reading the page's rows.
            None => {
                let lim = f.arg_i64(page.per_page);
                let off = f.arg_i64(page.offset());
                format!(
                    "SELECT {COLUMNS} FROM residents WHERE id IN (SELECT id FROM residents WHERE {where_sql} \
                     ORDER BY {order} LIMIT {lim} OFFSET {off}) ORDER BY {order}"
                )
            }
        };
        let rows = f.bind(&sql).fetch_all(self.conn()).await?;
        let items = rows.iter().map(Resident::from_row).collect::<Result<Vec<_>>>()?;
        let ids: Vec<String> = items.iter().map(|r| r.id.to_string()).collect();
        // The search term itself may be personal data, so only its kind is recorded; the ids
        // shown are, so each person's own trail can be found.
        let persons: Vec<i64> = items.iter().map(|r| r.id).collect();
        self.audit_showing(
            actor.audit(
                "resident.search",
                "resident",
                0,
                None,
                query.purpose.as_deref(),
                &format!("by {term_kind}; page {}; shown {}", page.page, ids.join(",")),
            ),
            &persons,
        )
        .await?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }
}

/// What a contact list shows of a resident: the name and the station, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentLabel {
    pub id: i64,
    pub name: String,
    pub unit_id: i64,
}

impl Write {
    /// Names and stations of those of `ids` in `scope` (others are left out: the caller
    /// shows them as outside its area), audited as one entry naming the ids shown and why.
    pub async fn resident_labels(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        ids: &[i64],
        context: &str,
    ) -> Result<Vec<ResidentLabel>> {
        let (lo, hi) = scope.range();
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(400) {
            let mut f = Filter::new();
            let (lo, hi) = (f.arg_text(lo.clone()), f.arg_text(hi.clone()));
            let marks: Vec<String> = chunk.iter().map(|id| f.arg_i64(*id)).collect();
            let sql = format!(
                "SELECT id, name, unit_id FROM residents WHERE unit_path >= {lo} AND unit_path < {hi} AND id IN ({})",
                marks.join(", ")
            );
            let rows: Vec<(i64, String, i64)> = f.bind_as(&sql).fetch_all(self.conn()).await?;
            out.extend(rows.into_iter().map(|(id, name, unit_id)| ResidentLabel { id, name, unit_id }));
        }
        out.sort_by_key(|l| l.id);
        if !ids.is_empty() {
            let shown: Vec<String> = out.iter().map(|l| l.id.to_string()).collect();
            let detail = format!("{context}; shown {}", shown.join(","));
            let persons: Vec<i64> = out.iter().map(|l| l.id).collect();
            self.audit_showing(actor.audit("resident.list", "resident", 0, None, None, &detail), &persons).await?;
        }
        Ok(out)
    }
}

impl Write {
    /// Records the compound a resident of `scope` lives in (a compound of the same scope).
    pub async fn resident_set_compound(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        resident_id: i64,
        compound_id: i64,
    ) -> Result<()> {
        let (lo, hi) = scope.range();
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM compounds WHERE id = $1 AND unit_path >= $2 AND unit_path < $3")
                .bind(compound_id)
                .bind(&lo)
                .bind(&hi)
                .fetch_optional(self.conn())
                .await?;
        if found.is_none() {
            return Err(StoreError::Invalid("compound_id: no such compound in your scope".into()));
        }
        let done = sqlx::query(
            "UPDATE residents SET compound_id = $1, updated_at = $2 WHERE id = $3 AND unit_path >= $4 AND unit_path < $5",
        )
        .bind(compound_id)
        .bind(now_ms())
        .bind(resident_id)
        .bind(&lo)
        .bind(&hi)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let detail = format!("compound {compound_id}");
        self.audit(actor.audit("resident.update", "resident", resident_id, Some(resident_id), None, &detail)).await?;
        Ok(())
    }
}

impl Db {
    /// Up to about `limit` residents' (id, station), evenly spread over the register: ids
    /// and units only, for generators and samples that need no personal data.
    pub async fn resident_homes(&self, limit: i64) -> Result<Vec<(i64, i64)>> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM residents").fetch_one(&self.pool).await?;
        let step = (n / limit.max(1)).max(1);
        Ok(sqlx::query_as("SELECT id, unit_id FROM residents WHERE id % $1 = 0 ORDER BY id")
            .bind(step)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Residents in `scope` with this ID number (at most one).
    pub async fn resident_by_id_number(&self, scope: &Scope, id_number: &str) -> Result<Option<i64>> {
        let (lo, hi) = scope.range();
        let r: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM residents WHERE id_number = $1 AND unit_path >= $2 AND unit_path < $3")
                .bind(id_number)
                .bind(lo)
                .bind(hi)
                .fetch_optional(&self.pool)
                .await?;
        Ok(r.map(|r| r.0))
    }

    /// Residents in `scope` with this name, birth date (YYYY-MM-DD) and phone: the second
    /// way records of one person are recognised when the ID number is missing.
    pub async fn residents_by_name_birth_phone(
        &self,
        scope: &Scope,
        name: &str,
        birth_date: &str,
        phone: &str,
    ) -> Result<Vec<i64>> {
        let (lo, hi) = scope.range();
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM residents WHERE name = $1 AND birth_date = $2 AND phone = $3 AND unit_path >= $4 AND unit_path < $5",
        )
        .bind(name)
        .bind(birth_date)
        .bind(phone)
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The compound a resident lives in, if recorded.
    pub async fn resident_compound(&self, id: i64) -> Result<Option<i64>> {
        let r: Option<(Option<i64>,)> = sqlx::query_as("SELECT compound_id FROM residents WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.and_then(|r| r.0))
    }

    /// (id, station) of these residents: ids only, no personal data.
    pub async fn resident_homes_of(&self, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(400) {
            let mut f = Filter::new();
            let marks: Vec<String> = chunk.iter().map(|id| f.arg_i64(*id)).collect();
            let sql = format!("SELECT id, unit_id FROM residents WHERE id IN ({})", marks.join(", "));
            out.extend(f.bind_as::<(i64, i64)>(&sql).fetch_all(&self.pool).await?);
        }
        Ok(out)
    }

    /// Record ids of every resident registered in `scope`, ascending: ids only.
    pub async fn resident_ids_in(&self, scope: &Scope) -> Result<Vec<i64>> {
        let (lo, hi) = scope.range();
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM residents WHERE unit_path >= $1 AND unit_path < $2 ORDER BY id")
                .bind(lo)
                .bind(hi)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Which of `ids` are residents registered in `scope`: ids only, no personal data.
    pub async fn residents_existing(&self, scope: &Scope, ids: &[i64]) -> Result<Vec<i64>> {
        let (lo, hi) = scope.range();
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(400) {
            let mut f = Filter::new();
            let (lo, hi) = (f.arg_text(lo.clone()), f.arg_text(hi.clone()));
            let marks: Vec<String> = chunk.iter().map(|id| f.arg_i64(*id)).collect();
            let sql = format!(
                "SELECT id FROM residents WHERE unit_path >= {lo} AND unit_path < {hi} AND id IN ({})",
                marks.join(", ")
            );
            let rows: Vec<(i64,)> = f.bind_as(&sql).fetch_all(&self.pool).await?;
            out.extend(rows.into_iter().map(|r| r.0));
        }
        out.sort_unstable();
        Ok(out)
    }
}

/// A resident for bulk loading (demo city, imports): already validated, unit path known.
#[derive(Debug, Clone)]
pub struct BulkResident {
    pub name: String,
    pub id_number: IdNumber,
    pub phone: Option<Phone>,
    pub hukou_address: String,
    pub residence_address: Option<String>,
    pub unit_id: i64,
    pub unit_path: String,
    pub compound_id: Option<i64>,
    pub household_no: Option<String>,
    /// When the registration happened (the demo spreads these over two years).
    pub registered_at: i64,
}

impl Write {
    /// Inserts many residents in this transaction with one audit entry for the batch.
    pub async fn residents_bulk_insert(&mut self, actor: &Actor, rows: &[BulkResident], detail: &str) -> Result<u64> {
        self.touch(crate::Area::People);
        let mut inserted = 0;
        for chunk in rows.chunks(self.rows_per_insert(13)) {
            let mut sql = String::from(
                "INSERT INTO residents (name, id_number, gender, birth_date, phone, hukou_address, residence_address, \
                 unit_id, unit_path, compound_id, household_no, created_at, updated_at) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                let b = i * 12;
                let params: Vec<String> = (1..=12).map(|k| format!("${}", b + k)).collect();
                sql.push_str(&format!("({},${})", params.join(","), b + 12));
            }
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.name.clone())
                    .bind(r.id_number.as_str().to_string())
                    .bind(if r.id_number.is_male() { "男" } else { "女" })
                    .bind(r.id_number.birth_date().format("%Y-%m-%d").to_string())
                    .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
                    .bind(r.hukou_address.clone())
                    .bind(r.residence_address.clone())
                    .bind(r.unit_id)
                    .bind(r.unit_path.clone())
                    .bind(r.compound_id)
                    .bind(r.household_no.clone())
                    .bind(r.registered_at);
            }
            inserted += q.execute(self.conn()).await?.rows_affected();
        }
        self.audit(actor.audit(
            "resident.bulk_create",
            "resident",
            0,
            None,
            None,
            &format!("{inserted} rows; {detail}"),
        ))
        .await?;
        Ok(inserted)
    }

    pub async fn setting_set(&mut self, key: &str, value: &str) -> Result<()> {
        sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(self.conn()).await?;
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
            .bind(key)
            .bind(value)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

impl Db {
    /// For storage code that audits the use itself (the data exchange).
    pub(crate) async fn resident_unaudited(&self, id: i64) -> Result<Resident> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM residents WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Resident::from_row(&r)
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let v: Option<(String,)> =
            sqlx::query_as("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&self.pool).await?;
        Ok(v.map(|(v,)| v))
    }

    /// Residents per unit path in `scope`, for figures that show no personal data.
    pub async fn resident_count(&self, scope: &Scope) -> Result<i64> {
        let (lo, hi) = scope.range();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM residents WHERE unit_path >= $1 AND unit_path < $2")
            .bind(lo)
            .bind(hi)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_are_classified_by_shape() {
        assert_eq!(classify("11010519491231002x"), Term::IdNumber("11010519491231002X".into()));
        assert_eq!(classify("330203***********4"), Term::MaskedId("330203___________4".into()));
        assert!(is_identifier_search("138 1234 5678") && is_identifier_search("11010519491231002x"));
        assert!(!is_identifier_search("330203***********4") && !is_identifier_search("王"));
        assert_eq!(classify("138 1234 5678"), Term::Phone("13812345678".into()));
        assert_eq!(classify(" 王%_ "), Term::NamePrefix("王".into()));
    }
}
