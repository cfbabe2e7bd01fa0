//! Status and outcome codes with their Chinese and English labels, in one place, so a page in
//! English shows no Chinese status and a page in Chinese no English one. Storage keeps the
//! codes; pages and DTOs show the labels.

/// A code and what a person reads for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

const fn l(code: &'static str, zh: &'static str, en: &'static str) -> Label {
    Label { code, zh, en }
}

/// A citizen's application, in order; `approved` and `rejected` are final.
pub const APPLICATION_STATUS: &[Label] = &[
    l("submitted", "已提交", "Submitted"),
    l("accepted", "已受理", "Accepted"),
    l("approved", "已办结（准予）", "Approved"),
    l("rejected", "不予办理", "Rejected"),
    l("forwarding", "转递中", "Being forwarded"),
];

/// A quarantine health report's test result.
pub const TEST_RESULT: &[Label] = &[
    l("negative", "阴性", "negative"),
    l("positive", "阳性", "positive"),
    l("pending", "待出结果", "pending"),
    l("none", "未检测", "not tested"),
];

/// A fact an application needs: `verified` and `manual_verified` let it be approved.
pub const FACT_STATUS: &[Label] = &[
    l("pending", "核验中", "Being verified"),
    l("verified", "已核验", "Verified"),
    l("manual_pending", "待人工核验", "Awaiting a hand check"),
    l("manual_verified", "人工核验通过", "Verified by hand"),
];

/// An identity change's delivery to one agency.
pub const DELIVERY_STATUS: &[Label] = &[
    l("pending", "待推送", "Pending"),
    l("delivered", "已送达", "Delivered"),
    l("acknowledged", "已确认", "Acknowledged"),
    l("awaiting_validation", "待对方核验", "Awaiting the agency's validation"),
    l("failed", "推送失败，重试中", "Failed, retrying"),
    l("dead", "多次失败，待人工处理", "Dead letter, awaiting a re-drive"),
];

/// A dissuasion task.
pub const TASK_STATUS: &[Label] = &[
    l("open", "待劝阻", "Open"),
    l("transfer", "移交待审核", "Transfer awaiting review"),
    l("done", "已办结", "Done"),
];

/// What a station recorded on a dissuasion task.
pub const TASK_OUTCOME: &[Label] = &[
    l("dissuaded", "已劝阻", "Dissuaded"),
    l("not_reached", "暂时找不到", "Not reached yet"),
    l("unreachable", "确实找不到", "Unreachable"),
    l("mismatch", "不符", "Not the person"),
    l("duplicate", "重复预警", "Duplicate warning"),
    l("sms", "已短信提示", "Warned by SMS"),
];

/// A contact under follow-up.
pub const FOLLOWUP_STATUS: &[Label] = &[
    l("notified", "已通知", "Notified"),
    l("transferred", "已转运", "Transferred"),
    l("quarantined", "隔离中", "In quarantine"),
    l("released", "已解除", "Released"),
];

/// An epidemiological case.
pub const CASE_STATUS: &[Label] = &[
    l("confirmed", "确诊", "Confirmed"),
    l("asymptomatic", "无症状感染者", "Asymptomatic"),
    l("suspected", "疑似", "Suspected"),
    l("discharged", "已出院", "Discharged"),
];

/// Fraud typologies as the rule sets and the watchlist name them (the Ministry of Public
/// Security's common types); the Chinese name is the code. A typology a rule author adds reads
/// as its own name in English too.
pub const FRAUD_TYPOLOGY: &[Label] = &[
    l("刷单返利", "刷单返利", "Paid tasks with rebates"),
    l("虚假投资理财", "虚假投资理财", "Fake investment"),
    l("虚假贷款", "虚假贷款", "Fake loans"),
    l("虚假网络贷款", "虚假网络贷款", "Fake online loans"),
    l("冒充客服", "冒充客服", "Fake customer service"),
    l("冒充电商物流客服", "冒充电商物流客服", "Fake shop or courier service"),
    l("冒充公检法", "冒充公检法", "Fake police, prosecutors or courts"),
    l("冒充领导熟人", "冒充领导熟人", "Impersonating a boss or acquaintance"),
    l("网络婚恋交友", "网络婚恋交友", "Online romance"),
    l("虚假征信", "虚假征信", "Fake credit repair"),
    l("网络游戏虚假交易", "网络游戏虚假交易", "Fake game trading"),
];

/// A typology's English name, or the name itself when it is not a common one.
pub fn typology_en(name: &str) -> &str {
    FRAUD_TYPOLOGY.iter().find(|x| x.code == name).map_or(name, |x| x.en)
}

/// The label of `code` in `table`; an unknown code reads as itself in both languages, so a
/// new code never shows an empty cell.
pub fn label(table: &'static [Label], code: &str) -> (String, String) {
    match table.iter().find(|x| x.code == code) {
        Some(x) => (x.zh.to_string(), x.en.to_string()),
        None => (code.to_string(), code.to_string()),
    }
}

pub fn zh(table: &'static [Label], code: &str) -> &'static str {
    table.iter().find(|x| x.code == code).map_or("", |x| x.zh)
}

pub fn en(table: &'static [Label], code: &str) -> &'static str {
    table.iter().find(|x| x.code == code).map_or("", |x| x.en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages_and_codes_are_unique() {
        for table in [
            APPLICATION_STATUS,
            FACT_STATUS,
            DELIVERY_STATUS,
            TASK_STATUS,
            TASK_OUTCOME,
            FOLLOWUP_STATUS,
            CASE_STATUS,
            FRAUD_TYPOLOGY,
        ] {
            let mut codes: Vec<&str> = table.iter().map(|x| x.code).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), table.len());
            for x in table {
                assert!(!x.zh.is_empty() && x.en.is_ascii() && !x.en.is_empty(), "{x:?}");
                assert!(!x.zh.is_ascii(), "{x:?} has no Chinese label");
            }
        }
        assert_eq!(label(CASE_STATUS, "new_code"), ("new_code".into(), "new_code".into()));
    }
}
