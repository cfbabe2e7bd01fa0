//! Importing a register from a CSV or XLSX file, the kit every module's import uses: the
//! format from the content type or name, the rows with their line numbers, the columns found
//! by their Chinese or English headings, and the report of accepted and refused rows.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::http::error::{ApiError, ErrorCode};

/// A row refused, with why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Refused {
    /// The file's line (CSV) or row (XLSX), counting the headings as 1.
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ImportReport {
    pub rows: usize,
    pub accepted: usize,
    pub refused: Vec<Refused>,
}

pub enum Format {
    Csv,
    Xlsx,
}

/// The media types an import takes, as the document states them.
pub const MEDIA_TYPES: &[&str] = &["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"];

impl Format {
    /// From a content type or a file name.
    pub fn detect(content_type: &str, file_name: &str) -> Option<Format> {
        let name = file_name.to_ascii_lowercase();
        if content_type.contains("spreadsheetml") || name.ends_with(".xlsx") {
            Some(Format::Xlsx)
        } else if content_type.starts_with("text/csv")
            || content_type.starts_with("text/plain")
            || name.ends_with(".csv")
        {
            Some(Format::Csv)
        } else {
            None
        }
    }
}

pub fn bad_file(zh: &str, en: &str) -> ApiError {
    ApiError::field("file", zh, en)
}

/// The file's rows as (line, cells), the headings first.
pub fn read(bytes: &[u8], format: Format) -> Result<Vec<Row>, ApiError> {
    match format {
        Format::Csv => {
            // A BOM, as Excel writes one, is not part of the first heading.
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
            let mut out = Vec::new();
            for (i, record) in reader.records().enumerate() {
                let record = record.map_err(|e| {
                    bad_file(&format!("第{}行无法读取：{e}", i + 1), &format!("line {} cannot be read: {e}", i + 1))
                })?;
                out.push((i + 1, record.iter().map(|c| c.trim().to_string()).collect()));
            }
            Ok(out)
        }
        Format::Xlsx => {
            use calamine::Reader;
            let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec()))
                .map_err(|e| bad_file(&format!("不是有效的 XLSX 文件：{e}"), &format!("not a valid XLSX file: {e}")))?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| bad_file("文件中没有工作表", "the file has no worksheet"))?
                .map_err(|e| {
                    bad_file(&format!("工作表无法读取：{e}"), &format!("the worksheet cannot be read: {e}"))
                })?;
            Ok(range
                .rows()
                .enumerate()
                .map(|(i, row)| (i + 1, row.iter().map(|c| c.to_string().trim().to_string()).collect()))
                .collect())
        }
    }
}

/// Each field with the headings that name it, the first being the one reported missing.
pub type ColumnNames = &'static [(&'static str, &'static [&'static str])];

/// Which column holds each field, from the headings; every field but `optional` must be there.
pub fn columns(
    headings: &[String],
    names: ColumnNames,
    optional: &[&str],
) -> Result<HashMap<&'static str, usize>, ApiError> {
    let mut found = HashMap::new();
    for (i, h) in headings.iter().enumerate() {
        let h = h.trim().to_lowercase();
        if let Some((field, _)) = names.iter().find(|(_, ns)| ns.iter().any(|n| n.to_lowercase() == h)) {
            found.insert(*field, i);
        }
    }
    let missing: Vec<&str> =
        names.iter().filter(|(f, _)| !optional.contains(f) && !found.contains_key(f)).map(|(_, ns)| ns[0]).collect();
    if missing.is_empty() {
        Ok(found)
    } else {
        let list = missing.join("、");
        Err(bad_file(&format!("缺少列：{list}"), &format!("missing columns: {list}")))
    }
}

/// A row: its line and its cells.
pub type Row = (usize, Vec<String>);

/// The headings row and the rows after it, at most `max` of them.
pub fn split(rows: &[Row], max: usize) -> Result<(&[String], &[Row]), ApiError> {
    let Some(((_, headings), body)) = rows.split_first() else {
        return Err(bad_file("文件为空", "the file is empty"));
    };
    if body.len() > max {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("一次最多导入{max}行，本文件{}行", body.len()),
            format!("at most {max} rows at a time; this file has {}", body.len()),
        ));
    }
    Ok((headings, body))
}

/// What a page says when a file was refused as a whole: the first field error's text, else
/// the problem's, in the page's language.
pub fn error_text(e: &ApiError, tr: crate::web::Tr) -> String {
    let (zh, en) = e
        .errors
        .first()
        .map(|f| crate::http::error::split_bilingual(&f.message))
        .unwrap_or((&e.detail_zh, &e.detail_en));
    tr.pick(zh, en).to_string()
}

/// A cell that must be a number; the text names the field in both languages.
pub fn number(field: &str, v: &str) -> Result<f64, String> {
    v.parse::<f64>().map_err(|_| format!("{field}“{v}”不是数字 / {field} “{v}” is not a number"))
}

/// A cell that must be a whole number.
pub fn whole(field: &str, v: &str) -> Result<i64, String> {
    v.parse::<i64>().map_err(|_| format!("{field}“{v}”不是整数 / {field} “{v}” is not a whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_in_either_language_find_their_columns_and_missing_ones_are_named() {
        const NAMES: ColumnNames = &[("lon", &["经度", "lon"]), ("lat", &["纬度", "lat"]), ("note", &["备注", "note"])];
        let rows = read("\u{feff}LON,纬度\n121.5,29.8\n".as_bytes(), Format::Csv).unwrap();
        let (headings, body) = split(&rows, 10).unwrap();
        let col = columns(headings, NAMES, &["note"]).unwrap();
        assert_eq!((col["lon"], col["lat"], body.len()), (0, 1, 1));
        let e = columns(&["经度".to_string()], NAMES, &[]).unwrap_err();
        assert!(e.errors[0].message.contains("纬度") && e.errors[0].message.contains("备注"));
        assert!(split(&rows, 0).is_err());
        assert!(number("经度/lon", "x").unwrap_err().contains("not a number"));
    }
}
