//! The route table: every route of the server is added here with the access it needs, so
//! authorisation is declared once and enforced before any handler runs, and the same table
//! generates the OpenAPI document and drives the authorisation matrix test.

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;
use ningan_core::Action;
use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::app::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::principal::{MaybeCitizen, MaybePrincipal};

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Any signed-in officer or device.
    SignedIn,
    Action(Action),
    /// Showing a record's personal data in full: the module's own action over the record (the
    /// same as reading it) and `resident.reveal`. Holding the reveal right alone opens nothing.
    Reveal(Action),
    /// A setting for the whole city (the anti-fraud rule set, the service catalogue, partner
    /// agencies): the action, held at the city bureau. A district's or station's account
    /// with the same role is refused.
    CityWide(Action),
    /// A citizen signed in on the portal (one-time code to the registered phone).
    Citizen,
    /// One criminal case's records (the case is the path's `{id}`): the action, and being on
    /// the case's team or supervising its unit. Anyone else is told the case does not exist.
    Case(Action),
}

impl Access {
    /// The actions a role set must grant to pass (none for public, signed-in and citizen
    /// routes).
    pub fn actions(self) -> Vec<Action> {
        match self {
            Access::Action(a) | Access::CityWide(a) | Access::Case(a) => vec![a],
            Access::Reveal(a) => vec![a, Action::ResidentReveal],
            Access::Public | Access::SignedIn | Access::Citizen => Vec::new(),
        }
    }
}

/// Whether a route answers people (HTML: redirect to login, error pages) or programs (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Api,
    Page,
}

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

#[derive(Clone)]
pub struct Op {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub face: Face,
    pub tag: &'static str,
    pub summary: &'static str,
    pub request: Option<SchemaFn>,
    pub response: Option<SchemaFn>,
    /// Status of the success response.
    pub status: u16,
    /// Path and query parameters, for the OpenAPI document.
    pub params: &'static [(&'static str, &'static str)],
    /// Media types of a request body that is a file rather than JSON.
    pub file_body: &'static [&'static str],
    /// Error statuses the handler itself can answer beyond those its shape implies (see
    /// [`crate::http::openapi::answers`]): a conflict, a rate limit, a refusal of credentials.
    pub answers: &'static [u16],
    /// The media type of a success that is not JSON (a feed, metrics, a file).
    pub produces: Option<&'static str>,
    /// The type the handler parses the query string into: the document's query parameters,
    /// their types and which are required come from it.
    pub query_type: Option<SchemaFn>,
    /// Marked `deprecated` in the document: still served for at least one release, then
    /// removed (CHANGELOG.md, "API").
    pub deprecated: bool,
    /// Request headers the operation requires, as (name, description): the signature
    /// scheme of calls between systems.
    pub headers: &'static [(&'static str, &'static str)],
    /// Headers some callers must send (a partner's signature once its key is registered).
    pub optional_headers: &'static [(&'static str, &'static str)],
}

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// The type's own schema rather than a reference to it: a query type's fields are read one
/// by one into parameters.
fn inline_schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    T::json_schema(g)
}

impl Op {
    pub fn api(method: Method, path: &'static str, access: Access, tag: &'static str, summary: &'static str) -> Op {
        Op {
            method,
            path,
            access,
            face: Face::Api,
            tag,
            summary,
            request: None,
            response: None,
            status: 200,
            params: &[],
            file_body: &[],
            answers: &[],
            produces: None,
            query_type: None,
            deprecated: false,
            headers: &[],
            optional_headers: &[],
        }
    }

    pub fn page(method: Method, path: &'static str, access: Access, summary: &'static str) -> Op {
        Op { face: Face::Page, ..Op::api(method, path, access, "pages", summary) }
    }

    pub fn request<T: JsonSchema>(mut self) -> Op {
        self.request = Some(schema_of::<T>);
        self
    }

    pub fn response<T: JsonSchema>(mut self) -> Op {
        self.response = Some(schema_of::<T>);
        self
    }

    pub fn status(mut self, s: u16) -> Op {
        self.status = s;
        self
    }

    /// The request body is a file of one of these media types.
    pub fn file_body(mut self, types: &'static [&'static str]) -> Op {
        self.file_body = types;
        self
    }

    /// The success is a document of this media type rather than JSON of a declared shape.
    pub fn produces(mut self, media: &'static str) -> Op {
        self.produces = Some(media);
        self
    }

    /// The caller signs: these headers are required.
    pub fn headers(mut self, headers: &'static [(&'static str, &'static str)]) -> Op {
        self.headers = headers;
        self
    }

    /// Headers the document lists as not required of every caller.
    pub fn optional_headers(mut self, headers: &'static [(&'static str, &'static str)]) -> Op {
        self.optional_headers = headers;
        self
    }

    /// Served as before, but going: clients are told by the document for at least one release.
    pub fn deprecated(mut self) -> Op {
        self.deprecated = true;
        self
    }

    /// Error statuses the handler answers besides those every route of its shape can.
    pub fn answers(mut self, statuses: &'static [u16]) -> Op {
        self.answers = statuses;
        self
    }

    /// The handler reads its query string as `T`: each field a parameter, typed and
    /// required as `T` says (descriptions from [`Op::query`] where given).
    pub fn query_type<T: JsonSchema>(mut self) -> Op {
        self.query_type = Some(inline_schema_of::<T>);
        self
    }

    /// Query parameters as (name, description).
    pub fn query(mut self, params: &'static [(&'static str, &'static str)]) -> Op {
        self.params = params;
        self
    }
}

