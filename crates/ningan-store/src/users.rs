//! Officer accounts: bound to one org unit, holding roles, with the counters that throttle
//! password guessing.

use ningan_core::Role;
use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub unit_id: i64,
    pub roles: Vec<Role>,
    pub language: String,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: i64,
    pub created_at: i64,
    pub password_changed_at: i64,
}

impl User {
    fn from_row(r: &AnyRow) -> Result<User> {
        let roles: String = r.try_get("roles")?;
        Ok(User {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            password_hash: r.try_get("password_hash")?,
            unit_id: r.try_get("unit_id")?,
            roles: parse_roles(&roles)?,
            language: r.try_get("language")?,
            disabled: r.try_get::<i64, _>("disabled")? != 0,
            failed_logins: r.try_get("failed_logins")?,
            locked_until: r.try_get("locked_until")?,
            created_at: r.try_get("created_at")?,
            password_changed_at: r.try_get("password_changed_at")?,
        })
    }
}

pub fn parse_roles(s: &str) -> Result<Vec<Role>> {
    s.split(',')
        .filter(|r| !r.is_empty())
        .map(|r| r.parse::<Role>().map_err(|e| StoreError::Invalid(format!("roles: {e}"))))
        .collect()
}

pub(crate) fn join_roles(roles: &[Role]) -> String {
    let mut v: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v.join(",")
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    /// Already hashed (Argon2id, PHC string); storage never sees a password.
    pub password_hash: String,
    pub unit_id: i64,
    pub roles: Vec<Role>,
}

/// Usernames: 3–32 of lowercase letters, digits, `.`, `_`, `-`.
pub fn valid_username(u: &str) -> bool {
    (3..=32).contains(&u.len())
        && u.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

const COLUMNS: &str = "users.id, username, display_name, password_hash, unit_id, roles, language, disabled, failed_logins, locked_until, users.created_at, password_changed_at";

impl Db {
    /// Unscoped: for logging in.
    pub async fn user_by_username(&self, username: &str) -> Result<User> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
            .bind(username)
            .fetch_one(&self.pool)
            .await?;
        User::from_row(&r)
    }

    /// Unscoped: for resolving a session.
    pub async fn user_by_id(&self, id: i64) -> Result<User> {
        let r =
            sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1")).bind(id).fetch_one(&self.pool).await?;
        User::from_row(&r)
    }

    pub async fn user_get(&self, scope: &Scope, id: i64) -> Result<User> {
        let (lo, hi) = scope.range();
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users JOIN org_units u ON u.id = users.unit_id \
             WHERE users.id = $1 AND u.path >= $2 AND u.path < $3"
        ))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_one(&self.pool)
        .await?;
        User::from_row(&r)
    }

    /// Accounts of units in `scope`, optionally only one unit's or matching a name prefix.
    pub async fn users_in_scope(
        &self,
        scope: &Scope,
        unit_id: Option<i64>,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<User>> {
        let mut f = Filter::new();
        f.within(scope, "u.path");
        if let Some(id) = unit_id {
            let i = f.arg_i64(id);
            f.cond(format!("users.unit_id = {i}"));
        }
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let p = format!("{}%", q.replace(['%', '_'], ""));
            let a = f.arg_text(p.clone());
            let b = f.arg_text(p);
            f.cond(format!("(username LIKE {a} OR display_name LIKE {b})"));
        }
        let from = "users JOIN org_units u ON u.id = users.unit_id";
        let total: (i64,) =
            f.bind_as(&format!("SELECT COUNT(*) FROM {from} WHERE {}", f.where_sql())).fetch_one(&self.pool).await?;
        let lim = f.arg_i64(page.per_page);
        let off = f.arg_i64(page.offset());
        let sql =
            format!("SELECT {COLUMNS} FROM {from} WHERE {} ORDER BY users.id LIMIT {lim} OFFSET {off}", f.where_sql());
        let rows = f.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows.iter().map(User::from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }
}

impl Write {
    /// Unscoped, inside the write: for seeding and for the command line.
    pub async fn user_id_by_username(&mut self, username: &str) -> Result<i64> {
        let (id,): (i64,) =
            sqlx::query_as("SELECT id FROM users WHERE username = $1").bind(username).fetch_one(self.conn()).await?;
        Ok(id)
    }

