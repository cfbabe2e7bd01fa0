//! Questionnaires and their versions, waves with their population frame and targets, and
//! the anonymous answers. A questionnaire belongs to the unit that made it; officers see
//! those of their units and of the units above them (the city's survey reaches every station).

use ningan_core::survey::Question;
use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, Scope, StoreError, Write};

/// Restricts `column` to units within `scope` or above `unit_path`.
pub fn visible(f: &mut Filter, scope: &Scope, unit_path: &str, column: &str) {
    let (lo, hi) = scope.range();
    let (lo, hi) = (f.arg_text(lo), f.arg_text(hi));
    let mut above = Vec::new();
    for (i, _) in unit_path.match_indices('/').skip(1) {
        above.push(f.arg_text(unit_path[..=i].to_string()));
    }
    let above = if above.is_empty() { String::new() } else { format!(" OR {column} IN ({})", above.join(", ")) };
    f.cond(format!("(({column} >= {lo} AND {column} < {hi}){above})"));
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::State(e.to_string())
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Questionnaire {
    pub id: i64,
    pub title: String,
    pub title_en: String,
    pub unit_path: String,
    /// The newest version's number.
    pub latest: i64,
    pub created_by: String,
    pub created_at: i64,
}

fn questionnaire(r: &Row) -> Result<Questionnaire> {
    Ok(Questionnaire {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        title_en: r.try_get("title_en")?,
        unit_path: r.try_get("unit_path")?,
        latest: r.try_get("latest")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

const Q_COLUMNS: &str = "q.id, q.title, q.title_en, q.unit_path, q.created_by, q.created_at, \
     (SELECT MAX(version) FROM ev_versions v WHERE v.questionnaire_id = q.id) AS latest";

pub async fn questionnaires(db: &Db, scope: &Scope, unit_path: &str) -> Result<Vec<Questionnaire>> {
    let mut f = Filter::new();
    visible(&mut f, scope, unit_path, "q.unit_path");
    let sql =
        format!("SELECT {Q_COLUMNS} FROM ev_questionnaires q WHERE {} ORDER BY q.id DESC LIMIT 500", f.where_sql());
    f.bind(&sql).fetch_all(db.reader()).await?.iter().map(questionnaire).collect()
}

pub async fn questionnaire_get(db: &Db, scope: &Scope, unit_path: &str, id: i64) -> Result<Questionnaire> {
    let mut f = Filter::new();
    visible(&mut f, scope, unit_path, "q.unit_path");
    let id = f.arg_i64(id);
    let sql = format!("SELECT {Q_COLUMNS} FROM ev_questionnaires q WHERE {} AND q.id = {id}", f.where_sql());
    questionnaire(&f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}

pub struct NewQuestionnaire<'a> {
    pub title: &'a str,
    pub title_en: &'a str,
    pub unit_id: i64,
    pub unit_path: &'a str,
}

/// A questionnaire with its first version.
pub async fn questionnaire_insert(
    w: &mut Write,
    actor: &Actor,
    n: &NewQuestionnaire<'_>,
    questions: &[Question],
    now: i64,
) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO ev_questionnaires (title, title_en, unit_id, unit_path, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(n.title)
    .bind(n.title_en)
    .bind(n.unit_id)
    .bind(n.unit_path)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("evaluation.questionnaire.create", "ev_questionnaire", id, None, None, n.title)).await?;
    version_insert(w, actor, id, questions, now).await?;
    Ok(id)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Version {
    pub id: i64,
    pub questionnaire_id: i64,
    pub version: i64,
    pub questions: Vec<Question>,
    pub created_by: String,
    pub created_at: i64,
    /// Answers received under it: a version with answers is never changed.
    pub answers: i64,
}

fn version(r: &Row) -> Result<Version> {
    let questions: String = r.try_get("questions")?;
    Ok(Version {
        id: r.try_get("id")?,
        questionnaire_id: r.try_get("questionnaire_id")?,
        version: r.try_get("version")?,
        questions: serde_json::from_str(&questions).map_err(json_err)?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        answers: r.try_get("answers")?,
    })
}

const V_COLUMNS: &str = "v.*, (SELECT COUNT(*) FROM ev_answers a JOIN ev_waves w ON w.id = a.wave_id \
     WHERE w.version_id = v.id) AS answers";

/// The next version of a questionnaire.
pub async fn version_insert(
    w: &mut Write,
    actor: &Actor,
    questionnaire: i64,
    questions: &[Question],
    now: i64,
) -> Result<i64> {
    let next: i64 = query("SELECT COALESCE(MAX(version), 0) + 1 AS n FROM ev_versions WHERE questionnaire_id = $1")
        .bind(questionnaire)
        .fetch_one(w.connection())
        .await?
        .try_get("n")?;
    let body = serde_json::to_string(questions).map_err(json_err)?;
    let id: i64 = query(
        "INSERT INTO ev_versions (questionnaire_id, version, questions, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(questionnaire)
    .bind(next)
    .bind(body)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit(
        "evaluation.version.create",
        "ev_questionnaire",
        questionnaire,
        None,
        None,
        &format!("v{next}"),
    ))
    .await?;
    Ok(id)
}

/// Replaces a version's questions, unless answers have arrived under it (then `false`).
pub async fn version_replace(w: &mut Write, actor: &Actor, id: i64, questions: &[Question]) -> Result<bool> {
    let body = serde_json::to_string(questions).map_err(json_err)?;
    let changed = query(
        "UPDATE ev_versions SET questions = $1 WHERE id = $2 AND NOT EXISTS \
         (SELECT 1 FROM ev_answers a JOIN ev_waves w ON w.id = a.wave_id WHERE w.version_id = $2)",
    )
    .bind(body)
    .bind(id)
    .execute(w.connection())
    .await?
    .rows_affected();
    if changed == 1 {
        w.audit(actor.audit("evaluation.version.edit", "ev_version", id, None, None, "")).await?;
    }
    Ok(changed == 1)
}

pub async fn versions(db: &Db, questionnaire: i64) -> Result<Vec<Version>> {
    let sql = format!("SELECT {V_COLUMNS} FROM ev_versions v WHERE v.questionnaire_id = $1 ORDER BY v.version DESC");
    query(&sql).bind(questionnaire).fetch_all(db.reader()).await?.iter().map(version).collect()
}

pub async fn version_get(db: &Db, id: i64) -> Result<Version> {
    let sql = format!("SELECT {V_COLUMNS} FROM ev_versions v WHERE v.id = $1");
    version(&query(&sql).bind(id).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Wave {
    pub id: i64,
    pub questionnaire_id: i64,
    pub version_id: i64,
    pub name: String,
    pub opens_at: i64,
    pub closes_at: i64,
    pub sample_size: i64,
    pub unit_path: String,
    pub answers: i64,
}

fn wave(r: &Row) -> Result<Wave> {
    Ok(Wave {
        id: r.try_get("id")?,
        questionnaire_id: r.try_get("questionnaire_id")?,
        version_id: r.try_get("version_id")?,
        name: r.try_get("name")?,
        opens_at: r.try_get("opens_at")?,
        closes_at: r.try_get("closes_at")?,
        sample_size: r.try_get("sample_size")?,
        unit_path: r.try_get("unit_path")?,
        answers: r.try_get("answers")?,
    })
}

const W_COLUMNS: &str = "w.id, w.questionnaire_id, w.version_id, w.name, w.opens_at, w.closes_at, w.sample_size, \
     w.unit_path, (SELECT COUNT(*) FROM ev_answers a WHERE a.wave_id = w.id) AS answers";

pub struct NewWave<'a> {
    pub questionnaire_id: i64,
    pub version_id: i64,
    pub name: &'a str,
    pub opens_at: i64,
    pub closes_at: i64,
    pub sample_size: i64,
    pub unit_id: i64,
    pub unit_path: &'a str,
}

/// A wave with its frame (adults per district, sex and age band) and targets per district.
pub async fn wave_insert(
    w: &mut Write,
    actor: &Actor,
    n: &NewWave<'_>,
    frame: &[(u32, &str, &str, i64)],
    targets: &[(u32, i64)],
    now: i64,
) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO ev_waves (questionnaire_id, version_id, name, opens_at, closes_at, sample_size, unit_id, unit_path, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(n.questionnaire_id)
    .bind(n.version_id)
    .bind(n.name)
    .bind(n.opens_at)
    .bind(n.closes_at)
    .bind(n.sample_size)
    .bind(n.unit_id)
    .bind(n.unit_path)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    for (district, sex, age, population) in frame {
        query("INSERT INTO ev_frames (wave_id, district, sex, age_band, population) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(*district as i64)
            .bind(*sex)
            .bind(*age)
            .bind(*population)
            .execute(w.connection())
            .await?;
    }
    for (district, target) in targets {
        query("INSERT INTO ev_targets (wave_id, district, target) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(*district as i64)
            .bind(*target)
            .execute(w.connection())
            .await?;
    }
    w.audit(actor.audit("evaluation.wave.create", "ev_wave", id, None, None, n.name)).await?;
    Ok(id)
}

/// Waves the viewer sees, of one questionnaire or all, newest first.
pub async fn waves(db: &Db, scope: &Scope, unit_path: &str, questionnaire: Option<i64>) -> Result<Vec<Wave>> {
    let mut f = Filter::new();
    visible(&mut f, scope, unit_path, "w.unit_path");
    if let Some(q) = questionnaire {
        let q = f.arg_i64(q);
        f.cond(format!("w.questionnaire_id = {q}"));
    }
    let sql = format!(
        "SELECT {W_COLUMNS} FROM ev_waves w WHERE {} ORDER BY w.opens_at DESC, w.id DESC LIMIT 500",
        f.where_sql()
    );
    f.bind(&sql).fetch_all(db.reader()).await?.iter().map(wave).collect()
}

pub async fn wave_get(db: &Db, scope: &Scope, unit_path: &str, id: i64) -> Result<Wave> {
    let mut f = Filter::new();
    visible(&mut f, scope, unit_path, "w.unit_path");
    let id = f.arg_i64(id);
    let sql = format!("SELECT {W_COLUMNS} FROM ev_waves w WHERE {} AND w.id = {id}", f.where_sql());
    wave(&f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}

/// A wave by id, whoever asks: for the public form, which reaches it through a link.
pub async fn wave_by_id(db: &Db, id: i64) -> Result<Wave> {
    let sql = format!("SELECT {W_COLUMNS} FROM ev_waves w WHERE w.id = $1");
    wave(&query(&sql).bind(id).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}

/// `(district, sex, age band, population)` of a wave's frame.
pub async fn frame(db: &Db, wave: i64) -> Result<Vec<(i64, String, String, i64)>> {
    let rows = query("SELECT district, sex, age_band, population FROM ev_frames WHERE wave_id = $1")
        .bind(wave)
        .fetch_all(db.reader())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("district")?, r.try_get("sex")?, r.try_get("age_band")?, r.try_get("population")?)))
        .collect()
}

pub async fn targets(db: &Db, wave: i64) -> Result<Vec<(i64, i64)>> {
    let rows = query("SELECT district, target FROM ev_targets WHERE wave_id = $1 ORDER BY district")
        .bind(wave)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(|r| Ok((r.try_get("district")?, r.try_get("target")?))).collect()
}

/// An answer as the results read it: district, sex, age band, channel, answers (JSON).
pub type AnswerRow = (i64, String, String, String, String);

pub async fn answers(db: &Db, wave: i64) -> Result<Vec<AnswerRow>> {
    let rows = query("SELECT district, sex, age_band, channel, answers FROM ev_answers WHERE wave_id = $1 ORDER BY id")
        .bind(wave)
        .fetch_all(db.reader())
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("district")?,
                r.try_get("sex")?,
                r.try_get("age_band")?,
                r.try_get("channel")?,
                r.try_get("answers")?,
            ))
        })
        .collect()
}

pub struct NewAnswer<'a> {
    pub wave_id: i64,
    pub district: u32,
    pub sex: &'a str,
    pub age_band: &'a str,
    pub channel: &'a str,
    pub answers: &'a str,
    pub received_on: &'a str,
}

pub async fn answer_insert(w: &mut Write, actor: &Actor, n: &NewAnswer<'_>) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO ev_answers (wave_id, district, sex, age_band, channel, answers, received_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(n.wave_id)
    .bind(n.district as i64)
    .bind(n.sex)
    .bind(n.age_band)
    .bind(n.channel)
    .bind(n.answers)
    .bind(n.received_on)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    // The wave, not the answer, is the object: the trail's time would otherwise pair an
    // answer with the link used that moment.
    w.audit(actor.audit("evaluation.answer", "ev_wave", n.wave_id, None, None, n.channel)).await?;
    Ok(id)
}

/// Adults in the register per district, sex and birth year, for a wave's frame.
pub async fn register_adults(db: &Db) -> Result<Vec<(i64, String, i64, i64)>> {
    // The district is the path's second segment: `/330200/330203/…`.
    let rows = query(
        "SELECT substr(unit_path, 9, 6) AS district, gender, substr(birth_date, 1, 4) AS year, COUNT(*) AS n \
         FROM residents GROUP BY substr(unit_path, 9, 6), gender, substr(birth_date, 1, 4)",
    )
    .fetch_all(db.reader())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let district: String = r.try_get("district")?;
        let year: String = r.try_get("year")?;
        if let (Ok(d), Ok(y)) = (district.parse::<i64>(), year.parse::<i64>()) {
            out.push((d, r.try_get("gender")?, y, r.try_get("n")?));
        }
    }
    Ok(out)
}
