//! Signed exchange messages and the hash-chained message log (as X-Road keeps one): every
//! request the bureau sends a partner and every answer it receives is signed by its sender
//! with an Ed25519 key registered with the other side, and logged. A log entry holds the
//! message's body hash, the sender's signature and key id, and the hash of the entry before
//! it; the bureau signs each entry's hash, so editing, removing or reordering any entry breaks
//! the chain or a signature, and a third party holding the public keys can check it all.
//!
//! A message signature covers `"{timestamp}.{hex sha256(body)}"`: the log can verify it from
//! the body hash alone, without keeping personal data.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The hash a chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn message_bytes(timestamp: i64, body_sha256: &str) -> Vec<u8> {
    format!("{timestamp}.{body_sha256}").into_bytes()
}

/// The sender's signature of a message, hex.
pub fn sign_message(key: &SigningKey, timestamp: i64, body_sha256: &str) -> String {
    hex::encode(key.sign(&message_bytes(timestamp, body_sha256)).to_bytes())
}

pub fn verify_message(key: &VerifyingKey, timestamp: i64, body_sha256: &str, signature: &str) -> bool {
    let Some(sig) = signature_from_hex(signature) else { return false };
    key.verify(&message_bytes(timestamp, body_sha256), &sig).is_ok()
}

fn signature_from_hex(s: &str) -> Option<Signature> {
    let mut bytes = [0u8; 64];
    hex::decode_to_slice(s, &mut bytes).ok()?;
    Some(Signature::from_bytes(&bytes))
}

pub fn verifying_key_from_hex(s: &str) -> Option<VerifyingKey> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut bytes).ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

pub fn signing_key_from_hex(s: &str) -> Option<SigningKey> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut bytes).ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

/// A key's id: the first 16 hex digits of its public key's SHA-256.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// One logged message, as chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub at_ms: i64,
    /// `out` (the bureau sent it) or `in` (a partner did).
    pub direction: String,
    pub peer: String,
    pub kind: String,
    pub request_id: String,
    pub body_sha256: String,
    pub signed_ts: i64,
    /// The sender's key and signature; none for a partner that signs with a shared secret
    /// only (an answer the bureau cannot attribute).
    pub key_id: Option<String>,
    pub signature: Option<String>,
    pub prev_hash: String,
}

impl Entry {
    /// `hex sha256` over every field and the previous entry's hash, unambiguously separated.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for field in [
            self.seq.to_string().as_str(),
            self.at_ms.to_string().as_str(),
            &self.direction,
            &self.peer,
            &self.kind,
            &self.request_id,
            &self.body_sha256,
            self.signed_ts.to_string().as_str(),
            self.key_id.as_deref().unwrap_or(""),
            self.signature.as_deref().unwrap_or(""),
            &self.prev_hash,
        ] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// The bureau's signature of an entry's hash.
pub fn seal(key: &SigningKey, entry_hash: &str) -> String {
    hex::encode(key.sign(entry_hash.as_bytes()).to_bytes())
}

pub fn seal_ok(key: &VerifyingKey, entry_hash: &str, seal: &str) -> bool {
    signature_from_hex(seal).is_some_and(|s| key.verify(entry_hash.as_bytes(), &s).is_ok())
}

/// What is wrong with a logged entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error(
        "第{0}条：与上一条的链接断开（条目被删除、插入或改动） / entry {0}: the chain to the entry before is broken"
    )]
    Chain(i64),
    #[error("第{0}条：内容与其哈希不符（条目被改动） / entry {0}: does not match its hash")]
    Hash(i64),
    #[error("第{0}条：公安局的封签无效 / entry {0}: the bureau's seal does not verify")]
    Seal(i64),
    #[error("第{0}条：发送方签名无效 / entry {0}: the sender's signature does not verify")]
    Signature(i64),
    #[error("第{0}条：签名密钥“{1}”未登记 / entry {0}: key {1} is not registered")]
    UnknownKey(i64, String),
}

/// A stored entry with its hash and the bureau's seal.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub entry: Entry,
    pub entry_hash: String,
    pub seal_key_id: String,
    pub seal: String,
}

