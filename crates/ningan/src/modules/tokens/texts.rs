//! The tokens module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.tokens", "接口令牌", "API tokens"),
    ("tok.name", "名称", "Name"),
    ("tok.prefix", "前缀", "Prefix"),
    ("tok.scopes", "权限范围", "Scopes"),
    ("tok.expires", "到期", "Expires"),
    ("tok.days", "有效天数", "Valid for days"),
    ("tok.revoke", "吊销", "Revoke"),
    ("tok.live", "有效", "Live"),
    ("tok.dead", "已失效", "Not live"),
    (
        "tok.created",
        "令牌已创建。请立即复制，此后无法再次查看：",
        "Token created. Copy it now; it cannot be shown again:",
    ),
];
