//! Evaluation's errors: each kind has a stable code (`evaluation.…`) and its text in Chinese
//! and English; storage errors keep their cause.

use ningan_core::survey::Problem;

use crate::http::error::{ApiError, ErrorCode, FieldError};
use crate::http::rule::{Refusal, Rule};

#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    #[error("{0}：{1}")]
    Field(&'static str, Rule),
    /// The questionnaire's problems, by question.
    #[error("问卷有误 / the questionnaire has problems")]
    Questions(Vec<Problem>),
    /// The answers' problems, by question key.
    #[error("答卷有误 / the answers have problems")]
    Answers(Vec<Problem>),
    #[error("此链接已使用，每个链接只能提交一次 / this link has been used: one answer per link")]
    LinkUsed,
    #[error("测评或评议不在进行中 / the survey or review is not open")]
    NotOpen,
    #[error(
        "此版本已有答卷，不能修改；请另存为新版本 / answers have arrived under this version: save a new version instead"
    )]
    VersionAnswered,
    #[error("此意见已回复 / this comment has already been answered")]
    Replied,
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for EvaluationError {
    const MODULE: &'static str = "evaluation";

    fn kind(&self) -> &'static str {
        match self {
            EvaluationError::Field(_, rule) => rule.code(),
            EvaluationError::Questions(_) => "question",
            EvaluationError::Answers(_) => "answer",
            EvaluationError::LinkUsed => "link_used",
            EvaluationError::NotOpen => "not_open",
            EvaluationError::VersionAnswered => "version_answered",
            EvaluationError::Replied => "replied",
            EvaluationError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            EvaluationError::Field(f, _) => Some(f),
            _ => None,
        }
    }
}

fn problems(code: &str, list: &[Problem], prefix: &str) -> ApiError {
    let zh: Vec<String> = list.iter().map(|p| format!("{}：{}", p.at, p.zh)).collect();
    let en: Vec<String> = list.iter().map(|p| format!("{}: {}", p.at, p.en)).collect();
    let mut e = ApiError::new(ErrorCode::Validation, zh.join("；"), en.join("; "));
    e.errors = list
        .iter()
        .map(|p| FieldError {
            field: format!("{prefix}{}", p.at),
            message: format!("{} / {}", p.zh, p.en),
            code: Some(format!("evaluation.{code}")),
        })
        .collect();
    e
}

impl From<EvaluationError> for ApiError {
    fn from(e: EvaluationError) -> ApiError {
        let conflict = |e: &EvaluationError| {
            let text = e.to_string();
            let (zh, en) = crate::http::error::split_bilingual(&text);
            let mut out = ApiError::new(ErrorCode::Conflict, zh, en);
            out.errors.push(FieldError { field: String::new(), message: text.clone(), code: Some(e.code()) });
            out
        };
        match e {
            EvaluationError::Store(s) => ApiError::from(s),
            EvaluationError::Field(field, rule) => rule.refuse(EvaluationError::MODULE, field),
            EvaluationError::Questions(list) => problems("question", &list, "questions."),
            EvaluationError::Answers(list) => problems("answer", &list, ""),
            other => conflict(&other),
        }
    }
}

pub fn field(name: &'static str, rule: Rule) -> EvaluationError {
    EvaluationError::Field(name, rule)
}
