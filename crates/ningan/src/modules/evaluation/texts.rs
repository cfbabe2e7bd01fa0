//! Evaluation's UI texts, Chinese and English.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.evaluation", "测评与评议", "Surveys and reviews"),
    ("nav.scenarios", "应用场景", "Scenarios"),
    ("nav.reports", "月度报告", "Monthly reports"),
    ("evaluation.questionnaires", "问卷", "Questionnaires"),
    ("evaluation.waves", "测评轮次", "Survey waves"),
    ("evaluation.reviews", "民主评议", "Public review"),
];

/// A module's name as the catalogue and the report show it.
pub fn module_label(m: &str, en: bool) -> &'static str {
    let (zh, e) = match m {
        "precise" => ("精密智控", "Precise control"),
        "fraud" => ("反诈预警劝阻", "Anti-fraud"),
        "services" => ("便民服务", "Citizen services"),
        "enterprise" => ("惠企服务", "Enterprise services"),
        "life" => ("生命至上", "Life first"),
        "command" => ("情指勤舆", "Integrated command"),
        "opinion" => ("舆情", "Public opinion"),
        "emergency" => ("抗台防汛", "Typhoon and flood"),
        "security" => ("重大活动安保", "Major-event security"),
        "investigation" => ("侦查打击", "Investigation"),
        "evaluation" => ("测评与评议", "Evaluation"),
        "residents" | "population" => ("人口管理", "Population"),
        _ => ("其他", "Other"),
    };
    if en { e } else { zh }
}
