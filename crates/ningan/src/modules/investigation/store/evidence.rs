//! Evidence items: filed once, never changed. A correction is a new item naming the one it
//! corrects. Each case's items form a hash chain, and each item's hash also goes into the
//! audit log (itself append-only and chained), so an item altered behind the triggers' back
//! — by SQL with the triggers dropped — no longer matches either.

use ningan_store::sql::{Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, StoreError, Write};

use crate::secrets::sha256_hex;

pub const KINDS: [(&str, &str, &str); 6] = [
    ("document", "书证", "Documentary"),
    ("physical", "物证", "Physical"),
    ("electronic", "电子数据", "Electronic data"),
    ("testimony", "证人证言", "Witness statement"),
    ("statement", "犯罪嫌疑人供述", "Suspect's statement"),
    ("record", "勘验、检查笔录", "Inspection record"),
];

pub fn kind_label(kind: &str, en: bool) -> &'static str {
    KINDS.iter().find(|k| k.0 == kind).map(|k| if en { k.2 } else { k.1 }).unwrap_or("?")
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Item {
    pub id: i64,
    pub case_id: i64,
    /// 1, 2, 3… within the case.
    pub seq: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where it came from (seized at, extracted from, taken by).
    pub source: String,
    /// The item this one corrects.
    pub corrects: Option<i64>,
    pub filed_by: String,
    pub filed_at: i64,
    pub prev_hash: String,
    pub hash: String,
    /// Corrected by a later item (its id).
    pub corrected_by: Option<i64>,
}

fn item(r: &Row) -> Result<Item> {
    Ok(Item {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        seq: r.try_get("seq")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        source: r.try_get("source")?,
        corrects: r.try_get("corrects")?,
        filed_by: r.try_get("filed_by")?,
        filed_at: r.try_get("filed_at")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
        corrected_by: None,
    })
}

/// The hash of an item: its fields and the hash before it, unambiguously joined.
pub fn hash_of(case_id: i64, seq: i64, i: &NewItem<'_>, filed_by: &str, filed_at: i64, prev: &str) -> String {
    let canonical =
        serde_json::json!([case_id, seq, i.kind, i.title, i.body, i.source, i.corrects, filed_by, filed_at, prev]);
    sha256_hex(canonical.to_string().as_bytes())
}

pub struct NewItem<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub source: &'a str,
    pub corrects: Option<i64>,
}

/// Files an item at the end of its case's chain.
pub async fn file(w: &mut Write, actor: &Actor, case_id: i64, n: &NewItem<'_>, now: i64) -> Result<Item> {
    // The case row is the chain's lock: two filings of one case take turns.
    if w.is_postgres() {
        query("SELECT id FROM inv_cases WHERE id = $1 FOR UPDATE").bind(case_id).execute(w.connection()).await?;
    }
    let last = query("SELECT seq, hash FROM inv_evidence WHERE case_id = $1 ORDER BY seq DESC LIMIT 1")
        .bind(case_id)
        .fetch_optional(w.connection())
        .await?;
    let (seq, prev) = match last {
        Some(r) => (r.try_get::<i64, _>("seq")? + 1, r.try_get::<String, _>("hash")?),
        None => (1, String::new()),
    };
    if let Some(c) = n.corrects {
        let same = query("SELECT id FROM inv_evidence WHERE id = $1 AND case_id = $2")
            .bind(c)
            .bind(case_id)
            .fetch_optional(w.connection())
            .await?;
        if same.is_none() {
            return Err(StoreError::NotFound);
        }
    }
    let hash = hash_of(case_id, seq, n, &actor.name, now, &prev);
    let id: i64 = query(
        "INSERT INTO inv_evidence (case_id, seq, kind, title, body, source, corrects, filed_by, filed_at, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(case_id)
    .bind(seq)
    .bind(n.kind)
    .bind(n.title)
    .bind(n.body)
    .bind(n.source)
    .bind(n.corrects)
    .bind(&actor.name)
    .bind(now)
    .bind(&prev)
    .bind(&hash)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("investigation.evidence.file", "inv_evidence", id, None, None, &hash)).await?;
    let text = match n.corrects {
        Some(c) => format!("证据 #{seq}（更正 #{c}）/ evidence #{seq} correcting #{c}: {}", n.title),
        None => format!("证据 #{seq} / evidence #{seq}: {}", n.title),
    };
    super::cases::log(w, actor, case_id, "evidence", &text, now).await?;
    Ok(Item {
        id,
        case_id,
        seq,
        kind: n.kind.into(),
        title: n.title.into(),
        body: n.body.into(),
        source: n.source.into(),
        corrects: n.corrects,
        filed_by: actor.name.clone(),
        filed_at: now,
        prev_hash: prev,
        hash,
        corrected_by: None,
    })
}

