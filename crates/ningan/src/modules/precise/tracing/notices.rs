//! Publishing a case's exposure places to the public (风险点位公告): a page anyone can read
//! and the same notices as a Common Alerting Protocol 1.2 document for alerting systems.
//! Notices name the venue, its address and the window, never the case.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ningan_store::{NewNotice, Notice};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cases::run_investigation;
use crate::app::AppState;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;
use crate::web::{PageResult, html};

/// Notices stay on the public page for this long after their window ends.
const SHOWN_DAYS: i64 = 14;

#[derive(Debug, Serialize, JsonSchema)]
pub struct PublishDto {
    pub published: u64,
    pub places: usize,
}

/// Publishes a case's exposure places to the public page and the CAP feed. It cannot be taken
/// back from those who saw it, so it needs a reason, kept in the audit log.
pub async fn publish_case(state: &AppState, ctx: &Ctx, case_id: i64, reason: &str) -> ApiResult<PublishDto> {
    let reason = reason.trim();
    if !(2..=200).contains(&reason.chars().count()) {
        return Err(refuse("reason", Rule::Reason(2, 200)));
    }
    let (_, inv) = run_investigation(state, ctx, case_id, None, None).await?;
    let ids: Vec<i64> = inv.windows.iter().map(|w| i64::from(w.space)).collect();
    let venues: std::collections::HashMap<i64, ningan_store::Venue> =
        state.db.venues_by_ids(&ids).await?.into_iter().map(|v| (v.id, v)).collect();
    let places: Vec<NewNotice> = inv
        .windows
        .iter()
        .filter_map(|w| {
            let v = venues.get(&i64::from(w.space))?;
            Some(NewNotice {
                venue_id: v.id,
                venue_name: v.name.clone(),
                address: v.address.clone(),
                location: v.location,
                from_ms: i64::from(w.from) * 1000,
                to_ms: i64::from(w.to) * 1000,
            })
        })
        .collect();
    let mut w = state.db.write().await?;
    let published = w.notices_publish(&ctx.actor(), case_id, &places, reason).await?;
    w.commit().await?;
    Ok(PublishDto { published, places: places.len() })
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PublishRequest {
    /// Why the places go public now (kept in the audit log).
    pub reason: String,
}

pub(super) async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<PublishRequest>,
) -> ApiResult<axum::Json<PublishDto>> {
    Ok(axum::Json(publish_case(&state, &ctx, id, &req.reason).await?))
}

async fn current(state: &AppState) -> ApiResult<Vec<Notice>> {
    let since = ningan_core::time::now_ms() - SHOWN_DAYS * 86_400_000;
    Ok(state.db.notices_current(since, 500).await?)
}

#[derive(Template)]
#[template(path = "precise/public_exposure.html")]
struct PublicPage {
    tr: crate::web::Tr,
    here: String,
    rows: Vec<(String, String, String, String, String)>,
}

pub(super) async fn public_page(
    State(state): State<AppState>,
    crate::web::lang::Lang(tr): crate::web::lang::Lang,
) -> PageResult {
    let fmt = ningan_core::time::format_ms;
    let rows = current(&state)
        .await?
        .into_iter()
        .map(|n| (n.venue_name, n.address, fmt(n.from_ms), fmt(n.to_ms), fmt(n.published_at)))
        .collect();
    Ok(html(StatusCode::OK, &PublicPage { tr, here: "/public/exposure".into(), rows }))
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// CAP 1.2: one alert, one `info` block per exposure place with its window as onset and
/// expiry and a 200 m circle around the venue.
pub fn cap_document(notices: &[Notice], sent_ms: i64) -> String {
    let rfc = |ms: i64| ningan_core::time::rfc3339_ms(ms - ms % 1000).replace(".000", "");
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n");
    out.push_str(&format!("  <identifier>ningan-exposure-{sent_ms}</identifier>\n"));
    out.push_str("  <sender>ningan.ningbo.police</sender>\n");
    out.push_str(&format!("  <sent>{}</sent>\n", rfc(sent_ms)));
    out.push_str("  <status>Actual</status>\n  <msgType>Alert</msgType>\n  <scope>Public</scope>\n");
    for n in notices {
        out.push_str("  <info>\n    <language>zh-CN</language>\n    <category>Health</category>\n");
        out.push_str("    <event>新冠病毒暴露风险点位</event>\n");
        out.push_str(
            "    <urgency>Immediate</urgency>\n    <severity>Moderate</severity>\n    <certainty>Likely</certainty>\n",
        );
        out.push_str(&format!("    <onset>{}</onset>\n", rfc(n.from_ms)));
        out.push_str(&format!("    <expires>{}</expires>\n", rfc(n.to_ms + SHOWN_DAYS * 86_400_000)));
        out.push_str(&format!("    <headline>{}</headline>\n", xml(&format!("风险点位：{}", n.venue_name))));
        out.push_str(&format!(
            "    <description>{}</description>\n",
            xml(&format!(
                "{} 至 {}，{}（{}）有病例活动。",
                ningan_core::time::format_ms(n.from_ms),
                ningan_core::time::format_ms(n.to_ms),
                n.venue_name,
                n.address
            ))
        ));
        out.push_str(
            "    <instruction>同时段到过该场所的市民请立即向所在社区报告，配合核酸检测和健康监测。</instruction>\n",
        );
        out.push_str(&format!(
            "    <area>\n      <areaDesc>{}</areaDesc>\n      <circle>{:.6},{:.6} 0.2</circle>\n    </area>\n",
            xml(&format!("{} {}", n.venue_name, n.address)),
            n.location[1],
            n.location[0]
        ));
        out.push_str("  </info>\n");
    }
    out.push_str("</alert>\n");
    out
}

pub(super) async fn public_cap(State(state): State<AppState>) -> ApiResult<Response> {
    let notices = current(&state).await?;
    let body = cap_document(&notices, ningan_core::time::now_ms());
    Ok(([(header::CONTENT_TYPE, "application/cap+xml; charset=utf-8")], body).into_response())
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(
            Method::POST,
            "/api/cases/{id}/publish",
            Access::Action(Action::CaseManage),
            "precise",
            "发布风险点位公告",
        )
        .response::<PublishDto>(),
        post(publish),
    )
    .add(
        Op::api(Method::GET, "/public/exposure.xml", Access::Public, "public", "风险点位公告（CAP 1.2）")
            .produces("application/cap+xml"),
        get(public_cap),
    )
    .add(Op::page(Method::GET, "/public/exposure", Access::Public, "风险点位公告"), get(public_page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_document_escapes_text_and_carries_one_info_per_place() {
        let n = Notice {
            id: 1,
            venue_name: "A&B <面馆>".into(),
            address: "中山路1号".into(),
            location: [121.55, 29.87],
            from_ms: 1_700_000_000_000,
            to_ms: 1_700_003_600_000,
            published_at: 1_700_010_000_000,
        };
        let doc = cap_document(&[n.clone(), n], 1_700_010_000_000);
        assert!(doc.starts_with("<?xml"));
        assert_eq!(doc.matches("<info>").count(), 2);
        assert!(doc.contains("A&amp;B &lt;面馆&gt;"), "{doc}");
        assert!(doc.contains("<circle>29.870000,121.550000 0.2</circle>"), "{doc}");
        assert!(doc.contains("<sent>2023-11-15T09:00:00+08:00</sent>"), "{doc}");
        assert!(!doc.contains(".000"), "CAP times carry no fractions: {doc}");
    }
}
