//! The command line as an operator uses it: help lists every command, configuration errors
//! name their key, accounts and tokens are managed, and `audit verify` catches tampering.

use crate::common;

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ningan");

fn ningan(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("NINGAN_CONFIG");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run ningan")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn help_lists_every_command() {
    let out = text(&ningan(&["--help"], &[]));
    for cmd in ["serve", "demo", "migrate", "user", "token", "audit", "config"] {
        assert!(out.contains(cmd), "{cmd} missing from:\n{out}");
    }
    let user = text(&ningan(&["user", "--help"], &[]));
    for sub in ["add", "passwd", "disable", "list"] {
        assert!(user.contains(sub), "user {sub}");
    }
    let token = text(&ningan(&["token", "--help"], &[]));
    for sub in ["create", "revoke", "list"] {
        assert!(token.contains(sub), "token {sub}");
    }
}

#[test]
fn config_check_names_the_bad_key_and_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let bad = ningan(&["config", "check", "--data", d], &[("NINGAN_HTTP__REQUEST_TIMEOUT_SECS", "soon")]);
    assert!(!bad.status.success());
    assert!(text(&bad).to_lowercase().contains("request_timeout_secs"), "{}", text(&bad));
    let good = ningan(&["config", "check", "--data", d, "--database-url", "postgres://u:hunter2@db/ningan"], &[]);
    assert!(good.status.success(), "{}", text(&good));
    let shown = text(&good);
    assert!(shown.contains("u:***@db") && !shown.contains("hunter2"), "{shown}");
}

#[test]
fn accounts_and_tokens_from_the_command_line_and_a_tampered_chain_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let add = ningan(
        &["user", "add", "--data", d, "--username", "chief", "--role", "administrator", "--role", "auditor"],
        &[],
    );
    assert!(add.status.success(), "{}", text(&add));
    assert!(text(&add).contains("password (shown once): "));
    let refused = ningan(&["user", "add", "--data", d, "--username", "x1", "--role", "wizard"], &[]);
    assert!(!refused.status.success() && text(&refused).contains("--role"));
    let no_unit = ningan(&["user", "add", "--data", d, "--username", "x2", "--role", "auditor", "--unit", "999"], &[]);
    assert!(!no_unit.status.success() && text(&no_unit).contains("--unit"));
    let mut passwd = Command::new(BIN);
    passwd
        .args(["user", "passwd", "--data", d, "chief", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = passwd.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"new-secret-pass-42\n").unwrap();
    assert!(child.wait().unwrap().success());
    assert!(ningan(&["user", "disable", "--data", d, "chief"], &[]).status.success());
    let list = text(&ningan(&["user", "list", "--data", d], &[]));
    assert!(list.contains("chief") && list.contains("disabled"), "{list}");

    let token = ningan(
        &["token", "create", "--data", d, "--name", "gate-01", "--unit", "330203", "--scope", "resident.read"],
        &[],
    );
    assert!(token.status.success(), "{}", text(&token));
    assert!(text(&token).contains("secret (shown once): ngn_"));
    assert!(!ningan(&["token", "create", "--data", d, "--name", "x", "--scope", "audit.read"], &[]).status.success());
    assert!(ningan(&["token", "revoke", "--data", d, "1"], &[]).status.success());
    assert!(text(&ningan(&["token", "list", "--data", d], &[])).contains("revoked"));

    let ok = ningan(&["audit", "verify", "--data", d], &[]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("intact"));
    // Tamper as someone with file access would: drop the guard trigger, edit a purpose.
    let db = dir.path().join("ningan.db");
    let status = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3; c=sqlite3.connect('{}'); c.execute('DROP TRIGGER audit_log_no_update'); c.execute(\"UPDATE audit_log SET detail='x' WHERE seq=3\"); c.commit()",
            db.display()
        ))
        .status()
        .expect("python3 with sqlite3");
    assert!(status.success());
    let broken = ningan(&["audit", "verify", "--data", d], &[]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(text(&broken).contains("BROKEN at entry 3"), "{}", text(&broken));
}

