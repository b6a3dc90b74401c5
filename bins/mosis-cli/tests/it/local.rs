//! The offline commands, driven as a developer would: keygen → init → pack → validate.

use predicates::prelude::*;
use std::path::Path;

use crate::mosis;

/// A workspace with a key and a fresh project, ready to pack.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        mosis()
            .args(["keygen", "--out"])
            .arg(dir.path().join("dev.key"))
            .assert()
            .success();
        mosis()
            .args(["init", "--id", "com.example.hello", "--name", "Hello"])
            .arg(dir.path().join("hello"))
            .assert()
            .success();
        Self { dir }
    }
    fn path(&self, p: &str) -> std::path::PathBuf {
        self.dir.path().join(p)
    }
    fn pack(&self, out: &str) -> assert_cmd::assert::Assert {
        mosis()
            .arg("pack")
            .arg(self.path("hello"))
            .arg("--key")
            .arg(self.path("dev.key"))
            .arg("-o")
            .arg(self.path(out))
            .assert()
    }
    fn validate_json(&self, file: &str) -> (i32, serde_json::Value) {
        let output = mosis()
            .args(["validate", "--json"])
            .arg(self.path(file))
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            serde_json::from_slice(&output.stdout).unwrap(),
        )
    }
}

#[test]
fn keygen_init_pack_validate() {
    let s = Setup::new();
    let key_id = std::fs::read_to_string(s.path("dev.key.pub"))
        .unwrap()
        .split_whitespace()
        .nth(3)
        .unwrap()
        .to_owned();
    s.pack("hello.mpk")
        .success()
        .stdout(predicate::str::contains(
            "packed com.example.hello 0.1.0: 3 files",
        ));
    mosis()
        .arg("validate")
        .arg(s.path("hello.mpk"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("com.example.hello 0.1.0 is valid")
                .and(predicate::str::contains(&key_id)),
        );
    let (code, report) = s.validate_json("hello.mpk");
    assert_eq!(code, 0);
    assert_eq!(
        report,
        serde_json::json!({"valid": true, "app_id": "com.example.hello", "version": "0.1.0", "key_id": key_id, "problems": []})
    );
}

#[test]
fn packing_twice_gives_the_same_bytes() {
    let s = Setup::new();
    s.pack("a.mpk").success();
    s.pack("b.mpk").success();
    assert_eq!(
        std::fs::read(s.path("a.mpk")).unwrap(),
        std::fs::read(s.path("b.mpk")).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn keygen_writes_a_private_key_and_refuses_to_overwrite() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let out = mosis()
        .arg("keygen")
        .arg("--out")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let id = String::from_utf8(out.stdout).unwrap();
    assert_eq!(id.trim().len(), 16, "stdout is the key id alone: {id:?}");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let before = std::fs::read(&key).unwrap();
    mosis()
        .arg("keygen")
        .arg("--out")
        .arg(&key)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(std::fs::read(&key).unwrap(), before);
}

/// Flips one byte inside the (stored) icon's pixel data.
fn tamper(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.windows(4).position(|w| w == b"IDAT").unwrap() + 20;
    bytes[at] ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_tampered_package_is_invalid_with_every_problem_listed() {
    let s = Setup::new();
    s.pack("hello.mpk").success();
    tamper(&s.path("hello.mpk"));
    let (code, report) = s.validate_json("hello.mpk");
    assert_eq!(code, 1);
    assert_eq!(report["valid"], false);
    assert_eq!(report["app_id"], "com.example.hello");
    assert_eq!(report["problems"][0]["code"], "hash_mismatch");
    assert_eq!(report["problems"][0]["path"], "icon.png");
    mosis()
        .arg("validate")
        .arg(s.path("hello.mpk"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("[hash_mismatch] icon.png"));
}

#[test]
fn a_project_that_breaks_rules_is_refused_listing_every_problem() {
    let s = Setup::new();
    let manifest = s.path("hello/manifest.json");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("0.1.0", "zero")
        .replace("Hello", "");
    std::fs::write(&manifest, text).unwrap();
    std::fs::write(s.path("hello/icon.png"), b"not a png").unwrap();
    s.pack("hello.mpk").code(1).stderr(
        predicate::str::contains("3 problems")
            .and(predicate::str::contains("field `version`"))
            .and(predicate::str::contains("field `name`"))
            .and(predicate::str::contains("[invalid_icon] icon.png")),
    );
    assert!(!s.path("hello.mpk").exists());
}

#[test]
fn io_and_usage_errors_exit_2() {
    let s = Setup::new();
    mosis()
        .args(["validate", "/nonexistent.mpk"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent.mpk"));
    mosis().args(["validate"]).assert().code(2);
    mosis().args(["frobnicate"]).assert().code(2);
    mosis()
        .args(["init", "--id", "Bad", "--name", "x", "d"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--id"));
    mosis()
        .args(["init", "--id", "com.example.hello", "--name", "Hello"])
        .arg(s.path("hello"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not empty"));
    mosis()
        .arg("pack")
        .arg(s.path("hello"))
        .arg("--key")
        .arg(s.path("dev.key.pub"))
        .arg("-o")
        .arg(s.path("x.mpk"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("public key"));
}

#[test]
fn a_file_that_is_not_a_package_is_invalid() {
    let s = Setup::new();
    std::fs::write(s.path("junk.mpk"), b"hello").unwrap();
    let (code, report) = s.validate_json("junk.mpk");
    assert_eq!(code, 1);
    assert_eq!(report["problems"][0]["code"], "not_a_zip");
    assert_eq!(report["app_id"], serde_json::Value::Null);
}

#[test]
fn output_is_colourless_when_piped_and_coloured_on_request() {
    let s = Setup::new();
    std::fs::write(s.path("junk.mpk"), b"hello").unwrap();
    mosis()
        .arg("validate")
        .arg(s.path("junk.mpk"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\x1b[").not());
    mosis()
        .arg("validate")
        .arg("/nonexistent.mpk")
        .assert()
        .stderr(predicate::str::contains("\x1b[").not());
    mosis()
        .args(["--color", "always", "validate"])
        .arg(s.path("junk.mpk"))
        .assert()
        .stdout(predicate::str::contains("\x1b["));
}

#[test]
fn every_command_has_help() {
    for command in [&[][..], &["keygen"], &["init"], &["pack"], &["validate"]] {
        mosis()
            .args(command)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage:"));
    }
}

#[test]
fn the_key_can_come_from_the_environment() {
    let s = Setup::new();
    mosis()
        .arg("pack")
        .arg(s.path("hello"))
        .arg("-o")
        .arg(s.path("env.mpk"))
        .env("MOSIS_KEY", s.path("dev.key"))
        .assert()
        .success();
}
