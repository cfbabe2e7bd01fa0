//! Word segmentation: jieba's dictionary and HMM (the same `cut` Python's jieba makes with
//! HMM on), with the city's own names added — districts, stations, compounds, roads — so
//! "海曙西门派出所" stays one word instead of four, and those names, with the words for the
//! city and the police, mark a post as local.

use std::borrow::Cow;

use jieba_rs::Jieba;
use rustc_hash::FxHashSet;

/// Words that name the city or the police whatever the dictionary.
const LOCAL: &[&str] =
    &["宁波", "宁波市", "甬", "公安", "公安局", "警方", "民警", "警察", "派出所", "110", "交警", "辅警"];

pub struct Segmenter {
    jieba: Jieba,
    local: FxHashSet<String>,
}

impl Default for Segmenter {
    fn default() -> Self {
        Segmenter::new(std::iter::empty::<&str>())
    }
}

impl Segmenter {
    /// jieba's own dictionary with `names` added as words that mark a post as local.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Segmenter {
        let mut jieba = Jieba::new();
        let mut local: FxHashSet<String> = LOCAL.iter().map(|s| s.to_string()).collect();
        for name in names {
            let name = name.trim();
            if name.chars().count() < 2 || name.chars().any(char::is_whitespace) {
                continue;
            }
            // A frequency high enough that the name wins over cutting it up.
            jieba.add_word(name, Some(1000), Some("ns"));
            local.insert(name.to_string());
        }
        for w in LOCAL {
            jieba.add_word(w, Some(1000), Some("n"));
        }
        Segmenter { jieba, local }
    }

    /// jieba's cut (HMM on), every piece as it came: for comparing with Python's jieba.
    pub fn cut<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.jieba.cut(text, true)
    }

    /// The words of `text` worth keeping: no spaces or punctuation; Latin lower-cased (the
    /// only ones copied).
    pub fn words<'a>(&self, text: &'a str) -> Vec<Cow<'a, str>> {
        self.jieba
            .cut(text, true)
            .into_iter()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .map(|w| {
                if w.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Owned(w.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(w)
                }
            })
            .collect()
    }

    /// Whether a word names the city, one of its places or units, or the police.
    pub fn is_local(&self, word: &str) -> bool {
        self.local.contains(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_citys_names_stay_whole_and_mark_a_post_local() {
        let s = Segmenter::new(["海曙西门派出所", "鄞州区"]);
        let words = s.words("今天在海曙西门派出所办了身份证，民警很热情！");
        assert!(words.iter().any(|w| w == "海曙西门派出所"), "{words:?}");
        assert!(!words.iter().any(|w| w == "，" || w == "！"), "punctuation is dropped: {words:?}");
        assert!(s.is_local("海曙西门派出所") && s.is_local("民警") && !s.is_local("身份证"));
    }

    #[test]
    fn latin_words_are_lower_cased() {
        let s = Segmenter::default();
        assert!(s.words("APP 下载").iter().any(|w| w == "app"));
    }
}
