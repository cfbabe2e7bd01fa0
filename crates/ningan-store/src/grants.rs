//! Grants that wait for a second administrator: personal-data roles added to an account, and
//! tokens that read personal data across more than one station. The one who asked cannot
//! approve, and nobody approves a grant to themselves.

use ningan_core::Role;
use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::users::{join_roles, parse_roles};
use crate::{Result, Scope, StoreError};

/// What a grant gives once approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantSubject {
    /// These roles are added to the account.
    Roles { user_id: i64, roles: Vec<Role> },
    /// The token starts to work.
    Token { token_id: i64 },
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub id: i64,
    pub subject: GrantSubject,
    /// The unit of the account or token: whose administrators may decide.
    pub unit_id: i64,
    pub requested_by: i64,
    pub requested_at: i64,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
}

pub const GRANT_STATUSES: &[&str] = &["pending", "approved", "rejected"];

impl Grant {
    fn from_row(r: &AnyRow) -> Result<Grant> {
        let kind: String = r.try_get("kind")?;
        let subject = match kind.as_str() {
            "roles" => GrantSubject::Roles {
                user_id: r.try_get::<Option<i64>, _>("user_id")?.ok_or(StoreError::NotFound)?,
                roles: parse_roles(&r.try_get::<String, _>("roles")?)?,
            },
            "token" => {
                GrantSubject::Token { token_id: r.try_get::<Option<i64>, _>("token_id")?.ok_or(StoreError::NotFound)? }
            }
            other => return Err(StoreError::Invalid(format!("grant kind {other}"))),
        };
        Ok(Grant {
            id: r.try_get("id")?,
            subject,
            unit_id: r.try_get("unit_id")?,
            requested_by: r.try_get("requested_by")?,
            requested_at: r.try_get("requested_at")?,
            status: r.try_get("status")?,
            decided_by: r.try_get("decided_by")?,
            decided_at: r.try_get("decided_at")?,
        })
    }

    /// The account the grant is for, if it is one.
    pub fn user_id(&self) -> Option<i64> {
        match self.subject {
            GrantSubject::Roles { user_id, .. } => Some(user_id),
            GrantSubject::Token { .. } => None,
        }
    }
}

const COLUMNS: &str = "g.id, g.kind, g.user_id, g.token_id, g.unit_id, g.roles, g.requested_by, g.requested_at, \
                       g.status, g.decided_by, g.decided_at";
const FROM: &str = "grant_requests g JOIN org_units u ON u.id = g.unit_id";

impl Db {
    /// Grants on accounts and tokens of units in `scope`, newest first; `status` narrows.
    pub async fn grants_in_scope(&self, scope: &Scope, status: Option<&str>, limit: i64) -> Result<Vec<Grant>> {
        let (lo, hi) = scope.range();
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE u.path >= $1 AND u.path < $2 AND ($3 = '' OR g.status = $3) \
             ORDER BY g.id DESC LIMIT $4"
        ))
        .bind(lo)
        .bind(hi)
        .bind(status.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Grant::from_row).collect()
    }

    /// How many grants of units in `scope` wait for a decision.
    pub async fn grants_pending_count(&self, scope: &Scope) -> Result<i64> {
        let (lo, hi) = scope.range();
        let (n,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM {FROM} WHERE u.path >= $1 AND u.path < $2 AND g.status = 'pending'"
        ))
        .bind(lo)
        .bind(hi)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    pub async fn grant_get(&self, scope: &Scope, id: i64) -> Result<Grant> {
        let (lo, hi) = scope.range();
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE g.id = $1 AND u.path >= $2 AND u.path < $3"))
            .bind(id)
            .bind(lo)
            .bind(hi)
            .fetch_one(&self.pool)
            .await?;
        Grant::from_row(&r)
    }

    /// The pending grants for one account.
    pub async fn grants_pending_for_user(&self, user_id: i64) -> Result<Vec<Grant>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE g.user_id = $1 AND g.status = 'pending' ORDER BY g.id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Grant::from_row).collect()
    }
}

impl Write {
    /// Records a request to add `roles` to an account; nothing changes until approved.
    pub async fn grant_request_roles(
        &mut self,
        actor: &Actor,
        requested_by: i64,
        user_id: i64,
        roles: &[Role],
    ) -> Result<Grant> {
        if roles.is_empty() {
            return Err(StoreError::Invalid("roles: at least one".into()));
        }
        let (unit_id,): (i64,) =
            sqlx::query_as("SELECT unit_id FROM users WHERE id = $1").bind(user_id).fetch_one(self.conn()).await?;
        let joined = join_roles(roles);
        let id = self.grant_insert("roles", Some(user_id), None, unit_id, &joined, requested_by).await?;
        self.audit(actor.audit("grant.request", "user", user_id, None, None, &format!("grant {id}: roles {joined}")))
            .await?;
        self.grant_by_id(id).await
    }

