//! The API-token page: list tokens of the viewer's units, create one (its secret shown once),
//! revoke.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;

use super::{CreatedToken, TokenDto, TokenSpec, create_token, parse_scopes};
use crate::app::AppState;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::{Frame, PageResult, html};

#[derive(Template)]
#[template(path = "tokens/list.html")]
struct ListPage {
    frame: Frame,
    tokens: Vec<TokenDto>,
    scopes: Vec<(&'static str, &'static str)>,
    created: Option<CreatedToken>,
    name: String,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    created: Option<CreatedToken>,
    name: String,
    error: Option<String>,
) -> PageResult {
    let frame = Frame::for_principal(ctx).crumb("/tokens", "nav.tokens");
    let tokens = state.db.tokens_in_scope(&ctx.scope()).await?.into_iter().map(TokenDto::from).collect();
    let scopes = Action::ALL
        .iter()
        .filter(|a| a.token_scopable())
        .map(|a| (a.as_str(), frame.tr.pick(a.label_zh(), a.as_str())))
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(html(status, &ListPage { frame, tokens, scopes, created, name, error }))
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    list_page(&state, &ctx, None, String::new(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let scopes: Vec<String> = pairs.iter().filter(|(n, _)| n == "scope").map(|(_, v)| v.clone()).collect();
    let name = get("name");
    let days = crate::web::page::form_value::<i64>("days", "有效天数", "Days", &get("days"));
    let result = match (parse_scopes(&scopes), days) {
        (Err(e), _) | (_, Err(e)) => Err(e),
        (Ok(scopes), Ok(days)) => {
            let days = days.unwrap_or(90);
            let spec = TokenSpec {
                name: name.clone(),
                unit_id: ctx.unit.id,
                scopes,
                days,
                created_by: ctx.user().map(|u| u.id),
            };
            create_token(&state.db, &ctx.actor(), &ctx.scope(), spec).await
        }
    };
    match result {
        Ok(created) => list_page(&state, &ctx, Some(created), String::new(), None).await,
        Err(e) => {
            let tr = Frame::for_principal(&ctx).tr;
            list_page(&state, &ctx, None, name, Some(tr.pick(&e.detail_zh, &e.detail_en).to_string())).await
        }
    }
}

pub async fn revoke(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult<Response> {
    let mut w = state.db.write().await?;
    w.token_revoke(&ctx.actor(), &ctx.scope(), id).await?;
    w.commit().await?;
    Ok(Redirect::to("/tokens").into_response())
}
