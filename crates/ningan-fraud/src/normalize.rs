//! Canonical forms of the identifiers a watchlist holds, so that "0574-8765 4321",
//! "+86 574 87654321" and "057487654321" are one number and "HTTP://Ex.COM./a/" is "ex.com/a".

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error(
        "号码“{0}”不是可识别的电话号码（手机、固话、95/96/400/106号码或+国际号码） / not a recognisable phone number"
    )]
    Phone(String),
    #[error("网址“{0}”缺少有效域名 / the URL has no valid host")]
    Url(String),
    #[error("域名“{0}”无效 / invalid domain")]
    Domain(String),
    #[error("银行账号“{0}”应为10至30位数字 / a bank account has 10 to 30 digits")]
    BankAccount(String),
    #[error("支付账号“{0}”无效（3至64位字母、数字、_.@-） / invalid payment account")]
    PayAccount(String),
    #[error("应用包名“{0}”无效（如 com.example.app） / invalid app package name")]
    App(String),
}

fn shown(input: &str) -> String {
    input.chars().take(40).collect()
}

/// E.164 with a `+`: mobiles `+8613812345678`, landlines without the trunk 0
/// (`+8657487654321`), service numbers 95xxx/96xxx/400/800/106 as `+86` plus the digits,
/// foreign numbers as given after `+` or `00`.
pub fn phone(input: &str) -> Result<String, NormalizeError> {
    let mut out = String::with_capacity(16);
    phone_into(input, &mut out)?;
    Ok(out)
}

/// [`phone`] into a reused buffer, for the scoring path.
pub fn phone_into(input: &str, out: &mut String) -> Result<(), NormalizeError> {
    let mut buf = [0u8; 24];
    let mut len = 0;
    let mut plus = false;
    for (i, c) in input.trim().chars().enumerate() {
        match c {
            '0'..='9' if len < buf.len() => {
                buf[len] = c as u8;
                len += 1;
            }
            '+' if i == 0 => plus = true,
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return Err(NormalizeError::Phone(shown(input))),
        }
    }
    let digits = std::str::from_utf8(&buf[..len]).map_err(|_| NormalizeError::Phone(shown(input)))?;
    let err = || NormalizeError::Phone(shown(input));
    let international = if plus { Some(digits) } else { digits.strip_prefix("00") };
    let national = match international {
        Some(rest) => match rest.strip_prefix("86") {
            Some(cn) => cn,
            None if (7..=15).contains(&rest.len()) && !rest.starts_with('0') => {
                out.clear();
                out.push('+');
                out.push_str(rest);
                return Ok(());
            }
            None => return Err(err()),
        },
        None if digits.len() == 13 && digits.starts_with("861") => &digits[2..],
        None => digits,
    };
    let national = national_form(national).ok_or_else(err)?;
    out.clear();
    out.push_str("+86");
    out.push_str(national);
    Ok(())
}

/// The national significant number, without the trunk 0.
fn national_form(n: &str) -> Option<&str> {
    let b = n.as_bytes();
    let len = b.len();
    match b.first()? {
        b'1' if len == 11 && (b'3'..=b'9').contains(&b[1]) => Some(n),
        // 106 bulk-SMS sender numbers, the usual disguise of fraudulent texts.
        b'1' if n.starts_with("106") && (8..=20).contains(&len) => Some(n),
        b'9' if (n.starts_with("95") || n.starts_with("96")) && (5..=8).contains(&len) => Some(n),
        b'4' | b'8' if (n.starts_with("400") || n.starts_with("800")) && len == 10 => Some(n),
        // Area codes: 010 and 02x have two digits after the 0, the rest three; subscribers
        // have 7 or 8 digits.
        b'0' => {
            let area = if b.get(1) == Some(&b'1') || b.get(1) == Some(&b'2') { 3 } else { 4 };
            let subscriber = len.checked_sub(area)?;
            ((7..=8).contains(&subscriber) && b[1] != b'0').then(|| &n[1..])
        }
        // An 11/12-digit landline given without the trunk 0 after +86.
        b'2'..=b'9' if (9..=11).contains(&len) => Some(n),
        _ => None,
    }
}

/// Lower case, IDNA to ASCII (punycode), no trailing dot, at least two labels.
pub fn domain(input: &str) -> Result<String, NormalizeError> {
    let mut out = String::new();
    domain_into(input, &mut out)?;
    Ok(out)
}

/// Appends the canonical host to `out`.
fn domain_into(input: &str, out: &mut String) -> Result<(), NormalizeError> {
    let host = input.trim().trim_end_matches('.');
    let start = out.len();
    // Nearly every host is already ASCII; UTS 46 mapping costs more than the rest of scoring.
    if host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        out.extend(host.bytes().map(|b| b.to_ascii_lowercase() as char));
    } else {
        out.push_str(&idna::domain_to_ascii(host).map_err(|_| NormalizeError::Domain(shown(input)))?);
    }
    let ascii = &out[start..];
    let valid = ascii.contains('.')
        && ascii.split('.').all(|l| !l.is_empty() && l.len() <= 63)
        && ascii.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid {
        out.truncate(start);
        return Err(NormalizeError::Domain(shown(input)));
    }
    Ok(())
}

/// `host/path`: scheme, user info, port, query and fragment dropped, host as [`domain`],
/// path without trailing slashes (a bare host stays bare).
pub fn url(input: &str) -> Result<String, NormalizeError> {
    let mut out = String::new();
    url_into(input, &mut out)?;
    Ok(out)
}

