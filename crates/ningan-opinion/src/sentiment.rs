//! A lexicon sentiment score. Each sentiment word carries a weight; a negation word within
//! the two words before it flips it ("不满意"), a degree word before it scales it ("非常
//! 满意"). The sum goes through tanh(sum / 3) into −1…1, and ±0.2 divides positive, neutral
//! and negative. Explainable and cheap, not a model: it reads a complaint about "积水" as
//! negative and thanks to "民警" as positive, and can be wrong about irony.

use rustc_hash::FxHashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mood {
    Positive,
    Neutral,
    Negative,
}

impl Mood {
    pub fn as_str(self) -> &'static str {
        match self {
            Mood::Positive => "positive",
            Mood::Neutral => "neutral",
            Mood::Negative => "negative",
        }
    }
}

const POSITIVE: &[(&str, f64)] = &[
    ("满意", 2.0),
    ("感谢", 2.0),
    ("谢谢", 1.5),
    ("点赞", 2.0),
    ("好评", 2.0),
    ("称赞", 2.0),
    ("表扬", 2.0),
    ("暖心", 2.0),
    ("温暖", 1.5),
    ("热心", 1.5),
    ("热情", 1.5),
    ("及时", 1.5),
    ("迅速", 1.5),
    ("高效", 1.5),
    ("专业", 1.0),
    ("负责", 1.0),
    ("耐心", 1.0),
    ("细致", 1.0),
    ("安全", 1.0),
    ("放心", 1.5),
    ("方便", 1.0),
    ("便民", 1.5),
    ("给力", 1.5),
    ("优秀", 1.5),
    ("辛苦", 1.0),
    ("守护", 1.0),
    ("平安", 1.0),
    ("成功", 1.0),
    ("救援", 0.5),
    ("获救", 1.5),
    ("破获", 1.5),
    ("追回", 1.5),
    ("感动", 1.5),
    ("赞", 1.5),
    ("好", 0.5),
];

const NEGATIVE: &[(&str, f64)] = &[
    ("投诉", 2.0),
    ("不满", 2.0),
    ("愤怒", 2.5),
    ("气愤", 2.5),
    ("失望", 2.0),
    ("推诿", 2.5),
    ("拖延", 2.0),
    ("冷漠", 2.0),
    ("粗暴", 2.5),
    ("暴力", 2.5),
    ("打人", 2.5),
    ("殴打", 2.5),
    ("诈骗", 2.0),
    ("被骗", 2.0),
    ("骗", 1.5),
    ("被盗", 1.5),
    ("偷", 1.5),
    ("抢劫", 2.5),
    ("事故", 1.5),
    ("车祸", 2.0),
    ("死亡", 2.5),
    ("身亡", 2.5),
    ("受伤", 2.0),
    ("溺水", 2.5),
    ("积水", 1.5),
    ("内涝", 2.0),
    ("被困", 2.0),
    ("拥堵", 1.5),
    ("堵车", 1.5),
    ("恐慌", 2.0),
    ("谣言", 1.5),
    ("失职", 2.5),
    ("质疑", 1.5),
    ("曝光", 1.5),
    ("黑幕", 2.5),
    ("违法", 1.5),
    ("乱", 1.0),
    ("差", 1.5),
    ("糟糕", 2.0),
    ("危险", 1.5),
    ("担心", 1.0),
    ("害怕", 1.5),
    ("噪音", 1.0),
    ("扰民", 1.5),
    ("纠纷", 1.0),
    ("坑", 1.5),
    ("维权", 1.0),
    ("讨薪", 1.5),
    ("停电", 1.0),
];

const NEGATORS: &[&str] = &["不", "没", "没有", "未", "别", "无", "非", "不是", "毫无"];

const DEGREES: &[(&str, f64)] = &[
    ("非常", 2.0),
    ("特别", 1.8),
    ("十分", 1.8),
    ("极其", 2.2),
    ("太", 1.8),
    ("很", 1.5),
    ("真", 1.4),
    ("超", 1.6),
    ("挺", 1.2),
    ("比较", 1.1),
    ("有点", 0.7),
    ("有些", 0.7),
    ("稍微", 0.6),
];

/// Sentiment words with their weights, negators and degree words.
pub struct Lexicon {
    weights: FxHashMap<&'static str, f64>,
    negators: FxHashMap<&'static str, ()>,
    degrees: FxHashMap<&'static str, f64>,
}

impl Default for Lexicon {
    fn default() -> Self {
        let mut weights = FxHashMap::default();
        for (w, s) in POSITIVE {
            weights.insert(*w, *s);
        }
        for (w, s) in NEGATIVE {
            weights.insert(*w, -*s);
        }
        Lexicon {
            weights,
            negators: NEGATORS.iter().map(|w| (*w, ())).collect(),
            degrees: DEGREES.iter().copied().collect(),
        }
    }
}

impl Lexicon {
    /// The sum of the sentiment words' weights, each flipped by a negator and scaled by a
    /// degree word among the two words before it.
    pub fn raw(&self, words: &[impl AsRef<str>]) -> f64 {
        let mut sum = 0.0;
        for (i, w) in words.iter().enumerate() {
            let Some(weight) = self.weights.get(w.as_ref()) else { continue };
            let mut v = *weight;
            for before in words[i.saturating_sub(2)..i].iter() {
                let b = before.as_ref();
                if self.negators.contains_key(b) {
                    v = -v;
                } else if let Some(d) = self.degrees.get(b) {
                    v *= d;
                }
            }
            sum += v;
        }
        sum
    }

    pub fn score(&self, words: &[impl AsRef<str>]) -> (f64, Mood) {
        let s = (self.raw(words) / 3.0).tanh();
        let mood = if s > 0.2 {
            Mood::Positive
        } else if s < -0.2 {
            Mood::Negative
        } else {
            Mood::Neutral
        };
        (s, mood)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(words: &[&str]) -> (f64, Mood) {
        Lexicon::default().score(words)
    }

    #[test]
    fn thanks_are_positive_and_complaints_negative() {
        assert_eq!(score(&["感谢", "民警"]).1, Mood::Positive);
        assert_eq!(score(&["投诉", "派出所", "推诿"]).1, Mood::Negative);
        assert_eq!(score(&["今天", "下雨"]).1, Mood::Neutral);
    }

    #[test]
    fn a_negation_flips_and_a_degree_word_scales() {
        let l = Lexicon::default();
        assert!(l.raw(&["不", "满意"]) < 0.0);
        assert!(l.raw(&["非常", "满意"]) > l.raw(&["满意"]));
        assert!(l.raw(&["有点", "失望"]) > l.raw(&["失望"]), "“a little disappointed” is milder");
        let (s, _) = score(&["非常", "满意", "非常", "满意", "非常", "满意"]);
        assert!(s <= 1.0 && s > 0.9);
    }
}
