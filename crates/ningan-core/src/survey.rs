//! Public surveys (安全感、满意度测评): questionnaires and the answers they accept, the strata
//! a sample is weighted in (district, sex, age band), raking to the register's population,
//! and shares with their intervals under the weights. Pure: the evaluation module stores and
//! serves what this decides.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

vocabulary! {
    /// What a question asks for.
    pub enum Kind {
        Single => "single", "单选", "Single choice";
        Multi => "multi", "多选", "Multiple choice";
        Scale => "scale", "量表", "Scale";
        Text => "text", "文字", "Free text";
    }
}

vocabulary! {
    /// The headline figures a scale question may feed.
    pub enum Index {
        Security => "security", "安全感", "Sense of security";
        Approval => "approval", "满意度（认可度）", "Approval of the police";
    }
}

vocabulary! {
    /// Sex as the register records it (from the ID number).
    pub enum Sex {
        Male => "male", "男", "Male";
        Female => "female", "女", "Female";
    }
}

vocabulary! {
    /// Adult age bands the sample is weighted in.
    pub enum AgeBand {
        From18 => "18-29", "18–29岁", "18–29";
        From30 => "30-44", "30–44岁", "30–44";
        From45 => "45-59", "45–59岁", "45–59";
        From60 => "60+", "60岁及以上", "60 and over";
    }
}

impl AgeBand {
    /// The band of an age in whole years; minors are not surveyed.
    pub fn of_age(age: i64) -> Option<AgeBand> {
        match age {
            18..=29 => Some(AgeBand::From18),
            30..=44 => Some(AgeBand::From30),
            45..=59 => Some(AgeBand::From45),
            60..=130 => Some(AgeBand::From60),
            _ => None,
        }
    }
}

impl Sex {
    /// The register's `男`/`女`.
    pub fn of_register(gender: &str) -> Option<Sex> {
        match gender {
            "男" => Some(Sex::Male),
            "女" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Longest question or option text, in characters.
pub const MAX_TEXT: usize = 300;
/// Longest free-text answer, in characters.
pub const MAX_ANSWER: usize = 1000;
pub const MAX_QUESTIONS: usize = 60;
pub const MAX_OPTIONS: usize = 20;

fn question_kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let codes: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    schemars::json_schema!({"type": "string", "enum": codes})
}

/// An index's code, or none (`null` as stored questions are read back).
fn indices(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let codes: Vec<Option<&str>> = Index::ALL.iter().map(|k| Some(k.as_str())).chain([None]).collect();
    schemars::json_schema!({"type": ["string", "null"], "enum": codes})
}

fn texts(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "array", "maxItems": MAX_OPTIONS, "items": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": "\\S"}})
}

/// One question of a questionnaire version. Choices come with a single or multiple choice
/// question (2 to 20), points with a scale (3 to 11), and only a scale feeds an index.
/// Keys are unique within the questionnaire and an index is read from one question: rules
/// across questions, which the server checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend(
    "examples" = [{"key": "q1", "kind": "single", "text": "您是否接到过诈骗电话？", "options": ["是", "否"]}],
    "allOf" = [
        {"if": {"properties": {"kind": {"enum": ["single", "multi"]}}, "required": ["kind"]},
         "then": {"required": ["options"], "properties": {"options": {"minItems": 2}}}},
        {"if": {"properties": {"kind": {"const": "scale"}}, "required": ["kind"]},
         "then": {"required": ["scale"], "properties": {"scale": {"minItems": 3, "maxItems": 11}}}},
        {"if": {"required": ["index"], "properties": {"index": {"type": "string", "minLength": 1}}},
         "then": {"properties": {"kind": {"const": "scale"}}}}
    ]
))]
pub struct Question {
    /// Stable within the questionnaire (`q1`, `safety`): answers are keyed by it.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{1,40}$"))]
    pub key: String,
    /// single | multi | scale | text
    #[schemars(schema_with = "question_kinds")]
    pub kind: String,
    #[schemars(length(min = 1, max = 300), regex(pattern = r"\S"))]
    pub text: String,
    #[serde(default)]
    pub text_en: String,
    /// The choices of a single or multiple choice question, in order.
    #[serde(default)]
    #[schemars(schema_with = "texts")]
    pub options: Vec<String>,
    #[serde(default)]
    #[schemars(schema_with = "texts")]
    pub options_en: Vec<String>,
    /// A scale's points, lowest first (e.g. 不安全 … 很安全); answers are 1..=len.
    #[serde(default)]
    #[schemars(schema_with = "texts")]
    pub scale: Vec<String>,
    #[serde(default)]
    #[schemars(schema_with = "texts")]
    pub scale_en: Vec<String>,
    /// Whether an answer must be given.
    #[serde(default = "yes")]
    pub required: bool,
    /// security | approval: the scale question the headline figure is read from.
    #[serde(default)]
    #[schemars(schema_with = "indices")]
    pub index: Option<String>,
    /// The lowest scale point that counts towards the index (基本安全 and above on a
    /// five-point scale: 3, the way the bureau's survey counts).
    #[serde(default)]
    pub positive_from: Option<u32>,
}

