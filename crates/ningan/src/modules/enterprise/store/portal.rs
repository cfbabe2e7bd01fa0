//! The 11087 portal's accounts (an enterprise's administrator and the colleagues they
//! invite), one-time sign-in codes, sessions, and the bureau's notices to enterprises.

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, StoreError, Write};

use super::paged;

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub phone: String,
    pub is_admin: bool,
    pub created_at: i64,
}

fn account(r: &Row) -> Result<Account> {
    Ok(Account {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        is_admin: r.try_get::<i64, _>("is_admin")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

const ACCOUNT: &str = "SELECT id, enterprise_id, name, phone, is_admin, created_at FROM enterprise_accounts";

pub async fn account_insert(
    w: &mut Write,
    actor: &Actor,
    enterprise_id: i64,
    name: &str,
    phone: &str,
    is_admin: bool,
    now: i64,
) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO enterprise_accounts (enterprise_id, name, phone, is_admin, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(enterprise_id)
    .bind(name)
    .bind(phone)
    .bind(i64::from(is_admin))
    .bind(now)
    .fetch_one(w.connection())
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict("该手机号已是本企业账号 / this phone already has an account here".into()),
        other => other,
    })?
    .try_get("id")?;
    w.audit(actor.audit(
        "enterprise.account",
        "enterprise",
        enterprise_id,
        None,
        None,
        if is_admin { "admin" } else { "member" },
    ))
    .await?;
    Ok(id)
}

/// The account of `phone` at the enterprise with credit code `uscc`.
pub async fn account_by_code_and_phone(db: &Db, uscc: &str, phone: &str) -> Result<Option<Account>> {
    let sql = "SELECT a.id, a.enterprise_id, a.name, a.phone, a.is_admin, a.created_at FROM enterprise_accounts a \
               JOIN enterprises e ON e.id = a.enterprise_id WHERE e.uscc = $1 AND a.phone = $2";
    query(sql).bind(uscc).bind(phone).fetch_optional(db.reader()).await?.as_ref().map(account).transpose()
}

pub async fn account_get(db: &Db, id: i64) -> Result<Account> {
    let sql = format!("{ACCOUNT} WHERE id = $1");
    account(&query(&sql).bind(id).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}

pub async fn accounts_of(db: &Db, enterprise_id: i64) -> Result<Vec<Account>> {
    let sql = format!("{ACCOUNT} WHERE enterprise_id = $1 ORDER BY id");
    query(&sql).bind(enterprise_id).fetch_all(db.reader()).await?.iter().map(account).collect()
}

pub async fn code_insert(w: &mut Write, account_id: i64, code_hash: &str, now: i64, expires: i64) -> Result<()> {
    query("DELETE FROM enterprise_codes WHERE account_id = $1").bind(account_id).execute(w.connection()).await?;
    query("INSERT INTO enterprise_codes (account_id, code_hash, attempts, created_at, expires_at) VALUES ($1, $2, 0, $3, $4)")
        .bind(account_id)
        .bind(code_hash)
        .bind(now)
        .bind(expires)
        .execute(w.connection())
        .await?;
    Ok(())
}

/// Checks a code: right and fresh uses it up; wrong counts an attempt (five and it is gone).
pub async fn code_check(w: &mut Write, account_id: i64, code_hash: &str, now: i64) -> Result<bool> {
    let Some(r) = query("SELECT id, code_hash, attempts, expires_at FROM enterprise_codes WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(w.connection())
        .await?
    else {
        return Ok(false);
    };
    let id: i64 = r.try_get("id")?;
    let stored: String = r.try_get("code_hash")?;
    let expired = r.try_get::<i64, _>("expires_at")? < now;
    let attempts: i64 = r.try_get("attempts")?;
    if !expired && attempts < 5 && stored == code_hash {
        query("DELETE FROM enterprise_codes WHERE id = $1").bind(id).execute(w.connection()).await?;
        return Ok(true);
    }
    query("UPDATE enterprise_codes SET attempts = attempts + 1 WHERE id = $1").bind(id).execute(w.connection()).await?;
    Ok(false)
}

pub async fn session_create(
    w: &mut Write,
    token_hash: &str,
    account_id: i64,
    csrf: &str,
    now: i64,
    expires: i64,
) -> Result<()> {
    query("INSERT INTO enterprise_sessions (token_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash)
        .bind(account_id)
        .bind(csrf)
        .bind(now)
        .bind(expires)
        .execute(w.connection())
        .await?;
    Ok(())
}

/// The live session's account and CSRF token.
pub async fn session_get(db: &Db, token_hash: &str, now: i64) -> Result<Option<(i64, String)>> {
    let r = query("SELECT account_id, csrf_token FROM enterprise_sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(db.reader())
        .await?;
    r.map(|r| Ok((r.try_get("account_id")?, r.try_get("csrf_token")?))).transpose()
}

pub async fn session_delete(w: &mut Write, token_hash: &str) -> Result<()> {
    query("DELETE FROM enterprise_sessions WHERE token_hash = $1").bind(token_hash).execute(w.connection()).await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub district: Option<i64>,
    pub industry: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

fn notice(r: &Row) -> Result<Notice> {
    Ok(Notice {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        district: r.try_get("district")?,
        industry: r.try_get("industry")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn notice_insert(
    w: &mut Write,
    actor: &Actor,
    title: &str,
    body: &str,
    district: Option<i64>,
    industry: Option<&str>,
    unit: (i64, &str),
    now: i64,
) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO enterprise_notices (title, body, district, industry, unit_id, unit_path, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(title)
    .bind(body)
    .bind(district)
    .bind(industry)
    .bind(unit.0)
    .bind(unit.1)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("enterprise.notice", "enterprise_notice", id, None, None, title)).await?;
    Ok(id)
}

/// Notices an enterprise in `district` and `industry` receives: those addressed to it, to
/// its district or industry, or to all.
pub async fn notices_for(db: &Db, district: i64, industry: &str, page: PageRequest) -> Result<Page<Notice>> {
    let mut f = Filter::new();
    let d = f.arg_i64(district);
    let i = f.arg_text(industry.to_string());
    f.cond(format!("(district IS NULL OR district = {d}) AND (industry IS NULL OR industry = {i})"));
    notices(db, &f, page).await
}

/// Notices sent from within a scope (the bureau's list).
pub async fn notices_sent(db: &Db, scope: &ningan_store::Scope, page: PageRequest) -> Result<Page<Notice>> {
    let mut f = Filter::new();
    f.within(scope, "unit_path");
    notices(db, &f, page).await
}

/// One page of the notices `f` selects, newest first.
async fn notices(db: &Db, f: &Filter, page: PageRequest) -> Result<Page<Notice>> {
    let (columns, table) = ("id, title, body, district, industry, created_by, created_at", "enterprise_notices");
    paged(db, columns, table, table, f, "created_at DESC, id DESC", page, notice).await
}
