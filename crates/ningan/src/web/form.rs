//! The workbench's form state: what a refused form shows again. Every value the person typed
//! comes back as typed, each field's error sits beside the field in the page's language, and
//! the summary at the top counts the marked fields instead of naming internal field keys.
//! Templates draw fields with the macros of `templates/shared/form.html`.

use std::collections::HashMap;

use super::Tr;
use crate::http::error::{ApiError, split_bilingual};

#[derive(Debug, Clone, Default)]
pub struct FormState {
    en: bool,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
    /// How many of the refusal's errors were placed beside fields (a nested key is kept under
    /// its own name and its group's, but counts once).
    placed: usize,
    /// An error that belongs to no field (a state conflict, a refused transition).
    general: Option<String>,
}

impl FormState {
    /// A form shown for the first time.
    pub fn new(tr: Tr) -> FormState {
        FormState { en: tr.is_en(), ..FormState::default() }
    }

    /// Keeps what was typed (any struct of string fields, as it was deserialized).
    pub fn with_values(mut self, submitted: &impl serde::Serialize) -> FormState {
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(submitted) {
            for (k, v) in map {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => continue,
                    other => other.to_string(),
                };
                self.values.insert(k, text);
            }
        }
        self
    }

    /// Sets one value to show (a default, or a value the handler worked out).
    pub fn set(mut self, name: &str, value: impl Into<String>) -> FormState {
        self.values.insert(name.to_string(), value.into());
        self
    }

    /// Places an error: beside its field when it names one the form has (`fields`), else at
    /// the top in the page's language.
    pub fn refused(mut self, e: &ApiError, fields: &[&str]) -> FormState {
        let mut placed = false;
        for fe in &e.errors {
            let (zh, en) = split_bilingual(&fe.message);
            let text = if self.en { en } else { zh };
            // The field itself, else the group a nested key belongs to (`details.x` → `details`);
            // a nested key stays findable by its own name too, for forms that draw each one.
            let exact = fields.iter().any(|f| *f == fe.field);
            let group = fields.iter().find(|f| fe.field.starts_with(&format!("{f}.")));
            if exact || group.is_some() {
                self.errors.push((fe.field.clone(), text.to_string()));
                if let Some(g) = group.filter(|_| !exact) {
                    self.errors.push((g.to_string(), text.to_string()));
                }
                self.placed += 1;
                placed = true;
            }
        }
        if !placed {
            let detail = if self.en { &e.detail_en } else { &e.detail_zh };
            // A field error for a field this form does not show: its message without the key.
            let text = match e.errors.first() {
                Some(fe) => {
                    let (zh, en) = split_bilingual(&fe.message);
                    (if self.en { en } else { zh }).to_string()
                }
                None => detail.clone(),
            };
            self.general = Some(text);
        }
        self
    }

    /// The value to show in a field: as typed, or the default.
    pub fn value<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.values.get(name).map(String::as_str).unwrap_or(default)
    }

    /// Whether a choice (option, radio) is the one typed, or the default when nothing was.
    pub fn chose(&self, name: &str, option: &str, default: &str) -> bool {
        self.value(name, default) == option
    }

    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
    }

    /// `aria-invalid`'s value for a field.
    pub fn invalid(&self, name: &str) -> &'static str {
        if self.error(name).is_some() { "true" } else { "false" }
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.general.is_some()
    }

    /// The status of a page showing this form: 422 when it shows a refusal.
    pub fn status(&self) -> axum::http::StatusCode {
        if self.has_errors() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK }
    }

    /// The line at the top of a refused form.
    pub fn summary(&self) -> Option<String> {
        if let Some(g) = &self.general {
            return Some(g.clone());
        }
        match (self.placed, self.en) {
            (0, _) => None,
            (n, false) => Some(format!("有 {n} 项需要修改，请查看标出的内容")),
            (1, true) => Some("One field needs correcting: see the marked field".to_string()),
            (n, true) => Some(format!("{n} fields need correcting: see the marked fields")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Typed {
        amount: String,
        note: String,
    }

    #[test]
    fn a_field_error_sits_beside_its_field_in_the_pages_language() {
        let e = ApiError::field("amount", "金额应为数字", "amount must be a number");
        let typed = Typed { amount: "12x".into(), note: "已联系".into() };
        let zh = FormState::new(Tr::new("zh")).with_values(&typed).refused(&e, &["amount", "note"]);
        assert_eq!(zh.error("amount"), Some("金额应为数字"));
        assert_eq!(zh.value("amount", "0"), "12x", "what was typed comes back");
        assert_eq!(zh.value("note", ""), "已联系");
        assert_eq!(zh.invalid("amount"), "true");
        let summary = zh.summary().unwrap();
        assert!(summary.contains('1') && !summary.contains("amount"), "no field keys: {summary}");
        let en = FormState::new(Tr::new("en")).refused(&e, &["amount"]);
        assert_eq!(en.error("amount"), Some("amount must be a number"));
    }

    #[test]
    fn an_error_for_no_shown_field_goes_to_the_top_without_its_key() {
        let e = ApiError::field("details.补领原因", "该事项不需要此项", "this item has no such field");
        let f = FormState::new(Tr::new("zh")).refused(&e, &["reason"]);
        assert_eq!(f.summary().as_deref(), Some("该事项不需要此项"));
        let nested = FormState::new(Tr::new("zh")).refused(&e, &["details"]);
        assert_eq!(nested.error("details"), Some("该事项不需要此项"), "a nested key marks its group");
        assert_eq!(nested.error("details.补领原因"), Some("该事项不需要此项"), "and its own field");
        assert!(nested.summary().unwrap().contains('1'), "counted once");
    }
}
