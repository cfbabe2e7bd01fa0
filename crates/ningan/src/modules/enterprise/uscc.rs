//! Unified social credit codes (统一社会信用代码) per GB 32100-2015: validation that names the
//! part that is wrong, and synthesis of valid codes for the demo city. Pure: no I/O.
//!
//! Layout: 1 registration authority, 2 organisation category, 3–8 the administrative
//! division (GB/T 2260), 9–17 the organisation code (GB 11714, with its own check character
//! at 17), 18 the check character over the first seventeen.

use std::fmt;

/// The 31 characters a code may use (no I, O, S, V, Z), in value order.
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1–17: 3^(i-1) mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/// Weights of the organisation code's eight body characters (GB 11714).
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
/// Registration authorities: 机构编制, 外交, 司法行政, 文化, 民政, 旅游, 宗教, 工会, 市场监管
/// (工商), 中央军委改革和编制办公室, 农业, 其他.
const AUTHORITIES: &[u8] = b"123456789ANY";
/// Organisation categories common to the authorities (enterprise, individual business,
/// cooperative and the like, other).
const CATEGORIES: &[u8] = b"1239";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("统一社会信用代码应为18位，实为{0}位 / the credit code must have 18 characters, got {0}")]
    Length(usize),
    #[error(
        "第{position}位“{found}”不是代码允许的字符（数字及除 I、O、S、V、Z 外的大写字母） / character {position} “{found}” is not allowed (digits and capital letters other than I, O, S, V, Z)"
    )]
    Character { position: usize, found: char },
    #[error("第1位登记管理部门代码“{0}”无效 / registration authority “{0}” (character 1) is not valid")]
    Authority(char),
    #[error("第2位机构类别代码“{0}”无效 / organisation category “{0}” (character 2) is not valid")]
    Category(char),
    #[error("第3–8位行政区划码“{0}”无效 / the division code “{0}” (characters 3–8) is not valid")]
    Region(String),
    #[error(
        "第17位组织机构代码校验码应为{expected}，实为{actual} / the organisation code's check character (17) should be {expected}, got {actual}"
    )]
    OrgCheck { expected: char, actual: char },
    #[error("第18位校验码应为{expected}，实为{actual} / the check character (18) should be {expected}, got {actual}")]
    Check { expected: char, actual: char },
}

/// A validated credit code. Its only constructors validate or synthesize.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

fn value(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The organisation code's check character for its eight body characters.
fn org_check(body: &[u8]) -> char {
    let sum: u32 = body
        .iter()
        .zip(ORG_WEIGHTS)
        .map(|(&c, w)| if c.is_ascii_digit() { u32::from(c - b'0') } else { u32::from(c - b'A') + 10 } * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from(b'0' + n as u8),
    }
}

/// The final check character over the first seventeen.
fn check(first17: &[u8]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(&c, w)| value(c).unwrap_or(0) * w).sum();
    CHARSET[((31 - sum % 31) % 31) as usize] as char
}

