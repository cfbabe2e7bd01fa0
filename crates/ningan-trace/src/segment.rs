//! Immutable files a checkpoint writes: one sorted segment per day, the table of spaces, and
//! the manifest that names them and the log generation they cover. Every file carries a
//! CRC-32 and is written to a temporary name, synced, then renamed, so a crash leaves either
//! the old file or the new one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use crate::model::{Presence, SpaceId, SpaceKind};

/// Version 2: delta and variable-length coded, about half the bytes of the fixed layout.
const SEGMENT_MAGIC: &[u8; 8] = b"NGSEG002";
const SPACES_MAGIC: &[u8; 8] = b"NGSPC001";
const MANIFEST_HEAD: &str = "ningan-trace-manifest 1";

fn invalid(path: &Path, what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{}: {what}", path.display()))
}

/// Writes `bytes` plus their CRC-32 durably under `path`.
fn write_atomic(dir: &Path, name: &str, bytes: Vec<u8>) -> io::Result<()> {
    write_file(dir, name, bytes)?;
    sync_dir(dir)
}

/// Writes `bytes` plus their CRC-32 to a synced file renamed to `name`; the rename is
/// durable once the caller syncs the directory.
fn write_file(dir: &Path, name: &str, mut bytes: Vec<u8>) -> io::Result<()> {
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = File::create(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, dir.join(name))
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Reads a file written by [`write_atomic`], checking its CRC and magic.
fn read_checked(path: &Path, magic: &[u8; 8]) -> io::Result<Vec<u8>> {
    check_bytes(path, fs::read(path)?, magic)
}

/// The body of a file's bytes, its CRC and magic checked.
fn check_bytes(path: &Path, mut bytes: Vec<u8>, magic: &[u8; 8]) -> io::Result<Vec<u8>> {
    if bytes.len() < magic.len() + 4 {
        return Err(invalid(path, "truncated"));
    }
    let body_len = bytes.len() - 4;
    let crc = u32::from_le_bytes(bytes[body_len..].try_into().map_err(|_| invalid(path, "truncated"))?);
    if crc32fast::hash(&bytes[..body_len]) != crc {
        return Err(invalid(path, "checksum mismatch"));
    }
    if &bytes[..magic.len()] != magic {
        return Err(invalid(path, "not a ningan trace file"));
    }
    bytes.truncate(body_len);
    Ok(bytes.split_off(magic.len()))
}

/// Writes day segments, several at once (encoding, checksums and the page-cache copy are
/// CPU work a bulk load waits on), then syncs the directory once.
pub fn write_segments(dir: &Path, segments: &[(String, &[Presence])]) -> io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = segments.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = segments
            .chunks(per_thread)
            .map(|share| s.spawn(move || share.iter().try_for_each(|(name, ps)| write_segment(dir, name, ps))))
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or_else(|_| Err(io::Error::other("segment writer panicked"))))
    })?;
    sync_dir(dir)
}

/// A day segment is its presences in (space, start) order, each as four LEB128 numbers:
/// the space's increase over the previous presence's, the start's change (zig-zag, since
/// it jumps back where a new space begins), the stay's length and the person. In sorted order
/// most of these are one or two bytes.
fn write_segment(dir: &Path, name: &str, presences: &[Presence]) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(8 + presences.len() * 9 + 4);
    bytes.extend_from_slice(SEGMENT_MAGIC);
    let (mut space, mut start) = (0u32, 0u32);
    for p in presences {
        // A segment written from a sorted run never goes back in space; the wrapping
        // difference keeps any order decodable all the same.
        put_varint(&mut bytes, p.space.wrapping_sub(space).into());
        put_varint(&mut bytes, zigzag(i64::from(p.start) - i64::from(start)));
        put_varint(&mut bytes, (p.end - p.start).into());
        put_varint(&mut bytes, p.person.into());
        (space, start) = (p.space, p.start);
    }
    write_file(dir, name, bytes)
}

pub fn read_segment(path: &Path) -> io::Result<Vec<Presence>> {
    let body = read_checked(path, SEGMENT_MAGIC)?;
    let mut out = Vec::with_capacity(body.len() / 8);
    let mut at = 0;
    let (mut space, mut start) = (0u32, 0u32);
    let bad = || invalid(path, "malformed presence");
    while at < body.len() {
        let mut next = || get_varint(&body, &mut at).ok_or_else(bad);
        let word = |v: u64| u32::try_from(v).map_err(|_| bad());
        space = space.wrapping_add(word(next()?)?);
        start = u32::try_from(i64::from(start) + unzigzag(next()?)).map_err(|_| bad())?;
        let end = start.checked_add(word(next()?)?).ok_or_else(bad)?;
        let person = word(next()?)?;
        out.push(Presence { space, start, end, person });
    }
    Ok(out)
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

pub fn write_spaces(dir: &Path, name: &str, spaces: &[(SpaceId, SpaceKind)]) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(8 + spaces.len() * 5 + 4);
    bytes.extend_from_slice(SPACES_MAGIC);
    for (s, k) in spaces {
        bytes.extend_from_slice(&s.to_le_bytes());
        bytes.push(k.code());
    }
    write_atomic(dir, name, bytes)
}

