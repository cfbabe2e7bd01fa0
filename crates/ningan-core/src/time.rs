//! Time as ningan stores it: milliseconds since the Unix epoch in `i64`, shown in China
//! Standard Time. One representation keeps SQLite and PostgreSQL identical.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

pub fn now_ms() -> Millis {
    Utc::now().timestamp_millis()
}

/// China Standard Time, UTC+8, without daylight saving.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

pub fn today_cst() -> NaiveDate {
    Utc::now().with_timezone(&cst()).date_naive()
}

/// `2026-11-29 10:15:02` in CST.
pub fn format_ms(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&cst()).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// RFC 3339 in CST for the API.
pub fn rfc3339_ms(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&cst()).to_rfc3339())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_china_standard_time() {
        assert_eq!(format_ms(0), "1970-01-01 08:00:00");
        assert_eq!(rfc3339_ms(0), "1970-01-01T08:00:00+08:00");
    }
}