impl Uscc {
    /// Validates a code; lowercase letters and surrounding spaces are accepted.
    pub fn parse(input: &str) -> Result<Uscc, UsccError> {
        let s = input.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(UsccError::Length(n));
        }
        let b = s.as_bytes();
        if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii() || value(*c as u8).is_none()) {
            return Err(UsccError::Character { position: i + 1, found: c });
        }
        if !AUTHORITIES.contains(&b[0]) {
            return Err(UsccError::Authority(b[0] as char));
        }
        if !CATEGORIES.contains(&b[1]) {
            return Err(UsccError::Category(b[1] as char));
        }
        let region = &s[2..8];
        let province = region.get(..2).and_then(|p| p.parse::<u32>().ok());
        if !region.bytes().all(|c| c.is_ascii_digit()) || !province.is_some_and(|p| (11..=82).contains(&p)) {
            return Err(UsccError::Region(region.to_string()));
        }
        let expected = org_check(&b[8..16]);
        if b[16] as char != expected {
            return Err(UsccError::OrgCheck { expected, actual: b[16] as char });
        }
        let expected = check(&b[..17]);
        if b[17] as char != expected {
            return Err(UsccError::Check { expected, actual: b[17] as char });
        }
        Ok(Uscc(s))
    }

    /// A valid code for a synthetic enterprise registered with market regulation (9, 1) in
    /// `region`, numbered `serial`: the demo city's and the tests' enterprises.
    pub fn synthesize(region: u32, serial: u64) -> Uscc {
        let mut body = Vec::with_capacity(8);
        let mut n = serial;
        for _ in 0..8 {
            // Digits and the letters the code allows, so the organisation code stays valid.
            body.push(CHARSET[(n % 31) as usize]);
            n /= 31;
        }
        body.reverse();
        let mut code = format!("91{region:06}").into_bytes();
        code.extend_from_slice(&body);
        code.push(org_check(&body) as u8);
        let last = check(&code);
        code.push(last as u8);
        Uscc(String::from_utf8_lossy(&code).into_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The administrative division the enterprise registered in (six digits, checked by
    /// [`Uscc::parse`]).
    pub fn region(&self) -> u32 {
        self.0.as_bytes()[2..8].iter().fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_published_code_is_valid_and_each_kind_of_mistake_is_named() {
        // A code in the published format (Tencent's, as printed on its licence).
        let ok = Uscc::parse("91440300708461136T").unwrap();
        assert_eq!(ok.region(), 440300);
        assert_eq!(Uscc::parse(" 91440300708461136t ").unwrap(), ok, "lowercase and spaces are accepted");
        assert_eq!(Uscc::parse("9144030070846113"), Err(UsccError::Length(16)));
        assert_eq!(Uscc::parse("91440300708461136I"), Err(UsccError::Character { position: 18, found: 'I' }));
        assert_eq!(Uscc::parse("B1440300708461136T"), Err(UsccError::Authority('B')));
        assert_eq!(Uscc::parse("97440300708461136T"), Err(UsccError::Category('7')));
        assert!(matches!(Uscc::parse("91000300708461136T"), Err(UsccError::Region(_))));
        assert!(matches!(Uscc::parse("91440300708461137T"), Err(UsccError::OrgCheck { expected: '6', .. })));
        assert!(matches!(Uscc::parse("91440300708461136A"), Err(UsccError::Check { expected: 'T', actual: 'A' })));
    }

    /// The brute-force model: recompute the check character by trying all 31 candidates and
    /// keeping the one whose weighted sum including it is divisible by 31.
    fn brute_check(first17: &str) -> char {
        let mut out = '?';
        for (v, &c) in CHARSET.iter().enumerate() {
            let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(ch, w)| value(ch).unwrap() * w).sum::<u32>() + v as u32;
            if sum.is_multiple_of(31) {
                out = c as char;
            }
        }
        out
    }

    proptest! {
        #[test]
        fn synthesized_codes_are_valid_and_agree_with_brute_force(serial in 0u64..852_891_037_440, region in 330201u32..330299) {
            let code = Uscc::synthesize(region, serial);
            prop_assert_eq!(Uscc::parse(code.as_str()), Ok(code.clone()));
            prop_assert_eq!(brute_check(&code.as_str()[..17]), code.as_str().chars().last().unwrap());
            prop_assert_eq!(code.region(), region);
        }

        #[test]
        fn any_single_changed_character_is_refused(serial in 0u64..1_000_000, pos in 0usize..18, delta in 1usize..31) {
            let code = Uscc::synthesize(330203, serial);
            let mut b = code.as_str().as_bytes().to_vec();
            let v = value(b[pos]).unwrap() as usize;
            b[pos] = CHARSET[(v + delta) % 31];
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(Uscc::parse(&changed).is_err(), "{} accepted", changed);
        }
    }
}
