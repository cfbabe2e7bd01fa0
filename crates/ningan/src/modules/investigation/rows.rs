//! Reading an imported file: CSV or Parquet rows as named text fields, and each row of a
//! call-detail, bank-transfer or co-presence file checked and turned into a relation between
//! two entities — or refused with its line and the reason, in Chinese and English.

use std::path::Path;

use chrono::{NaiveDateTime, TimeZone as _};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Calls,
    Transfers,
    CoPresence,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Calls, FileKind::Transfers, FileKind::CoPresence];

    pub fn parse(s: &str) -> Option<FileKind> {
        match s {
            "calls" => Some(FileKind::Calls),
            "transfers" => Some(FileKind::Transfers),
            "copresence" => Some(FileKind::CoPresence),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Calls => "calls",
            FileKind::Transfers => "transfers",
            FileKind::CoPresence => "copresence",
        }
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (FileKind::Calls, false) => "话单",
            (FileKind::Calls, true) => "Call-detail records",
            (FileKind::Transfers, false) => "资金流水",
            (FileKind::Transfers, true) => "Bank transfers",
            (FileKind::CoPresence, false) => "同行轨迹",
            (FileKind::CoPresence, true) => "Co-presence",
        }
    }

    /// The columns: (name, Chinese alias, required).
    pub fn columns(self) -> &'static [(&'static str, &'static str, bool)] {
        match self {
            FileKind::Calls => &[
                ("caller", "主叫号码", true),
                ("callee", "被叫号码", true),
                ("start", "开始时间", true),
                ("duration_s", "通话时长", false),
                ("caller_holder", "主叫机主身份证号", false),
                ("callee_holder", "被叫机主身份证号", false),
            ],
            FileKind::Transfers => &[
                ("payer", "付款账号", true),
                ("payee", "收款账号", true),
                ("time", "交易时间", true),
                ("amount", "交易金额", true),
                ("payer_holder", "付款人身份证号", false),
                ("payee_holder", "收款人身份证号", false),
            ],
            FileKind::CoPresence => &[
                ("person_a", "人员甲身份证号", true),
                ("person_b", "人员乙身份证号", true),
                ("time", "时间", true),
                ("place", "地点", false),
            ],
        }
    }

    /// The header a file must start with, for error messages.
    pub fn header_hint(self) -> String {
        self.columns().iter().filter(|c| c.2).map(|c| c.0).collect::<Vec<_>>().join(",")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// By the file's first bytes: Parquet files start with `PAR1`.
    pub fn sniff(head: &[u8]) -> Format {
        if head.starts_with(b"PAR1") { Format::Parquet } else { Format::Csv }
    }
}

/// Why a file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("无法读取文件 / the file cannot be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("不是有效的CSV / not valid CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("不是有效的Parquet / not valid Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("不是有效的Parquet / not valid Parquet: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("缺少列 {missing}，首行须含：{hint} / column {missing} is missing; the header must name: {hint}")]
    Header { missing: &'static str, hint: String },
    #[error("列 {0} 的类型无法读取 / column {0} has a type that cannot be read")]
    ColumnType(String),
}

/// The positions of the kind's columns in the file's header; a required one missing is an
/// error naming it.
fn locate(kind: FileKind, header: &[String]) -> Result<Vec<Option<usize>>, FileError> {
    let norm: Vec<String> =
        header.iter().map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase()).collect();
    kind.columns()
        .iter()
        .map(|(name, alias, required)| {
            let at = norm.iter().position(|h| h == name || h == alias);
            match (at, required) {
                (None, true) => Err(FileError::Header { missing: name, hint: kind.header_hint() }),
                (at, _) => Ok(at),
            }
        })
        .collect()
}

/// A file's rows, each with its line (CSV, counting the header as line 1) or row number
/// (Parquet, the first data row as 2, so the two read alike), as fields in the kind's order.
pub struct Rows {
    inner: Inner,
    columns: Vec<Option<usize>>,
}

