//! Files attached to 11087 requests (photos, scans): checked by the caller, stored with their
//! hash, and read back only through a request the reader may see.

use base64::Engine as _;
use ningan_store::sql::{RowExt as _, query};
use ningan_store::{Db, Result, StoreError, Write};

#[derive(Debug, Clone)]
pub struct Attachment {
    pub id: i64,
    pub request_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

pub async fn insert(
    w: &mut Write,
    request_id: i64,
    name: &str,
    content_type: &str,
    bytes: &[u8],
    now: i64,
) -> Result<i64> {
    use sha2::Digest as _;
    let id: i64 = query(
        "INSERT INTO enterprise_attachments (request_id, name, content_type, size, sha256, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(request_id)
    .bind(name)
    .bind(content_type)
    .bind(bytes.len() as i64)
    .bind(hex::encode(sha2::Sha256::digest(bytes)))
    .bind(base64::engine::general_purpose::STANDARD.encode(bytes))
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    Ok(id)
}

pub async fn of_request(db: &Db, request_id: i64) -> Result<Vec<Attachment>> {
    let rows = query(
        "SELECT id, request_id, name, content_type, size FROM enterprise_attachments WHERE request_id = $1 ORDER BY id",
    )
    .bind(request_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Attachment {
                id: r.try_get("id")?,
                request_id: r.try_get("request_id")?,
                name: r.try_get("name")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get("size")?,
            })
        })
        .collect()
}

/// The attachment and its bytes; the caller has checked that the request may be seen.
pub async fn get(db: &Db, id: i64) -> Result<(Attachment, Vec<u8>)> {
    let r = query("SELECT id, request_id, name, content_type, size, body FROM enterprise_attachments WHERE id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    let body: String = r.try_get("body")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| StoreError::Invalid(format!("attachment {id}: {e}")))?;
    Ok((
        Attachment {
            id: r.try_get("id")?,
            request_id: r.try_get("request_id")?,
            name: r.try_get("name")?,
            content_type: r.try_get("content_type")?,
            size: r.try_get("size")?,
        },
        bytes,
    ))
}
