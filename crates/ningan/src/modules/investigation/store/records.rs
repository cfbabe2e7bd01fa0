//! A case's entities (people, phones, accounts, vehicles, addresses, organisations), the
//! files imported into it with their progress and refused rows, and the relations each row
//! became — every relation keeps its import (the file) and its line.

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, StoreError, Write};

pub const ENTITY_KINDS: [(&str, &str, &str); 6] = [
    ("person", "人员", "Person"),
    ("phone", "手机号", "Phone"),
    ("account", "银行账户", "Bank account"),
    ("vehicle", "车辆", "Vehicle"),
    ("address", "地址", "Address"),
    ("org", "单位组织", "Organisation"),
];

pub fn entity_kind_label(kind: &str, en: bool) -> &'static str {
    ENTITY_KINDS.iter().find(|k| k.0 == kind).map(|k| if en { k.2 } else { k.1 }).unwrap_or("?")
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Entity {
    pub id: i64,
    pub kind: String,
    /// The phone number, account number, ID number, plate, address or name, in full: shown
    /// only through [`Entity::label`].
    #[serde(skip)]
    #[schemars(skip)]
    pub key: String,
    /// The person holding it (a phone's subscriber, an account's holder), an entity id.
    pub holder: Option<i64>,
    /// The register's resident, for a person found there.
    pub resident_id: Option<i64>,
}

/// Shows as much of a key as names it to the team without handing out the number.
pub fn mask_key(kind: &str, key: &str) -> String {
    match kind {
        "phone" => ningan_core::phone::mask_phone_str(key),
        "person" => ningan_core::idnumber::mask_id_str(key),
        "account" => {
            let c: Vec<char> = key.chars().collect();
            if c.len() <= 8 {
                "*".repeat(c.len())
            } else {
                format!("{}****{}", c[..4].iter().collect::<String>(), c[c.len() - 4..].iter().collect::<String>())
            }
        }
        _ => key.to_string(),
    }
}

fn entity(r: &Row) -> Result<Entity> {
    Ok(Entity {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        key: r.try_get("ekey")?,
        holder: r.try_get("holder")?,
        resident_id: r.try_get("resident_id")?,
    })
}

/// Every entity of the case, by id.
pub async fn entities(db: &Db, case_id: i64) -> Result<Vec<Entity>> {
    let rows =
        query("SELECT * FROM inv_entities WHERE case_id = $1 ORDER BY id").bind(case_id).fetch_all(db.reader()).await?;
    rows.iter().map(entity).collect()
}

pub async fn entities_by_id(db: &Db, case_id: i64, ids: &[i64]) -> Result<Vec<Entity>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut f = Filter::new();
    let c = f.arg_i64(case_id);
    let list: Vec<String> = ids.iter().map(|&i| f.arg_i64(i)).collect();
    f.cond(format!("case_id = {c} AND id IN ({})", list.join(", ")));
    let sql = format!("SELECT * FROM inv_entities WHERE {} ORDER BY id", f.where_sql());
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    rows.iter().map(entity).collect()
}

/// Entities of the case whose key contains `q` (kinds filtered), for picking a node.
pub async fn search(db: &Db, case_id: i64, q: &str, kind: Option<&str>, page: PageRequest) -> Result<Page<Entity>> {
    let mut f = Filter::new();
    let c = f.arg_i64(case_id);
    f.cond(format!("case_id = {c}"));
    if let Some(k) = kind {
        let p = f.arg_text(k.to_string());
        f.cond(format!("kind = {p}"));
    }
    let q = q.trim();
    if !q.is_empty() {
        let p = f.arg_text(format!("%{}%", q.replace(['%', '_'], "")));
        f.cond(format!("ekey LIKE {p}"));
    }
    ningan_store::sql::paged(db, "*", "inv_entities", "inv_entities", &f, "id", page, entity).await
}