enum Inner {
    Csv(csv::StringRecordsIntoIter<std::io::BufReader<std::fs::File>>),
    Parquet {
        reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
        batch: Vec<Vec<Option<String>>>,
        at: usize,
        row: u64,
    },
}

impl Rows {
    pub fn open(path: &Path, format: Format, kind: FileKind) -> Result<Rows, FileError> {
        let file = std::fs::File::open(path)?;
        match format {
            Format::Csv => {
                let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(std::io::BufReader::new(file));
                let header: Vec<String> = r.headers()?.iter().map(str::to_string).collect();
                let columns = locate(kind, &header)?;
                Ok(Rows { inner: Inner::Csv(r.into_records()), columns })
            }
            Format::Parquet => {
                let builder =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(8192);
                let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
                let columns = locate(kind, &header)?;
                let reader = builder.build()?;
                Ok(Rows { inner: Inner::Parquet { reader, batch: Vec::new(), at: 0, row: 1 }, columns })
            }
        }
    }

    /// The next row: its line, and its fields (`None` for a column absent or empty), or the
    /// line and why it cannot be read.
    #[allow(clippy::type_complexity)]
    pub fn next_row(&mut self) -> Option<Result<(u64, Vec<Option<String>>), (u64, String)>> {
        match &mut self.inner {
            Inner::Csv(records) => {
                let r = records.next()?;
                Some(match r {
                    Ok(rec) => {
                        let line = rec.position().map(|p| p.line()).unwrap_or(0);
                        let fields = self
                            .columns
                            .iter()
                            .map(|c| {
                                c.and_then(|i| rec.get(i)).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
                            })
                            .collect();
                        Ok((line, fields))
                    }
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        Err((line, format!("无法解析 / cannot be parsed: {e}")))
                    }
                })
            }
            Inner::Parquet { reader, batch, at, row } => {
                if *at >= batch.first().map_or(0, Vec::len) {
                    let next = reader.next()?;
                    match next.map_err(FileError::from).and_then(|b| columns_of(&b, &self.columns)) {
                        Ok(cols) => {
                            *batch = cols;
                            *at = 0;
                        }
                        Err(e) => return Some(Err((*row + 1, e.to_string()))),
                    }
                    if batch.first().map_or(0, Vec::len) == 0 {
                        return self.next_row();
                    }
                }
                *row += 1;
                let i = *at;
                *at += 1;
                Some(Ok((*row, batch.iter().map(|c| c[i].clone()).collect())))
            }
        }
    }
}

/// A batch's columns in the kind's order as text (absent columns all `None`).
fn columns_of(b: &arrow_array::RecordBatch, columns: &[Option<usize>]) -> Result<Vec<Vec<Option<String>>>, FileError> {
    use arrow_array::Array as _;
    use arrow_array::cast::AsArray as _;
    use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMillisecondType, TimestampSecondType};
    use arrow_schema::{DataType, TimeUnit};
    let n = b.num_rows();
    columns
        .iter()
        .map(|c| {
            let Some(i) = *c else { return Ok(vec![None; n]) };
            let col = b.column(i);
            let text = |f: &dyn Fn(usize) -> String| -> Vec<Option<String>> {
                (0..n)
                    .map(|r| if col.is_null(r) { None } else { Some(f(r)) }.filter(|s| !s.trim().is_empty()))
                    .collect()
            };
            Ok(match col.data_type() {
                DataType::Utf8 => text(&|r| col.as_string::<i32>().value(r).trim().to_string()),
                DataType::LargeUtf8 => text(&|r| col.as_string::<i64>().value(r).trim().to_string()),
                DataType::Int64 => text(&|r| col.as_primitive::<Int64Type>().value(r).to_string()),
                DataType::Int32 => text(&|r| col.as_primitive::<Int32Type>().value(r).to_string()),
                DataType::Float64 => text(&|r| col.as_primitive::<Float64Type>().value(r).to_string()),
                DataType::Timestamp(TimeUnit::Millisecond, _) => {
                    text(&|r| col.as_primitive::<TimestampMillisecondType>().value(r).to_string())
                }
                DataType::Timestamp(TimeUnit::Second, _) => {
                    text(&|r| (col.as_primitive::<TimestampSecondType>().value(r) * 1000).to_string())
                }
                _ => return Err(FileError::ColumnType(b.schema().field(i).name().clone())),
            })
        })
        .collect()
}

