//! Lists as files: the filtered rows of a workbench list as CSV (UTF-8 with a byte-order mark,
//! so Excel opens Chinese text right), XLSX or Parquet (text columns named by the headings,
//! for DuckDB, pandas or Spark). Values are what the page shows, masked the same
//! way; the caller audits the export like the list. Files hold at most [`EXPORT_CAP`] rows.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;

/// The most rows one file holds; the list's filters narrow a larger set.
pub const EXPORT_CAP: usize = 10_000;

/// Reads a list page by page at the largest page size until it ends or holds [`EXPORT_CAP`]
/// rows: the one loop every export runs, whatever it lists.
pub async fn gather<T, E, Fut>(mut read: impl FnMut(ningan_store::PageRequest) -> Fut) -> Result<Vec<T>, E>
where
    Fut: std::future::Future<Output = Result<Vec<T>, E>>,
{
    let per_page = ningan_store::MAX_PAGE_SIZE;
    let mut rows = Vec::new();
    for page_no in 1.. {
        let items = read(ningan_store::PageRequest::new(Some(page_no), Some(per_page))).await?;
        let last = items.len() < per_page as usize;
        rows.extend(items.into_iter().take(EXPORT_CAP - rows.len()));
        if last || rows.len() >= EXPORT_CAP {
            break;
        }
    }
    Ok(rows)
}

/// A list as rows of text under headings.
pub struct Table {
    /// The sheet's name and the file's stem (ASCII, no spaces).
    pub name: &'static str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table whose headings are given in both languages and shown in the reader's.
    pub fn new(name: &'static str, tr: crate::web::Tr, headers: &[(&str, &str)], rows: Vec<Vec<String>>) -> Table {
        Table { name, headers: headers.iter().map(|(zh, en)| tr.pick(zh, en).to_string()).collect(), rows }
    }
}

/// The file formats a list exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Parquet,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Parquet => "parquet",
        }
    }
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is kept as
/// text: data typed by citizens must not become a formula on an officer's machine.
fn inert(v: &str) -> String {
    match v.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{v}"),
        _ => v.to_string(),
    }
}

pub fn csv_bytes(t: &Table) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let line = |cells: &[String], out: &mut String| {
        let quoted: Vec<String> = cells.iter().map(|c| format!("\"{}\"", inert(c).replace('"', "\"\""))).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    };
    line(&t.headers, &mut out);
    for r in &t.rows {
        line(r, &mut out);
    }
    out.into_bytes()
}

pub fn xlsx_bytes(t: &Table) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::internal(format!("xlsx: {e}"));
    sheet.set_name(t.name).map_err(fail)?;
    let bold = CellFormat::new().set_bold();
    for (c, h) in t.headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold).map_err(fail)?;
        sheet.set_column_width(c as u16, 16).map_err(fail)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // Strings, never formulas: write_string does not interpret `=`.
            sheet.write_string(r as u32 + 1, c as u16, v).map_err(fail)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

/// The table as Parquet: one text column per heading (repeated headings get a suffix, as
/// column names must differ).
pub fn parquet_bytes(t: &Table) -> Result<Vec<u8>, ApiError> {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    let mut names: Vec<String> = Vec::with_capacity(t.headers.len());
    for h in &t.headers {
        let mut name = h.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{h} {n}");
            n += 1;
        }
        names.push(name);
    }
    let schema = Arc::new(Schema::new(names.iter().map(|n| Field::new(n, DataType::Utf8, false)).collect::<Vec<_>>()));
    let columns: Vec<ArrayRef> = (0..names.len())
        .map(|c| {
            Arc::new(StringArray::from_iter_values(t.rows.iter().map(|r| r.get(c).map(String::as_str).unwrap_or(""))))
                as ArrayRef
        })
        .collect();
    let fail = |e: &dyn std::fmt::Display| ApiError::internal(format!("parquet: {e}"));
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| fail(&e))?;
    let mut out = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None).map_err(|e| fail(&e))?;
    writer.write(&batch).map_err(|e| fail(&e))?;
    writer.close().map_err(|e| fail(&e))?;
    Ok(out)
}

/// The file as a download named `<name>-<date>.<ext>`.
pub fn download(t: &Table, format: Format) -> Result<Response, ApiError> {
    let (body, content_type) = match format {
        Format::Csv => (csv_bytes(t), "text/csv; charset=utf-8"),
        Format::Xlsx => (xlsx_bytes(t)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        Format::Parquet => (parquet_bytes(t)?, "application/vnd.apache.parquet"),
    };
    let date = ningan_core::time::today_cst().format("%Y%m%d");
    let disposition = format!("attachment; filename=\"{}-{date}.{}\"", t.name, format.ext());
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn gathering_stops_at_the_last_page_or_at_the_cap() {
        let per_page = ningan_store::MAX_PAGE_SIZE as usize;
        let big = EXPORT_CAP + 5 * per_page;
        for (total, expected, reads) in [
            (0, 0, 1),
            (per_page - 1, per_page - 1, 1),
            (per_page, per_page, 2),
            (big, EXPORT_CAP, EXPORT_CAP.div_ceil(per_page)),
        ] {
            let mut calls = 0;
            let got = gather(|page: ningan_store::PageRequest| {
                calls += 1;
                let from = page.offset() as usize;
                async move { Ok::<_, ()>((from..total.min(from + per_page)).collect::<Vec<usize>>()) }
            })
            .await
            .unwrap();
            assert_eq!(got, (0..expected).collect::<Vec<_>>(), "{total} rows: in order, none twice");
            assert_eq!(calls, reads, "{total} rows read in {reads} pages");
        }
    }

    fn table() -> Table {
        Table {
            name: "applications",
            headers: vec!["编号".into(), "备注".into()],
            rows: vec![vec!["A1".into(), "说 \"好\"".into()], vec!["A2".into(), "=HYPERLINK(\"x\")".into()]],
        }
    }

    #[test]
    fn csv_quotes_cells_and_defuses_formulas() {
        let text = String::from_utf8(csv_bytes(&table())).unwrap();
        assert!(text.starts_with('\u{feff}'), "a byte-order mark for Excel");
        assert!(text.contains("\"说 \"\"好\"\"\""));
        assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{text}");
    }

    #[test]
    fn parquet_reads_back_with_the_headings_and_every_cell() {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let bytes = parquet_bytes(&table()).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(axum::body::Bytes::from(bytes)).unwrap().build().unwrap();
        let batches: Vec<_> = reader.map(Result::unwrap).collect();
        let names: Vec<String> = batches[0].schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, vec!["编号", "备注"]);
        let col = batches[0].column(1).as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
        assert_eq!(col.value(1), "=HYPERLINK(\"x\")", "kept as text: Parquet has no formulas");
    }

    #[test]
    fn xlsx_is_a_zip_with_a_sheet() {
        let bytes = xlsx_bytes(&table()).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
