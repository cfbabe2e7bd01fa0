//! Immutable files a checkpoint writes: one sorted segment per day, the table of spaces, and
//! the manifest that names them and the log generation they cover. Every file carries a
//! CRC-32 and is written to a temporary name, synced, then renamed, so a crash leaves either
//! the old file or the new one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use crate::model::{Presence, SpaceId, SpaceKind};

const SEGMENT_MAGIC: &[u8; 8] = b"NGSEG001";
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
    let mut bytes = fs::read(path)?;
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

fn write_segment(dir: &Path, name: &str, presences: &[Presence]) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(8 + presences.len() * 16 + 4);
    bytes.extend_from_slice(SEGMENT_MAGIC);
    for p in presences {
        for w in [p.space, p.start, p.end, p.person] {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
    }
    write_file(dir, name, bytes)
}

pub fn read_segment(path: &Path) -> io::Result<Vec<Presence>> {
    let body = read_checked(path, SEGMENT_MAGIC)?;
    if body.len() % 16 != 0 {
        return Err(invalid(path, "length is not a whole number of presences"));
    }
    Ok(body
        .chunks_exact(16)
        .map(|c| {
            let w = |k: usize| u32::from_le_bytes([c[k], c[k + 1], c[k + 2], c[k + 3]]);
            Presence { space: w(0), start: w(4), end: w(8), person: w(12) }
        })
        .collect())
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
        let text = String::from_utf8(read_checked(&path, b"MANIFEST")?).map_err(|_| invalid(&path, "not UTF-8"))?;
        let mut lines = text.lines();
        if lines.next() != Some(MANIFEST_HEAD) {
            return Err(invalid(&path, "unknown manifest version"));
        }
        let mut m = Manifest::default();
        for line in lines {
            match line.split_once(' ') {
                Some(("covers_below", n)) => {
                    m.covers_below = n.parse().map_err(|_| invalid(&path, "bad generation"))?
                }
                Some(("spaces", f)) => m.spaces = Some(f.to_string()),
                Some(("segment", f)) => m.segments.push(f.to_string()),
                _ => return Err(invalid(&path, "unknown line")),
            }
        }
        Ok(Some(m))
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
