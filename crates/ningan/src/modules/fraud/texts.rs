//! The fraud module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.fraud", "反诈劝阻", "Fraud dissuasion"),
    ("nav.fraud_board", "反诈督办", "Fraud supervision"),
    ("nav.fraud_rules", "预警规则", "Warning rules"),
];