/// Finds or adds the entity `(kind, key)`; a holder or register link given for one known
/// without is filled in.
pub async fn entity_upsert(
    w: &mut Write,
    case_id: i64,
    kind: &str,
    key: &str,
    holder: Option<i64>,
    resident_id: Option<i64>,
) -> Result<i64> {
    let found =
        query("SELECT id, holder, resident_id FROM inv_entities WHERE case_id = $1 AND kind = $2 AND ekey = $3")
            .bind(case_id)
            .bind(kind)
            .bind(key)
            .fetch_optional(w.connection())
            .await?;
    if let Some(r) = found {
        let id: i64 = r.try_get("id")?;
        let (h, res): (Option<i64>, Option<i64>) = (r.try_get("holder")?, r.try_get("resident_id")?);
        if (h.is_none() && holder.is_some()) || (res.is_none() && resident_id.is_some()) {
            query("UPDATE inv_entities SET holder = COALESCE(holder, $1), resident_id = COALESCE(resident_id, $2) WHERE id = $3")
                .bind(holder)
                .bind(resident_id)
                .bind(id)
                .execute(w.connection())
                .await?;
        }
        return Ok(id);
    }
    Ok(query(
        "INSERT INTO inv_entities (case_id, kind, ekey, holder, resident_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(case_id)
    .bind(kind)
    .bind(key)
    .bind(holder)
    .bind(resident_id)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Import {
    pub id: i64,
    pub case_id: i64,
    /// calls, transfers or copresence.
    pub kind: String,
    pub file_name: String,
    /// csv or parquet.
    pub format: String,
    pub sha256: String,
    pub bytes: i64,
    /// queued, running, done or failed.
    pub state: String,
    /// Rows read so far (accepted and refused).
    pub rows_done: i64,
    pub accepted: i64,
    pub refused: i64,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

fn import(r: &Row) -> Result<Import> {
    Ok(Import {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        kind: r.try_get("kind")?,
        file_name: r.try_get("file_name")?,
        format: r.try_get("format")?,
        sha256: r.try_get("sha256")?,
        bytes: r.try_get("bytes")?,
        state: r.try_get("state")?,
        rows_done: r.try_get("rows_done")?,
        accepted: r.try_get("accepted")?,
        refused: r.try_get("refused")?,
        error: r.try_get("error")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

pub struct NewImport<'a> {
    pub case_id: i64,
    pub kind: &'a str,
    pub file_name: &'a str,
    pub format: &'a str,
    pub sha256: &'a str,
    pub bytes: i64,
}

pub async fn import_insert(w: &mut Write, actor: &Actor, n: &NewImport<'_>, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO inv_imports (case_id, kind, file_name, format, sha256, bytes, state, rows_done, accepted, refused, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, 0, 0, $7, $8) RETURNING id",
    )
    .bind(n.case_id)
    .bind(n.kind)
    .bind(n.file_name)
    .bind(n.format)
    .bind(n.sha256)
    .bind(n.bytes)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let text = format!("导入 / import #{id} ({}): {}", n.kind, n.file_name);
    super::cases::log(w, actor, n.case_id, "import", &text, now).await?;
    w.audit(actor.audit("investigation.import.upload", "inv_import", id, None, None, n.sha256)).await?;
    Ok(id)
}

pub async fn imports(db: &Db, case_id: i64) -> Result<Vec<Import>> {
    let rows = query("SELECT * FROM inv_imports WHERE case_id = $1 ORDER BY id DESC LIMIT 200")
        .bind(case_id)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(import).collect()
}

pub async fn import_get(db: &Db, case_id: i64, id: i64) -> Result<Import> {
    let row = query("SELECT * FROM inv_imports WHERE case_id = $1 AND id = $2")
        .bind(case_id)
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    import(&row.ok_or(StoreError::NotFound)?)
}

/// Imports not finished: queued, or running when the server stopped (they resume).
pub async fn unfinished(db: &Db) -> Result<Vec<Import>> {
    let rows = query("SELECT * FROM inv_imports WHERE state IN ('queued', 'running') ORDER BY id")
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(import).collect()
}

/// One row turned into a relation.
#[derive(Debug, Clone, Copy)]
pub struct NewRelation {
    pub line: i64,
    pub src: i64,
    pub dst: i64,
    pub kind: &'static str,
    pub at: i64,
    pub amount: i64,
    pub duration: i64,
}

/// Stores a batch of an import's rows with the progress they make, in the caller's
/// transaction: the batch and the count that says it is done commit together, so a restart
/// resumes after the last batch that did.
pub async fn batch(
    w: &mut Write,
    case_id: i64,
    import_id: i64,
    relations: &[NewRelation],
    refusals: &[(i64, String)],
    rows_done: i64,
) -> Result<()> {
    const COLS: usize = 9;
    for chunk in relations.chunks(w.rows_per_insert(COLS)) {
        let mut sql = String::from(
            "INSERT INTO inv_relations (case_id, import_id, line, src, dst, kind, at, amount, duration) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * COLS;
            sql.push('(');
            sql.push_str(&(1..=COLS).map(|k| format!("${}", b + k)).collect::<Vec<_>>().join(", "));
            sql.push(')');
        }
        let mut q = query(&sql);
        for r in chunk {
            q = q
                .bind(case_id)
                .bind(import_id)
                .bind(r.line)
                .bind(r.src)
                .bind(r.dst)
                .bind(r.kind)
                .bind(r.at)
                .bind(r.amount)
                .bind(r.duration);
        }
        q.execute(w.connection()).await?;
    }
    // The first thousand refusals of a file are kept with their reasons; all are counted.
    let kept: i64 = query("SELECT COUNT(*) AS n FROM inv_refusals WHERE import_id = $1")
        .bind(import_id)
        .fetch_one(w.connection())
        .await?
        .try_get("n")?;
    for (line, reason) in refusals.iter().take(1000usize.saturating_sub(kept as usize)) {
        query("INSERT INTO inv_refusals (import_id, line, reason) VALUES ($1, $2, $3)")
            .bind(import_id)
            .bind(line)
            .bind(reason)
            .execute(w.connection())
            .await?;
    }
    query(
        "UPDATE inv_imports SET state = 'running', rows_done = $1, accepted = accepted + $2, refused = refused + $3 \
         WHERE id = $4",
    )
    .bind(rows_done)
    .bind(relations.len() as i64)
    .bind(refusals.len() as i64)
    .bind(import_id)
    .execute(w.connection())
    .await?;
    Ok(())
}

/// Ends an import: done, or failed with why (the rows stored before stay).
pub async fn import_finish(w: &mut Write, actor: &Actor, imp: &Import, error: Option<&str>, now: i64) -> Result<()> {
    let state = if error.is_some() { "failed" } else { "done" };
    query("UPDATE inv_imports SET state = $1, error = $2, finished_at = $3 WHERE id = $4")
        .bind(state)
        .bind(error)
        .bind(now)
        .bind(imp.id)
        .execute(w.connection())
        .await?;
    let fresh =
        query("SELECT accepted, refused FROM inv_imports WHERE id = $1").bind(imp.id).fetch_one(w.connection()).await?;
    let (accepted, refused): (i64, i64) = (fresh.try_get("accepted")?, fresh.try_get("refused")?);
    let text = match error {
        None => format!("导入完成 / import #{} done: {accepted} 接收 / accepted, {refused} 拒绝 / refused", imp.id),
        Some(e) => format!("导入失败 / import #{} failed: {e}", imp.id),
    };
    super::cases::log(w, actor, imp.case_id, "import", &text, now).await?;
    w.audit(actor.audit("investigation.import.finish", "inv_import", imp.id, None, None, &text)).await?;
    Ok(())
}

pub async fn refusals(db: &Db, import_id: i64, limit: i64) -> Result<Vec<(i64, String)>> {
    let rows = query("SELECT line, reason FROM inv_refusals WHERE import_id = $1 ORDER BY line LIMIT $2")
        .bind(import_id)
        .bind(limit)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(|r| Ok((r.try_get("line")?, r.try_get("reason")?))).collect()
}

/// A relation as the engine takes it: (record id, src, dst, kind, at, amount).
pub type Edge = (i64, i64, i64, String, i64, i64);

/// Every relation of the case, for building its graph.
pub async fn edges(db: &Db, case_id: i64) -> Result<Vec<Edge>> {
    let rows = query("SELECT id, src, dst, kind, at, amount FROM inv_relations WHERE case_id = $1")
        .bind(case_id)
        .fetch_all(db.reader())
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("src")?,
                r.try_get("dst")?,
                r.try_get("kind")?,
                r.try_get("at")?,
                r.try_get("amount")?,
            ))
        })
        .collect()
}

/// What the graph of a case was built from: it is built again when this changes. Relations
/// are only ever added, and every other change to entities (a holder learnt, an entity added
/// by hand) comes with new relations or an import or entity line in the case log, so the
/// newest of each says it — not a count of a million rows on every question, and a note in
/// the log does not make the graph be built again.
pub async fn version(db: &Db, case_id: i64) -> Result<(i64, i64)> {
    let r = query(
        "SELECT (SELECT MAX(id) FROM inv_relations WHERE case_id = $1) AS rel, \
         (SELECT MAX(id) FROM inv_log WHERE case_id = $1 AND kind IN ('import', 'entity')) AS log",
    )
    .bind(case_id)
    .fetch_one(db.reader())
    .await?;
    Ok((r.try_get::<Option<i64>, _>("rel")?.unwrap_or(0), r.try_get::<Option<i64>, _>("log")?.unwrap_or(0)))
}

/// A source record as the team reads it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Record {
    pub id: i64,
    pub src: i64,
    pub dst: i64,
    pub kind: String,
    pub at: i64,
    /// Fen.
    pub amount: i64,
    /// Seconds, for calls.
    pub duration: i64,
    pub import_id: i64,
    pub file_name: String,
    pub line: i64,
}

