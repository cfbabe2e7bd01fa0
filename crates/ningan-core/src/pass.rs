//! Resident pass tokens for smart gates (小门无感智控): who may pass is decided from a signed
//! token the resident shows as a QR code, never from a face. The token names a pseudonymous
//! person number and the compound the pass was issued for, and expires; a gate verifies the
//! Ed25519 signature offline with the bureau's public key.
//!
//! Layout (then URL-safe base64 without padding, 114 characters):
//! `version (1) | person (4, LE) | compound (8, LE) | issued (4, LE s) | expires (4, LE s) |
//! signature (64)` — the signature covers the first 21 bytes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

const VERSION: u8 = 1;
const BODY: usize = 21;
const TOKEN: usize = BODY + 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub person: u32,
    pub compound: i64,
    /// Seconds since the epoch.
    pub issued: u32,
    pub expires: u32,
}

/// Why a token was not accepted; the gate's reason code says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PassError {
    #[error("通行码格式无效 / malformed pass")]
    Malformed,
    #[error("通行码签名无效 / bad signature")]
    Signature,
    #[error("通行码已过期 / pass expired")]
    Expired,
    #[error("通行码尚未生效 / pass not yet valid")]
    NotYetValid,
}

impl PassError {
    pub fn code(self) -> &'static str {
        match self {
            PassError::Malformed => "pass_malformed",
            PassError::Signature => "pass_signature",
            PassError::Expired => "pass_expired",
            PassError::NotYetValid => "pass_not_yet_valid",
        }
    }
}

impl Pass {
    fn body(&self) -> [u8; BODY] {
        let mut b = [0u8; BODY];
        b[0] = VERSION;
        b[1..5].copy_from_slice(&self.person.to_le_bytes());
        b[5..13].copy_from_slice(&self.compound.to_le_bytes());
        b[13..17].copy_from_slice(&self.issued.to_le_bytes());
        b[17..21].copy_from_slice(&self.expires.to_le_bytes());
        b
    }

    pub fn sign(&self, key: &SigningKey) -> String {
        let body = self.body();
        let sig = key.sign(&body);
        let mut bytes = Vec::with_capacity(TOKEN);
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&sig.to_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Checks the signature and the validity window at `now` (seconds).
    pub fn verify(token: &str, key: &VerifyingKey, now: u32) -> Result<Pass, PassError> {
        let pass = Pass::open(token, key)?;
        pass.validity(now)?;
        Ok(pass)
    }

    /// Whether the pass is valid at `now`; a little clock skew is forgiven at the start.
    pub fn validity(&self, now: u32) -> Result<(), PassError> {
        if now >= self.expires {
            return Err(PassError::Expired);
        }
        if now.saturating_add(300) < self.issued {
            return Err(PassError::NotYetValid);
        }
        Ok(())
    }

    /// Checks the signature only: an expired pass still says whose it is.
    pub fn open(token: &str, key: &VerifyingKey) -> Result<Pass, PassError> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| PassError::Malformed)?;
        if bytes.len() != TOKEN || bytes[0] != VERSION {
            return Err(PassError::Malformed);
        }
        let (body, sig) = bytes.split_at(BODY);
        let sig = Signature::from_slice(sig).map_err(|_| PassError::Malformed)?;
        key.verify(body, &sig).map_err(|_| PassError::Signature)?;
        let word = |r: std::ops::Range<usize>| -> Result<[u8; 4], PassError> {
            body[r].try_into().map_err(|_| PassError::Malformed)
        };
        let compound: [u8; 8] = body[5..13].try_into().map_err(|_| PassError::Malformed)?;
        let pass = Pass {
            person: u32::from_le_bytes(word(1..5)?),
            compound: i64::from_le_bytes(compound),
            issued: u32::from_le_bytes(word(13..17)?),
            expires: u32::from_le_bytes(word(17..21)?),
        };
        Ok(pass)
    }
}

/// A signing key from its 32-byte seed in hex, as stored.
pub fn signing_key_from_hex(hex_seed: &str) -> Option<SigningKey> {
    let hex_seed = hex_seed.trim();
    if hex_seed.len() != 64 {
        return None;
    }
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex_seed.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(SigningKey::from_bytes(&seed))
}

pub fn signing_key_to_hex(key: &SigningKey) -> String {
    key.to_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The public key as URL-safe base64, for gates to verify offline.
pub fn public_key_b64(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_pass_verifies_until_it_expires() {
        let k = key(7);
        let p = Pass { person: 42, compound: 9, issued: 1_000, expires: 2_000 };
        let t = p.sign(&k);
        assert_eq!(t.len(), 114);
        assert_eq!(Pass::verify(&t, &k.verifying_key(), 1_500), Ok(p));
        assert_eq!(Pass::verify(&t, &k.verifying_key(), 2_000), Err(PassError::Expired));
        assert_eq!(Pass::verify(&t, &k.verifying_key(), 500), Err(PassError::NotYetValid));
        assert_eq!(Pass::verify(&t, &key(8).verifying_key(), 1_500), Err(PassError::Signature));
        assert_eq!(Pass::verify("not a pass", &k.verifying_key(), 1_500), Err(PassError::Malformed));
        let hex = signing_key_to_hex(&k);
        assert_eq!(signing_key_from_hex(&hex).map(|k| k.to_bytes()), Some(k.to_bytes()));
        assert!(signing_key_from_hex("zz").is_none());
    }

    proptest! {
        #[test]
        fn any_changed_byte_breaks_the_signature(i in 0usize..85, flip in 1u8..=255) {
            let k = key(3);
            let p = Pass { person: 5, compound: 77, issued: 10, expires: 100 };
            let mut bytes = URL_SAFE_NO_PAD.decode(p.sign(&k)).unwrap();
            bytes[i] ^= flip;
            let forged = URL_SAFE_NO_PAD.encode(bytes);
            prop_assert!(Pass::verify(&forged, &k.verifying_key(), 50).is_err());
        }
    }
}
