//! Mobile phone numbers of residents: validation, normalisation to 11 digits, masking.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("手机号应为11位数字（可带+86），实为“{0}” / a mobile number has 11 digits (optionally +86), got “{0}”")]
    Format(String),
    #[error("手机号号段{0}无效 / mobile prefix {0} is not a Chinese mobile range (13x–19x)")]
    Prefix(String),
}

/// A Chinese mobile number, stored as its 11 digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts spaces and dashes between digits and a `+86`/`0086`/`86` country prefix.
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let compact: String = input.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let national = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
            .or_else(|| (compact.len() == 13).then(|| compact.strip_prefix("86")).flatten())
            .unwrap_or(&compact);
        if national.len() != 11 || !national.bytes().all(|b| b.is_ascii_digit()) {
            let shown: String = input.chars().take(24).collect();
            return Err(PhoneError::Format(shown));
        }
        let b = national.as_bytes();
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(PhoneError::Prefix(national[..3].to_string()));
        }
        Ok(Phone(national.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`.
    pub fn masked(&self) -> String {
        mask_phone_str(&self.0)
    }
}

/// Masks a stored phone string the way [`Phone::masked`] does.
pub fn mask_phone_str(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected: Result<&str, PhoneError>) {
        assert_eq!(Phone::parse(input).as_ref().map(Phone::as_str), expected.as_ref().map(|s| *s), "{input}");
    }

    #[test]
    fn accepts_common_written_forms() {
        check("13812345678", Ok("13812345678"));
        check("+86 138-1234-5678", Ok("13812345678"));
        check("008613812345678", Ok("13812345678"));
        check("8613812345678", Ok("13812345678"));
    }

    #[test]
    fn refuses_wrong_lengths_and_ranges() {
        check("1381234567", Err(PhoneError::Format("1381234567".into())));
        check("12812345678", Err(PhoneError::Prefix("128".into())));
        check("23812345678", Err(PhoneError::Prefix("238".into())));
        check("1381234567a", Err(PhoneError::Format("1381234567a".into())));
    }

    #[test]
    fn masks_middle_four() {
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Phone::parse(&s);
        }
    }
}
