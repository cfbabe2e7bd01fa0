//! The precise module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.venues", "场所码", "Venues"),
    ("nav.cases", "病例流调", "Cases & tracing"),
    ("nav.followups", "密接管控", "Contact follow-ups"),
    ("nav.zones", "管控区域", "Control zones"),
    ("nav.quarantine", "隔离管理", "Quarantine"),
    ("nav.arrivals", "来甬人员", "Arrivals"),
    ("nav.gates", "小区门岗", "Compound gates"),
    ("nav.visitors", "外来人员", "Visitors"),
    ("nav.handovers", "外市协查", "Hand-overs received"),
    ("pass.title", "通行码", "Pass"),
];
