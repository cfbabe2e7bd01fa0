//! Exposure rules as data: the rules changed several times in 2020–2022, so each carries its
//! version and the date it took effect, and every answer names the rule it used.

use std::collections::HashMap;

use crate::model::{SpaceKind, Time};

#[derive(Debug, Clone, PartialEq)]
pub struct ExposureRule {
    /// e.g. "第九版" (9th edition).
    pub version: String,
    /// Seconds since the epoch when the rule took effect.
    pub effective_from: Time,
    /// How far before onset (or sampling) the case's presences count.
    pub lookback: Time,
    /// Margin added before and after each of the case's visits.
    pub buffer_before: Time,
    pub buffer_after: Time,
    /// Shared time one visit needs to count as contact.
    pub min_overlap: Time,
    /// Alternatively, shared time over the whole window that makes a contact even when no
    /// single visit reaches `min_overlap`. `None`: per-visit only.
    pub min_cumulative: Option<Time>,
    /// Weight of each kind of space in the contact's score; a kind weighted 0 is ignored.
    pub kind_weights: HashMap<SpaceKind, f32>,
}

impl ExposureRule {
    /// The 9th-edition venue-code practice: four days back, ±30 minutes around each visit,
    /// any shared minute counts.
    pub fn ninth_edition() -> ExposureRule {
        ExposureRule {
            version: "第九版 (2022-06)".into(),
            effective_from: 1_656_000_000,
            lookback: 4 * 86_400,
            buffer_before: 30 * 60,
            buffer_after: 30 * 60,
            min_overlap: 60,
            min_cumulative: None,
            kind_weights: SpaceKind::ALL.iter().map(|k| (*k, 1.0)).collect(),
        }
    }

    /// The editions an investigator may choose, by key, newest first: the 9th (2022-06) and
    /// 8th (2021-05) editions of the national protocol look four days back from onset (or
    /// sampling), the 6th (2020-03) two; the venue-code practice of ±30 minutes and any
    /// shared minute is applied under each.
    pub const EDITIONS: &'static [&'static str] = &["ninth", "eighth", "sixth"];

    /// The edition named `key` (one of [`ExposureRule::EDITIONS`]).
    pub fn edition(key: &str) -> Option<ExposureRule> {
        let ninth = ExposureRule::ninth_edition();
        match key {
            "ninth" => Some(ninth),
            "eighth" => {
                Some(ExposureRule { version: "第八版 (2021-05)".into(), effective_from: 1_620_662_400, ..ninth })
            }
            "sixth" => Some(ExposureRule {
                version: "第六版 (2020-03)".into(),
                effective_from: 1_583_510_400,
                lookback: 2 * 86_400,
                ..ninth
            }),
            _ => None,
        }
    }

    pub fn weight(&self, kind: SpaceKind) -> f32 {
        self.kind_weights.get(&kind).copied().unwrap_or(1.0)
    }
}

/// How the two companion conditions combine; published versions of the rule disagree, so
/// both are settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    Either,
    Both,
}

/// The cell-grid companion rule (时空伴随): the same ~800 m cell for more than ten minutes,
/// combined with a cumulative stay of more than 30 hours over 14 days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanionRule {
    pub version: String,
    pub min_stay: Time,
    pub min_cumulative: Time,
    pub combine: Combine,
    pub lookback: Time,
}

impl CompanionRule {
    pub fn standard() -> CompanionRule {
        CompanionRule {
            version: "时空伴随 (10 min / 30 h / 14 d)".into(),
            min_stay: 10 * 60,
            min_cumulative: 30 * 3600,
            combine: Combine::Either,
            lookback: 14 * 86_400,
        }
    }
}