/// Routes plus their declarations.
pub struct Api {
    router: Router<AppState>,
    ops: Vec<Op>,
}

impl Default for Api {
    fn default() -> Self {
        Api { router: Router::new(), ops: Vec::new() }
    }
}

impl Api {
    /// Adds a route; its access check runs before the handler and its extractors.
    pub fn add(mut self, op: Op, handler: MethodRouter<AppState>) -> Api {
        let (access, face) = (op.access, op.face);
        let guarded =
            handler.route_layer(middleware::from_fn(move |req: Request, next: Next| guard(access, face, req, next)));
        self.router = self.router.route(op.path, guarded);
        self.ops.push(op);
        self
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<Op>) {
        (self.router, self.ops)
    }
}

async fn guard(access: Access, face: Face, req: Request, next: Next) -> Response {
    let principal = req.extensions().get::<MaybePrincipal>().and_then(|m| m.0.clone());
    // What a case route's check needs, taken before any await: the request is not `Sync`.
    let case = match access {
        Access::Case(_) => {
            let pattern = req.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_string());
            Some((path_id(req.uri().path(), pattern.as_deref()), req.extensions().get::<AppState>().cloned()))
        }
        _ => None,
    };
    let citizen = req.extensions().get::<MaybeCitizen>().is_some_and(|c| c.0.is_some());
    let outcome = match (access, &principal) {
        (Access::Public, _) => Ok(()),
        (Access::Citizen, _) => {
            if citizen {
                Ok(())
            } else {
                Err(ErrorCode::Unauthenticated)
            }
        }
        (_, None) => Err(ErrorCode::Unauthenticated),
        (Access::SignedIn, Some(_)) => Ok(()),
        (Access::Action(a), Some(p)) => {
            if p.may(a) {
                Ok(())
            } else {
                Err(ErrorCode::Forbidden)
            }
        }
        (Access::CityWide(a), Some(p)) => {
            if p.may(a) && p.unit.kind == ningan_store::UnitKind::City {
                Ok(())
            } else {
                Err(ErrorCode::Forbidden)
            }
        }
        (Access::Reveal(a), Some(p)) => {
            if p.may(a) && p.may(Action::ResidentReveal) {
                Ok(())
            } else {
                Err(ErrorCode::Forbidden)
            }
        }
        (Access::Case(a), Some(p)) => {
            if !p.may(a) {
                Err(ErrorCode::Forbidden)
            } else {
                case_member(case, p).await
            }
        }
    };
    match (outcome, face) {
        // Replays of idempotent posts come after the check, so revoked rights replay nothing.
        (Ok(()), _) => crate::http::idempotency::apply(req, next).await,
        (Err(code), Face::Api) => ApiError::plain(code).into_response(),
        (Err(ErrorCode::NotFound), Face::Page) => match &principal {
            Some(p) => crate::web::page::PageError::not_found().framed(p).into_response(),
            None => crate::web::page::PageError::not_found().into_response(),
        },
        (Err(ErrorCode::Unauthenticated), Face::Page) => {
            let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let login = if access == Access::Citizen { "/portal/login" } else { "/login" };
            let target = format!("{login}?next={}", crate::web::url_encode(next_path));
            Redirect::to(&target).into_response()
        }
        (Err(_), Face::Page) => {
            let lang = principal.as_ref().map(|p| p.language().to_string()).unwrap_or_else(|| "zh".into());
            let body = crate::web::forbidden_page(principal.as_deref(), &lang);
            (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
        }
    }
}

/// Whether the caller is on the team of the case named by the path's `{id}`, or supervises
/// its unit; a case they may not open is not found, as if it did not exist.
async fn case_member(
    case: Option<(Option<i64>, Option<AppState>)>,
    p: &crate::http::principal::Principal,
) -> Result<(), ErrorCode> {
    let Some((Some(id), state)) = case else { return Err(ErrorCode::NotFound) };
    let Some(state) = state else { return Err(ErrorCode::Internal) };
    match crate::modules::investigation::store::cases::may_open(&state.db, p, id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ErrorCode::NotFound),
        Err(e) => {
            tracing::error!(error = %e, "case access check failed");
            Err(ErrorCode::Internal)
        }
    }
}

/// The value of `{id}` in `path`, matched against the route's pattern.
fn path_id(path: &str, pattern: Option<&str>) -> Option<i64> {
    let pattern = pattern?;
    pattern.split('/').zip(path.split('/')).find(|(p, _)| *p == "{id}").and_then(|(_, v)| v.parse().ok())
}