    /// Records that a token waits for approval before it works.
    pub async fn grant_request_token(&mut self, actor: &Actor, requested_by: i64, token_id: i64) -> Result<Grant> {
        let (unit_id,): (i64,) = sqlx::query_as("SELECT unit_id FROM api_tokens WHERE id = $1")
            .bind(token_id)
            .fetch_one(self.conn())
            .await?;
        sqlx::query("UPDATE api_tokens SET approved = 0 WHERE id = $1").bind(token_id).execute(self.conn()).await?;
        let id = self.grant_insert("token", None, Some(token_id), unit_id, "", requested_by).await?;
        self.audit(actor.audit("grant.request", "api_token", token_id, None, None, &format!("grant {id}: token")))
            .await?;
        self.grant_by_id(id).await
    }

    async fn grant_insert(
        &mut self,
        kind: &str,
        user_id: Option<i64>,
        token_id: Option<i64>,
        unit_id: i64,
        roles: &str,
        requested_by: i64,
    ) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO grant_requests (kind, user_id, token_id, unit_id, roles, requested_by, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(kind)
        .bind(user_id)
        .bind(token_id)
        .bind(unit_id)
        .bind(roles)
        .bind(requested_by)
        .bind(now_ms())
        .fetch_one(self.conn())
        .await?;
        Ok(id)
    }

    async fn grant_by_id(&mut self, id: i64) -> Result<Grant> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE g.id = $1"))
            .bind(id)
            .fetch_one(self.conn())
            .await?;
        Grant::from_row(&r)
    }

    /// Approves or rejects a pending grant of a unit in `scope`. The decider must be neither
    /// the one who asked nor the account that gains the roles.
    pub async fn grant_decide(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        decider: i64,
        approve: bool,
    ) -> Result<Grant> {
        let (lo, hi) = scope.range();
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE g.id = $1 AND u.path >= $2 AND u.path < $3"))
            .bind(id)
            .bind(lo)
            .bind(hi)
            .fetch_one(self.conn())
            .await?;
        let grant = Grant::from_row(&r)?;
        if grant.status != "pending" {
            return Err(StoreError::State(format!("grant {id} is already {}", grant.status)));
        }
        if grant.requested_by == decider || grant.user_id() == Some(decider) {
            return Err(StoreError::State("a second administrator must decide".into()));
        }
        let status = if approve { "approved" } else { "rejected" };
        let n = sqlx::query(
            "UPDATE grant_requests SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'pending'",
        )
        .bind(status)
        .bind(decider)
        .bind(now_ms())
        .bind(id)
        .execute(self.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::State(format!("grant {id} was decided meanwhile")));
        }
        match (&grant.subject, approve) {
            (GrantSubject::Roles { user_id, roles }, true) => {
                let (current,): (String,) = sqlx::query_as("SELECT roles FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_one(self.conn())
                    .await?;
                let mut all = parse_roles(&current)?;
                all.extend(roles.iter().copied());
                let joined = join_roles(&all);
                sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
                    .bind(&joined)
                    .bind(user_id)
                    .execute(self.conn())
                    .await?;
                self.audit(actor.audit("user.roles", "user", *user_id, None, None, &format!("{joined} (grant {id})")))
                    .await?;
            }
            (GrantSubject::Token { token_id }, true) => {
                sqlx::query("UPDATE api_tokens SET approved = 1 WHERE id = $1")
                    .bind(token_id)
                    .execute(self.conn())
                    .await?;
            }
            (GrantSubject::Token { token_id }, false) => {
                // A refused token is revoked so that it can never start to work.
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                    .bind(now_ms())
                    .bind(token_id)
                    .execute(self.conn())
                    .await?;
            }
            (GrantSubject::Roles { .. }, false) => {}
        }
        let (entity, entity_id) = match grant.subject {
            GrantSubject::Roles { user_id, .. } => ("user", user_id),
            GrantSubject::Token { token_id } => ("api_token", token_id),
        };
        let action = if approve { "grant.approve" } else { "grant.reject" };
        self.audit(actor.audit(action, entity, entity_id, None, None, &format!("grant {id}"))).await?;
        self.grant_by_id(id).await
    }
}
