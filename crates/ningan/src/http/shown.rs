//! Auditing reads that show people: every answer that names a person leaves one entry,
//! indexed under each person shown, so each person's own access record (the portal's "who
//! looked at my data") finds it.

use crate::app::AppState;
use crate::http::error::ApiResult;
use crate::http::principal::Ctx;

/// Records that `ctx` was shown `records` (`object_type` ids, for the trail) naming `persons`
/// (resident ids). Nothing is written when the answer showed nobody.
pub async fn audit_shown(
    state: &AppState,
    ctx: &Ctx,
    action: &str,
    object_type: &str,
    records: &[i64],
    persons: &[i64],
) -> ApiResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = records.iter().map(i64::to_string).collect();
    let object = if records.len() == 1 { records[0] } else { 0 };
    let detail = format!("shown {}", ids.join(","));
    let mut w = state.db.write().await?;
    w.audit_showing(ctx.actor().audit(action, object_type, object, None, None, &detail), persons).await?;
    w.commit().await?;
    Ok(())
}
