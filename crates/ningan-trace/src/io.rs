//! Import and export in open formats, so analysts can take the same presences to DuckDB or
//! Spark and back.
//!
//! Presences — CSV with a header, or Parquet — have the columns
//!
//! | column      | type (Parquet) | meaning                                            |
//! |-------------|----------------|----------------------------------------------------|
//! | `person_id` | INT64          | pseudonymous person                                |
//! | `space_id`  | INT64          | venue or gate (< 2³¹), or H3 cell (see [`crate::grid`]) |
//! | `start_s`   | INT64          | seconds since the Unix epoch (UTC)                 |
//! | `end_s`     | INT64, null    | seconds since the epoch; empty: the kind's dwell   |
//!
//! Cell ids from 2³¹ up are the top bit plus bits 21–51 of the H3 index at the engine's grid
//! resolution (8 by default), so `h3_cell = (1 << 59) | (res << 52) | ((space_id - 2³¹) << 21)
//! | 0x1FFFFF` in DuckDB's H3 extension or Spark.
//!
//! Spaces are CSV `space_id,kind` with the kind's name (`restaurant`, `market`, `shop`,
//! `office`, `school`, `hospital`, `transport`, `gate`, `cell`).

use std::fs::File;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::engine::Observation;
use crate::model::{Presence, SpaceId, SpaceKind};

#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("column {0} is missing or not INT64")]
    Column(&'static str),
}

/// A line of a CSV file that could not be read, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub reason: String,
}

pub const CSV_HEADER: &str = "person_id,space_id,start_s,end_s";

pub fn kind_name(k: SpaceKind) -> &'static str {
    match k {
        SpaceKind::Restaurant => "restaurant",
        SpaceKind::Market => "market",
        SpaceKind::Shop => "shop",
        SpaceKind::Office => "office",
        SpaceKind::School => "school",
        SpaceKind::Hospital => "hospital",
        SpaceKind::Transport => "transport",
        SpaceKind::Gate => "gate",
        SpaceKind::Cell => "cell",
    }
}

pub fn kind_from_name(s: &str) -> Option<SpaceKind> {
    SpaceKind::ALL.into_iter().find(|k| kind_name(*k) == s)
}

pub fn write_presences_csv<'a>(
    w: &mut impl Write,
    presences: impl Iterator<Item = &'a Presence>,
) -> std::io::Result<()> {
    writeln!(w, "{CSV_HEADER}")?;
    for p in presences {
        writeln!(w, "{},{},{},{}", p.person, p.space, p.start, p.end)?;
    }
    w.flush()
}

fn parse_u32(field: Option<&str>, name: &str) -> Result<u32, String> {
    let f = field.map(str::trim).ok_or_else(|| format!("{name} is missing"))?;
    f.parse::<u32>().map_err(|_| format!("{name} “{f}” is not a whole number of 0–4294967295"))
}

/// Reads observations; a malformed line is reported with its number and reason and the rest
/// are kept. The header line is optional.
pub fn read_presences_csv(r: impl BufRead) -> std::io::Result<(Vec<Observation>, Vec<BadLine>)> {
    let (numbered, bad) = read_presences_csv_numbered(r)?;
    Ok((numbered.into_iter().map(|(_, o)| o).collect(), bad))
}

/// An observation and the line it was read from.
pub type Numbered = (usize, Observation);

/// [`read_presences_csv`], each observation with its line number (from 1, the header
/// counted), so what is refused later can be named by its line.
pub fn read_presences_csv_numbered(r: impl BufRead) -> std::io::Result<(Vec<Numbered>, Vec<BadLine>)> {
    let (mut out, mut bad) = (Vec::new(), Vec::new());
    for (i, line) in r.lines().enumerate() {
        let line = line?;
        let n = i + 1;
        if line.trim().is_empty() || (n == 1 && line.trim() == CSV_HEADER) {
            continue;
        }
        let mut f = line.split(',');
        let parsed = (|| {
            let person = parse_u32(f.next(), "person_id")?;
            let space = parse_u32(f.next(), "space_id")?;
            let start = parse_u32(f.next(), "start_s")?;
            let end = match f.next().map(str::trim) {
                None | Some("") => None,
                Some(e) => Some(parse_u32(Some(e), "end_s")?),
            };
            if f.next().is_some() {
                return Err("more than four columns".to_string());
            }
            Ok(Observation { person, space, start, end })
        })();
        match parsed {
            Ok(o) => out.push((n, o)),
            Err(reason) => bad.push(BadLine { line: n, reason }),
        }
    }
    Ok((out, bad))
}

