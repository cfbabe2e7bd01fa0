//! Who sent what: the bureau's Ed25519 exchange key, partners' registered keys, and the
//! hash-chained message log (`ningan_core::msglog`). Every request to a partner carries the
//! bureau's signature (besides the shared-secret HMAC partners already check); every answer
//! from a partner with a registered key must carry that key's signature; both are logged,
//! chained and sealed with the bureau's key, and `ningan exchange verify` checks the log.
//! A shared secret lets either side forge the other; these signatures do not.

use axum::http::HeaderMap;
use ed25519_dalek::SigningKey;
use ningan_core::msglog::{self, Entry, Sealed};
use ningan_store::{Db, ExchangeKey, StoreError, Write};

/// The id of the key that signed a message.
pub const KEY_HEADER: &str = "x-ningan-key-id";
/// `hex(Ed25519(key, "{timestamp}.{hex sha256(body)}"))`, the timestamp in the HMAC's header.
pub const ED25519_HEADER: &str = "x-ningan-ed25519";
/// How a partner's Ed25519 signature travels, for the document: required of a partner (an
/// agency, a city) once its public key is registered, alongside the HMAC headers.
pub const SIGNED_WITH_ED25519: &[(&str, &str)] = &[
    (
        "X-Ningan-Key-Id",
        "发送方 Ed25519 密钥编号（已登记公钥的单位必填）/ the sender's Ed25519 key id (required once its key is registered)",
    ),
    (
        "X-Ningan-Ed25519",
        "Ed25519 对“时间戳.十六进制SHA-256(请求体)”的签名（十六进制）/ hex Ed25519 signature over `{timestamp}.{hex sha256(body)}`",
    ),
];

/// The owner of the bureau's own keys.
pub const BUREAU: &str = "bureau";

/// The bureau's key in force, loaded (or made) once per process and swapped on rotation.
#[derive(Default)]
pub struct Trust {
    key: std::sync::RwLock<Option<(SigningKey, String)>>,
}

/// A signed message: what the headers carry and the log keeps.
#[derive(Debug, Clone)]
pub struct Signed {
    pub ts: i64,
    pub body_sha256: String,
    pub key_id: Option<String>,
    pub signature: Option<String>,
}

impl Signed {
    /// Whether the sender's Ed25519 signature came with it (not only the body's hash).
    pub fn is_signed(&self) -> bool {
        self.signature.is_some()
    }

    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match (&self.key_id, &self.signature) {
            (Some(k), Some(s)) => vec![(KEY_HEADER, k.clone()), (ED25519_HEADER, s.clone())],
            _ => vec![],
        }
    }
}

fn key_row(owner: &str, key: &SigningKey, with_secret: bool) -> ExchangeKey {
    let public = key.verifying_key();
    ExchangeKey {
        key_id: msglog::key_id(&public),
        owner: owner.into(),
        public_key: hex::encode(public.as_bytes()),
        secret_key: with_secret.then(|| hex::encode(key.to_bytes())),
        created_at: 0,
        retired_at: None,
    }
}

