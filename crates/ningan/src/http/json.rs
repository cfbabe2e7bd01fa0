//! Extractors whose rejections are problem documents like every other error, so a client
//! never has to parse axum's plain-text rejections.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::http::error::{ApiError, ErrorCode};

/// A JSON body, as `axum::Json` reads it, except that a whole number written with a
/// fraction (`3.0`) is taken where an integer is expected: JSON Schema's `integer`, which
/// the document states, includes it, and some clients' numbers always carry one.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(missing_content_type());
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::plain(ErrorCode::PayloadTooLarge)
            } else {
                let text = e.body_text();
                ApiError::new(ErrorCode::MalformedRequest, format!("请求体读取失败：{text}"), text)
            }
        })?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection @ JsonRejection::JsonDataError(_)) => {
                with_whole_numbers(&bytes).map(Json).ok_or_else(|| ApiError::from(rejection))
            }
            Err(rejection) => Err(rejection.into()),
        }
    }
}

/// `application/json` or a `+json` type, as axum's own extractor accepts.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn missing_content_type() -> ApiError {
    ApiError::new(
        ErrorCode::MalformedRequest,
        "需要 Content-Type: application/json",
        "expected Content-Type: application/json",
    )
}

/// The body read again with every whole number written as an integer, if that makes it fit.
fn with_whole_numbers<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let mut v: Value = serde_json::from_slice(bytes).ok()?;
    if !integral_floats_to_integers(&mut v) {
        return None;
    }
    serde_json::from_value(v).ok()
}

/// Rewrites `3.0` as `3` throughout (within the range a double holds exactly); whether any
/// number changed.
fn integral_floats_to_integers(v: &mut Value) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= EXACT => {
                *v = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |changed, i| integral_floats_to_integers(i) | changed),
        Value::Object(m) => m.values_mut().fold(false, |changed, i| integral_floats_to_integers(i) | changed),
        _ => false,
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let text = r.body_text();
        match r {
            JsonRejection::JsonDataError(_) => {
                ApiError::new(ErrorCode::Validation, format!("字段不符合要求：{text}"), text)
            }
            JsonRejection::BytesRejection(_) if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::plain(ErrorCode::PayloadTooLarge)
            }
            JsonRejection::MissingJsonContentType(_) => missing_content_type(),
            _ => ApiError::new(ErrorCode::MalformedRequest, format!("JSON 格式错误：{text}"), text),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        let text = r.body_text();
        ApiError::new(ErrorCode::Validation, format!("查询参数有误：{text}"), text)
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> ApiError {
        // A malformed id cannot name an existing record.
        let _ = r;
        ApiError::plain(ErrorCode::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Counts {
        days: i64,
        share: f64,
        list: Vec<u32>,
    }

    #[test]
    fn whole_numbers_with_a_fraction_fit_integer_fields_and_fractions_do_not() {
        let taken: Option<Counts> = with_whole_numbers(br#"{"days": 30.0, "share": 0.5, "list": [1.0, 2]}"#);
        assert_eq!(taken, Some(Counts { days: 30, share: 0.5, list: vec![1, 2] }));
        let refused: Option<Counts> = with_whole_numbers(br#"{"days": 30.5, "share": 0.5, "list": []}"#);
        assert_eq!(refused, None);
        let beyond: Option<Counts> = with_whole_numbers(br#"{"days": 1e300, "share": 1, "list": []}"#);
        assert_eq!(beyond, None);
    }

    #[test]
    fn json_and_its_suffixed_types_are_json() {
        let with = |ct: &str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert(axum::http::header::CONTENT_TYPE, ct.parse().expect("a header value"));
            json_content_type(&h)
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!json_content_type(&axum::http::HeaderMap::new()));
    }
}
