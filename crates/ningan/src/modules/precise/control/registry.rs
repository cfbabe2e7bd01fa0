//! What gate decisions need, held in memory so that deciding touches no database: each
//! restricted person's status, each gate's compound and the control zone it stands in, and the
//! key that verifies passes. Loaded once from the database, then kept current by the events
//! that change it (a case registered, a follow-up moved, a zone drawn or lifted, a gate added).

use std::collections::HashMap;
use std::sync::RwLock;

use ed25519_dalek::{SigningKey, VerifyingKey};
use ningan_core::gate::{PersonStatus, ZoneLevel};
use ningan_core::geo::MultiPolygon;
use ningan_core::pass::{Pass, PassError};
use ningan_store::{Db, Gate, StoreError, Zone};
use tokio::sync::OnceCell;

/// Gate passes are recorded in the tracing engine as presences in this space range.
pub const GATE_SPACE_BASE: u32 = 1_500_000_000;

#[derive(Debug, Clone)]
pub struct GateEntry {
    pub compound_id: i64,
    pub unit_path: String,
    pub location: [f64; 2],
    pub zone: ZoneLevel,
}

struct ZoneShape {
    level: ZoneLevel,
    shape: MultiPolygon,
}

#[derive(Default)]
pub struct Registry {
    loaded: OnceCell<()>,
    statuses: RwLock<HashMap<u32, PersonStatus>>,
    gates: RwLock<HashMap<i64, GateEntry>>,
    zones: RwLock<Vec<ZoneShape>>,
    key: OnceCell<SigningKey>,
    /// Passes whose signature checked, by token: a resident shows the same pass at the same
    /// gates many times a day, and verifying an Ed25519 signature is most of a check's cost.
    /// Only good signatures are kept (validity in time is decided on every check), so forged
    /// tokens cannot fill it.
    verified: RwLock<HashMap<String, Pass>>,
}

/// Verified passes remembered at most; the memory is cleared when full.
const VERIFIED_MAX: usize = 200_000;

fn severity(s: i64) -> PersonStatus {
    match s {
        3 => PersonStatus::Case,
        2 => PersonStatus::CloseContact,
        1 => PersonStatus::Secondary,
        _ => PersonStatus::Normal,
    }
}

/// A stored zone's level and shape; zones whose geometry no longer parses are skipped.
fn zone_shape(z: &Zone) -> Option<ZoneShape> {
    let geometry: serde_json::Value = serde_json::from_str(&z.geometry).ok()?;
    Some(ZoneShape { level: ZoneLevel::parse(&z.level)?, shape: crate::geo::geometry(&geometry)? })
}

impl Registry {
    /// Loads statuses, gates and zones on first use.
    pub async fn ensure_loaded(&self, db: &Db) -> Result<(), StoreError> {
        self.loaded
            .get_or_try_init(|| async {
                let mut statuses = db.person_statuses(None).await?;
                statuses.extend(crate::modules::precise::tracing::handover::received_statuses(db, None).await?);
                let zones: Vec<ZoneShape> = db.zones_unlifted().await?.iter().filter_map(zone_shape).collect();
                if let Ok(mut z) = self.zones.write() {
                    *z = zones;
                }
                if let Ok(mut map) = self.statuses.write() {
                    for (id, s) in statuses {
                        if let Ok(id) = u32::try_from(id) {
                            let s = severity(s);
                            let e = map.entry(id).or_insert(s);
                            *e = (*e).max(s);
                        }
                    }
                }
                for g in db.gate_directory().await? {
                    self.put_gate(&g);
                }
                Ok::<(), StoreError>(())
            })
            .await
            .map(|_| ())
    }

    /// The key that signs and verifies passes: from the settings, made on first use.
    pub async fn signing_key(&self, db: &Db) -> Result<&SigningKey, StoreError> {
        self.key
            .get_or_try_init(|| async {
                if let Some(k) =
                    db.setting("pass.signing_key").await?.and_then(|h| ningan_core::pass::signing_key_from_hex(&h))
                {
                    return Ok(k);
                }
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                let mut w = db.write().await?;
                w.setting_set("pass.signing_key", &ningan_core::pass::signing_key_to_hex(&key)).await?;
                w.commit().await?;
                // Another process may have stored its key first: use whichever is stored.
                let stored = db.setting("pass.signing_key").await?;
                Ok(stored.and_then(|h| ningan_core::pass::signing_key_from_hex(&h)).unwrap_or(key))
            })
            .await
    }

