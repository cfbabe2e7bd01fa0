//! The public-opinion (舆情) engine. A post goes through [`Analyzer::analyze`]: its text is
//! cut into words by jieba with the city's places and units added to the dictionary
//! ([`segment`]), scored for sentiment against a lexicon with negation and degree words
//! ([`sentiment`]), matched against the analysts' topic rules ([`rules`]) and fingerprinted
//! with a 64-bit SimHash ([`simhash`]); [`simhash::Groups`] puts near-duplicates — one story
//! reposted a thousand times — in one group. [`spike`] decides whether a topic's count in an
//! hour is above what that hour of the day usually holds.
//!
//! Pure library: no HTTP, no SQL. The application stores posts, groups and alerts.

pub mod rules;
pub mod segment;
pub mod sentiment;
pub mod simhash;
pub mod spike;

pub use rules::{RuleError, RuleSet, Topic};
pub use segment::Segmenter;
pub use sentiment::{Lexicon, Mood};
pub use simhash::{Groups, simhash};
pub use spike::{Baseline, Spike, SpikeParams};

/// What the engine makes of one post.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// −1 (very negative) to 1 (very positive).
    pub sentiment: f64,
    pub mood: Mood,
    /// The ids of the topics whose rules it matches, in rule order.
    pub topics: Vec<String>,
    /// Whether it names the city, one of its places or units, or the police.
    pub mentions_city: bool,
    pub simhash: u64,
}

/// Segmenter, lexicon and rules together: one per rule-set version.
pub struct Analyzer {
    pub segmenter: Segmenter,
    pub lexicon: Lexicon,
    pub rules: RuleSet,
}

impl Analyzer {
    pub fn new(segmenter: Segmenter, rules: RuleSet) -> Analyzer {
        Analyzer { segmenter, lexicon: Lexicon::default(), rules }
    }

    pub fn analyze(&self, text: &str) -> Analysis {
        let words = self.segmenter.words(text);
        let (sentiment, mood) = self.lexicon.score(&words);
        let mentions_city = words.iter().any(|w| self.segmenter.is_local(w));
        let topics = self.rules.matching(&words, mentions_city);
        Analysis { simhash: simhash(&words), sentiment, mood, topics, mentions_city }
    }
}