/// One end of a relation: an entity kind and key, and the person holding it when the row
/// says (an ID number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub kind: &'static str,
    pub key: String,
    pub holder: Option<String>,
}

/// A row that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub relation: &'static str,
    pub a: End,
    pub b: End,
    pub at: i64,
    /// Fen.
    pub amount: i64,
    pub duration: i64,
}

/// Times the files may carry: from 2000 to a day from now.
const EARLIEST_MS: i64 = 946_684_800_000;

/// Epoch milliseconds, RFC 3339, or `YYYY-MM-DD HH:MM:SS` in China time.
pub fn parse_time(v: &str, now: i64) -> Result<i64, String> {
    let v = v.trim();
    let ms = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        v.parse::<i64>().ok()
    } else if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        Some(t.timestamp_millis())
    } else {
        ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
            .and_then(|t| ningan_core::time::cst().from_local_datetime(&t).single())
            .map(|t| t.timestamp_millis())
    };
    match ms {
        None => Err(format!(
            "时间“{v}”无法识别（应为 YYYY-MM-DD HH:MM:SS 或 RFC 3339） / time “{v}” is not YYYY-MM-DD HH:MM:SS or RFC 3339"
        )),
        Some(ms) if !(EARLIEST_MS..=now + 86_400_000).contains(&ms) => {
            Err(format!("时间“{v}”不在2000年至今之间 / time “{v}” is not between 2000 and now"))
        }
        Some(ms) => Ok(ms),
    }
}

/// Yuan with at most two decimals, positive, below ten billion, as fen.
pub fn parse_amount(v: &str) -> Result<i64, String> {
    let t = v.trim().replace(',', "");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let bad = || format!("金额“{v}”应为正数、最多两位小数 / amount “{v}” must be positive with at most two decimals");
    if whole.is_empty()
        || whole.len() > 10
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let fen =
        whole.parse::<i64>().map_err(|_| bad())? * 100 + format!("{frac:0<2}").parse::<i64>().map_err(|_| bad())?;
    if fen <= 0 { Err(bad()) } else { Ok(fen) }
}

fn phone(v: &str) -> Result<String, String> {
    ningan_core::phone::Phone::parse(v).map(|p| p.as_str().to_string()).map_err(|e| e.to_string())
}

fn account(v: &str) -> Result<String, String> {
    let c: String = v.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if (8..=30).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()) {
        Ok(c)
    } else {
        let shown: String = v.chars().take(32).collect();
        Err(format!("账号“{shown}”应为8–30位数字 / account “{shown}” must have 8 to 30 digits"))
    }
}

fn id_number(v: &str, today: chrono::NaiveDate) -> Result<String, String> {
    ningan_core::idnumber::IdNumber::parse(v, today).map(|i| i.as_str().to_string()).map_err(|e| e.to_string())
}