#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    /// Records touching these entities (a person and what they hold)…
    pub entity: Vec<i64>,
    /// …and these (the records behind one link).
    pub other: Vec<i64>,
    pub kind: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub async fn records(db: &Db, case_id: i64, q: &RecordQuery, page: PageRequest) -> Result<Page<Record>> {
    let mut f = Filter::new();
    let c = f.arg_i64(case_id);
    f.cond(format!("r.case_id = {c}"));
    if !q.entity.is_empty() {
        let list = |f: &mut Filter, ids: &[i64]| ids.iter().map(|&i| f.arg_i64(i)).collect::<Vec<_>>().join(", ");
        let p = list(&mut f, &q.entity);
        if q.other.is_empty() {
            f.cond(format!("(r.src IN ({p}) OR r.dst IN ({p}))"));
        } else {
            let o = list(&mut f, &q.other);
            f.cond(format!("((r.src IN ({p}) AND r.dst IN ({o})) OR (r.src IN ({o}) AND r.dst IN ({p})))"));
        }
    }
    if let Some(k) = &q.kind {
        let p = f.arg_text(k.clone());
        f.cond(format!("r.kind = {p}"));
    }
    if let Some(t) = q.from {
        let p = f.arg_i64(t);
        f.cond(format!("r.at >= {p}"));
    }
    if let Some(t) = q.to {
        let p = f.arg_i64(t);
        f.cond(format!("r.at < {p}"));
    }
    ningan_store::sql::paged(
        db,
        "r.*, i.file_name",
        "inv_relations r JOIN inv_imports i ON i.id = r.import_id",
        "inv_relations r",
        &f,
        "r.at, r.id",
        page,
        |r| {
            Ok(Record {
                id: r.try_get("id")?,
                src: r.try_get("src")?,
                dst: r.try_get("dst")?,
                kind: r.try_get("kind")?,
                at: r.try_get("at")?,
                amount: r.try_get("amount")?,
                duration: r.try_get("duration")?,
                import_id: r.try_get("import_id")?,
                file_name: r.try_get("file_name")?,
                line: r.try_get("line")?,
            })
        },
    )
    .await
}