impl Trust {
    /// The bureau's signing key and its id, made and stored on first use.
    pub async fn key(&self, db: &Db) -> Result<(SigningKey, String), StoreError> {
        if let Some(k) = self.key.read().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(k);
        }
        let stored = db.exchange_key_current(BUREAU).await?;
        let key = match stored.and_then(|k| k.secret_key.as_deref().and_then(msglog::signing_key_from_hex)) {
            Some(k) => k,
            None => {
                let fresh = SigningKey::generate(&mut rand::rngs::OsRng);
                let mut w = db.write().await?;
                // Another process may have made one meanwhile: the stored one wins.
                let winner = match db.exchange_key_current(BUREAU).await? {
                    Some(k) => k.secret_key.as_deref().and_then(msglog::signing_key_from_hex),
                    None => {
                        w.exchange_key_put(&key_row(BUREAU, &fresh, true)).await?;
                        None
                    }
                };
                w.commit().await?;
                winner.unwrap_or(fresh)
            }
        };
        let id = msglog::key_id(&key.verifying_key());
        *self.key.write().unwrap_or_else(|e| e.into_inner()) = Some((key.clone(), id.clone()));
        Ok((key, id))
    }

    /// Signs a message with the bureau's key.
    pub async fn sign(&self, db: &Db, ts: i64, body: &[u8]) -> Result<Signed, StoreError> {
        let (key, id) = self.key(db).await?;
        let body_sha256 = msglog::body_hash(body);
        Ok(Signed { ts, signature: Some(msglog::sign_message(&key, ts, &body_sha256)), key_id: Some(id), body_sha256 })
    }

    /// The bureau's key when one is stored, never making one: for callers already inside a
    /// write transaction, where making one would wait on their own write lock.
    async fn stored_key(&self, db: &Db) -> Result<(SigningKey, String), StoreError> {
        if let Some(k) = self.key.read().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(k);
        }
        let stored = db.exchange_key_current(BUREAU).await?;
        let key = stored
            .and_then(|k| k.secret_key.as_deref().and_then(msglog::signing_key_from_hex))
            .ok_or_else(|| StoreError::State("公安局交换密钥尚未生成 / the bureau has no exchange key yet".into()))?;
        let id = msglog::key_id(&key.verifying_key());
        *self.key.write().unwrap_or_else(|e| e.into_inner()) = Some((key.clone(), id.clone()));
        Ok((key, id))
    }

    /// Appends one message to the log, in the caller's transaction, sealed with the bureau's
    /// key. The key must exist already ([`Trust::key`] before opening the transaction).
    pub async fn log(&self, db: &Db, w: &mut Write, m: Message<'_>, signed: &Signed) -> Result<(), StoreError> {
        let (key, id) = self.stored_key(db).await?;
        let (seq, prev) = w.exchange_log_head().await?;
        let entry = Entry {
            seq: seq + 1,
            at_ms: ningan_core::time::now_ms(),
            direction: m.direction.into(),
            peer: m.peer.into(),
            kind: m.kind.into(),
            request_id: m.request_id.into(),
            body_sha256: signed.body_sha256.clone(),
            signed_ts: signed.ts,
            key_id: signed.key_id.clone(),
            signature: signed.signature.clone(),
            prev_hash: prev,
        };
        let entry_hash = entry.hash();
        let sealed = Sealed { seal: msglog::seal(&key, &entry_hash), seal_key_id: id, entry, entry_hash };
        w.exchange_log_append(&sealed).await
    }

    /// A new bureau key in force; the old one is retired but kept, so what it signed verifies.
    pub async fn rotate(&self, db: &Db) -> Result<String, StoreError> {
        let fresh = SigningKey::generate(&mut rand::rngs::OsRng);
        let row = key_row(BUREAU, &fresh, true);
        let mut w = db.write().await?;
        w.exchange_key_put(&row).await?;
        w.commit().await?;
        *self.key.write().unwrap_or_else(|e| e.into_inner()) = Some((fresh, row.key_id.clone()));
        Ok(row.key_id)
    }
}

/// What a logged message was.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// `out` or `in`.
    pub direction: &'a str,
    pub peer: &'a str,
    pub kind: &'a str,
    pub request_id: &'a str,
}

/// Registers a partner's public key (hex), retiring its earlier one.
pub async fn register_partner_key(w: &mut Write, owner: &str, public_hex: &str) -> Result<String, String> {
    let key = msglog::verifying_key_from_hex(public_hex)
        .ok_or_else(|| "公钥应为64位十六进制的 Ed25519 公钥 / an Ed25519 public key as 64 hex digits".to_string())?;
    let row = ExchangeKey {
        key_id: msglog::key_id(&key),
        owner: owner.into(),
        public_key: hex::encode(key.as_bytes()),
        secret_key: None,
        created_at: 0,
        retired_at: None,
    };
    w.exchange_key_put(&row).await.map_err(|e| e.to_string())?;
    Ok(row.key_id)
}

