//! Typhoon and flood response's UI texts, Chinese and English.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.emergency", "抗台防汛", "Typhoon and flood"),
    ("nav.emergency_shelters", "避灾安置点", "Shelters"),
    ("nav.emergency_needs", "困难群众需求", "Recorded needs"),
    ("emergency.households", "转移名单", "Evacuation list"),
    ("emergency.report", "态势报告", "Situation report"),
];