    /// Opens a pass token with the key, remembering good signatures.
    pub fn open_pass(&self, token: &str, key: &VerifyingKey) -> Result<Pass, PassError> {
        if let Some(p) = self.verified.read().ok().and_then(|v| v.get(token).copied()) {
            return Ok(p);
        }
        let pass = Pass::open(token, key)?;
        if let Ok(mut v) = self.verified.write() {
            if v.len() >= VERIFIED_MAX {
                v.clear();
            }
            v.insert(token.to_string(), pass);
        }
        Ok(pass)
    }

    pub fn status(&self, person: u32) -> PersonStatus {
        self.statuses.read().ok().and_then(|m| m.get(&person).copied()).unwrap_or(PersonStatus::Normal)
    }

    pub fn gate(&self, id: i64) -> Option<GateEntry> {
        self.gates.read().ok()?.get(&id).cloned()
    }

    /// Re-reads one person's status after a change that concerns them.
    pub async fn refresh_person(&self, db: &Db, resident_id: i64) -> Result<(), StoreError> {
        self.refresh_people(db, &[resident_id]).await
    }

    /// Re-reads the statuses of the people a change concerned, a few hundred per query: an
    /// investigation confirms thousands of contacts at once.
    pub async fn refresh_people(&self, db: &Db, resident_ids: &[i64]) -> Result<(), StoreError> {
        if self.loaded.get().is_none() || resident_ids.is_empty() {
            return Ok(());
        }
        let mut worst: HashMap<i64, PersonStatus> = HashMap::new();
        let mut statuses = db.person_statuses(Some(resident_ids)).await?;
        // Contacts other cities handed over count as this city's own follow-ups.
        statuses.extend(crate::modules::precise::tracing::handover::received_statuses(db, Some(resident_ids)).await?);
        for (id, s) in statuses {
            let e = worst.entry(id).or_insert(PersonStatus::Normal);
            *e = (*e).max(severity(s));
        }
        if let Ok(mut map) = self.statuses.write() {
            for id in resident_ids {
                let Ok(person) = u32::try_from(*id) else { continue };
                match worst.get(id) {
                    Some(s) if *s > PersonStatus::Normal => map.insert(person, *s),
                    _ => map.remove(&person),
                };
            }
        }
        Ok(())
    }

    fn zone_at(&self, p: [f64; 2]) -> ZoneLevel {
        self.zones
            .read()
            .map(|zs| zs.iter().filter(|z| z.shape.contains(p)).map(|z| z.level).max().unwrap_or(ZoneLevel::None))
            .unwrap_or(ZoneLevel::None)
    }

    pub fn put_gate(&self, g: &Gate) {
        let entry = GateEntry {
            compound_id: g.compound_id,
            unit_path: g.unit_path.clone(),
            location: g.location,
            zone: self.zone_at(g.location),
        };
        if let Ok(mut gates) = self.gates.write() {
            gates.insert(g.id, entry);
        }
    }

    /// Re-reads the unlifted zones and re-places every gate after a zone changed.
    pub async fn refresh_zones(&self, db: &Db) -> Result<(), StoreError> {
        if self.loaded.get().is_none() {
            return Ok(());
        }
        let zones: Vec<ZoneShape> = db.zones_unlifted().await?.iter().filter_map(zone_shape).collect();
        if let Ok(mut z) = self.zones.write() {
            *z = zones;
        }
        let ids: Vec<(i64, [f64; 2])> =
            self.gates.read().map(|g| g.iter().map(|(id, e)| (*id, e.location)).collect()).unwrap_or_default();
        for (id, location) in ids {
            let zone = self.zone_at(location);
            if let Ok(mut gates) = self.gates.write()
                && let Some(e) = gates.get_mut(&id)
            {
                e.zone = zone;
            }
        }
        Ok(())
    }
}
