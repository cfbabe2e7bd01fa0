//! Extractors whose rejections are problem documents like every other error, so a client
//! never has to parse axum's plain-text rejections.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};

use crate::http::error::{ApiError, ErrorCode};

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

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
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                ErrorCode::MalformedRequest,
                "需要 Content-Type: application/json",
                "expected Content-Type: application/json",
            ),
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