/// Names of register residents, for labelling the people of a case.
pub async fn resident_names(db: &Db, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let mut f = Filter::new();
        let list: Vec<String> = chunk.iter().map(|&i| f.arg_i64(i)).collect();
        f.cond(format!("id IN ({})", list.join(", ")));
        let sql = format!("SELECT id, name FROM residents WHERE {}", f.where_sql());
        for r in f.bind(&sql).fetch_all(db.reader()).await? {
            out.insert(r.try_get("id")?, r.try_get("name")?);
        }
    }
    Ok(out)
}

/// Adds many entities at once (a generator's, or a register's), none of them known yet.
pub async fn entities_bulk(
    w: &mut Write,
    case_id: i64,
    rows: &[(&str, String, Option<i64>, Option<i64>)],
) -> Result<()> {
    for chunk in rows.chunks(w.rows_per_insert(5)) {
        let mut sql = String::from("INSERT INTO inv_entities (case_id, kind, ekey, holder, resident_id) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 5;
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5));
        }
        let mut q = query(&sql);
        for (kind, key, holder, resident) in chunk {
            q = q.bind(case_id).bind(*kind).bind(key.as_str()).bind(*holder).bind(*resident);
        }
        q.execute(w.connection()).await?;
    }
    Ok(())
}

/// The ids of a case's entities of one kind, by key.
pub async fn ids_of_kind(w: &mut Write, case_id: i64, kind: &str) -> Result<std::collections::HashMap<String, i64>> {
    let rows = query("SELECT id, ekey FROM inv_entities WHERE case_id = $1 AND kind = $2")
        .bind(case_id)
        .bind(kind)
        .fetch_all(w.connection())
        .await?;
    rows.iter().map(|r| Ok((r.try_get("ekey")?, r.try_get("id")?))).collect()
}

