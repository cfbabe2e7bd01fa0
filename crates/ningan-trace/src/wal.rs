//! The append-only log that makes an acknowledged batch durable: every record carries its
//! length and a CRC-32, is written whole and synced before the batch is acknowledged. On
//! open, a torn or corrupt tail (a crash mid-write) is detected and cut off, never kept.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"NGTRACE1";
/// A record larger than this is corruption, not data.
const MAX_RECORD: usize = 256 * 1024 * 1024;

pub struct Wal {
    file: File,
}

/// What opening found: the intact records' payloads (kind, bytes) and how much tail was cut.
pub struct Recovered {
    pub records: Vec<(u8, Vec<u8>)>,
    pub cut_bytes: u64,
}

impl Wal {
    pub fn open(path: &Path) -> io::Result<(Wal, Recovered)> {
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        if bytes.is_empty() {
            file.write_all(MAGIC)?;
            file.sync_all()?;
            return Ok((Wal { file }, Recovered { records: Vec::new(), cut_bytes: 0 }));
        }
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a ningan trace log", path.display()),
            ));
        }
        let mut records = Vec::new();
        let mut at = MAGIC.len();
        while let Some((kind, payload, next)) = read_record(&bytes, at) {
            records.push((kind, payload.to_vec()));
            at = next;
        }
        let cut_bytes = (bytes.len() - at) as u64;
        if cut_bytes > 0 {
            file.set_len(at as u64)?;
            file.sync_all()?;
        }
        file.seek(SeekFrom::End(0))?;
        Ok((Wal { file }, Recovered { records, cut_bytes }))
    }

    /// Appends one record and syncs it to disk before returning.
    pub fn append(&mut self, kind: u8, payload: &[u8]) -> io::Result<()> {
        let mut rec = Vec::with_capacity(payload.len() + 9);
        let len = u32::try_from(payload.len() + 1)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&[kind]);
        crc.update(payload);
        rec.extend_from_slice(&len.to_le_bytes());
        rec.extend_from_slice(&crc.finalize().to_le_bytes());
        rec.push(kind);
        rec.extend_from_slice(payload);
        self.file.write_all(&rec)?;
        self.file.sync_data()
    }
}

fn read_record(bytes: &[u8], at: usize) -> Option<(u8, &[u8], usize)> {
    let header = bytes.get(at..at + 8)?;
    let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(header[4..8].try_into().ok()?);
    if len == 0 || len > MAX_RECORD {
        return None;
    }
    let body = bytes.get(at + 8..at + 8 + len)?;
    (crc32fast::hash(body) == crc).then(|| (body[0], &body[1..], at + 8 + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_or_corrupt_tail_is_cut_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.log");
        {
            let (mut w, r) = Wal::open(&path).unwrap();
            assert!(r.records.is_empty());
            w.append(2, b"first").unwrap();
            w.append(2, b"second").unwrap();
        }
        let full = std::fs::read(&path).unwrap();
        // Torn: the last record lost its final byte.
        std::fs::write(&path, &full[..full.len() - 1]).unwrap();
        let (mut w, r) = Wal::open(&path).unwrap();
        assert_eq!(r.records, vec![(2, b"first".to_vec())]);
        assert!(r.cut_bytes > 0);
        w.append(2, b"third").unwrap();
        drop(w);
        let (_, r) = Wal::open(&path).unwrap();
        assert_eq!(r.records, vec![(2, b"first".to_vec()), (2, b"third".to_vec())], "appends continue after the cut");
        // Corrupt: a flipped bit in the last record's payload.
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 2] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let (_, r) = Wal::open(&path).unwrap();
        assert_eq!(r.records, vec![(2, b"first".to_vec())]);
        std::fs::write(&path, b"not a log at all").unwrap();
        assert!(Wal::open(&path).is_err(), "a foreign file is refused, not truncated");
    }
}
