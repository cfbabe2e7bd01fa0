//! Typology rules as data. The TOML format (a full example is `rules/default.toml`):
//!
//! ```toml
//! version = "2026.11-1"          # recorded on every warning
//! score_window_minutes = 1440    # a fired rule counts towards the score this long
//! dedup_window_minutes = 1440    # one warning per person and level in this window
//!
//! [levels]                       # score thresholds; high ≥ medium ≥ low > 0
//! high = 80
//! medium = 50
//! low = 25
//!
//! [[rule]]
//! id = "listed-call"             # unique, [a-z0-9-]
//! name = "与涉诈号码通话"
//! typology = "冒充公检法"
//! score = 30
//! kind = "single"                # single | count | sequence
//! when = { signal = "call", listed = true, min_duration = 60 }
//!
//! [[rule]]
//! kind = "count"                 # fires when `count` matching signals fall in the window
//! when = { signal = "sms", listed = true }
//! count = 3
//! window_minutes = 60
//!
//! [[rule]]
//! kind = "sequence"              # the steps in this order, all within the limit
//! steps = [{ signal = "call", listed = true }, { signal = "app", listed = true }, { signal = "transfer" }]
//! within_minutes = 120
//! ```
//!
//! A condition names a `signal` (call, sms, url, app, transfer, victim_report, bank_alert)
//! and optionally `listed` (the identifier is, or is not, on the watchlist),
//! `min_duration` (seconds, calls), `min_amount` (yuan) and `min_confidence` (0–100 of the
//! listing). A transfer's condition may also ask for behaviour the engine remembers:
//!
//! ```toml
//! when = { signal = "transfer", new_payee = true }          # not paid within payee_memory_days
//! when = { signal = "transfer", min_payee_hourly = 5 }      # the account received ≥ 5 in the hour
//! when = { signal = "transfer", first_after_listed_call_minutes = 30 }  # first since a listed call
//! ```
//!
//! `payee_memory_days` (top level, default 7) is how long a paid account stays known.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::signal::SignalTag;
use crate::{Fact, Time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        [Self::Low, Self::Medium, Self::High].into_iter().find(|l| l.as_str() == s)
    }

    /// The colour police practice gives the grade.
    pub fn zh(self) -> &'static str {
        match self {
            Self::High => "红色（高风险）",
            Self::Medium => "橙色（中风险）",
            Self::Low => "黄色（低风险）",
        }
    }

    /// How the warning reaches the person.
    pub fn channel_zh(self) -> &'static str {
        match self {
            Self::High => "见面劝阻",
            Self::Medium => "30分钟内电话劝阻",
            Self::Low => "自动短信提示（无链接、无个人信息）",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cond {
    pub signal: SignalTag,
    pub listed: Option<bool>,
    pub min_duration: u32,
    pub min_amount_fen: i64,
    pub min_confidence: u8,
    pub new_payee: Option<bool>,
    pub min_payee_hourly: u32,
    /// Seconds: the transfer is the person's first since a listed call at most this long ago.
    pub after_listed_call: Option<Time>,
}

impl Cond {
    /// A condition on the signal kind alone.
    pub fn on(signal: SignalTag) -> Cond {
        Cond {
            signal,
            listed: None,
            min_duration: 0,
            min_amount_fen: 0,
            min_confidence: 0,
            new_payee: None,
            min_payee_hourly: 0,
            after_listed_call: None,
        }
    }
}

impl Cond {
    #[inline]
    pub fn matches(&self, f: &Fact) -> bool {
        f.tag == self.signal
            && self.listed.is_none_or(|l| l == f.listed)
            && f.duration_s >= self.min_duration
            && f.amount_fen >= self.min_amount_fen
            && (self.min_confidence == 0 || (f.listed && f.confidence >= self.min_confidence))
            && self.new_payee.is_none_or(|n| n == f.seen.new_payee)
            && f.seen.payee_hourly >= self.min_payee_hourly
            && self.after_listed_call.is_none_or(|w| f.seen.after_listed_call.is_some_and(|d| d <= w))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Logic {
    Single(Cond),
    Count { when: Cond, count: u32, window: Time },
    Sequence { steps: Vec<Cond>, within: Time },
}

impl Logic {
    /// The condition the signal that fires the rule must meet.
    pub fn trigger(&self) -> &Cond {
        match self {
            Logic::Single(c) | Logic::Count { when: c, .. } => c,
            Logic::Sequence { steps, .. } => steps.last().expect("validated: a sequence has steps"),
        }
    }

    pub fn conds(&self) -> &[Cond] {
        match self {
            Logic::Single(c) | Logic::Count { when: c, .. } => std::slice::from_ref(c),
            Logic::Sequence { steps, .. } => steps,
        }
    }

    /// How far back the rule looks, in seconds.
    fn reach(&self) -> Time {
        match self {
            Logic::Single(_) => 0,
            Logic::Count { window, .. } => *window,
            Logic::Sequence { within, .. } => *within,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub typology: String,
    pub score: u32,
    pub logic: Logic,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    pub version: String,
    pub score_window: Time,
    pub dedup_window: Time,
    /// low, medium, high thresholds.
    pub levels: [u32; 3],
    pub rules: Vec<Rule>,
    /// How long an account a person paid stays known to them, in seconds.
    pub payee_memory: Time,
}

/// Which behavioural memories a rule set reads: the engine keeps only those.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Uses {
    pub payees: bool,
    pub inflows: bool,
    pub listed_calls: bool,
}

/// The hour `min_payee_hourly` counts over.
pub const INFLOW_WINDOW: Time = 3600;

impl RuleSet {
    pub fn level(&self, score: u32) -> Option<Level> {
        let [low, medium, high] = self.levels;
        if score >= high {
            Some(Level::High)
        } else if score >= medium {
            Some(Level::Medium)
        } else if score >= low {
            Some(Level::Low)
        } else {
            None
        }
    }

    /// How long a signal can still matter to a count or a sequence.
    pub fn event_horizon(&self) -> Time {
        self.rules.iter().map(|r| r.logic.reach()).max().unwrap_or(0)
    }

    /// The behavioural memories some condition reads.
    pub fn uses(&self) -> Uses {
        let mut u = Uses::default();
        for c in self.rules.iter().flat_map(|r| r.logic.conds()) {
            u.payees |= c.new_payee.is_some();
            u.inflows |= c.min_payee_hourly > 0;
            u.listed_calls |= c.after_listed_call.is_some();
        }
        u
    }

    /// How long anything about a person can still matter: windows, scores, warnings and the
    /// memories the rules read. A rebuild replays this far back; expiry forgets past it.
    pub fn state_horizon(&self) -> Time {
        let uses = self.uses();
        let after_call =
            self.rules.iter().flat_map(|r| r.logic.conds()).filter_map(|c| c.after_listed_call).max().unwrap_or(0);
        let payees = if uses.payees { self.payee_memory } else { 0 };
        let inflows = if uses.inflows { INFLOW_WINDOW } else { 0 };
        self.event_horizon().max(self.score_window).max(self.dedup_window).max(payees).max(inflows).max(after_call)
    }

    /// Whether a later signal could look back at this one: it meets a count's condition or
    /// a sequence step before the last. Only such signals are kept in a person's window.
    pub fn keeps(&self, f: &Fact) -> bool {
        self.rules.iter().any(|r| match &r.logic {
            Logic::Single(_) => false,
            Logic::Count { when, .. } => when.matches(f),
            Logic::Sequence { steps, .. } => steps[..steps.len() - 1].iter().any(|c| c.matches(f)),
        })
    }

    /// Whether the fact could fire a rule on its own, without anything before it.
    pub fn fires_alone(&self, f: &Fact) -> bool {
        self.rules.iter().any(|r| matches!(&r.logic, Logic::Single(c) if c.matches(f)))
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Parses and validates the TOML form; errors name the line. A rule set is a few dozen
    /// typologies: more than [`MAX_RULES`] rules or [`MAX_SOURCE_BYTES`] of text is refused
    /// before any rule is compiled, so a huge upload cannot hold the server.
    pub fn from_toml(src: &str) -> Result<RuleSet, RuleError> {
        if src.len() > MAX_SOURCE_BYTES {
            return Err(RuleError {
                line: line_of(src, MAX_SOURCE_BYTES),
                message: format!(
                    "规则文件超过{}KB / larger than {} KB",
                    MAX_SOURCE_BYTES / 1024,
                    MAX_SOURCE_BYTES / 1024
                ),
            });
        }
        let file: FileToml = toml::from_str(src).map_err(|e| {
            let line = e.span().map(|s| line_of(src, s.start)).unwrap_or(0);
            RuleError { line, message: e.message().to_string() }
        })?;
        if let Some(extra) = file.rule.get(MAX_RULES) {
            return Err(RuleError {
                line: line_of(src, extra.span().start),
                message: format!("最多{MAX_RULES}条规则 / at most {MAX_RULES} rules"),
            });
        }
        compile(src, file)
    }
}

/// Rules one set may hold.
pub const MAX_RULES: usize = 500;
/// Size of a rule file.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("规则文件第{line}行：{message} / rules line {line}: {message}")]
pub struct RuleError {
    pub line: usize,
    pub message: String,
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    version: Spanned<String>,
    score_window_minutes: Spanned<u32>,
    dedup_window_minutes: Spanned<u32>,
    levels: Spanned<LevelsToml>,
    payee_memory_days: Option<Spanned<u32>>,
    #[serde(default)]
    rule: Vec<Spanned<RuleToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelsToml {
    high: u32,
    medium: u32,
    low: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    id: String,
    name: String,
    typology: String,
    score: u32,
    kind: String,
    when: Option<CondToml>,
    count: Option<u32>,
    window_minutes: Option<u32>,
    steps: Option<Vec<CondToml>>,
    within_minutes: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CondToml {
    signal: String,
    listed: Option<bool>,
    #[serde(default)]
    min_duration: u32,
    #[serde(default)]
    min_amount: f64,
    #[serde(default)]
    min_confidence: u8,
    new_payee: Option<bool>,
    #[serde(default)]
    min_payee_hourly: u32,
    first_after_listed_call_minutes: Option<u32>,
}

const MAX_MINUTES: u32 = 90 * 24 * 60;

fn compile(src: &str, file: FileToml) -> Result<RuleSet, RuleError> {
    let at = |offset: usize, message: String| RuleError { line: line_of(src, offset), message };
    let version = file.version.get_ref().trim().to_string();
    if version.is_empty() || version.len() > 64 {
        return Err(at(file.version.span().start, "version 应为1至64个字符".into()));
    }
    let minutes = |s: &Spanned<u32>, name: &str| {
        let m = *s.get_ref();
        if m == 0 || m > MAX_MINUTES {
            return Err(at(s.span().start, format!("{name} 应在1至{MAX_MINUTES}分钟之间")));
        }
        Ok(Time::from(m) * 60)
    };
    let score_window = minutes(&file.score_window_minutes, "score_window_minutes")?;
    let dedup_window = minutes(&file.dedup_window_minutes, "dedup_window_minutes")?;
    let l = file.levels.get_ref();
    if !(l.low > 0 && l.low <= l.medium && l.medium <= l.high) {
        return Err(at(file.levels.span().start, "levels 须满足 0 < low ≤ medium ≤ high".into()));
    }
    let payee_memory = match &file.payee_memory_days {
        None => 7 * 86_400,
        Some(d) if (1..=90).contains(d.get_ref()) => Time::from(*d.get_ref()) * 86_400,
        Some(d) => return Err(at(d.span().start, "payee_memory_days 应在1至90天之间".into())),
    };
    let mut rules: Vec<Rule> = Vec::with_capacity(file.rule.len());
    for spanned in &file.rule {
        let line = line_of(src, spanned.span().start);
        let err = |message: String| RuleError { line, message };
        let r = spanned.get_ref();
        let id_ok = !r.id.is_empty()
            && r.id.len() <= 64
            && r.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(err(format!("规则编号“{}”只能含小写字母、数字和 -", r.id)));
        }
        if rules.iter().any(|x| x.id == r.id) {
            return Err(err(format!("规则编号“{}”重复", r.id)));
        }
        if r.name.trim().is_empty() || r.typology.trim().is_empty() {
            return Err(err(format!("规则“{}”须有 name 和 typology", r.id)));
        }
        if r.score == 0 || r.score > 1000 {
            return Err(err(format!("规则“{}”的 score 应在1至1000之间", r.id)));
        }
        let cond = |c: &CondToml| -> Result<Cond, RuleError> {
            let signal = SignalTag::parse(&c.signal).ok_or_else(|| err(format!("未知信号类型“{}”", c.signal)))?;
            if !c.min_amount.is_finite() || c.min_amount < 0.0 {
                return Err(err("min_amount 不能为负".into()));
            }
            if c.min_confidence > 100 {
                return Err(err("min_confidence 应在0至100之间".into()));
            }
            let behaviour =
                c.new_payee.is_some() || c.min_payee_hourly > 0 || c.first_after_listed_call_minutes.is_some();
            if behaviour && signal != SignalTag::Transfer {
                return Err(err(
                    "new_payee、min_payee_hourly、first_after_listed_call_minutes 只用于 transfer / only for transfers"
                        .into(),
                ));
            }
            if c.min_payee_hourly > 10_000 {
                return Err(err("min_payee_hourly 应在0至10000之间".into()));
            }
            let after_listed_call = match c.first_after_listed_call_minutes {
                Some(m) if m == 0 || m > MAX_MINUTES => {
                    return Err(err(format!("first_after_listed_call_minutes 应在1至{MAX_MINUTES}分钟之间")));
                }
                m => m.map(|m| Time::from(m) * 60),
            };
            Ok(Cond {
                signal,
                listed: c.listed,
                min_duration: c.min_duration,
                min_amount_fen: (c.min_amount * 100.0).round() as i64,
                min_confidence: c.min_confidence,
                new_payee: c.new_payee,
                min_payee_hourly: c.min_payee_hourly,
                after_listed_call,
            })
        };
        let unused = |name: &str, present: bool| {
            if present { Err(err(format!("{} 规则不使用字段 {name}", r.kind))) } else { Ok(()) }
        };
        let window = |m: Option<u32>, name: &str| -> Result<Time, RuleError> {
            let m = m.ok_or_else(|| err(format!("{} 规则须有 {name}", r.kind)))?;
            if m == 0 || m > MAX_MINUTES {
                return Err(err(format!("{name} 应在1至{MAX_MINUTES}分钟之间")));
            }
            Ok(Time::from(m) * 60)
        };
        let when = || r.when.as_ref().ok_or_else(|| err(format!("{} 规则须有 when", r.kind))).and_then(cond);
        let logic = match r.kind.as_str() {
            "single" => {
                unused("count", r.count.is_some())?;
                unused("window_minutes", r.window_minutes.is_some())?;
                unused("steps", r.steps.is_some())?;
                unused("within_minutes", r.within_minutes.is_some())?;
                Logic::Single(when()?)
            }
            "count" => {
                unused("steps", r.steps.is_some())?;
                unused("within_minutes", r.within_minutes.is_some())?;
                let count = r.count.ok_or_else(|| err("count 规则须有 count".into()))?;
                if !(2..=1000).contains(&count) {
                    return Err(err("count 应在2至1000之间".into()));
                }
                Logic::Count { when: when()?, count, window: window(r.window_minutes, "window_minutes")? }
            }
            "sequence" => {
                unused("when", r.when.is_some())?;
                unused("count", r.count.is_some())?;
                unused("window_minutes", r.window_minutes.is_some())?;
                let steps = r.steps.as_deref().unwrap_or_default();
                if !(2..=8).contains(&steps.len()) {
                    return Err(err("sequence 规则须有2至8个 steps".into()));
                }
                let steps = steps.iter().map(cond).collect::<Result<Vec<_>, _>>()?;
                Logic::Sequence { steps, within: window(r.within_minutes, "within_minutes")? }
            }
            other => return Err(err(format!("未知规则类型“{other}”（single、count、sequence）"))),
        };
        rules.push(Rule {
            id: r.id.clone(),
            name: r.name.trim().to_string(),
            typology: r.typology.trim().to_string(),
            score: r.score,
            logic,
        });
    }
    if rules.is_empty() {
        return Err(RuleError { line: 1, message: "规则集至少要有一条 [[rule]]".into() });
    }
    Ok(RuleSet { version, score_window, dedup_window, levels: [l.low, l.medium, l.high], rules, payee_memory })
}

/// The rule set the product ships with.
pub const DEFAULT_RULES: &str = include_str!("../rules/default.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_load() {
        let set = RuleSet::from_toml(DEFAULT_RULES).unwrap();
        assert!(set.rules.len() >= 5);
        assert!(set.event_horizon() >= 7200);
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let e = RuleSet::from_toml("version = \"1\"\nscore_window_minutes = \n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn a_bad_rule_names_the_line_it_starts_on() {
        let src = "version = \"1\"\nscore_window_minutes = 60\ndedup_window_minutes = 60\n[levels]\nhigh = 3\nmedium = 2\nlow = 1\n\n[[rule]]\nid = \"a\"\nname = \"n\"\ntypology = \"t\"\nscore = 1\nkind = \"single\"\nwhen = { signal = \"call\" }\n\n[[rule]]\nid = \"b\"\nname = \"n\"\ntypology = \"t\"\nscore = 1\nkind = \"count\"\nwhen = { signal = \"fax\" }\ncount = 2\nwindow_minutes = 5\n";
        let e = RuleSet::from_toml(src).unwrap_err();
        assert!(e.message.contains("fax"), "{e}");
        assert!((17..=25).contains(&e.line), "{e}");
    }

    #[test]
    fn fields_a_kind_does_not_use_are_refused() {
        let src = "version = \"1\"\nscore_window_minutes = 60\ndedup_window_minutes = 60\n[levels]\nhigh = 3\nmedium = 2\nlow = 1\n[[rule]]\nid = \"a\"\nname = \"n\"\ntypology = \"t\"\nscore = 1\nkind = \"single\"\nwhen = { signal = \"call\" }\ncount = 3\n";
        let e = RuleSet::from_toml(src).unwrap_err();
        assert!(e.message.contains("count"), "{e}");
        assert_eq!(e.line, 8);
    }

    #[test]
    fn an_oversized_rule_set_is_refused_before_compiling() {
        let head = "version = \"1\"\nscore_window_minutes = 60\ndedup_window_minutes = 60\n[levels]\nhigh = 3\nmedium = 2\nlow = 1\n";
        let rule = |i: usize| {
            format!(
                "[[rule]]\nid = \"r{i}\"\nname = \"n\"\ntypology = \"t\"\nscore = 1\nkind = \"single\"\nwhen = {{ signal = \"call\" }}\n"
            )
        };
        let at_cap: String = (0..MAX_RULES).map(rule).collect();
        assert_eq!(RuleSet::from_toml(&format!("{head}{at_cap}")).unwrap().rules.len(), MAX_RULES);
        let over: String = (0..=MAX_RULES).map(rule).collect();
        let e = RuleSet::from_toml(&format!("{head}{over}")).unwrap_err();
        assert!(e.message.contains("at most"), "{e}");
        let huge = format!("{head}# {}\n", "x".repeat(MAX_SOURCE_BYTES));
        assert!(RuleSet::from_toml(&huge).unwrap_err().message.contains("KB"));
    }

    #[test]
    fn behaviour_is_asked_of_transfers_only_and_the_payee_memory_is_bounded() {
        let head = "version = \"1\"\nscore_window_minutes = 60\ndedup_window_minutes = 60\n[levels]\nhigh = 3\nmedium = 2\nlow = 1\n";
        let rule = |when: &str| {
            format!(
                "[[rule]]\nid = \"a\"\nname = \"n\"\ntypology = \"t\"\nscore = 1\nkind = \"single\"\nwhen = {when}\n"
            )
        };
        let ok = RuleSet::from_toml(&format!(
            "payee_memory_days = 30\n{head}{}",
            rule("{ signal = \"transfer\", new_payee = true, min_payee_hourly = 4, first_after_listed_call_minutes = 30 }")
        ))
        .unwrap();
        assert_eq!(ok.payee_memory, 30 * 86_400);
        assert_eq!(ok.uses(), Uses { payees: true, inflows: true, listed_calls: true });
        assert_eq!(ok.state_horizon(), 30 * 86_400);
        let e = RuleSet::from_toml(&format!("{head}{}", rule("{ signal = \"call\", new_payee = true }"))).unwrap_err();
        assert!(e.message.contains("transfer"), "{e}");
        let e = RuleSet::from_toml(&format!(
            "{head}{}",
            rule("{ signal = \"transfer\", first_after_listed_call_minutes = 0 }")
        ))
        .unwrap_err();
        assert!(e.message.contains("first_after_listed_call_minutes"), "{e}");
        let e =
            RuleSet::from_toml(&format!("payee_memory_days = 91\n{head}{}", rule("{ signal = \"sms\" }"))).unwrap_err();
        assert!(e.message.contains("payee_memory_days") && e.line == 1, "{e}");
        let plain = RuleSet::from_toml(&format!("{head}{}", rule("{ signal = \"transfer\" }"))).unwrap();
        assert_eq!((plain.uses(), plain.state_horizon()), (Uses::default(), 3600));
    }

    #[test]
    fn thresholds_must_be_ordered() {
        let src = "version = \"1\"\nscore_window_minutes = 60\ndedup_window_minutes = 60\n[levels]\nhigh = 1\nmedium = 2\nlow = 1\n";
        assert_eq!(RuleSet::from_toml(src).unwrap_err().line, 4);
    }
}
