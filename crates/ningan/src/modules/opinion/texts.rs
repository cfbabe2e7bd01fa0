//! Public opinion's UI texts, Chinese and English.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.opinion", "舆情看板", "Public opinion"),
    ("nav.opinion_alerts", "舆情预警", "Opinion alerts"),
    ("opinion.rules", "话题规则", "Topic rules"),
    ("opinion.import", "导入舆情信息", "Import posts"),
];
