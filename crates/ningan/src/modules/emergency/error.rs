//! Typhoon and flood response's errors: each kind has a stable code (`emergency.…`) and its
//! text in Chinese and English; storage errors keep their cause.

use ningan_core::emergency::EvacuationNotAllowed;
use ningan_core::pass::PassError;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::rule::{Refusal, Rule};

#[derive(Debug, thiserror::Error)]
pub enum EmergencyError {
    #[error("{0}：{1}")]
    Field(&'static str, Rule),
    #[error("{} / {}", .0.zh(), .0)]
    Step(EvacuationNotAllowed),
    #[error("安置点已满（{capacity}人）/ the shelter is full ({capacity} places)")]
    Full { capacity: i64, room: String },
    #[error("此人已在“{shelter}”安置 / already staying at {shelter}")]
    Staying { shelter: String },
    #[error("{0}")]
    Pass(PassError),
    #[error("事件已结束 / the event is over")]
    Closed,
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for EmergencyError {
    const MODULE: &'static str = "emergency";

    fn kind(&self) -> &'static str {
        match self {
            EmergencyError::Field(_, rule) => rule.code(),
            EmergencyError::Step(_) => "step",
            EmergencyError::Full { .. } => "full",
            EmergencyError::Staying { .. } => "staying",
            EmergencyError::Pass(e) => e.code(),
            EmergencyError::Closed => "closed",
            EmergencyError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            EmergencyError::Field(f, _) => Some(f),
            EmergencyError::Pass(_) => Some("pass"),
            _ => None,
        }
    }
}

impl From<EmergencyError> for ApiError {
    fn from(e: EmergencyError) -> ApiError {
        match e {
            EmergencyError::Store(s) => ApiError::from(s),
            EmergencyError::Field(field, rule) => rule.refuse(EmergencyError::MODULE, field),
            EmergencyError::Step(n) => ApiError::new(ErrorCode::Conflict, n.zh(), n.to_string()),
            EmergencyError::Full { capacity, room } => ApiError::new(
                ErrorCode::Conflict,
                format!("安置点已满（{capacity}人）。尚有空位：{room}"),
                format!("the shelter is full ({capacity} places). Room at: {room}"),
            ),
            EmergencyError::Staying { shelter } => ApiError::new(
                ErrorCode::Conflict,
                format!("此人已在“{shelter}”登记安置"),
                format!("this person is staying at {shelter} already"),
            ),
            EmergencyError::Closed => ApiError::new(ErrorCode::Conflict, "事件已结束，不能再办理", "the event is over"),
            other => other.refused(),
        }
    }
}