/// Checks a log from its start: links, hashes, the bureau's seals and every sender's
/// signature against the registered keys (`key id → key`). The first fault found, if any.
pub fn check(
    entries: impl IntoIterator<Item = Sealed>,
    keys: &dyn Fn(&str) -> Option<VerifyingKey>,
    mut prev: String,
) -> Result<(u64, String), Broken> {
    let mut n = 0;
    for s in entries {
        let e = &s.entry;
        if e.prev_hash != prev {
            return Err(Broken::Chain(e.seq));
        }
        if e.hash() != s.entry_hash {
            return Err(Broken::Hash(e.seq));
        }
        let seal_key = keys(&s.seal_key_id).ok_or_else(|| Broken::UnknownKey(e.seq, s.seal_key_id.clone()))?;
        if !seal_ok(&seal_key, &s.entry_hash, &s.seal) {
            return Err(Broken::Seal(e.seq));
        }
        if let (Some(id), Some(sig)) = (&e.key_id, &e.signature) {
            let key = keys(id).ok_or_else(|| Broken::UnknownKey(e.seq, id.clone()))?;
            if !verify_message(&key, e.signed_ts, &e.body_sha256, sig) {
                return Err(Broken::Signature(e.seq));
            }
        }
        prev = s.entry_hash.clone();
        n += 1;
    }
    Ok((n, prev))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn chain(bureau: &SigningKey, partner: &SigningKey, n: i64) -> Vec<Sealed> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let (signer, direction) = if seq % 2 == 1 { (bureau, "out") } else { (partner, "in") };
                let body = body_hash(format!("message {seq}").as_bytes());
                let entry = Entry {
                    seq,
                    at_ms: 1_790_000_000_000 + seq,
                    direction: direction.into(),
                    peer: "health".into(),
                    kind: "evidence".into(),
                    request_id: format!("r{}", (seq + 1) / 2),
                    signature: Some(sign_message(signer, 1_790_000_000, &body)),
                    body_sha256: body,
                    signed_ts: 1_790_000_000,
                    key_id: Some(key_id(&signer.verifying_key())),
                    prev_hash: prev.clone(),
                };
                let entry_hash = entry.hash();
                prev = entry_hash.clone();
                Sealed {
                    seal: seal(bureau, &entry_hash),
                    seal_key_id: key_id(&bureau.verifying_key()),
                    entry,
                    entry_hash,
                }
            })
            .collect()
    }

    #[test]
    fn a_whole_log_checks_and_any_edit_removal_or_swap_is_named() {
        let (b, p) = (key(1), key(2));
        let keys = |id: &str| [b.verifying_key(), p.verifying_key()].into_iter().find(|k| key_id(k) == id);
        let log = chain(&b, &p, 6);
        assert_eq!(check(log.clone(), &keys, GENESIS.into()).map(|r| r.0), Ok(6));

        let mut edited = log.clone();
        edited[2].entry.body_sha256 = body_hash(b"something else");
        assert_eq!(check(edited, &keys, GENESIS.into()), Err(Broken::Hash(3)));

        // Edited and re-hashed by someone without the bureau's key: the seal gives it away.
        let mut rehashed = log.clone();
        rehashed[2].entry.request_id = "forged".into();
        rehashed[2].entry_hash = rehashed[2].entry.hash();
        assert_eq!(check(rehashed, &keys, GENESIS.into()), Err(Broken::Seal(3)));

        let mut removed = log.clone();
        removed.remove(3);
        assert_eq!(check(removed, &keys, GENESIS.into()), Err(Broken::Chain(5)));

        let mut swapped = log.clone();
        swapped.swap(1, 2);
        assert_eq!(check(swapped, &keys, GENESIS.into()), Err(Broken::Chain(3)));

        // A partner's answer re-signed with a key nobody registered.
        let mut stranger = log.clone();
        stranger[1].entry.key_id = Some(key_id(&key(9).verifying_key()));
        stranger[1].entry_hash = stranger[1].entry.hash();
        stranger[1].seal = seal(&b, &stranger[1].entry_hash);
        assert!(matches!(check(stranger, &keys, GENESIS.into()), Err(Broken::UnknownKey(2, _))));
    }

    #[test]
    fn a_message_signature_covers_the_time_and_the_body() {
        let k = key(3);
        let body = body_hash(b"{}");
        let sig = sign_message(&k, 10, &body);
        assert!(verify_message(&k.verifying_key(), 10, &body, &sig));
        assert!(!verify_message(&k.verifying_key(), 11, &body, &sig));
        assert!(!verify_message(&k.verifying_key(), 10, &body_hash(b"{ }"), &sig));
        assert!(!verify_message(&key(4).verifying_key(), 10, &body, &sig));
        assert!(!verify_message(&k.verifying_key(), 10, &body, "zz"));
    }
}
