//! Resident identity numbers (居民身份号码) per GB 11643-1999: validation that says which part
//! is wrong, and masking for display.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// Weights of the first 17 digits in the ISO 7064 MOD 11-2 check.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder 0..=10.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";
/// Province-level codes of GB/T 2260 (the first two digits of every region code).
const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("身份证号应为18位，实为{0}位 / ID number must have 18 characters, got {0}")]
    Length(usize),
    #[error(
        "身份证号前17位必须是数字，末位为数字或X / the first 17 characters must be digits and the last a digit or X"
    )]
    Characters,
    #[error("地区码{0}无效 / region code {0} is not a valid GB/T 2260 code")]
    Region(String),
    #[error("出生日期{0}无效 / birth date {0} is not a valid past date")]
    BirthDate(String),
    #[error("校验码应为{expected}，实为{actual} / check digit should be {expected}, got {actual}")]
    CheckDigit { expected: char, actual: char },
}

/// A validated 18-character identity number. Its only constructor validates.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    /// Validates against `today` (births in the future are refused). A lowercase `x` is
    /// accepted and stored as `X`.
    pub fn parse(input: &str, today: NaiveDate) -> Result<IdNumber, IdNumberError> {
        let s = input.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(IdNumberError::Length(n));
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdNumberError::Characters);
        }
        let region = &s[..6];
        let province: u32 = digits(&b[..2]);
        if !PROVINCES.contains(&province) || &s[2..6] == "0000" {
            return Err(IdNumberError::Region(region.to_string()));
        }
        let birth = &s[6..14];
        NaiveDate::from_ymd_opt(digits(&b[6..10]) as i32, digits(&b[10..12]), digits(&b[12..14]))
            .filter(|d| d.year() >= 1900 && *d <= today)
            .ok_or_else(|| IdNumberError::BirthDate(birth.to_string()))?;
        let expected = check_char(&b[..17]);
        if b[17] != expected {
            return Err(IdNumberError::CheckDigit { expected: expected as char, actual: b[17] as char });
        }
        Ok(IdNumber(s))
    }

    /// Builds a valid number from a region code, a birth date and a 3-digit sequence; used by
    /// the demo generator and tests so synthetic people always validate.
    pub fn synthesize(region: u32, birth: NaiveDate, sequence: u16) -> IdNumber {
        let body =
            format!("{region:06}{:04}{:02}{:02}{:03}", birth.year(), birth.month(), birth.day(), sequence % 1000);
        let check = check_char(body.as_bytes()) as char;
        IdNumber(format!("{body}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn region_code(&self) -> u32 {
        digits(&self.0.as_bytes()[..6])
    }

    pub fn birth_date(&self) -> NaiveDate {
        let b = self.0.as_bytes();
        // Validated on construction, so the date exists.
        NaiveDate::from_ymd_opt(digits(&b[6..10]) as i32, digits(&b[10..12]), digits(&b[12..14])).unwrap_or_default()
    }

    /// Odd sequence digit: male; even: female.
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    /// `330203***********4`: the region code and the check character only.
    pub fn masked(&self) -> String {
        mask_id_str(&self.0)
    }
}

/// Masks any stored identity-number string the same way [`IdNumber::masked`] does, without
/// re-validating it (stored values were validated on entry).
///
/// Why so little is kept: the eight digits after the region are the birth date and the next
/// three a sequence of which the parity is the sex, so a mask that keeps the last four beside a
/// birth date or an age leaves a few dozen candidates, and the check digit picks one. With the
/// region and the check character alone, even a known birth date leaves about ninety.
pub fn mask_id_str(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    format!("{head}{}{}", "*".repeat(chars.len() - 7), chars[chars.len() - 1])
}

/// What a masked view shows instead of a birth date: the ten-year band of the age on `today`
/// (`"30–39"`), or `"?"` for a date that does not parse.
pub fn age_band(birth_date: &str, today: NaiveDate) -> String {
    let Ok(birth) = NaiveDate::parse_from_str(birth_date, "%Y-%m-%d") else { return "?".into() };
    let Some(age) = today.years_since(birth) else { return "0–9".into() };
    let low = age / 10 * 10;
    format!("{low}–{}", low + 9)
}

fn digits(b: &[u8]) -> u32 {
    b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl fmt::Display for IdNumber {
    /// Displays masked: a full number must be asked for explicitly with [`IdNumber::as_str`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn check(input: &str, expected: Result<&str, IdNumberError>) {
        let got = IdNumber::parse(input, today());
        assert_eq!(got.as_ref().map(IdNumber::as_str), expected.as_ref().map(|s| *s));
    }

    #[test]
    fn accepts_valid_numbers_and_normalises_x() {
        // The GB 11643 worked example.
        check("11010519491231002X", Ok("11010519491231002X"));
        check("11010519491231002x", Ok("11010519491231002X"));
        check(" 110105194912310021 ".trim(), Err(IdNumberError::CheckDigit { expected: 'X', actual: '1' }));
    }

    #[test]
    fn names_the_wrong_part() {
        check("1101051949", Err(IdNumberError::Length(10)));
        check("11010519491231002Y", Err(IdNumberError::Characters));
        check("99010519491231002X", Err(IdNumberError::Region("990105".into())));
        check("110000194912310020", Err(IdNumberError::Region("110000".into())));
        check("110105194902300021", Err(IdNumberError::BirthDate("19490230".into())));
        check("110105203001010021", Err(IdNumberError::BirthDate("20300101".into())));
    }

    #[test]
    fn masks_keep_only_region_and_check_character() {
        let id = IdNumber::synthesize(330203, NaiveDate::from_ymd_opt(1990, 5, 17).unwrap(), 123);
        let m = id.masked();
        assert_eq!(&m[..6], "330203");
        assert_eq!(&m[6..17], "***********");
        assert_eq!(&m[17..], &id.as_str()[17..]);
        assert_eq!(format!("{id}"), m, "Display never shows the full number");
        assert!(!format!("{id:?}").contains(&id.as_str()[6..14]));
    }

    #[test]
    fn a_masked_number_beside_a_known_birth_date_leaves_many_candidates() {
        // The attack the mask must hold against: region and birth date known, sequence unknown.
        let birth = NaiveDate::from_ymd_opt(1990, 5, 17).unwrap();
        let id = IdNumber::synthesize(330203, birth, 123);
        let m = id.masked();
        let candidates =
            (0..1000u16).map(|seq| IdNumber::synthesize(330203, birth, seq)).filter(|c| c.masked() == m).count();
        assert!(candidates >= 80, "only {candidates} numbers share the mask");
    }

    #[test]
    fn age_bands_are_ten_years_wide() {
        assert_eq!(age_band("1990-05-17", today()), "30–39");
        assert_eq!(age_band("2026-11-30", today()), "0–9");
        assert_eq!(age_band("2016-11-29", today()), "10–19");
        assert_eq!(age_band("bad", today()), "?");
    }

    proptest! {
        #[test]
        fn synthesized_numbers_always_validate(
            region in prop::sample::select(vec![330203u32, 330205, 330206, 330211, 330212, 330213, 330225, 330226, 330281, 330282]),
            days in 0i64..40000,
            seq in 0u16..1000,
        ) {
            let birth = NaiveDate::from_ymd_opt(1910, 1, 1).unwrap() + chrono::Duration::days(days);
            let id = IdNumber::synthesize(region, birth, seq);
            let parsed = IdNumber::parse(id.as_str(), today()).unwrap();
            prop_assert_eq!(parsed.birth_date(), birth);
            prop_assert_eq!(parsed.region_code(), region);
        }

        #[test]
        fn any_single_digit_change_is_caught(pos in 0usize..17, delta in 1u8..10) {
            let id = IdNumber::synthesize(330212, NaiveDate::from_ymd_opt(1985, 3, 9).unwrap(), 57);
            let mut b = id.as_str().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(b).unwrap();
            prop_assert!(IdNumber::parse(&s, today()).is_err());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = IdNumber::parse(&s, today());
        }
    }
}