/// Marks a generated import finished with the rows it holds.
pub async fn import_loaded(w: &mut Write, id: i64, rows: i64, now: i64) -> Result<()> {
    query("UPDATE inv_imports SET state = 'done', rows_done = $1, accepted = $1, finished_at = $2 WHERE id = $3")
        .bind(rows)
        .bind(now)
        .bind(id)
        .execute(w.connection())
        .await?;
    Ok(())
}

/// ID numbers of register residents, for adding the people a suspect met to the case.
pub async fn resident_numbers(db: &Db, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let mut f = Filter::new();
        let list: Vec<String> = chunk.iter().map(|&i| f.arg_i64(i)).collect();
        f.cond(format!("id IN ({})", list.join(", ")));
        let sql = format!("SELECT id, id_number FROM residents WHERE {}", f.where_sql());
        for r in f.bind(&sql).fetch_all(db.reader()).await? {
            out.insert(r.try_get("id")?, r.try_get("id_number")?);
        }
    }
    Ok(out)
}

/// The ids of a case's entities of one kind with these keys.
pub async fn ids_for_keys(w: &mut Write, case_id: i64, kind: &str, keys: &[String]) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        let mut f = Filter::new();
        let c = f.arg_i64(case_id);
        let k = f.arg_text(kind.to_string());
        let list: Vec<String> = chunk.iter().map(|key| f.arg_text(key.clone())).collect();
        f.cond(format!("case_id = {c} AND kind = {k} AND ekey IN ({})", list.join(", ")));
        let sql = format!("SELECT id, ekey FROM inv_entities WHERE {}", f.where_sql());
        for r in f.bind(&sql).fetch_all(w.connection()).await? {
            out.push((r.try_get("ekey")?, r.try_get("id")?));
        }
    }
    Ok(out)
}