/// [`url`] into a reused buffer.
pub fn url_into(input: &str, out: &mut String) -> Result<(), NormalizeError> {
    out.clear();
    let s = input.trim();
    let rest = match s.find("://") {
        Some(i) if s[..i].bytes().all(|b| b.is_ascii_alphabetic()) => &s[i + 3..],
        _ => s,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let rest = &rest[..end];
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = match host.rfind(':') {
        Some(i) if host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &host[..i],
        _ => host,
    };
    domain_into(host, out).map_err(|_| NormalizeError::Url(shown(input)))?;
    out.push_str(path.trim_end_matches('/'));
    Ok(())
}

/// The host and each parent domain of a normalised URL, longest first, down to two labels:
/// `a.b.ex.com/p` gives `a.b.ex.com`, `b.ex.com`, `ex.com`.
pub fn url_domains(normalized_url: &str) -> impl Iterator<Item = &str> {
    let host = normalized_url.split('/').next().unwrap_or(normalized_url);
    let mut next = Some(host);
    std::iter::from_fn(move || {
        let current = next?;
        next = current.split_once('.').map(|(_, parent)| parent).filter(|p| p.contains('.'));
        Some(current)
    })
}

/// Digits only.
pub fn bank_account(input: &str) -> Result<String, NormalizeError> {
    let mut out = String::with_capacity(24);
    bank_account_into(input, &mut out)?;
    Ok(out)
}

/// [`bank_account`] into a reused buffer.
pub fn bank_account_into(input: &str, out: &mut String) -> Result<(), NormalizeError> {
    out.clear();
    for c in input.trim().chars() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '-' => {}
            _ => return Err(NormalizeError::BankAccount(shown(input))),
        }
    }
    if !(10..=30).contains(&out.len()) {
        return Err(NormalizeError::BankAccount(shown(input)));
    }
    Ok(())
}

/// Payment platform accounts: a phone number in its E.164 form, otherwise lower case.
pub fn pay_account(input: &str) -> Result<String, NormalizeError> {
    if let Ok(p) = phone(input) {
        return Ok(p);
    }
    let s = input.trim().to_lowercase();
    let ok = (3..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b'-'));
    if !ok {
        return Err(NormalizeError::PayAccount(shown(input)));
    }
    Ok(s)
}

/// `com.example.app`: lower case, two or more dot-separated segments of letters, digits, `_`.
pub fn app(input: &str) -> Result<String, NormalizeError> {
    let s = input.trim().to_ascii_lowercase();
    let ok = s.len() <= 200
        && s.split('.').count() >= 2
        && s.split('.').all(|seg| {
            seg.as_bytes().first().is_some_and(|b| b.is_ascii_alphabetic())
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    if !ok {
        return Err(NormalizeError::App(shown(input)));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_in_every_written_form_are_one_number() {
        for form in ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678", "8613812345678"] {
            assert_eq!(phone(form).unwrap(), "+8613812345678", "{form}");
        }
    }

    #[test]
    fn landlines_drop_the_trunk_zero() {
        assert_eq!(phone("0574-87654321").unwrap(), "+8657487654321");
        assert_eq!(phone("(0574) 8765 4321").unwrap(), "+8657487654321");
        assert_eq!(phone("+86 574 87654321").unwrap(), "+8657487654321");
        assert_eq!(phone("010-12345678").unwrap(), "+861012345678");
        assert_eq!(phone("021 1234567").unwrap(), "+86211234567");
    }

    #[test]
    fn service_and_bulk_sms_numbers_are_accepted() {
        assert_eq!(phone("95588").unwrap(), "+8695588");
        assert_eq!(phone("96110").unwrap(), "+8696110");
        assert_eq!(phone("400-123-4567").unwrap(), "+864001234567");
        assert_eq!(phone("10690000123").unwrap(), "+8610690000123");
        assert_eq!(phone("+1 202 555 0143").unwrap(), "+12025550143");
        assert_eq!(phone("0044 20 7946 0958").unwrap(), "+442079460958");
    }

    #[test]
    fn garbage_is_not_a_phone_number() {
        for bad in ["", "12345", "abc", "1381234567x", "0001234567", "+0123", "23812345678901234"] {
            assert!(phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_lose_case_scheme_port_query_and_trailing_dots() {
        assert_eq!(url("HTTPS://Pay.Example.COM.:8443/Login/?id=3#x").unwrap(), "pay.example.com/Login");
        assert_eq!(url("example.com").unwrap(), "example.com");
        assert_eq!(url("http://user@example.com/").unwrap(), "example.com");
        assert_eq!(url("http://例子.测试/a").unwrap(), "xn--fsqu00a.xn--0zwm56d/a");
        assert!(url("http://localhost/").is_err());
        assert!(url("not a url").is_err());
    }

    #[test]
    fn a_url_is_checked_against_its_host_and_parents() {
        let d: Vec<_> = url_domains("a.b.ex.com/p/q").collect();
        assert_eq!(d, ["a.b.ex.com", "b.ex.com", "ex.com"]);
        assert_eq!(url_domains("ex.com").collect::<Vec<_>>(), ["ex.com"]);
    }

    #[test]
    fn accounts_and_apps_have_one_form() {
        assert_eq!(bank_account("6222 0212 3456 7890 123").unwrap(), "6222021234567890123");
        assert!(bank_account("62220x").is_err());
        assert_eq!(pay_account("138-1234-5678").unwrap(), "+8613812345678");
        assert_eq!(pay_account(" Scam_Shop@Pay ").unwrap(), "scam_shop@pay");
        assert_eq!(app("Com.Fake.Loan").unwrap(), "com.fake.loan");
        assert!(app("fakeloan").is_err());
        assert!(app("com..x").is_err());
    }
}
