//! The command line as an operator uses it: help lists every command, configuration errors
//! name their key, accounts and tokens are managed, and `audit verify` catches tampering.

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