fn yes() -> bool {
    true
}

/// Why a questionnaire or an answer was refused: the question (by key or position) and
/// what is wrong, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub zh: String,
    pub en: String,
}

fn problem(at: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { at: at.into(), zh: zh.into(), en: en.into() }
}

fn text_ok(s: &str) -> bool {
    let n = s.trim().chars().count();
    (1..=MAX_TEXT).contains(&n)
}

/// Checks a questionnaire: keys unique and plain, texts present, choices and scales
/// complete, at most one question per index and only on a scale. Every problem is listed.
pub fn check_questions(questions: &[Question]) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    if questions.is_empty() || questions.len() > MAX_QUESTIONS {
        problems.push(problem(
            "questions",
            format!("问卷应有1至{MAX_QUESTIONS}个问题"),
            format!("a questionnaire has 1 to {MAX_QUESTIONS} questions"),
        ));
    }
    let mut keys = BTreeSet::new();
    let mut indices = BTreeSet::new();
    for (i, q) in questions.iter().enumerate() {
        let at = if q.key.is_empty() { format!("#{}", i + 1) } else { q.key.clone() };
        let plain = !q.key.is_empty()
            && q.key.len() <= 40
            && q.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            problems.push(problem(&at, "编号只能用1至40个字母、数字、下划线", "a key is 1–40 letters, digits or _"));
        } else if !keys.insert(q.key.as_str()) {
            problems.push(problem(&at, "编号重复", "the key is used twice"));
        }
        if !text_ok(&q.text) {
            problems.push(problem(
                &at,
                format!("题目应为1至{MAX_TEXT}字"),
                format!("the text is 1–{MAX_TEXT} characters"),
            ));
        }
        let Some(kind) = Kind::parse(&q.kind) else {
            problems.push(problem(&at, "题型应为单选、多选、量表或文字", "the kind is single, multi, scale or text"));
            continue;
        };
        let list_ok = |items: &[String], en: &[String], min: usize| {
            (min..=MAX_OPTIONS).contains(&items.len())
                && items.iter().all(|o| text_ok(o))
                && (en.is_empty() || (en.len() == items.len() && en.iter().all(|o| text_ok(o))))
        };
        match kind {
            Kind::Single | Kind::Multi if !list_ok(&q.options, &q.options_en, 2) => problems.push(problem(
                &at,
                format!("选择题应有2至{MAX_OPTIONS}个选项，英文选项与中文一一对应"),
                format!("a choice has 2 to {MAX_OPTIONS} options, English ones matching the Chinese"),
            )),
            Kind::Scale if !list_ok(&q.scale, &q.scale_en, 3) || q.scale.len() > 11 => problems.push(problem(
                &at,
                "量表应有3至11个刻度，英文与中文一一对应",
                "a scale has 3 to 11 points, English ones matching the Chinese",
            )),
            _ => {}
        }
        if let Some(index) = q.index.as_deref().filter(|s| !s.is_empty()) {
            match Index::parse(index) {
                None => problems.push(problem(&at, "指数只能是安全感或满意度", "the index is security or approval")),
                Some(_) if kind != Kind::Scale => {
                    problems.push(problem(&at, "只有量表题能计算指数", "only a scale question feeds an index"))
                }
                Some(ix) if !indices.insert(ix) => {
                    problems.push(problem(&at, "同一指数只能由一个问题计算", "one question per index"))
                }
                Some(_) => {
                    let from = q.positive_from.unwrap_or(3) as usize;
                    if from < 2 || from > q.scale.len() {
                        problems.push(problem(
                            &at,
                            "计入指数的最低刻度不在量表内",
                            "the lowest counted point is off the scale",
                        ));
                    }
                }
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// An answer to one question, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Value {
    /// A single choice's option or a scale's point, from 1.
    One(u32),
    /// A multiple choice's options, from 1, ascending.
    Many(Vec<u32>),
    Text(String),
}

/// Checks a respondent's answers against the questions: every required question answered,
/// every value possible for its question, no answer to a question that is not there. The
/// answers come back normalised (choices sorted and unique, text trimmed, blanks dropped).
pub fn check_answers(
    questions: &[Question],
    answers: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut out = BTreeMap::new();
    for key in answers.keys() {
        if !questions.iter().any(|q| &q.key == key) {
            problems.push(problem(key.as_str(), "问卷中没有这个问题", "no such question"));
        }
    }
    for q in questions {
        let kind = Kind::parse(&q.kind).unwrap_or(Kind::Text);
        let given = match answers.get(&q.key) {
            Some(Value::Text(t)) if t.trim().is_empty() => None,
            Some(Value::Many(v)) if v.is_empty() => None,
            other => other,
        };
        let Some(given) = given else {
            if q.required {
                problems.push(problem(&q.key, "请回答此题", "please answer this question"));
            }
            continue;
        };
        let range = |n: usize| 1..=n as u32;
        let checked = match (kind, given) {
            (Kind::Single, Value::One(v)) if range(q.options.len()).contains(v) => Some(Value::One(*v)),
            (Kind::Scale, Value::One(v)) if range(q.scale.len()).contains(v) => Some(Value::One(*v)),
            (Kind::Multi, Value::Many(vs)) if vs.iter().all(|v| range(q.options.len()).contains(v)) => {
                let set: BTreeSet<u32> = vs.iter().copied().collect();
                Some(Value::Many(set.into_iter().collect()))
            }
            (Kind::Multi, Value::One(v)) if range(q.options.len()).contains(v) => Some(Value::Many(vec![*v])),
            (Kind::Text, Value::Text(t)) if t.trim().chars().count() <= MAX_ANSWER => {
                Some(Value::Text(t.trim().to_string()))
            }
            _ => None,
        };
        match checked {
            Some(v) => {
                out.insert(q.key.clone(), v);
            }
            None => problems.push(problem(&q.key, "答案不是此题可选的值", "not a possible answer to this question")),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// The stratum a respondent is weighted in, within their district.
pub type Cell = (Sex, AgeBand);

/// A district's adult population by sex and by age band, from the register.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Margins {
    pub sex: BTreeMap<Sex, f64>,
    pub age: BTreeMap<AgeBand, f64>,
}

impl Margins {
    /// From the register's count per cell.
    pub fn of_cells(cells: &BTreeMap<Cell, f64>) -> Margins {
        let mut m = Margins::default();
        for (&(s, a), &n) in cells {
            *m.sex.entry(s).or_default() += n;
            *m.age.entry(a).or_default() += n;
        }
        m
    }

    pub fn total(&self) -> f64 {
        self.sex.values().sum()
    }
}

/// Raking weights (iterative proportional fitting) for one district's respondents, so that
/// the weighted sample has the population's share of each sex and each age band and sums to
/// the population. A category nobody in the sample falls into cannot be matched: its share
/// is spread over the others. Returns one weight per respondent, in order; an empty sample
/// or population gives none.
///
/// When the sample cannot meet both margins at once (only women among the 45–59s, but men
/// are most of the district), plain raking drives some respondents' weights towards zero and,
/// after enough rounds, to exactly zero: an answer given would vanish. Each weight is kept
/// within [`WEIGHT_BOUND`] of the equal share either way (bounded raking), far outside what
/// any sample that can meet both margins needs, and the weights are scaled back to the
/// population at the end.
pub fn rake(sample: &[Cell], population: &Margins) -> Vec<f64> {
    let total = population.total();
    if sample.is_empty() || total <= 0.0 {
        return vec![0.0; sample.len()];
    }
    let present_sex: BTreeSet<Sex> = sample.iter().map(|c| c.0).collect();
    let present_age: BTreeSet<AgeBand> = sample.iter().map(|c| c.1).collect();
    let targets = |all: Vec<(bool, f64)>| -> Vec<f64> {
        let kept: f64 = all.iter().filter(|(p, _)| *p).map(|(_, n)| n).sum();
        all.iter().map(|&(p, n)| if p && kept > 0.0 { n * total / kept } else { 0.0 }).collect()
    };
    let sex_target = targets(
        Sex::ALL.iter().map(|s| (present_sex.contains(s), population.sex.get(s).copied().unwrap_or(0.0))).collect(),
    );
    let age_target = targets(
        AgeBand::ALL.iter().map(|a| (present_age.contains(a), population.age.get(a).copied().unwrap_or(0.0))).collect(),
    );
    let sex_at = |s: Sex| Sex::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let age_at = |a: AgeBand| AgeBand::ALL.iter().position(|x| *x == a).unwrap_or(0);
    let equal = total / sample.len() as f64;
    let (low, high) = (equal / WEIGHT_BOUND, equal * WEIGHT_BOUND);
    let mut w = vec![equal; sample.len()];
    for _ in 0..200 {
        let mut worst: f64 = 0.0;
        for (dim, target) in [(0, &sex_target), (1, &age_target)] {
            let mut sums = vec![0.0; target.len()];
            for (c, wi) in sample.iter().zip(&w) {
                sums[if dim == 0 { sex_at(c.0) } else { age_at(c.1) }] += wi;
            }
            for (sum, t) in sums.iter().zip(target.iter()) {
                if *sum > 0.0 {
                    worst = worst.max((sum - t).abs() / total);
                }
            }
            for (c, wi) in sample.iter().zip(w.iter_mut()) {
                let k = if dim == 0 { sex_at(c.0) } else { age_at(c.1) };
                if sums[k] > 0.0 {
                    *wi = (*wi * target[k] / sums[k]).clamp(low, high);
                }
            }
        }
        if worst < 1e-12 {
            break;
        }
    }
    let sum: f64 = w.iter().sum();
    if sum > 0.0 && sum.is_finite() {
        w.iter_mut().for_each(|x| *x *= total / sum);
    }
    w
}

/// How far a raked weight may move from the equal share, as a factor either way.
pub const WEIGHT_BOUND: f64 = 1e9;

/// A weighted share with its 95 % interval, in per cent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Share {
    /// Respondents who answered.
    pub n: i64,
    /// Kish's effective sample size under the weights, (Σw)² / Σw².
    pub n_eff: f64,
    pub rate: f64,
    pub low: f64,
    pub high: f64,
}

const Z95: f64 = 1.959_963_984_540_054;

/// The weighted share of `yes` among respondents, with a Wilson interval on Kish's effective
/// sample size: unequal weights widen the interval as a smaller simple sample would.
pub fn share(observations: &[(f64, bool)]) -> Option<Share> {
    let sum: f64 = observations.iter().map(|o| o.0).sum();
    let sq: f64 = observations.iter().map(|o| o.0 * o.0).sum();
    if observations.is_empty() || sum <= 0.0 || sq <= 0.0 {
        return None;
    }
    let p = observations.iter().filter(|o| o.1).map(|o| o.0).sum::<f64>() / sum;
    let m = sum * sum / sq;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / m;
    let centre = (p + z2 / (2.0 * m)) / denom;
    let half = Z95 * (p * (1.0 - p) / m + z2 / (4.0 * m * m)).sqrt() / denom;
    let pct = |v: f64| (v.clamp(0.0, 1.0) * 10_000.0).round() / 100.0;
    Some(Share {
        n: observations.len() as i64,
        n_eff: (m * 10.0).round() / 10.0,
        rate: pct(p),
        low: pct(centre - half),
        high: pct(centre + half),
    })
}

/// Whether an answer counts towards `question`'s index (its point at or above
/// `positive_from`); `None` when the question was not answered.
pub fn counts_towards(question: &Question, answer: Option<&Value>) -> Option<bool> {
    match answer {
        Some(Value::One(v)) => Some(*v >= question.positive_from.unwrap_or(3)),
        _ => None,
    }
}

/// A sampling plan: `total` interviews shared among districts in proportion to their adult
/// population (largest remainders), at least `floor` each so every district's estimate has
/// an interval worth reading.
pub fn allocate(total: i64, populations: &[(u32, i64)], floor: i64) -> Vec<(u32, i64)> {
    let all: i64 = populations.iter().map(|p| p.1.max(0)).sum();
    if all <= 0 || populations.is_empty() {
        return populations.iter().map(|p| (p.0, floor.max(0))).collect();
    }
    let spare = (total - floor * populations.len() as i64).max(0);
    let exact: Vec<f64> = populations.iter().map(|p| spare as f64 * p.1.max(0) as f64 / all as f64).collect();
    let mut out: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut left = spare - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for i in order {
        if left <= 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    populations.iter().zip(out).map(|(p, n)| (p.0, n + floor.max(0))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scale(key: &str, index: Option<&str>) -> Question {
        Question {
            key: key.into(),
            kind: "scale".into(),
            text: "您觉得您所在地区安全吗？".into(),
            text_en: String::new(),
            options: vec![],
            options_en: vec![],
            scale: ["不安全", "不太安全", "基本安全", "安全", "很安全"].map(String::from).to_vec(),
            scale_en: vec![],
            required: true,
            index: index.map(String::from),
            positive_from: Some(3),
        }
    }

    fn choice(key: &str, kind: &str, n: usize) -> Question {
        Question {
            kind: kind.into(),
            options: (1..=n).map(|i| format!("选项{i}")).collect(),
            scale: vec![],
            index: None,
            ..scale(key, None)
        }
    }

    #[test]
    fn a_questionnaire_names_each_of_its_problems() {
        assert!(check_questions(&[scale("safe", Some("security")), choice("why", "multi", 4)]).is_ok());
        let bad = vec![
            scale("safe", Some("security")),
            scale("safe", None),
            Question { kind: "essay".into(), ..scale("q3", None) },
            choice("q4", "single", 1),
            Question { index: Some("approval".into()), ..choice("q5", "single", 3) },
            scale("again", Some("security")),
            Question { key: "a b".into(), ..scale("x", None) },
        ];
        let problems = check_questions(&bad).unwrap_err();
        let at: Vec<&str> = problems.iter().map(|p| p.at.as_str()).collect();
        assert_eq!(at, ["safe", "q3", "q4", "q5", "again", "a b"], "{problems:?}");
        assert!(check_questions(&[]).is_err());
    }

    #[test]
    fn impossible_answers_are_refused_and_good_ones_normalised() {
        let qs = vec![scale("safe", Some("security")), choice("why", "multi", 4), choice("who", "single", 3)];
        let qs = [qs, vec![Question { kind: "text".into(), required: false, scale: vec![], ..scale("note", None) }]]
            .concat();
        let mut a = BTreeMap::new();
        a.insert("safe".to_string(), Value::One(4));
        a.insert("why".to_string(), Value::Many(vec![3, 1, 3]));
        a.insert("who".to_string(), Value::One(2));
        a.insert("note".to_string(), Value::Text("  好 ".into()));
        let ok = check_answers(&qs, &a).unwrap();
        assert_eq!(ok["why"], Value::Many(vec![1, 3]));
        assert_eq!(ok["note"], Value::Text("好".into()));
        a.insert("safe".to_string(), Value::One(6));
        a.insert("who".to_string(), Value::Many(vec![1]));
        a.insert("ghost".to_string(), Value::One(1));
        a.remove("why");
        let at: Vec<String> = check_answers(&qs, &a).unwrap_err().into_iter().map(|p| p.at).collect();
        assert_eq!(at, ["ghost", "safe", "why", "who"]);
    }

    #[test]
    fn a_sample_that_cannot_meet_both_margins_still_counts_every_answer() {
        // Men are nearly the whole district, but the only 45–59 respondent is a woman: plain
        // raking sent her (or the other woman) to a weight of exactly zero.
        let sample = [(Sex::Male, AgeBand::From30), (Sex::Female, AgeBand::From30), (Sex::Female, AgeBand::From45)];
        let mut cells = BTreeMap::new();
        for s in Sex::ALL {
            for a in AgeBand::ALL {
                cells.insert((*s, *a), 1.0);
            }
        }
        cells.insert((Sex::Male, AgeBand::From45), 9_325.0);
        cells.insert((Sex::Male, AgeBand::From60), 46_804.0);
        let m = Margins::of_cells(&cells);
        let w = rake(&sample, &m);
        assert!(w.iter().all(|x| *x > 0.0 && x.is_finite()), "{w:?}");
        let total: f64 = w.iter().sum();
        assert!((total - m.total()).abs() / m.total() < 1e-9, "{total} vs {}", m.total());
    }

    #[test]
    fn a_share_of_equal_weights_is_the_wilson_interval() {
        // 81 of 263: 95 % Wilson interval 0.2553–0.3662 (Newcombe 1998, table I, method 3).
        let obs: Vec<(f64, bool)> = (0..263).map(|i| (2.0, i < 81)).collect();
        let s = share(&obs).unwrap();
        assert_eq!((s.rate, s.low, s.high, s.n_eff), (30.8, 25.53, 36.62, 263.0));
        // Unequal weights: fewer effective respondents, a wider interval.
        let skew: Vec<(f64, bool)> = (0..263).map(|i| (if i % 2 == 0 { 1.0 } else { 5.0 }, i < 81)).collect();
        let t = share(&skew).unwrap();
        assert!(t.n_eff < 263.0 && t.high - t.low > s.high - s.low, "{t:?}");
        assert!(share(&[]).is_none());
    }

    #[test]
    fn allocation_is_proportional_with_a_floor_and_adds_up() {
        let got = allocate(1000, &[(1, 600_000), (2, 300_000), (3, 100_000)], 50);
        assert_eq!(got, vec![(1, 560), (2, 305), (3, 135)]);
        assert_eq!(got.iter().map(|g| g.1).sum::<i64>(), 1000);
    }

    fn cells() -> impl Strategy<Value = Vec<Cell>> {
        let cell = (0..2usize, 0..4usize).prop_map(|(s, a)| (Sex::ALL[s], AgeBand::ALL[a]));
        proptest::collection::vec(cell, 1..120)
    }

    /// Samples with someone in every cell, so that weights matching both margins exist.
    fn full_cells() -> impl Strategy<Value = Vec<Cell>> {
        cells().prop_map(|mut v| {
            for s in Sex::ALL {
                for a in AgeBand::ALL {
                    v.push((*s, *a));
                }
            }
            v
        })
    }

    fn population() -> impl Strategy<Value = BTreeMap<Cell, f64>> {
        proptest::collection::vec(1u32..50_000, 8).prop_map(|ns| {
            let mut m = BTreeMap::new();
            for (i, n) in ns.into_iter().enumerate() {
                m.insert((Sex::ALL[i / 4], AgeBand::ALL[i % 4]), n as f64);
            }
            m
        })
    }

    /// The textbook form, as a model: fit the 2×4 table of sample counts to the two margins
    /// cell by cell; each respondent's weight is their cell's fitted total over its count.
    fn cell_ipf(sample: &[Cell], pop: &Margins) -> Vec<f64> {
        let mut table = [[0.0f64; 4]; 2];
        let ix = |c: &Cell| {
            (Sex::ALL.iter().position(|s| *s == c.0).unwrap(), AgeBand::ALL.iter().position(|a| *a == c.1).unwrap())
        };
        for c in sample {
            let (s, a) = ix(c);
            table[s][a] += 1.0;
        }
        let counts = table;
        for _ in 0..2000 {
            for (s, row) in table.iter_mut().enumerate() {
                let sum: f64 = row.iter().sum();
                if sum > 0.0 {
                    row.iter_mut().for_each(|v| *v *= pop.sex[&Sex::ALL[s]] / sum);
                }
            }
            for a in 0..4 {
                let sum: f64 = table.iter().map(|r| r[a]).sum();
                if sum > 0.0 {
                    table.iter_mut().for_each(|r| r[a] *= pop.age[&AgeBand::ALL[a]] / sum);
                }
            }
        }
        sample
            .iter()
            .map(|c| {
                let (s, a) = ix(c);
                table[s][a] / counts[s][a]
            })
            .collect()
    }

    proptest! {
        #[test]
        fn raked_weights_are_positive_and_sum_to_the_population(sample in cells(), pop in population()) {
            // Some samples cannot match both margins (women only among the 45–59s, say):
            // the weights still carry the district's whole population.
            let m = Margins::of_cells(&pop);
            let w = rake(&sample, &m);
            prop_assert!(w.iter().all(|x| *x > 0.0 && x.is_finite()));
            let total: f64 = w.iter().sum();
            prop_assert!((total - m.total()).abs() / m.total() < 1e-6, "total {} vs {}", total, m.total());
        }

        #[test]
        fn raked_weights_hit_both_margins_when_every_cell_is_sampled(sample in full_cells(), pop in population()) {
            let m = Margins::of_cells(&pop);
            let w = rake(&sample, &m);
            for s in Sex::ALL {
                let got: f64 = sample.iter().zip(&w).filter(|(c, _)| c.0 == *s).map(|(_, x)| x).sum();
                prop_assert!((got - m.sex[s]).abs() / m.total() < 1e-6);
            }
            for a in AgeBand::ALL {
                let got: f64 = sample.iter().zip(&w).filter(|(c, _)| c.1 == *a).map(|(_, x)| x).sum();
                prop_assert!((got - m.age[a]).abs() / m.total() < 1e-6);
            }
        }

        #[test]
        fn raking_agrees_with_fitting_the_cell_table(sample in full_cells(), pop in population()) {
            let m = Margins::of_cells(&pop);
            let ours = rake(&sample, &m);
            let model = cell_ipf(&sample, &m);
            for (a, b) in ours.iter().zip(&model) {
                prop_assert!((a - b).abs() / b.max(1.0) < 1e-6, "{} vs {}", a, b);
            }
        }

        #[test]
        fn a_share_lies_inside_its_interval(obs in proptest::collection::vec((0.1f64..50.0, any::<bool>()), 1..200)) {
            let s = share(&obs).unwrap();
            prop_assert!(s.low <= s.rate + 1e-9 && s.rate <= s.high + 1e-9);
            prop_assert!(s.n_eff <= obs.len() as f64 + 0.05);
        }
    }
}
