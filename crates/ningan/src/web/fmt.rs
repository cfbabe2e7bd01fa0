//! One way to show times, durations and money on every page: China Standard Time to the
//! minute (`2026-11-30 04:47`), deadlines with what is left or how late, amounts in yuan with
//! thousands separators and two decimals. Templates call these by path; the API keeps its
//! RFC 3339 timestamps and raw numbers.

use chrono::{DateTime, FixedOffset};

use super::Tr;

fn parse(v: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(v.trim()).ok().map(|t| t.with_timezone(&ningan_core::time::cst()))
}

/// A timestamp as people read it: `2026-11-30 04:47` in China Standard Time. Anything that is
/// not an RFC 3339 timestamp is shown as it is.
pub fn when(v: impl std::fmt::Display) -> String {
    let s = v.to_string();
    match parse(&s) {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => s,
    }
}

/// A date alone: `2026-11-30`.
pub fn day(v: impl std::fmt::Display) -> String {
    let s = v.to_string();
    match parse(&s) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => s,
    }
}

/// What is left until a deadline, or how late it is: `剩 2 天 3 小时` / `2 d 3 h left`,
/// `已超时 5 小时` / `5 h overdue`. Empty when the value is not a timestamp.
pub fn countdown(v: impl std::fmt::Display, tr: &Tr) -> String {
    match parse(&v.to_string()) {
        Some(t) => left(t.timestamp_millis() - ningan_core::time::now_ms(), tr.is_en()),
        None => String::new(),
    }
}

fn left(ms: i64, en: bool) -> String {
    let late = ms < 0;
    let minutes = ms.unsigned_abs() / 60_000;
    let (d, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let span = match (d, h, en) {
        (0, 0, false) => format!("{m} 分钟"),
        (0, 0, true) => format!("{m} min"),
        (0, _, false) => format!("{h} 小时 {m} 分"),
        (0, _, true) => format!("{h} h {m} min"),
        (_, _, false) => format!("{d} 天 {h} 小时"),
        (_, _, true) => format!("{d} d {h} h"),
    };
    match (late, en) {
        (false, false) => format!("剩 {span}"),
        (false, true) => format!("{span} left"),
        (true, false) => format!("已超时 {span}"),
        (true, true) => format!("{span} overdue"),
    }
}

/// Whether a deadline has passed (for the late style).
pub fn overdue(v: impl std::fmt::Display) -> bool {
    parse(&v.to_string()).is_some_and(|t| t.timestamp_millis() < ningan_core::time::now_ms())
}

/// Yuan with thousands separators and two decimals: `23,433,154.37`.
pub fn yuan(v: &f64) -> String {
    let fen = (*v * 100.0).round() as i64;
    yuan_fen(fen)
}

/// The same from an amount in fen (分), the unit money is stored in.
pub fn yuan_fen(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

/// A count with thousands separators: `1,234,567`.
pub fn count(n: i64) -> String {
    let s = yuan_fen(n * 100);
    s.trim_end_matches(".00").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_in_china_time_to_the_minute() {
        assert_eq!(when("2026-11-30T04:47:32.753+08:00"), "2026-11-30 04:47");
        assert_eq!(when("2026-11-29T20:47:32Z"), "2026-11-30 04:47");
        assert_eq!(day("2026-11-29T20:47:32Z"), "2026-11-30");
        assert_eq!(when("—"), "—", "anything else as it is");
    }

    #[test]
    fn deadlines_say_what_is_left_or_how_late() {
        assert_eq!(left(2 * 86_400_000 + 3 * 3_600_000 + 5_000, false), "剩 2 天 3 小时");
        assert_eq!(left(90 * 60_000, true), "1 h 30 min left");
        assert_eq!(left(-5 * 3_600_000, false), "已超时 5 小时 0 分");
        assert_eq!(left(-(10 * 60_000), true), "10 min overdue");
    }

    #[test]
    fn amounts_have_separators_and_two_decimals() {
        assert_eq!(yuan(&23_433_154.37), "23,433,154.37");
        assert_eq!(yuan(&23_433_154.0), "23,433,154.00");
        assert_eq!(yuan_fen(-12_345), "-123.45");
        assert_eq!(yuan(&0.0), "0.00");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
    }
}
