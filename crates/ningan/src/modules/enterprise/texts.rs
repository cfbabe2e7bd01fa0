//! Enterprise services' UI texts, Chinese and English.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.enterprises", "企业服务", "Enterprise services"),
    ("nav.enterprise_requests", "涉企诉求", "Enterprise requests"),
    ("enterprise.import", "导入企业名录", "Import the register"),
    ("enterprise.notices", "涉企通知", "Notices to enterprises"),
];