    pub async fn user_insert(&mut self, actor: &Actor, scope: &Scope, new: &NewUser) -> Result<User> {
        if !valid_username(&new.username) {
            return Err(StoreError::Invalid("username: 3–32 lowercase letters, digits, . _ -".into()));
        }
        let path: Option<(String,)> = sqlx::query_as("SELECT path FROM org_units WHERE id = $1")
            .bind(new.unit_id)
            .fetch_optional(self.conn())
            .await?;
        if !path.is_some_and(|(p,)| scope.contains(&p)) {
            return Err(StoreError::Invalid("unit_id: no such unit in your scope".into()));
        }
        let now = now_ms();
        let display =
            if new.display_name.trim().is_empty() { new.username.clone() } else { new.display_name.trim().to_string() };
        let r = sqlx::query(&format!(
            "INSERT INTO users (username, display_name, password_hash, unit_id, roles, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {}",
            COLUMNS.replace("users.", "")
        ))
        .bind(&new.username)
        .bind(display)
        .bind(&new.password_hash)
        .bind(new.unit_id)
        .bind(join_roles(&new.roles))
        .bind(now)
        .fetch_one(self.conn())
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("username".into()),
            other => other,
        })?;
        let user = User::from_row(&r)?;
        self.audit(actor.audit(
            "user.create",
            "user",
            user.id,
            None,
            None,
            &format!("roles {}", join_roles(&new.roles)),
        ))
        .await?;
        Ok(user)
    }

    /// Sets a new password hash and ends the user's sessions and lock-out.
    pub async fn user_set_password(&mut self, actor: &Actor, id: i64, password_hash: &str) -> Result<()> {
        let n = sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, failed_logins = 0, locked_until = 0 WHERE id = $3")
            .bind(password_hash)
            .bind(now_ms())
            .bind(id)
            .execute(self.conn())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(self.conn()).await?;
        self.audit(actor.audit("user.password", "user", id, None, None, "password changed; sessions ended")).await?;
        Ok(())
    }

    pub async fn user_set_disabled(&mut self, actor: &Actor, id: i64, disabled: bool) -> Result<()> {
        let n = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(id)
            .execute(self.conn())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(self.conn()).await?;
        }
        let action = if disabled { "user.disable" } else { "user.enable" };
        self.audit(actor.audit(action, "user", id, None, None, "")).await?;
        Ok(())
    }

    /// Replaces the account's roles. An empty set is allowed: an account whose only roles
    /// wait for a second administrator holds none meanwhile.
    pub async fn user_set_roles(&mut self, actor: &Actor, id: i64, roles: &[Role]) -> Result<()> {
        let joined = join_roles(roles);
        let n = sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
            .bind(&joined)
            .bind(id)
            .execute(self.conn())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.audit(actor.audit("user.roles", "user", id, None, None, &joined)).await?;
        Ok(())
    }

    pub async fn user_set_language(&mut self, actor: &Actor, id: i64, language: &str) -> Result<()> {
        sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(language)
            .bind(id)
            .execute(self.conn())
            .await?;
        self.audit(actor.audit("user.language", "user", id, None, None, language)).await?;
        Ok(())
    }

    /// Counts and audits a wrong password on the account. Nothing is locked here: a lock any
    /// stranger could trigger would lock officers out at will; the application throttles by
    /// address instead (`modules::auth::throttle`).
    pub async fn user_login_failed(&mut self, user: &User) -> Result<()> {
        sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1")
            .bind(user.id)
            .execute(self.conn())
            .await?;
        let actor = Actor { name: format!("user:{}", user.username), unit_id: Some(user.unit_id) };
        self.audit(actor.audit("auth.login_failed", "user", user.id, None, None, "wrong password")).await?;
        Ok(())
    }

    pub async fn user_login_succeeded(&mut self, user: &User) -> Result<()> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1")
            .bind(user.id)
            .execute(self.conn())
            .await?;
        let actor = Actor { name: format!("user:{}", user.username), unit_id: Some(user.unit_id) };
        self.audit(actor.audit("auth.login", "user", user.id, None, None, "")).await?;
        Ok(())
    }
}