pub fn write_spaces_csv(w: &mut impl Write, spaces: impl Iterator<Item = (SpaceId, SpaceKind)>) -> std::io::Result<()> {
    writeln!(w, "space_id,kind")?;
    for (s, k) in spaces {
        writeln!(w, "{s},{}", kind_name(k))?;
    }
    w.flush()
}

/// Spaces read, and the lines that could not be.
pub type SpacesRead = (Vec<(SpaceId, SpaceKind)>, Vec<BadLine>);

pub fn read_spaces_csv(r: impl BufRead) -> std::io::Result<SpacesRead> {
    let (mut out, mut bad) = (Vec::new(), Vec::new());
    for (i, line) in r.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() || (i == 0 && line.trim() == "space_id,kind") {
            continue;
        }
        let mut f = line.split(',');
        let parsed = parse_u32(f.next(), "space_id").and_then(|s| {
            let k = f.next().map(str::trim).unwrap_or("");
            kind_from_name(k).map(|k| (s, k)).ok_or_else(|| format!("unknown kind “{k}”"))
        });
        match parsed {
            Ok(v) => out.push(v),
            Err(reason) => bad.push(BadLine { line: i + 1, reason }),
        }
    }
    Ok((out, bad))
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Int64, false),
        Field::new("space_id", DataType::Int64, false),
        Field::new("start_s", DataType::Int64, false),
        Field::new("end_s", DataType::Int64, true),
    ]))
}

/// Writes presences to a Parquet file in row groups of `rows_per_group`.
pub fn write_presences_parquet<'a>(
    path: &Path,
    presences: impl Iterator<Item = &'a Presence>,
    rows_per_group: usize,
) -> Result<u64, IoError> {
    let schema = schema();
    let mut writer = ArrowWriter::try_new(File::create(path)?, schema.clone(), None)?;
    let mut written = 0u64;
    let mut chunk: Vec<&Presence> = Vec::with_capacity(rows_per_group);
    let mut flush = |chunk: &mut Vec<&Presence>, writer: &mut ArrowWriter<File>| -> Result<(), IoError> {
        if chunk.is_empty() {
            return Ok(());
        }
        let col = |f: fn(&Presence) -> u32| {
            Arc::new(Int64Array::from_iter_values(chunk.iter().map(|p| i64::from(f(p))))) as _
        };
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![col(|p| p.person), col(|p| p.space), col(|p| p.start), col(|p| p.end)],
        )?;
        writer.write(&batch)?;
        written += chunk.len() as u64;
        chunk.clear();
        Ok(())
    };
    for p in presences {
        chunk.push(p);
        if chunk.len() == rows_per_group {
            flush(&mut chunk, &mut writer)?;
        }
    }
    flush(&mut chunk, &mut writer)?;
    writer.close()?;
    Ok(written)
}

/// Streams a Parquet file of presences to `on_batch` in batches of observations. Values
/// outside `u32` are clamped out by being reported through `on_bad` with their row number.
pub fn read_presences_parquet(
    path: &Path,
    mut on_batch: impl FnMut(&[Observation]),
    on_bad: impl FnMut(BadLine),
) -> Result<u64, IoError> {
    read_parquet_groups(path, None, 0, |batch, _| on_batch(batch), on_bad)
}

/// The row counts of a Parquet file's row groups, for reading them in parallel.
pub fn parquet_row_groups(path: &Path) -> Result<Vec<usize>, IoError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?;
    Ok(builder.metadata().row_groups().iter().map(|g| g.num_rows().max(0) as usize).collect())
}