pub fn read_spaces(path: &Path) -> io::Result<Vec<(SpaceId, SpaceKind)>> {
    let body = read_checked(path, SPACES_MAGIC)?;
    if body.len() % 5 != 0 {
        return Err(invalid(path, "length is not a whole number of spaces"));
    }
    body.chunks_exact(5)
        .map(|c| {
            let kind = SpaceKind::from_code(c[4]).ok_or_else(|| invalid(path, "unknown space kind"))?;
            Ok((u32::from_le_bytes([c[0], c[1], c[2], c[3]]), kind))
        })
        .collect()
}

/// What the last completed checkpoint wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    /// Logs of generations below this are folded into the files named here.
    pub covers_below: u64,
    pub spaces: Option<String>,
    pub segments: Vec<String>,
}

impl Manifest {
    pub fn read(dir: &Path) -> io::Result<Option<Manifest>> {
        let path = dir.join("MANIFEST");
        if !path.exists() {
            return Ok(None);
        }
        Manifest::parse(&path, fs::read(&path)?).map(Some)
    }

    /// A manifest from the bytes of its file (read once, so a copy holds what was parsed).
    pub fn parse(path: &Path, bytes: Vec<u8>) -> io::Result<Manifest> {
        let text = String::from_utf8(check_bytes(path, bytes, b"MANIFEST")?).map_err(|_| invalid(path, "not UTF-8"))?;
        let mut lines = text.lines();
        if lines.next() != Some(MANIFEST_HEAD) {
            return Err(invalid(path, "unknown manifest version"));
        }
        let mut m = Manifest::default();
        for line in lines {
            match line.split_once(' ') {
                Some(("covers_below", n)) => m.covers_below = n.parse().map_err(|_| invalid(path, "bad generation"))?,
                Some(("spaces", f)) => m.spaces = Some(f.to_string()),
                Some(("segment", f)) => m.segments.push(f.to_string()),
                _ => return Err(invalid(path, "unknown line")),
            }
        }
        Ok(m)
    }

    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let mut text = format!("MANIFEST{MANIFEST_HEAD}\ncovers_below {}\n", self.covers_below);
        if let Some(s) = &self.spaces {
            text.push_str(&format!("spaces {s}\n"));
        }
        for s in &self.segments {
            text.push_str(&format!("segment {s}\n"));
        }
        write_atomic(dir, "MANIFEST", text.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn segments_round_trip_in_any_order(
            raw in proptest::collection::vec((proptest::prelude::any::<u32>(), proptest::prelude::any::<u32>(), 0u32..100_000, proptest::prelude::any::<u32>()), 0..200),
            sort in proptest::prelude::any::<bool>(),
        ) {
            let mut ps: Vec<Presence> = raw
                .into_iter()
                .map(|(space, start, d, person)| Presence { space, start, end: start.saturating_add(d), person })
                .collect();
            if sort {
                ps.sort();
            }
            let dir = tempfile::tempdir().unwrap();
            write_segment(dir.path(), "seg", &ps).unwrap();
            proptest::prop_assert_eq!(read_segment(&dir.path().join("seg")).unwrap(), ps);
        }
    }

    #[test]
    fn files_round_trip_and_corruption_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ps = vec![
            Presence { space: 1, start: 2, end: 3, person: 4 },
            Presence { space: 5, start: 6, end: 7, person: 8 },
        ];
        write_segment(dir.path(), "seg", &ps).unwrap();
        assert_eq!(read_segment(&dir.path().join("seg")).unwrap(), ps);
        write_spaces(dir.path(), "sp", &[(9, SpaceKind::Cell)]).unwrap();
        assert_eq!(read_spaces(&dir.path().join("sp")).unwrap(), vec![(9, SpaceKind::Cell)]);
        let m = Manifest { covers_below: 3, spaces: Some("sp".into()), segments: vec!["seg".into()] };
        m.write(dir.path()).unwrap();
        assert_eq!(Manifest::read(dir.path()).unwrap(), Some(m));
        let mut bytes = fs::read(dir.path().join("seg")).unwrap();
        bytes[10] ^= 1;
        fs::write(dir.path().join("seg"), bytes).unwrap();
        assert!(read_segment(&dir.path().join("seg")).is_err());
    }
}
