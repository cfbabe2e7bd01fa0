//! Random secrets, hashes and password handling: session tokens, CSRF tokens, API tokens
//! (`ngn_<prefix>_<secret>`) and Argon2id password hashes.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A new API token: (full token to show once, prefix, hash of the secret to store).
pub fn new_api_token() -> (String, String, String) {
    let prefix = random_hex(6);
    let secret = random_hex(24);
    (format!("ngn_{prefix}_{secret}"), prefix.clone(), sha256_hex(secret.as_bytes()))
}

pub fn split_api_token(raw: &str) -> Option<(&str, &str)> {
    let rest = raw.strip_prefix("ngn_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 12 && secret.len() == 48).then_some((prefix, secret))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("密码至少需要10个字符 / a password needs at least 10 characters")]
    TooShort,
    #[error("密码不能超过128个字符 / a password may have at most 128 characters")]
    TooLong,
    #[error("密码须同时包含字母和数字 / a password needs both letters and digits")]
    TooSimple,
}

pub fn check_password_policy(p: &str) -> Result<(), PasswordError> {
    let n = p.chars().count();
    if n < 10 {
        return Err(PasswordError::TooShort);
    }
    if n > 128 {
        return Err(PasswordError::TooLong);
    }
    if !(p.chars().any(|c| c.is_alphabetic()) && p.chars().any(|c| c.is_ascii_digit())) {
        return Err(PasswordError::TooSimple);
    }
    Ok(())
}

/// Argon2id with the crate's recommended parameters; slow on purpose, so callers run it on
/// a blocking thread.
pub fn hash_password(p: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(p.as_bytes(), &salt)?.to_string())
}

pub fn verify_password(hash: &str, p: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(p.as_bytes(), &h).is_ok())
}

/// A hash of a random password, verified against for unknown usernames so that the time a
/// login takes does not tell whether the account exists.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_hex(16)).unwrap_or_default())
}

/// A password for a new account when none is given: 16 characters, letters and digits.
pub fn generate_password() -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    let mut p: String = buf.iter().map(|b| CHARS[*b as usize % CHARS.len()] as char).collect();
    // Guarantee the policy's letter-and-digit rule.
    p.replace_range(0..1, "k");
    p.replace_range(1..2, "7");
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse 42").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse 42"));
        assert!(!verify_password(&h, "correct horse 43"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn policy_names_the_rule() {
        assert_eq!(check_password_policy("short1"), Err(PasswordError::TooShort));
        assert_eq!(check_password_policy("onlyletters"), Err(PasswordError::TooSimple));
        assert_eq!(check_password_policy("letters4and5digits"), Ok(()));
        assert_eq!(check_password_policy(&generate_password()), Ok(()));
    }

    #[test]
    fn api_tokens_split_into_prefix_and_secret() {
        let (full, prefix, hash) = new_api_token();
        let (p, s) = split_api_token(&full).unwrap();
        assert_eq!(p, prefix);
        assert_eq!(sha256_hex(s.as_bytes()), hash);
        assert_eq!(split_api_token("ngn_short_x"), None);
    }
}
