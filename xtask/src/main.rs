//! `cargo xtask`: the project's automation — `ci`, `e2e`, `bench verify|storage|publish|dashboard|review`, `tidy`.

mod bench;
mod bench_dashboard;
mod bench_publish;
mod bench_review;
mod ci;
mod e2e;
mod server;
mod tidy;
mod tools;
mod wrk;

use anyhow::{Context as _, bail};
use std::path::PathBuf;
use std::process::Command;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  ci              fmt check, clippy -D warnings, the whole test suite, cargo doc -D warnings
  e2e             the dashboard in Chromium (playwright-core): sign-in, apps, upload, keys, tokens, device login
  bench verify    package verification and packing throughput against `openssl dgst -sha256`
  bench storage   repository and blob-store cost against bare rusqlite and `cp`
  bench publish   `mosis publish` of 1 GB against dd and curl; API reads against a hello-world route (wrk)
  bench dashboard the apps page (50 apps) against a synthetic 50-row page; an htmx fragment against hello world (wrk)
  bench review    upload → in_review of a 50 MB package against `mosis validate`; review jobs/s for 200 small packages
  tools           install the components tests start (Litestream, oidc-provider, playwright-core, Chromium)
  tidy            check that crates depend on each other only as the layering allows";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["ci"] => ci::all(),
        ["e2e"] => e2e::run_all(),
        ["bench", "verify"] => bench::verify(),
        ["bench", "storage"] => bench::storage(),
        ["bench", "publish"] => bench_publish::run(),
        ["bench", "dashboard"] => bench_dashboard::run_bench(),
        ["bench", "review"] => bench_review::run(),
        ["tools"] => tools::ensure(),
        ["tidy"] => tidy::check(&tidy::Graph::load()?),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

/// The workspace root (the folder holding this crate's folder).
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or(manifest_dir.clone(), PathBuf::from)
}

/// `cargo`, as the one that runs us (so toolchain overrides carry over).
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

/// Runs `cmd`, failing with its command line when it does not succeed.
fn run(mut cmd: Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}
