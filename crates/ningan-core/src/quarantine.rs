//! Isolation rules (硬核隔离) as data: the regimes of 2020–2022 — 14 days of central
//! quarantine, 7 days central plus 3 at home, and the 9th edition's 5 plus 3 — counted from
//! the last exposure, and whether a stay may end: the central days are over and the latest
//! test, taken within the last two days, is negative, with no positive test at all.

pub const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Regime {
    /// 14 days central (the 2020–2021 practice).
    Fourteen,
    /// 7 days central, then 3 of health monitoring at home.
    SevenPlusThree,
    /// 5 days central, then 3 at home (9th edition, 2022).
    FivePlusThree,
}

impl Regime {
    pub const ALL: [Regime; 3] = [Regime::Fourteen, Regime::SevenPlusThree, Regime::FivePlusThree];

    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Fourteen => "14",
            Regime::SevenPlusThree => "7+3",
            Regime::FivePlusThree => "5+3",
        }
    }

    pub fn parse(s: &str) -> Option<Regime> {
        Regime::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Regime::Fourteen => "14天集中隔离",
            Regime::SevenPlusThree => "7天集中隔离+3天居家健康监测",
            Regime::FivePlusThree => "5天集中隔离+3天居家健康监测（第九版）",
        }
    }

    pub fn central_days(self) -> i64 {
        match self {
            Regime::Fourteen => 14,
            Regime::SevenPlusThree => 7,
            Regime::FivePlusThree => 5,
        }
    }

    pub fn home_days(self) -> i64 {
        match self {
            Regime::Fourteen => 0,
            Regime::SevenPlusThree | Regime::FivePlusThree => 3,
        }
    }

    /// (end of central quarantine, end of home monitoring), in ms, from the last exposure.
    pub fn ends(self, last_exposure_ms: i64) -> (i64, i64) {
        let end = last_exposure_ms + self.central_days() * DAY_MS;
        (end, end + self.home_days() * DAY_MS)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestResult {
    Negative,
    Positive,
    Pending,
    None,
}

impl TestResult {
    pub fn parse(s: &str) -> Option<TestResult> {
        Some(match s {
            "negative" => TestResult::Negative,
            "positive" => TestResult::Positive,
            "pending" => TestResult::Pending,
            "none" => TestResult::None,
            _ => return None,
        })
    }
}

/// Why a stay may not end yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotYet {
    /// The central days are not over.
    NotDue,
    /// A test came back positive: the person is a case now, not a contact.
    Positive,
    /// No negative test within the last two days.
    NoRecentNegative,
}

impl NotYet {
    pub fn code(self) -> &'static str {
        match self {
            NotYet::NotDue => "not_due",
            NotYet::Positive => "positive_test",
            NotYet::NoRecentNegative => "no_recent_negative",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            NotYet::NotDue => "未到解除隔离日期",
            NotYet::Positive => "核酸检测阳性，不能解除",
            NotYet::NoRecentNegative => "近2天内无阴性核酸结果",
        }
    }
}

/// Whether a stay ending at `end_ms` may end at `now_ms`, given its reports (time, result).
pub fn may_release(end_ms: i64, now_ms: i64, reports: &[(i64, TestResult)]) -> Result<(), NotYet> {
    if reports.iter().any(|(_, r)| *r == TestResult::Positive) {
        return Err(NotYet::Positive);
    }
    if now_ms < end_ms {
        return Err(NotYet::NotDue);
    }
    let recent_negative = reports
        .iter()
        .filter(|(at, r)| *r == TestResult::Negative && *at <= now_ms && now_ms - *at <= 2 * DAY_MS)
        .count();
    if recent_negative == 0 {
        return Err(NotYet::NoRecentNegative);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regimes_count_from_the_last_exposure() {
        assert_eq!(Regime::Fourteen.ends(0), (14 * DAY_MS, 14 * DAY_MS));
        assert_eq!(Regime::FivePlusThree.ends(DAY_MS), (6 * DAY_MS, 9 * DAY_MS));
        for r in Regime::ALL {
            assert_eq!(Regime::parse(r.as_str()), Some(r));
        }
        assert_eq!(Regime::parse("21"), None);
    }

    #[test]
    fn release_needs_the_days_and_a_recent_negative_test_and_no_positive() {
        let end = 10 * DAY_MS;
        let neg = |d: i64| (d, TestResult::Negative);
        assert_eq!(may_release(end, end - 1, &[neg(end - DAY_MS)]), Err(NotYet::NotDue));
        assert_eq!(may_release(end, end, &[]), Err(NotYet::NoRecentNegative));
        assert_eq!(may_release(end, end, &[neg(end - 3 * DAY_MS)]), Err(NotYet::NoRecentNegative));
        assert_eq!(may_release(end, end, &[neg(end - DAY_MS)]), Ok(()));
        assert_eq!(may_release(end, end, &[neg(end - DAY_MS), (2, TestResult::Positive)]), Err(NotYet::Positive));
        assert_eq!(may_release(end, end, &[(end, TestResult::Pending)]), Err(NotYet::NoRecentNegative));
    }
}
