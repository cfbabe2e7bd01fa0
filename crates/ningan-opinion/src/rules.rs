//! Topic rules as data, maintained by analysts and kept as versions. The TOML format (the
//! shipped set is `rules/default.toml`):
//!
//! ```toml
//! version = "2026.11-1"      # recorded on every post analysed with it
//!
//! [spike]                    # see `spike`; all optional
//! alpha = 0.3
//! p = 0.001
//! min_count = 20
//!
//! [[topic]]
//! id = "flood"               # unique, [a-z0-9-]
//! name = "台风防汛"
//! any = ["台风", "暴雨", "积水"]   # at least one of these words (required, 1–200)
//! all = []                   # and every one of these
//! none = ["演习"]             # and none of these
//! local = true               # and only posts naming the city, its places or the police
//! ```
//!
//! Words are matched whole, as the segmenter cuts them: put a place's full name in the user
//! dictionary rather than half of it in a rule.

use rustc_hash::FxHashSet;
use serde::Deserialize;
use toml::Spanned;

use crate::spike::SpikeParams;

/// A topic: the words that put a post in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub id: String,
    pub name: String,
    pub any: Vec<String>,
    pub all: Vec<String>,
    pub none: Vec<String>,
    pub local: bool,
}

impl Topic {
    pub fn matches(&self, words: &FxHashSet<&str>, local: bool) -> bool {
        (!self.local || local)
            && self.any.iter().any(|w| words.contains(w.as_str()))
            && self.all.iter().all(|w| words.contains(w.as_str()))
            && !self.none.iter().any(|w| words.contains(w.as_str()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub version: String,
    pub spike: SpikeParams,
    pub topics: Vec<Topic>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("规则文件第{line}行：{zh} / rules line {line}: {en}")]
pub struct RuleError {
    pub line: usize,
    pub zh: String,
    pub en: String,
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    version: Spanned<String>,
    #[serde(default)]
    spike: Option<Spanned<SpikeParams>>,
    #[serde(default)]
    topic: Vec<Spanned<TopicToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicToml {
    id: String,
    name: String,
    any: Vec<String>,
    #[serde(default)]
    all: Vec<String>,
    #[serde(default)]
    none: Vec<String>,
    #[serde(default)]
    local: bool,
}

/// The shipped topics.
pub const DEFAULT: &str = include_str!("../rules/default.toml");

impl RuleSet {
    pub fn parse(src: &str) -> Result<RuleSet, RuleError> {
        let file: FileToml = toml::from_str(src).map_err(|e| RuleError {
            line: e.span().map(|s| line_of(src, s.start)).unwrap_or(0),
            zh: format!("TOML 格式有误：{}", e.message()),
            en: e.message().to_string(),
        })?;
        let at = |offset: usize, zh: String, en: String| RuleError { line: line_of(src, offset), zh, en };
        let version = file.version.get_ref().trim();
        if version.is_empty() || version.chars().count() > 64 {
            return Err(at(
                file.version.span().start,
                "version 应为1至64个字符".into(),
                "version must be 1 to 64 characters".into(),
            ));
        }
        let spike = match &file.spike {
            None => SpikeParams::default(),
            Some(s) => {
                let p = *s.get_ref();
                let sane = (0.0 < p.alpha && p.alpha <= 1.0) && (0.0 < p.p && p.p < 0.5) && p.floor >= 0.0;
                if !sane {
                    return Err(at(
                        s.span().start,
                        "spike 须满足 0 < alpha ≤ 1、0 < p < 0.5、floor ≥ 0".into(),
                        "spike needs 0 < alpha ≤ 1, 0 < p < 0.5 and floor ≥ 0".into(),
                    ));
                }
                p
            }
        };
        let mut topics = Vec::new();
        let mut seen = FxHashSet::default();
        for spanned in &file.topic {
            let start = spanned.span().start;
            let t = spanned.get_ref();
            let id_ok = !t.id.is_empty()
                && t.id.len() <= 40
                && t.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !id_ok {
                return Err(at(
                    start,
                    format!("id “{}” 应为1至40个小写字母、数字或连字符", t.id),
                    format!("id “{}” must be 1 to 40 lowercase letters, digits or hyphens", t.id),
                ));
            }
            if !seen.insert(t.id.clone()) {
                return Err(at(start, format!("id “{}” 重复", t.id), format!("id “{}” is used twice", t.id)));
            }
            if t.name.trim().is_empty() || t.name.chars().count() > 40 {
                return Err(at(
                    start,
                    format!("{}：name 应为1至40个字符", t.id),
                    format!("{}: name must be 1 to 40 characters", t.id),
                ));
            }
            if t.any.is_empty() || t.any.len() > 200 || t.all.len() > 20 || t.none.len() > 200 {
                return Err(at(
                    start,
                    format!("{}：any 须有1至200个词，all 至多20个，none 至多200个", t.id),
                    format!("{}: any takes 1 to 200 words, all at most 20, none at most 200", t.id),
                ));
            }
            let clean = |v: &[String]| -> Result<Vec<String>, RuleError> {
                v.iter()
                    .map(|w| {
                        let w = w.trim();
                        if w.is_empty() || w.chars().count() > 20 || w.chars().any(char::is_whitespace) {
                            Err(at(
                                start,
                                format!("{}：词“{w}”应为1至20个字符、不含空格", t.id),
                                format!("{}: the word “{w}” must be 1 to 20 characters without spaces", t.id),
                            ))
                        } else if w.is_ascii() {
                            Ok(w.to_ascii_lowercase())
                        } else {
                            Ok(w.to_string())
                        }
                    })
                    .collect()
            };
            topics.push(Topic {
                id: t.id.clone(),
                name: t.name.trim().to_string(),
                any: clean(&t.any)?,
                all: clean(&t.all)?,
                none: clean(&t.none)?,
                local: t.local,
            });
        }
        if topics.is_empty() {
            return Err(RuleError {
                line: 1,
                zh: "至少需要一个 [[topic]]".into(),
                en: "at least one [[topic]] is needed".into(),
            });
        }
        Ok(RuleSet { version: version.to_string(), spike, topics })
    }

    /// The ids of the topics `words` match, in rule order.
    pub fn matching(&self, words: &[impl AsRef<str>], local: bool) -> Vec<String> {
        let set: FxHashSet<&str> = words.iter().map(AsRef::as_ref).collect();
        self.topics.iter().filter(|t| t.matches(&set, local)).map(|t| t.id.clone()).collect()
    }

    /// Every word a rule names: added to the segmenter so that it is cut whole.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().flat_map(|t| t.any.iter().chain(&t.all).chain(&t.none)).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse() {
        let set = RuleSet::parse(DEFAULT).unwrap();
        assert!(set.topics.len() >= 5, "{set:?}");
    }

    #[test]
    fn a_topic_needs_any_word_all_words_no_excluded_word_and_the_city_if_asked() {
        let set = RuleSet::parse(
            "version = \"t\"\n[[topic]]\nid = \"flood\"\nname = \"防汛\"\nany = [\"积水\", \"暴雨\"]\nall = [\"道路\"]\nnone = [\"演习\"]\nlocal = true\n",
        )
        .unwrap();
        let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(set.matching(&w("暴雨 道路 积水"), true), ["flood"]);
        assert!(set.matching(&w("暴雨 道路 积水"), false).is_empty(), "not about the city");
        assert!(set.matching(&w("暴雨 积水"), true).is_empty(), "“道路” is required");
        assert!(set.matching(&w("暴雨 道路 演习"), true).is_empty(), "a drill is excluded");
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let e =
            RuleSet::parse("version = \"t\"\n[[topic]]\nid = \"Bad Id\"\nname = \"x\"\nany = [\"a\"]\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = RuleSet::parse("version = \"t\"\n[[topic]]\nid = \"a\"\nname = \"x\"\nany = []\n").unwrap_err();
        assert!(e.zh.contains("any") && e.en.contains("any takes"), "{e}");
        let e = RuleSet::parse("version = \"t\"\nfoo = 1\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }
}
