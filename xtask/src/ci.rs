//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use crate::{cargo, run};
use std::time::Instant;

/// Runs fmt, clippy, rustdoc, installs the test tools, then the tests (doc tests, then
/// nextest when installed), so the test runner's summary is the last thing printed.
pub fn all() -> anyhow::Result<()> {
    step("fmt", || {
        let mut cmd = cargo();
        cmd.args(["fmt", "--all", "--check"]);
        run(cmd)
    })?;
    step("clippy", || {
        let mut cmd = cargo();
        cmd.args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]);
        run(cmd)
    })?;
    step("doc", || {
        let mut cmd = cargo();
        cmd.args(["doc", "--workspace", "--no-deps", "--locked"])
            .env("RUSTDOCFLAGS", "-D warnings");
        run(cmd)
    })?;
    step("tools", crate::tools::ensure)?;
    if has_nextest() {
        step("doctest", || {
            let mut cmd = cargo();
            cmd.args(["test", "--workspace", "--doc", "--locked"]);
            run(cmd)
        })?;
    }
    step("test", || {
        let mut cmd = cargo();
        if has_nextest() {
            cmd.args([
                "nextest",
                "run",
                "--workspace",
                "--locked",
                "--no-fail-fast",
            ]);
        } else {
            eprintln!("cargo-nextest not found; running cargo test");
            cmd.args(["test", "--workspace", "--locked", "--no-fail-fast"]);
        }
        run(cmd)
    })?;
    step("e2e", crate::e2e::run_all)?;
    eprintln!("xtask ci: all checks passed");
    Ok(())
}

fn has_nextest() -> bool {
    cargo()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn step(name: &str, f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    eprintln!("==> {name}");
    let started = Instant::now();
    let result = f();
    eprintln!(
        "<== {name}: {} in {:.1}s",
        if result.is_ok() { "ok" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    result
}
