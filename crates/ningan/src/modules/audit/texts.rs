//! The audit module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.audit", "审计日志", "Audit log"),
    ("audit.actor", "操作者", "Actor"),
    ("audit.person", "人员编号", "Person id"),
    ("audit.action", "操作", "Action"),
    ("audit.from", "起始日期", "From"),
    ("audit.to", "截止日期", "To"),
    ("audit.at", "时间", "Time"),
    ("audit.object", "对象", "Object"),
    ("audit.purpose", "事由", "Purpose"),
    ("audit.detail", "说明", "Detail"),
    ("audit.verify", "校验哈希链", "Verify hash chain"),
    ("audit.intact", "哈希链完整", "Hash chain intact"),
    ("audit.broken", "哈希链断裂于第", "Hash chain broken at entry"),
    ("audit.entries", "条记录", "entries"),
];