/// Checks a partner's answer. A partner with a registered key must sign with the key in
/// force; one without is taken on its shared secret alone and logged as unsigned.
pub async fn check_answer(db: &Db, owner: &str, headers: &HeaderMap, body: &[u8]) -> Result<Signed, String> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let ts = header(crate::modules::services::exchange::TIMESTAMP_HEADER).and_then(|t| t.parse::<i64>().ok());
    let body_sha256 = msglog::body_hash(body);
    let current = db.exchange_key_current(owner).await.map_err(|e| e.to_string())?;
    let Some(current) = current else {
        return Ok(Signed { ts: ts.unwrap_or(0), body_sha256, key_id: None, signature: None });
    };
    let (Some(ts), Some(id), Some(sig)) = (ts, header(KEY_HEADER), header(ED25519_HEADER)) else {
        return Err("答复缺少 Ed25519 签名 / the answer carries no Ed25519 signature".into());
    };
    if id != current.key_id {
        return Err(format!("答复的签名密钥“{id}”不是该单位当前登记的密钥 / signed with a key not in force"));
    }
    if (ningan_core::time::now_ms() / 1000 - ts).abs() > 300 {
        return Err("答复时间与本机相差超过5分钟 / answer timestamp out of range".into());
    }
    let key = msglog::verifying_key_from_hex(&current.public_key).ok_or("registered key unreadable")?;
    if !msglog::verify_message(&key, ts, &body_sha256, &sig) {
        return Err("答复的 Ed25519 签名不符 / the answer's Ed25519 signature does not verify".into());
    }
    Ok(Signed { ts, body_sha256, key_id: Some(id), signature: Some(sig) })
}

/// Checks the whole message log against every key ever registered; the number of entries
/// and the head, or the first fault.
pub async fn verify_log(db: &Db) -> Result<Result<u64, msglog::Broken>, StoreError> {
    let keys = db.exchange_keys().await?;
    let lookup =
        |id: &str| keys.iter().find(|k| k.key_id == id).and_then(|k| msglog::verifying_key_from_hex(&k.public_key));
    let (mut prev, mut after, mut total) = (msglog::GENESIS.to_string(), 0i64, 0u64);
    loop {
        let page = db.exchange_log_page(after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.entry.seq;
        match msglog::check(page, &lookup, prev) {
            Ok((n, head)) => {
                total += n;
                prev = head;
            }
            Err(broken) => return Ok(Err(broken)),
        }
    }
    // Entries cut from the end leave the head pointing past them.
    let (seq, hash) = db.exchange_log_tip().await?;
    if hash != prev {
        return Ok(Err(msglog::Broken::Chain(seq)));
    }
    Ok(Ok(total))
}

/// One of the bureau's public keys, as partners fetch them to check its signatures.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct KeyDto {
    pub key_id: String,
    /// Ed25519 public key, 64 hex digits.
    pub public_key: String,
    /// Whether the bureau signs with it now; retired keys verify what they signed before.
    pub in_force: bool,
    pub created_at: String,
    pub retired_at: Option<String>,
}

/// `GET /api/exchange/keys`: the bureau's keys, the one in force first.
pub async fn bureau_keys(
    axum::extract::State(state): axum::extract::State<crate::app::AppState>,
) -> crate::http::error::ApiResult<axum::Json<Vec<KeyDto>>> {
    state.trust.key(&state.db).await?;
    let mut keys: Vec<KeyDto> = state
        .db
        .exchange_keys()
        .await?
        .into_iter()
        .filter(|k| k.owner == BUREAU)
        .map(|k| KeyDto {
            in_force: k.retired_at.is_none(),
            created_at: crate::http::dto::ts(k.created_at),
            retired_at: k.retired_at.map(crate::http::dto::ts),
            key_id: k.key_id,
            public_key: k.public_key,
        })
        .collect();
    keys.sort_by_key(|k| !k.in_force);
    Ok(axum::Json(keys))
}
