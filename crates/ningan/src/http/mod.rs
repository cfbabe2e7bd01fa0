//! The HTTP layer shared by every module: the route table with its access checks, the
//! principal, errors as problem documents, extractors, idempotency, metrics, OpenAPI.

pub mod api;
pub mod dto;
pub mod error;
pub mod events;
pub mod files;
pub mod headers;
pub mod idempotency;
pub mod json;
pub mod limit;
pub mod metrics;
pub mod ndjson;
pub mod openapi;
pub mod principal;
pub mod request_id;
pub mod reveal;
pub mod rule;
pub mod schema;
pub mod shown;
