//! Free text from people (names, addresses, notes, stated purposes), checked in one place:
//! no control characters, no bidirectional overrides that make a text read differently from
//! what is stored, not only invisible characters, and a length cap. Zero-width characters are
//! dropped, since they only hide differences between otherwise equal texts.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("必填 / required")]
    Empty,
    #[error("最多{0}个字符 / at most {0} characters")]
    TooLong(usize),
    #[error("至少{0}个可见字符 / at least {0} visible characters")]
    TooShort(usize),
    #[error("含有控制字符 / contains control characters")]
    Control,
    #[error("含有改变文字方向的字符 / contains direction-override characters")]
    DirectionOverride,
}

impl TextError {
    pub fn zh(&self) -> String {
        self.to_string().split(" / ").next().unwrap_or_default().to_string()
    }

    pub fn en(&self) -> String {
        self.to_string().split(" / ").nth(1).unwrap_or_default().to_string()
    }
}

/// A checked single-line text.
#[derive(Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({} chars)", self.0.chars().count())
    }
}

fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}')
}

fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// A character that carries meaning: a letter or digit of any script (CJK included).
fn is_meaningful(c: char) -> bool {
    c.is_alphanumeric()
}

/// Checks a single-line text: trimmed, zero-width characters dropped, at most `max` characters,
/// and at least `min_meaningful` letters or digits (0 allows punctuation-only text but not an
/// empty one).
pub fn line(input: &str, min_meaningful: usize, max: usize) -> Result<Text, TextError> {
    let cleaned: String = input.chars().filter(|c| !is_zero_width(*c)).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        return Err(TextError::Empty);
    }
    if cleaned.chars().any(is_direction_control) {
        return Err(TextError::DirectionOverride);
    }
    if cleaned.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    let n = cleaned.chars().count();
    if n > max {
        return Err(TextError::TooLong(max));
    }
    if cleaned.chars().filter(|c| is_meaningful(*c)).count() < min_meaningful {
        return Err(TextError::TooShort(min_meaningful));
    }
    Ok(Text(cleaned.to_string()))
}

/// A multi-line note: as [`line`], but line breaks and tabs are kept.
pub fn note(input: &str, max: usize) -> Result<Text, TextError> {
    let cleaned: String = input.chars().filter(|c| !is_zero_width(*c)).collect();
    let cleaned = cleaned.trim();
    if cleaned.chars().any(is_direction_control) {
        return Err(TextError::DirectionOverride);
    }
    if cleaned.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(TextError::Control);
    }
    if cleaned.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    Ok(Text(cleaned.to_string()))
}

/// A person's name: 1–64 characters with at least one letter.
pub fn person_name(input: &str) -> Result<Text, TextError> {
    line(input, 1, 64)
}

/// An address: 2–200 characters.
pub fn address(input: &str) -> Result<Text, TextError> {
    line(input, 2, 200)
}

/// The purpose stated for seeing personal data in full: 2–200 characters, at least two of
/// them letters or digits, so that `..` or two invisible characters are no purpose.
pub fn purpose(input: &str) -> Result<Text, TextError> {
    line(input, 2, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn purposes_need_visible_words() {
        assert_eq!(purpose("核查案件").unwrap().as_str(), "核查案件");
        assert_eq!(purpose(" case check ").unwrap().as_str(), "case check");
        assert_eq!(purpose(".."), Err(TextError::TooShort(2)));
        assert_eq!(purpose("\u{200B}\u{200B}"), Err(TextError::Empty));
        assert_eq!(purpose("核\u{200B}"), Err(TextError::TooShort(2)));
        assert_eq!(purpose(&"查".repeat(201)), Err(TextError::TooLong(200)));
    }

    #[test]
    fn names_refuse_control_and_direction_characters() {
        assert_eq!(person_name("张\u{0}三"), Err(TextError::Control));
        assert_eq!(person_name("\u{202E}三张"), Err(TextError::DirectionOverride));
        assert_eq!(person_name("\u{200D}\u{200B}"), Err(TextError::Empty));
        assert_eq!(person_name("张\u{200B}三").unwrap().as_str(), "张三");
        assert_eq!(address(&"路".repeat(100_000)), Err(TextError::TooLong(200)));
    }

    #[test]
    fn notes_keep_line_breaks() {
        assert_eq!(note("一\n二", 10).unwrap().as_str(), "一\n二");
        assert_eq!(note("a\u{7}", 10), Err(TextError::Control));
    }

    proptest! {
        #[test]
        fn accepted_lines_hold_no_hidden_characters(s in "\\PC{0,40}") {
            if let Ok(t) = line(&s, 0, 64) {
                prop_assert!(!t.as_str().is_empty());
                prop_assert!(!t.as_str().chars().any(|c| c.is_control() || is_zero_width(c) || is_direction_control(c)));
                prop_assert!(t.as_str().chars().count() <= 64);
            }
        }
    }
}
