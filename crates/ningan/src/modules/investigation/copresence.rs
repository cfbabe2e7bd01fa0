//! Co-presence from the tracing engine, for a case's suspects: who shared a place with each
//! suspect found in the register, over the last days the engine still holds, added to the
//! case as relations of one import (so each keeps its source like a file's rows do).

use ningan_core::time::now_ms;

use super::store::records::{self, Import, NewImport, NewRelation};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::principal::Principal;
use crate::http::rule::Rule;

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct CoPresenceInput {
    /// Person entities of the case to trace (those in the register); all of them when empty.
    #[serde(default)]
    #[schemars(length(max = 50))]
    pub persons: Vec<i64>,
    /// How many days back, 1–14 (the engine keeps its retention's worth).
    #[schemars(range(min = 1, max = 14))]
    pub days: u32,
}

/// At most this many suspects traced at once.
const MAX_SUSPECTS: usize = 50;

pub async fn from_tracing(state: &AppState, p: &Principal, case_id: i64, input: &CoPresenceInput) -> ApiResult<Import> {
    if !(1..=14).contains(&input.days) {
        return Err(Rule::Range(1, 14).refuse("investigation", "days"));
    }
    let all = records::entities(&state.db, case_id).await?;
    let suspects: Vec<(i64, i64)> = all
        .iter()
        .filter(|e| e.kind == "person" && (input.persons.is_empty() || input.persons.contains(&e.id)))
        .filter_map(|e| e.resident_id.map(|r| (e.id, r)))
        .collect();
    if let Some(bad) = input.persons.iter().find(|id| !suspects.iter().any(|s| s.0 == **id)) {
        let rule = Rule::context(
            format!("对象 {bad} 不是本案在人口库中的人员"),
            format!("entity {bad} is not a person of this case found in the register"),
        );
        return Err(rule.refuse("investigation", "persons"));
    }
    if suspects.is_empty() {
        let rule = Rule::context("本案还没有在人口库中的人员", "no person of this case is in the register yet");
        return Err(rule.refuse("investigation", "persons"));
    }
    if suspects.len() > MAX_SUSPECTS {
        let rule = Rule::context(
            format!("一次最多追踪{MAX_SUSPECTS}人"),
            format!("at most {MAX_SUSPECTS} people are traced at once"),
        );
        return Err(rule.refuse("investigation", "persons"));
    }
    let now_s = crate::modules::precise::tracing::tracer::now_s();
    let from = now_s.saturating_sub(input.days * 86_400);
    let tracer = state.precise.tracer.clone();
    let people: Vec<(i64, i64)> = suspects.clone();
    let met = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for (entity, resident) in people {
            let Ok(id) = crate::modules::precise::tracing::tracer::engine_id(resident) else { continue };
            for c in tracer.met(id, from, now_s)? {
                out.push((entity, i64::from(c.person), i64::from(c.first_exposure) * 1000, c.shared_visits));
            }
        }
        Ok::<_, crate::modules::precise::tracing::tracer::TraceError>(out)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    // The people met, by their ID number in the register.
    let mut ids: Vec<i64> = met.iter().map(|m| m.1).collect();
    ids.sort_unstable();
    ids.dedup();
    let numbers = records::resident_numbers(&state.db, &ids).await?;
    let now = now_ms();
    let actor = p.actor();
    let name = format!(
        "精密智控轨迹：{}名嫌疑人近{}天 / tracing: {} suspects, {} days",
        suspects.len(),
        input.days,
        suspects.len(),
        input.days
    );
    let mut w = state.db.write().await?;
    let new = NewImport { case_id, kind: "copresence", file_name: &name, format: "trace", sha256: "", bytes: 0 };
    let import = records::import_insert(&mut w, &actor, &new, now).await?;
    let mut relations = Vec::new();
    for (line, (entity, resident, at, _visits)) in met.iter().enumerate() {
        let Some(number) = numbers.get(resident) else { continue };
        let other = records::entity_upsert(&mut w, case_id, "person", number, None, Some(*resident)).await?;
        if other != *entity {
            relations.push(NewRelation {
                line: line as i64 + 1,
                src: *entity,
                dst: other,
                kind: "copresence",
                at: *at,
                amount: 0,
                duration: 0,
            });
        }
    }
    records::batch(&mut w, case_id, import, &relations, &[], met.len() as i64).await?;
    records::import_loaded(&mut w, import, relations.len() as i64, now).await?;
    let persons: Vec<i64> = suspects.iter().map(|s| s.1).collect();
    w.audit_showing(
        actor.audit("investigation.copresence", "inv_import", import, None, None, &format!("{} met", relations.len())),
        &persons,
    )
    .await?;
    w.commit().await?;
    Ok(records::import_get(&state.db, case_id, import).await?)
}