/// Checks one row of a `kind` file (fields in the kind's column order).
pub fn parse_row(kind: FileKind, f: &[Option<String>], now: i64) -> Result<Parsed, String> {
    let today = ningan_core::time::today_cst();
    let get = |i: usize| f.get(i).and_then(|v| v.as_deref());
    let need = |i: usize| -> Result<&str, String> {
        get(i).ok_or_else(|| {
            let (name, alias, _) = kind.columns()[i];
            format!("缺少{alias} / {name} is empty")
        })
    };
    let holder = |i: usize| get(i).map(|v| id_number(v, today)).transpose();
    let parsed = match kind {
        FileKind::Calls => {
            let duration =
                match get(3) {
                    None => 0,
                    Some(d) => d.parse::<i64>().ok().filter(|d| (0..=86_400).contains(d)).ok_or_else(|| {
                        format!("通话时长“{d}”应为0–86400秒 / duration “{d}” must be 0 to 86400 seconds")
                    })?,
                };
            Parsed {
                relation: "call",
                a: End { kind: "phone", key: phone(need(0)?)?, holder: holder(4)? },
                b: End { kind: "phone", key: phone(need(1)?)?, holder: holder(5)? },
                at: parse_time(need(2)?, now)?,
                amount: 0,
                duration,
            }
        }
        FileKind::Transfers => Parsed {
            relation: "transfer",
            a: End { kind: "account", key: account(need(0)?)?, holder: holder(4)? },
            b: End { kind: "account", key: account(need(1)?)?, holder: holder(5)? },
            at: parse_time(need(2)?, now)?,
            amount: parse_amount(need(3)?)?,
            duration: 0,
        },
        FileKind::CoPresence => Parsed {
            relation: "copresence",
            a: End { kind: "person", key: id_number(need(0)?, today)?, holder: None },
            b: End { kind: "person", key: id_number(need(1)?, today)?, holder: None },
            at: parse_time(need(2)?, now)?,
            amount: 0,
            duration: 0,
        },
    };
    if parsed.a.key == parsed.b.key {
        return Err("两端相同 / both ends are the same".into());
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000;

    fn row(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| if s.is_empty() { None } else { Some(s.to_string()) }).collect()
    }

    #[test]
    fn a_call_row_becomes_a_relation_between_two_phones() {
        let p = parse_row(
            FileKind::Calls,
            &row(&["13800000001", "+86 139-0000-0002", "2026-01-02 03:04:05", "65", "", ""]),
            NOW,
        )
        .expect("valid");
        assert_eq!((p.a.key.as_str(), p.b.key.as_str(), p.duration), ("13800000001", "13900000002", 65));
        assert_eq!(p.at, 1_767_294_245_000, "China time");
    }

    #[test]
    fn bad_rows_say_what_is_wrong_in_both_languages() {
        let cases: [(&[&str], &str); 5] = [
            (&["12345", "13900000002", "2026-01-02 03:04:05", "", "", ""], "11"),
            (&["13800000001", "13800000001", "2026-01-02 03:04:05", "", "", ""], "same"),
            (&["13800000001", "13900000002", "yesterday", "", "", ""], "YYYY-MM-DD"),
            (&["13800000001", "13900000002", "1990-01-01 00:00:00", "", "", ""], "2000"),
            (&["13800000001", "", "2026-01-02 03:04:05", "", "", ""], "callee is empty"),
        ];
        for (fields, says) in cases {
            let e = parse_row(FileKind::Calls, &row(fields), NOW).expect_err("refused");
            assert!(e.contains(says) && e.contains(" / "), "{fields:?}: {e}");
        }
    }

    #[test]
    fn amounts_are_yuan_with_two_decimals_at_most() {
        assert_eq!(parse_amount("1,234.5"), Ok(123_450));
        assert_eq!(parse_amount("0.01"), Ok(1));
        for bad in ["0", "-5", "1.234", "abc", "", "12345678901"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_are_matched_by_name_or_chinese_alias_and_a_missing_one_is_named() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let at = locate(FileKind::Transfers, &h(&["\u{feff}交易时间", "payer", "收款账号", "AMOUNT"])).expect("found");
        assert_eq!(at[..4], [Some(1), Some(2), Some(0), Some(3)]);
        let e = locate(FileKind::Transfers, &h(&["payer", "payee", "time"])).expect_err("amount missing");
        assert!(e.to_string().contains("amount"), "{e}");
    }
}
