//! NDJSON request bodies: one JSON object per line. Every line counts toward the batch limit
//! (one that does not parse costs the server as much as one that does), and refusals quote
//! parse errors briefly, so a body of junk cannot make a large answer.

use crate::http::error::ApiError;

/// Refusals listed in one answer; the rest are only counted.
pub const MAX_LISTED_REFUSALS: usize = 100;

/// The non-blank lines of `body` with their numbers (from 0), or a refusal when there are
/// more than `max`, before any line is parsed.
pub fn lines(body: &str, max: usize) -> Result<Vec<(usize, &str)>, ApiError> {
    let mut out = Vec::new();
    for (i, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if out.len() == max {
            return Err(ApiError::field(
                "body",
                format!("每批最多{max}行"),
                format!("send at most {max} lines per batch (every line counts, readable or not)"),
            ));
        }
        out.push((i, line));
    }
    Ok(out)
}

/// A parse error in at most 120 characters.
pub fn short(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_lines_count_toward_the_limit() {
        assert_eq!(lines("{}\n\n{}\n", 2).unwrap().iter().map(|l| l.0).collect::<Vec<_>>(), [0, 2]);
        assert!(lines("x\ny\nz\n", 2).is_err());
    }
}
