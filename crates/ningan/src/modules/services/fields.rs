//! The typed fields of an item's form: what each kind accepts, how a definition is checked
//! when an administrator saves it, and how a citizen's answer is checked when filed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ningan_core::idnumber::IdNumber;
use ningan_core::phone::Phone;
use ningan_store::ServiceField;

use super::error::refuse;
use crate::http::error::ApiError;
use crate::http::rule::Rule;

/// (code, 中文, English) of every field kind.
pub const KINDS: &[(&str, &str, &str)] = &[
    ("text", "短文本（50字内）", "Short text (up to 50)"),
    ("long_text", "长文本（500字内）", "Long text (up to 500)"),
    ("date", "日期", "Date"),
    ("id_number", "公民身份号码", "ID number"),
    ("phone", "电话号码", "Phone number"),
    ("address", "地址（100字内）", "Address (up to 100)"),
    ("number", "整数", "Whole number"),
    ("choice", "单选", "One of a list"),
];

pub const KIND_CODES: &[&str] = &["text", "long_text", "date", "id_number", "phone", "address", "number", "choice"];

/// At most this many fields on one item's form; more is a form nobody finishes.
pub const MAX_FIELDS: usize = 12;
const MAX_OPTIONS: usize = 20;

fn max_len(kind: &str) -> usize {
    match kind {
        "long_text" => 500,
        "address" => 100,
        _ => 50,
    }
}

/// A rule about several parts of a definition together (a kind and its options, one key
/// against the others), which no schema of one field states.
fn context(zh: impl Into<String>, en: impl Into<String>) -> Rule {
    Rule::Context { zh: zh.into().into(), en: en.into().into() }
}

fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && key.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks an item's field definitions as an administrator saved them; the first problem is
/// named by its field (`fields.<n>.<part>`), counting from 1 as the page shows them.
pub fn check_definitions(fields: &[ServiceField]) -> Result<Vec<ServiceField>, ApiError> {
    if fields.len() > MAX_FIELDS {
        return Err(refuse(
            "fields",
            Rule::other(format!("最多{MAX_FIELDS}项"), format!("at most {MAX_FIELDS} fields")),
        ));
    }
    let mut out: Vec<ServiceField> = Vec::with_capacity(fields.len());
    for (n, f) in fields.iter().enumerate() {
        let at = |part: &str| format!("fields.{}.{part}", n + 1);
        let key = f.key.trim();
        if !is_key(key) {
            let rule = Rule::other(
                "以小写字母开头，仅含小写字母、数字和下划线，最多32个字符",
                "starts with a lower-case letter; letters, digits and _ only; at most 32",
            );
            return Err(refuse(at("key"), rule));
        }
        if out.iter().any(|o| o.key == key) {
            return Err(refuse(at("key"), context("与前面的字段重复", "used by an earlier field")));
        }
        let label = f.label.trim();
        if label.is_empty() || label.chars().count() > 30 {
            return Err(refuse(at("label"), Rule::RequiredUpTo(30)));
        }
        let kind = f.kind.trim();
        if !KIND_CODES.contains(&kind) {
            let zh = KINDS.iter().map(|(_, zh, _)| *zh).collect::<Vec<_>>().join("、");
            return Err(refuse(at("kind"), Rule::OneOf { zh: zh.into(), codes: KIND_CODES.join(", ").into() }));
        }
        let options: Vec<String> = f.options.iter().map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect();
        if kind == "choice" {
            let distinct = options.iter().enumerate().all(|(i, o)| !options[..i].contains(o));
            if !(2..=MAX_OPTIONS).contains(&options.len())
                || !distinct
                || options.iter().any(|o| o.chars().count() > 20)
            {
                let rule = context(
                    format!("单选需2至{MAX_OPTIONS}个不重复的选项，每项20字内"),
                    format!("a choice needs 2 to {MAX_OPTIONS} distinct options of up to 20 characters"),
                );
                return Err(refuse(at("options"), rule));
            }
        } else if !options.is_empty() {
            return Err(refuse(at("options"), context("只有单选字段有选项", "only a choice has options")));
        }
        out.push(ServiceField {
            key: key.to_string(),
            label: label.to_string(),
            kind: kind.to_string(),
            required: f.required,
            options,
        });
    }
    Ok(out)
}

/// Why one answer does not fit its field, in both languages; `None` when it fits.
fn problem(f: &ServiceField, v: &str, today: NaiveDate) -> Option<Rule> {
    let too_long = |max: usize| Rule::other(format!("最多{max}字"), format!("at most {max} characters"));
    match f.kind.as_str() {
        "date" => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) if d.format("%Y-%m-%d").to_string() == v => None,
            _ => Some(Rule::other("请按YYYY-MM-DD填写有效日期", "a real date as YYYY-MM-DD")),
        },
        "id_number" => IdNumber::parse(v, today)
            .err()
            .map(|_| Rule::other("不是有效的18位公民身份号码", "not a valid 18-digit ID number")),
        "phone" => Phone::parse(v).err().map(|_| Rule::other("不是有效的电话号码", "not a valid phone number")),
        "number" => match v.parse::<u32>() {
            Ok(n) if n <= 1_000_000 => None,
            _ => Some(Rule::other("请填写0至1000000的整数", "a whole number from 0 to 1,000,000")),
        },
        "choice" => (!f.options.iter().any(|o| o == v))
            .then(|| Rule::other(format!("请从{}中选择", f.options.join("、")), "choose one of the options")),
        kind => (v.chars().count() > max_len(kind)).then(|| too_long(max_len(kind))),
    }
}

