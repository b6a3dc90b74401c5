//! `cargo xtask e2e`: the dashboard in a real browser. Starts a fresh `portal-server`,
//! makes a signed package with the real `mosis`, and drives Debian's Chromium through
//! npm's playwright-core (`xtask/node/e2e.mjs`): claim the instance through the
//! bootstrap link, register an app, add a key, upload from the page, watch its state,
//! create and revoke a token, approve a device login of the real `mosis login`.
//! Screenshots of the main pages go to `test-artifacts/e2e/`. A console error or a CSP
//! violation fails the run.

use crate::server::Server;
use crate::tools::{CHROMIUM, node_dir};
use crate::{cargo, run, workspace_root};
use anyhow::Context as _;
use std::process::Command;

/// Runs the browser tests.
pub fn run_all() -> anyhow::Result<()> {
    crate::tools::ensure()?;
    let mut build = cargo();
    build.args([
        "build",
        "--locked",
        "-p",
        "portal-server",
        "-p",
        "mosis-cli",
    ]);
    run(build)?;
    let bin = workspace_root().join("target/debug");
    let work = tempfile_dir()?;
    let artifacts = workspace_root().join("test-artifacts/e2e");
    let _ = std::fs::remove_dir_all(&artifacts);
    std::fs::create_dir_all(&artifacts)?;

    // A signed package and its key, made by the real CLI.
    let mosis = bin.join("mosis");
    let key = work.join("dev.key");
    let project = work.join("project");
    let package = work.join("hello.mpk");
    run_quiet(Command::new(&mosis).args(["keygen", "--out"]).arg(&key))?;
    run_quiet(
        Command::new(&mosis)
            .args(["init", "--id", "com.example.hello", "--name", "Hello"])
            .arg(&project),
    )?;
    run_quiet(
        Command::new(&mosis)
            .arg("pack")
            .arg(&project)
            .arg("--key")
            .arg(&key)
            .arg("-o")
            .arg(&package),
    )?;

    let server = Server::start(
        &bin.join("portal-server"),
        &work.join("data"),
        &artifacts.join("server.log"),
        &[],
    )?;
    let bootstrap = server
        .bootstrap_url
        .clone()
        .context("a fresh portal-server printed no bootstrap link")?;
    let mut cmd = Command::new("node");
    cmd.current_dir(node_dir())
        .arg(node_dir().join("e2e.mjs"))
        .env("PORTAL_URL", &server.url)
        .env("BOOTSTRAP_URL", bootstrap)
        .env("PACKAGE", &package)
        .env("PUBLIC_KEY", work.join("dev.key.pub"))
        .env("MOSIS_BIN", &mosis)
        .env("MOSIS_CONFIG_HOME", work.join("cli-config"))
        .env("CHROMIUM", CHROMIUM)
        .env("ARTIFACTS", &artifacts);
    run(cmd)
        .context("the browser tests failed (screenshots and server.log in test-artifacts/e2e)")?;
    drop(server);
    let _ = std::fs::remove_dir_all(&work);
    eprintln!("e2e: screenshots in {}", artifacts.display());
    Ok(())
}

fn run_quiet(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    let output = cmd.output().with_context(|| format!("starting {shown}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{shown} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// A fresh scratch folder under `target/` (removed at the end of a passing run).
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = workspace_root()
        .join("target/e2e")
        .join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