/// Reads the given row groups (all when `None`); `first_row` is the number of rows before
/// them, so rows are numbered (from 1) by their place in the whole file: `on_batch` gets each
/// observation's row beside it.
pub fn read_parquet_groups(
    path: &Path,
    groups: Option<Vec<usize>>,
    first_row: usize,
    mut on_batch: impl FnMut(&[Observation], &[usize]),
    mut on_bad: impl FnMut(BadLine),
) -> Result<u64, IoError> {
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?.with_batch_size(64 * 1024);
    if let Some(groups) = groups {
        builder = builder.with_row_groups(groups);
    }
    let reader = builder.build()?;
    let mut row = first_row;
    let mut out = Vec::with_capacity(64 * 1024);
    let mut rows = Vec::with_capacity(64 * 1024);
    for batch in reader {
        let batch = batch?;
        let col = |name: &'static str| -> Result<&Int64Array, IoError> {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
                .ok_or(IoError::Column(name))
        };
        let (person, space, start, end) = (col("person_id")?, col("space_id")?, col("start_s")?, col("end_s")?);
        out.clear();
        rows.clear();
        for i in 0..batch.num_rows() {
            row += 1;
            let to_u32 = |v: i64| u32::try_from(v).ok();
            let end_v = if end.is_null(i) { Some(None) } else { to_u32(end.value(i)).map(Some) };
            match (to_u32(person.value(i)), to_u32(space.value(i)), to_u32(start.value(i)), end_v) {
                (Some(person), Some(space), Some(start), Some(end)) => {
                    out.push(Observation { person, space, start, end });
                    rows.push(row);
                }
                _ => on_bad(BadLine { line: row, reason: "a value is outside 0–4294967295".into() }),
            }
        }
        on_batch(&out, &rows);
    }
    Ok((row - first_row) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Presence> {
        (0..1000u32)
            .map(|i| Presence {
                space: i % 7,
                start: 1_700_000_000 + i * 60,
                end: 1_700_000_000 + i * 60 + 900,
                person: i % 97,
            })
            .collect()
    }

    #[test]
    fn parquet_round_trips_in_several_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        let ps = sample();
        assert_eq!(write_presences_parquet(&path, ps.iter(), 300).unwrap(), 1000);
        let mut back = Vec::new();
        let rows = read_presences_parquet(&path, |b| back.extend_from_slice(b), |bad| panic!("{bad:?}")).unwrap();
        assert_eq!(rows, 1000);
        let back: Vec<Presence> = back
            .into_iter()
            .map(|o| Presence { space: o.space, start: o.start, end: o.end.unwrap(), person: o.person })
            .collect();
        assert_eq!(back, ps);
    }

    #[test]
    fn csv_round_trips_and_names_bad_lines() {
        let ps = sample();
        let mut buf = Vec::new();
        write_presences_csv(&mut buf, ps.iter()).unwrap();
        let (obs, bad) = read_presences_csv(&buf[..]).unwrap();
        assert!(bad.is_empty());
        assert_eq!(obs.len(), 1000);
        assert_eq!(
            obs[5],
            Observation { person: ps[5].person, space: ps[5].space, start: ps[5].start, end: Some(ps[5].end) }
        );
        let text = "person_id,space_id,start_s,end_s\n1,2,3,\nx,2,3,4\n1,2\n1,2,3,4,5\n-1,2,3,4\n7,8,9,10\n";
        let (obs, bad) = read_presences_csv(text.as_bytes()).unwrap();
        assert_eq!(obs.len(), 2);
        assert_eq!(obs[0].end, None);
        let lines: Vec<usize> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        assert!(bad[0].reason.contains("person_id"), "{:?}", bad[0]);
        assert!(bad[1].reason.contains("start_s"), "{:?}", bad[1]);
        let (spaces, bad) = read_spaces_csv("space_id,kind\n1,cell\n2,castle\n".as_bytes()).unwrap();
        assert_eq!(spaces, vec![(1, SpaceKind::Cell)]);
        assert_eq!(bad[0].line, 3);
    }
}
