//! The engine as this server holds it: the analyser for the rules in force (rebuilt when
//! analysts put in new ones) with the city's org units and compounds in the dictionary, and
//! the near-duplicate index of the groups active in the last month (loaded on first use).

use std::sync::{Arc, RwLock};

use ningan_opinion::{Analyzer, Groups, RuleSet, Segmenter};
use ningan_store::sql::{RowExt as _, query};
use ningan_store::{Db, Result};

use super::store;

/// Groups quiet for longer than this are not joined again: an old story reposted starts anew.
pub const GROUP_DAYS: i64 = 30;

pub struct Engine {
    pub analyzer: Analyzer,
    pub source: String,
    /// Keys authors' pseudonyms: without it a guessed handle cannot be checked against one.
    pub author_key: Vec<u8>,
}

const AUTHOR_KEY: &str = "opinion.author_key";

/// The key authors' pseudonyms are made with, created at random on first use and kept in
/// the settings (another process's, if it stored one first).
async fn author_key(db: &Db) -> Result<Vec<u8>> {
    if let Some(k) = db.setting(AUTHOR_KEY).await?.and_then(|h| hex::decode(h).ok()) {
        return Ok(k);
    }
    let fresh = crate::secrets::random_hex(32);
    let mut w = db.write().await?;
    w.setting_set(AUTHOR_KEY, &fresh).await?;
    w.commit().await?;
    let stored = db.setting(AUTHOR_KEY).await?.unwrap_or(fresh);
    hex::decode(stored).map_err(|e| ningan_store::StoreError::Invalid(format!("{AUTHOR_KEY}: {e}")))
}

impl Engine {
    pub fn version(&self) -> &str {
        &self.analyzer.rules.version
    }
}

#[derive(Default)]
pub struct Shared {
    engine: RwLock<Option<Arc<Engine>>>,
    /// Held across an ingest's group assignment and its commit, so two batches never start
    /// the same story twice.
    pub groups: tokio::sync::Mutex<Option<Groups>>,
}

/// The place and unit names the segmenter keeps whole.
async fn names(db: &Db) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for sql in ["SELECT name FROM org_units", "SELECT name FROM compounds"] {
        for r in query(sql).fetch_all(db.reader()).await? {
            out.push(r.try_get::<String, _>("name")?);
        }
    }
    for d in ningan_core::district::DISTRICTS {
        out.push(d.name.to_string());
    }
    Ok(out)
}

/// Builds the analyser for a rule set (jieba's dictionary loads in a fraction of a second,
/// off the async threads).
pub async fn build(db: &Db, rules: RuleSet, source: String) -> Result<Engine> {
    let names = names(db).await?;
    let analyzer = tokio::task::spawn_blocking(move || {
        let words: Vec<String> = rules.words().map(str::to_string).collect();
        let segmenter = Segmenter::new(names.iter().map(String::as_str).chain(words.iter().map(String::as_str)));
        Analyzer::new(segmenter, rules)
    })
    .await
    .map_err(|e| ningan_store::StoreError::Invalid(format!("building the opinion engine: {e}")))?;
    Ok(Engine { analyzer, source, author_key: author_key(db).await? })
}

impl Shared {
    /// The engine for the rules in force, built on first use.
    pub async fn engine(&self, db: &Db) -> Result<Arc<Engine>> {
        if let Some(e) = self.engine.read().map_err(|_| poisoned())?.as_ref() {
            return Ok(e.clone());
        }
        let source = store::rules::current(db).await?.unwrap_or_else(|| ningan_opinion::rules::DEFAULT.to_string());
        // Stored versions were checked when they were put in; the shipped set is tested.
        let rules = RuleSet::parse(&source)
            .or_else(|_| RuleSet::parse(ningan_opinion::rules::DEFAULT))
            .map_err(|e| ningan_store::StoreError::Invalid(e.to_string()))?;
        let built = Arc::new(build(db, rules, source).await?);
        let mut slot = self.engine.write().map_err(|_| poisoned())?;
        Ok(slot.get_or_insert(built).clone())
    }

    /// Puts a newly built engine in force.
    pub fn replace(&self, engine: Engine) -> Result<()> {
        *self.engine.write().map_err(|_| poisoned())? = Some(Arc::new(engine));
        Ok(())
    }

    /// The near-duplicate index, loaded from storage on first use.
    pub async fn load_groups(&self, db: &Db, now: i64) -> Result<tokio::sync::MutexGuard<'_, Option<Groups>>> {
        let mut guard = self.groups.lock().await;
        if guard.is_none() {
            let mut g = Groups::default();
            for (id, fp) in store::posts::fingerprints(db, now - GROUP_DAYS * 86_400_000).await? {
                g.insert(id, fp);
            }
            *guard = Some(g);
        }
        Ok(guard)
    }
}

fn poisoned() -> ningan_store::StoreError {
    ningan_store::StoreError::Invalid("opinion engine lock poisoned".into())
}