/// What an application says, checked against the item's fields: every required field
/// filled, each answer of its kind, nothing else; returns the answers as stored (trimmed,
/// empty optional ones left out).
pub fn check_answers(
    fields: &[ServiceField],
    details: &BTreeMap<String, String>,
    today: NaiveDate,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for f in fields {
        let name = format!("details.{}", f.key);
        let v = details.get(&f.key).map(|v| v.trim()).unwrap_or_default();
        if v.is_empty() {
            if f.required {
                let rule = Rule::other(format!("请填写{}", f.label), format!("{} is required", f.key));
                return Err(refuse(name, rule));
            }
            continue;
        }
        if let Some(rule) = problem(f, v, today) {
            return Err(refuse(name, rule));
        }
        out.insert(f.key.clone(), v.to_string());
    }
    if let Some(extra) = details.keys().find(|k| !fields.iter().any(|f| &f.key == *k)) {
        return Err(refuse(format!("details.{extra}"), Rule::other("该事项不需要此项", "this item has no such field")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: &str, required: bool, options: &[&str]) -> ServiceField {
        ServiceField {
            key: "x".into(),
            label: "某项".into(),
            kind: kind.into(),
            required,
            options: options.iter().map(|o| o.to_string()).collect(),
        }
    }

    fn answer(f: &ServiceField, v: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
        check_answers(std::slice::from_ref(f), &BTreeMap::from([("x".to_string(), v.to_string())]), today)
    }

    #[test]
    fn the_kind_codes_the_schema_lists_are_the_kinds_the_forms_offer() {
        assert_eq!(KIND_CODES.to_vec(), KINDS.iter().map(|(c, _, _)| *c).collect::<Vec<_>>());
    }

    #[test]
    fn each_kind_accepts_its_own_values_and_refuses_others() {
        let cases: &[(&str, &[&str], &str, bool)] = &[
            ("date", &[], "2026-02-28", true),
            ("date", &[], "2026-02-30", false),
            ("date", &[], "2026-2-3", false),
            ("id_number", &[], "11010519491231002X", true),
            ("id_number", &[], "110105194912310021", false),
            ("phone", &[], "13800138000", true),
            ("phone", &[], "12345", false),
            ("number", &[], "3", true),
            ("number", &[], "-1", false),
            ("number", &[], "2000000", false),
            ("choice", &["男", "女"], "女", true),
            ("choice", &["男", "女"], "其他", false),
            ("text", &[], &"字".repeat(50), true),
            ("text", &[], &"字".repeat(51), false),
            ("long_text", &[], &"字".repeat(500), true),
            ("address", &[], &"字".repeat(101), false),
        ];
        for (kind, options, value, ok) in cases {
            let got = answer(&field(kind, true, options), value);
            assert_eq!(got.is_ok(), *ok, "{kind} {value}");
        }
    }

    #[test]
    fn an_optional_field_may_be_left_empty_and_a_required_one_may_not() {
        assert!(answer(&field("text", false, &[]), "  ").is_ok_and(|m| m.is_empty()));
        let refused = answer(&field("text", true, &[]), " ").err().map(|e| e.errors).unwrap_or_default();
        assert_eq!(refused.first().map(|e| e.field.as_str()), Some("details.x"), "named beside the field");
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
        let extra = BTreeMap::from([("y".to_string(), "1".to_string())]);
        assert!(check_answers(&[field("text", false, &[])], &extra, today).is_err(), "a field the item has not");
    }

    #[test]
    fn a_definition_needs_distinct_keys_known_kinds_and_options_only_on_a_choice() {
        let ok = vec![field("choice", true, &["甲", "乙"])];
        assert!(check_definitions(&ok).is_ok());
        let mut twice = ok.clone();
        twice.push(field("text", true, &[]));
        assert!(check_definitions(&twice).is_err(), "the same key twice");
        assert!(check_definitions(&[field("colour", true, &[])]).is_err(), "an unknown kind");
        assert!(check_definitions(&[field("choice", true, &["甲"])]).is_err(), "a choice of one");
        assert!(check_definitions(&[field("choice", true, &["甲", "甲"])]).is_err(), "a repeated option");
        assert!(check_definitions(&[field("text", true, &["甲"])]).is_err(), "options on a text");
        let mut bad_key = field("text", true, &[]);
        bad_key.key = "Name".into();
        assert!(check_definitions(&[bad_key]).is_err(), "an upper-case key");
        let many: Vec<_> =
            (0..=MAX_FIELDS).map(|i| ServiceField { key: format!("f{i}"), ..field("text", true, &[]) }).collect();
        assert!(check_definitions(&many).is_err(), "too many fields");
    }
}
