//! The fraud module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.fraud", "反诈劝阻", "Fraud dissuasion"),
    ("nav.fraud_board", "反诈督办", "Fraud supervision"),
    ("nav.fraud_rules", "预警规则", "Warning rules"),
    ("nav.fraud_stops", "紧急止付", "Stop-payments"),
    ("nav.fraud_cases", "电诈案件", "Fraud cases"),
    ("nav.fraud_lectures", "反诈宣讲", "Awareness lectures"),
    ("nav.fraud_reports", "群众举报", "Citizen reports"),
];

/// A warning level's Chinese name, from its code (`high`, `medium`, `low`).
pub fn level_zh(code: &str) -> &'static str {
    ningan_fraud::Level::parse(code).map_or("", ningan_fraud::Level::zh)
}
