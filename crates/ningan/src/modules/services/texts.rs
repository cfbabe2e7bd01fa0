//! The services module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.applications", "办事申请", "Applications"),
    ("nav.deliveries", "变更联办推送", "Identity-change deliveries"),
    ("nav.catalogue", "办事事项目录", "Service catalogue"),
    ("nav.questions", "群众疑问", "Citizens' questions"),
];