/// The case's items in filing order, each marked with the item that corrects it.
pub async fn list(db: &Db, case_id: i64) -> Result<Vec<Item>> {
    let rows = query("SELECT * FROM inv_evidence WHERE case_id = $1 ORDER BY seq")
        .bind(case_id)
        .fetch_all(db.reader())
        .await?;
    let mut items = rows.iter().map(item).collect::<Result<Vec<_>>>()?;
    let fixes: Vec<(i64, i64)> = items.iter().filter_map(|i| i.corrects.map(|c| (c, i.id))).collect();
    for (old, new) in fixes {
        if let Some(i) = items.iter_mut().find(|i| i.id == old) {
            i.corrected_by = Some(new);
        }
    }
    Ok(items)
}

/// What checking a case's evidence found.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Verification {
    pub items: usize,
    pub intact: bool,
    /// Items whose content, order or link no longer matches their hash, the chain, or the
    /// hash the audit log recorded when they were filed.
    pub broken: Vec<Broken>,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Broken {
    pub seq: i64,
    pub id: i64,
    pub reason: String,
}

pub async fn verify(db: &Db, case_id: i64, since: i64) -> Result<Verification> {
    let items = list(db, case_id).await?;
    let ids: std::collections::HashSet<String> = items.iter().map(|i| i.id.to_string()).collect();
    let rows = query(
        "SELECT object_id, detail FROM audit_log WHERE at >= $1 AND action = 'investigation.evidence.file' \
         AND object_type = 'inv_evidence'",
    )
    .bind(since)
    .fetch_all(db.reader())
    .await?;
    let mut filed = std::collections::HashMap::new();
    for r in &rows {
        let id: String = r.try_get("object_id")?;
        if ids.contains(&id) {
            filed.insert(id, r.try_get::<String, _>("detail")?);
        }
    }
    let mut broken = Vec::new();
    let mut prev = String::new();
    for (n, i) in items.iter().enumerate() {
        let new = NewItem { kind: &i.kind, title: &i.title, body: &i.body, source: &i.source, corrects: i.corrects };
        let mut why = Vec::new();
        if i.seq != n as i64 + 1 {
            why.push("序号不连续 / a gap in the sequence");
        }
        if i.prev_hash != prev {
            why.push("链接断开 / the link to the previous item is broken");
        }
        if hash_of(case_id, i.seq, &new, &i.filed_by, i.filed_at, &i.prev_hash) != i.hash {
            why.push("内容与哈希不符 / the content no longer matches its hash");
        }
        if filed.get(&i.id.to_string()) != Some(&i.hash) {
            why.push("与审计日志记录不符 / differs from what the audit log recorded at filing");
        }
        if !why.is_empty() {
            broken.push(Broken { seq: i.seq, id: i.id, reason: why.join("; ") });
        }
        prev = i.hash.clone();
    }
    // An item deleted outright leaves its filing in the audit log with no item.
    let case_items: i64 = items.len() as i64;
    let logged = query("SELECT COUNT(*) AS n FROM inv_log WHERE case_id = $1 AND kind = 'evidence'")
        .bind(case_id)
        .fetch_one(db.reader())
        .await?
        .try_get::<i64, _>("n")?;
    if logged > case_items {
        broken.push(Broken {
            seq: 0,
            id: 0,
            reason: format!("案件日志记录提交{logged}件，现存{case_items}件 / the log records {logged} filings, {case_items} items remain"),
        });
    }
    Ok(Verification { items: items.len(), intact: broken.is_empty(), broken })
}
