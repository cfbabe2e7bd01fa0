//! Backup files sealed with XChaCha20-Poly1305 in chunks: each chunk's nonce is the file's
//! random salt, the chunk's number and whether it is the last, and the file's name in the
//! backup is bound to every chunk, so a chunk changed, dropped, reordered or moved to another
//! file, a file cut short or swapped for another, and a wrong key are all refused.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"NGBAK001";
const CHUNK: usize = 1 << 20;
const TAG: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not sealed by this format, cut short, changed, or sealed with another key.
    #[error("{0} is damaged, cut short or sealed with another key")]
    Damaged(String),
}

/// A backup key: 32 bytes.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl Key {
    /// From 64 hex digits (the configuration checks the form).
    pub fn from_hex(hex: &str) -> Option<Key> {
        if hex.len() != 64 {
            return None;
        }
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Key(k))
    }
}

/// What a file held: its plaintext length and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sealed {
    pub bytes: u64,
    pub sha256: String,
}

fn nonce(salt: &[u8; 16], n: u64, last: bool) -> XNonce {
    let mut out = [0u8; 24];
    out[..16].copy_from_slice(salt);
    out[16..23].copy_from_slice(&n.to_be_bytes()[1..]);
    out[23] = u8::from(last);
    XNonce::from(out)
}

/// Fills `buf` from `r` as far as it goes; how many bytes.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Seals everything `src` yields into `dst` under `name`.
pub fn seal(key: &Key, src: &mut impl Read, dst: &Path, name: &str) -> Result<Sealed, SealError> {
    let cipher = XChaCha20Poly1305::new((&key.0).into());
    let salt: [u8; 16] = rand::random();
    let mut out = BufWriter::new(File::create(dst)?);
    out.write_all(MAGIC)?;
    out.write_all(&salt)?;
    let (mut hash, mut total) = (Sha256::new(), 0u64);
    let mut buf = vec![0u8; CHUNK];
    let mut next = vec![0u8; CHUNK];
    let mut len = fill(src, &mut buf)?;
    for n in 0u64.. {
        // One chunk ahead: the last chunk is known when it is sealed.
        let next_len = if len == CHUNK { fill(src, &mut next)? } else { 0 };
        let last = next_len == 0;
        hash.update(&buf[..len]);
        total += len as u64;
        let sealed = cipher
            .encrypt(&nonce(&salt, n, last), Payload { msg: &buf[..len], aad: name.as_bytes() })
            .map_err(|_| SealError::Damaged(name.to_string()))?;
        out.write_all(&(sealed.len() as u32).to_le_bytes())?;
        out.write_all(&sealed)?;
        if last {
            break;
        }
        std::mem::swap(&mut buf, &mut next);
        len = next_len;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(Sealed { bytes: total, sha256: hex(&hash.finalize()) })
}

/// Opens `src` sealed under `name` into `dst`: refused, naming it, unless every chunk opens
/// and the last one is there.
pub fn open(key: &Key, src: &Path, dst: &mut impl Write, name: &str) -> Result<Sealed, SealError> {
    let damaged = || SealError::Damaged(name.to_string());
    let cipher = XChaCha20Poly1305::new((&key.0).into());
    let mut r = BufReader::new(File::open(src)?);
    let mut head = [0u8; 24];
    if fill(&mut r, &mut head)? != 24 || &head[..8] != MAGIC {
        return Err(damaged());
    }
    let salt: [u8; 16] = head[8..].try_into().map_err(|_| damaged())?;
    let (mut hash, mut total) = (Sha256::new(), 0u64);
    let mut buf = vec![0u8; CHUNK + TAG];
    for n in 0u64.. {
        let mut len = [0u8; 4];
        if fill(&mut r, &mut len)? != 4 {
            return Err(damaged());
        }
        let len = u32::from_le_bytes(len) as usize;
        if !(TAG..=CHUNK + TAG).contains(&len) || fill(&mut r, &mut buf[..len])? != len {
            return Err(damaged());
        }
        // A chunk opens under exactly one of the two nonces: whether it is the last is sealed.
        let mut last = false;
        let plain = match cipher.decrypt(&nonce(&salt, n, false), Payload { msg: &buf[..len], aad: name.as_bytes() }) {
            Ok(p) => p,
            Err(_) => {
                last = true;
                cipher
                    .decrypt(&nonce(&salt, n, true), Payload { msg: &buf[..len], aad: name.as_bytes() })
                    .map_err(|_| damaged())?
            }
        };
        hash.update(&plain);
        total += plain.len() as u64;
        dst.write_all(&plain)?;
        if last {
            let mut rest = [0u8; 1];
            if r.read(&mut rest)? != 0 {
                return Err(damaged());
            }
            break;
        }
    }
    dst.flush()?;
    Ok(Sealed { bytes: total, sha256: hex(&hash.finalize()) })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Key {
        Key([b; 32])
    }

    #[test]
    fn sealed_files_open_only_whole_unchanged_under_their_name_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let sealed = dir.path().join("f");
        // Several chunks, the last a partial one; and an empty file.
        for data in [vec![7u8; CHUNK * 2 + 5], Vec::new(), vec![1u8; CHUNK]] {
            let made = seal(&key(1), &mut data.as_slice(), &sealed, "db").unwrap();
            let mut back = Vec::new();
            assert_eq!(open(&key(1), &sealed, &mut back, "db").unwrap(), made);
            assert_eq!(back, data);
            assert!(open(&key(2), &sealed, &mut Vec::new(), "db").is_err(), "another key");
            assert!(open(&key(1), &sealed, &mut Vec::new(), "other").is_err(), "another name");
        }
        let data = vec![3u8; CHUNK + 10];
        seal(&key(1), &mut data.as_slice(), &sealed, "db").unwrap();
        let bytes = std::fs::read(&sealed).unwrap();
        let mut flipped = bytes.clone();
        flipped[100] ^= 1;
        std::fs::write(&sealed, &flipped).unwrap();
        assert!(matches!(open(&key(1), &sealed, &mut Vec::new(), "db"), Err(SealError::Damaged(n)) if n == "db"));
        // Cut after the first chunk: every byte left opens, but the last chunk is missing.
        let first = 24 + 4 + CHUNK + TAG;
        std::fs::write(&sealed, &bytes[..first]).unwrap();
        assert!(open(&key(1), &sealed, &mut Vec::new(), "db").is_err(), "cut short");
        assert_eq!(Key::from_hex(&"ab".repeat(32)).map(|k| k.0[0]), Some(0xab));
        assert!(Key::from_hex("zz").is_none());
    }
}
