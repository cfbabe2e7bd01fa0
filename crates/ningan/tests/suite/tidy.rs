//! House rules checked over the source tree: every Rust file opens with a `//!` line saying
//! what it is for, and nothing a person types is parsed with a silent default (a typo would
//! become a zero instead of an error beside the field).

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == "node_modules" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(PathBuf, String)> {
    let root = workspace_root();
    let mut files = Vec::new();
    for top in ["crates", "fuzz", "bench"] {
        rust_files(&root.join(top), &mut files);
    }
    assert!(files.len() > 50, "found only {} Rust files under {}", files.len(), root.display());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.strip_prefix(&root).map(Path::to_path_buf).unwrap_or(p), text)
        })
        .collect()
}

#[test]
fn every_source_file_opens_with_a_line_saying_what_it_is_for() {
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| !text.starts_with("//!"))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a `//!` opening line:\n{}", missing.join("\n"));
}

/// Whether a line parses and falls back to a default on failure: `parse().unwrap_or(`,
/// `parse::<T>().unwrap_or(` or `.parse().unwrap_or_default()`.
fn silent_default(line: &str) -> bool {
    let mut rest = line;
    while let Some(i) = rest.find(".parse") {
        let after = &rest[i + ".parse".len()..];
        let after = match after.strip_prefix("::<") {
            Some(t) => t.split_once('>').map(|(_, r)| r).unwrap_or(""),
            None => after,
        };
        if let Some(tail) = after.strip_prefix("()")
            && (tail.starts_with(".unwrap_or(")
                || tail.starts_with(".unwrap_or_default(")
                || tail.starts_with(".unwrap_or_else("))
        {
            return true;
        }
        rest = &rest[i + 1..];
    }
    false
}

#[test]
fn nothing_typed_is_parsed_with_a_silent_default() {
    let mut found = Vec::new();
    for (path, text) in sources() {
        // Tests may parse their own fixtures however they like.
        if path.components().any(|c| c.as_os_str() == "tests") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            if silent_default(line) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "parse with a silent default (return a field error instead):\n{}", found.join("\n"));
}

#[test]
fn the_silent_default_check_sees_what_it_is_meant_to() {
    assert!(silent_default("let n = s.trim().parse().unwrap_or(0);"));
    assert!(silent_default("let n = s.parse::<f64>().unwrap_or(f64::NAN);"));
    assert!(silent_default("x.parse::<i64>().unwrap_or_default()"));
    assert!(!silent_default("let n = s.parse::<i64>().map_err(bad)?;"));
    assert!(!silent_default("opt.and_then(|v| v.parse().ok())"));
}
