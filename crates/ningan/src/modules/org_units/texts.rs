//! The org units module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.units", "组织机构", "Org units"),
    ("units.tree", "单位树", "Unit tree"),
    ("units.kind", "类别", "Kind"),
    ("units.code", "代码", "Code"),
    ("units.officers", "民警账号", "Officer accounts"),
    ("units.children", "下级单位", "Sub-units"),
];