#[test]
fn checkins_import_from_csv_names_refused_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // A small demo city has venues (ids from 1) and residents (ids from 1), and check-ins of
    // its own dated back from today.
    assert!(ningan(&["demo", "--data", d, "--people", "300", "--no-serve"], &[]).status.success());
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, common::checkins_csv(chrono::Utc::now().timestamp() - 3600)).unwrap();
    let out = ningan(&["import", "checkins", "--data", d, csv.to_str().unwrap()], &[]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("2 条接收"), "two rows are good: {said}");
    assert!(said.contains("unknown resident: 1"), "{said}");
    assert!(said.contains("unknown space: 1"), "{said}");
    assert!(said.contains("end before start: 1"), "{said}");
    assert!(said.contains("line 6"), "the unreadable line is named: {said}");
    // Every refused row by its line in the file (the header is line 1), whoever refused it.
    for named in ["line 4: unknown resident", "line 5: unknown space", "line 7: end before start"] {
        assert!(said.contains(named), "{named}: {said}");
    }
    // The same file again adds nothing: its check-ins are held already.
    let again = ningan(&["import", "checkins", "--data", d, csv.to_str().unwrap()], &[]);
    let said = text(&again);
    assert!(said.contains("0 条接收") && said.contains("2 条已有"), "{said}");
    let wrong = ningan(&["import", "checkins", "--data", d, "/nonexistent.json"], &[]);
    assert!(!wrong.status.success());
    assert!(text(&wrong).contains(".parquet or .csv"), "{}", text(&wrong));
    // The import is in the audit log, whose chain is intact.
    assert!(ningan(&["audit", "verify", "--data", d], &[]).status.success());
}

#[test]
fn signals_import_scores_a_journey_and_names_refused_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // The demo city lists 0574-61000000 and com.meeting0.app among its fraud identifiers.
    assert!(ningan(&["demo", "--data", d, "--people", "100", "--no-serve"], &[]).status.success());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let file = dir.path().join("signals.ndjson");
    std::fs::write(
        &file,
        format!(
            "{{\"id\":\"imp-1\",\"phone\":\"13700000000\",\"at\":{},\"kind\":\"call\",\"from\":\"0574-61000000\",\"duration\":300}}\n\
             {{\"id\":\"imp-2\",\"phone\":\"13700000000\",\"at\":{},\"kind\":\"app\",\"package\":\"com.meeting0.app\"}}\n\
             {{\"id\":\"imp-3\",\"phone\":\"13700000000\",\"at\":{},\"kind\":\"transfer\",\"account\":\"6217000011112222\",\"amount\":9000}}\n\
             not json\n\
             {{\"id\":\"imp-1\",\"phone\":\"13700000000\",\"kind\":\"sms\",\"from\":\"95588\"}}\n",
            now - 3000,
            now - 2000,
            now - 1000
        ),
    )
    .unwrap();
    let out = ningan(&["import", "signals", "--data", d, file.to_str().unwrap()], &[]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("3 条接收"), "{said}");
    assert!(said.contains("1 条重复"), "{said}");
    assert!(said.contains("line 4"), "the unreadable line is named: {said}");
    assert!(said.contains("3 条预警"), "yellow, orange and red: {said}");
    // Importing again is harmless.
    let again = text(&ningan(&["import", "signals", "--data", d, file.to_str().unwrap()], &[]));
    assert!(again.contains("0 条接收") && again.contains("0 条预警"), "{again}");
    assert!(ningan(&["audit", "verify", "--data", d], &[]).status.success());
}

#[test]
fn migrate_dry_run_lists_what_an_upgrade_would_apply_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let fresh = text(&ningan(&["migrate", "--dry-run", "--data", d], &[]));
    assert!(fresh.contains("evaluation: questionnaires"), "{fresh}");
    let total: usize =
        fresh.lines().next().and_then(|l| l.split(": ").nth(1)?.split(' ').next()?.parse().ok()).unwrap();
    assert!(total >= 33, "{fresh}");
    // Nothing was applied: the same list again, then a real run, then nothing left.
    assert_eq!(text(&ningan(&["migrate", "--dry-run", "--data", d], &[])), fresh);
    assert!(!dir.path().join("ningan.db").exists(), "a dry run creates no database");
    let applied = ningan(&["migrate", "--data", d], &[]);
    assert!(applied.status.success(), "{}", text(&applied));
    let after = text(&ningan(&["migrate", "--dry-run", "--data", d], &[]));
    assert!(after.contains(": 0 migration(s) to apply"), "{after}");
}
