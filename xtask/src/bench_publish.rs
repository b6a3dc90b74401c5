//! `cargo xtask bench publish`: the publish path and the API's read path of the release
//! `portal-server`, as ratios to peers measured in the same run (absolute figures on a
//! shared machine move by 10×):
//!
//! - `mosis publish` of a 1 GB package (stream, hash, fsync, verify, atomic rename) against
//!   `dd … conv=fdatasync` writing 1 GiB to a new file, and against `curl -T` of the same
//!   package to the same endpoint. Goal ≥ 0.8× each.
//! - The server's peak RSS growth during one upload and during 4 at once. Goal ≤ 32 MB.
//! - `GET /api/v1/apps/{id}` (token check + SQLite reads) with wrk at 64 connections
//!   against `/healthz` on the same server. Goal ≥ 40 % of its requests/s, p99 ≤ 10 ms.

use crate::bench::{Cost, FILE_BYTES, best, make_project, measure, pack_as, release_binaries};
use crate::server::Server;
use anyhow::{Context as _, bail};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const APP_ID: &str = "com.example.bench";
/// About 1 GB of incompressible content (stored entries).
const FILES: usize = 1_000_000_000 / FILE_BYTES + 1;
const RUNS: usize = 2;
const CONCURRENT: usize = 4;
const WRK_SECS: u32 = 10;

/// Runs the benchmark and prints every ratio.
pub fn run() -> anyhow::Result<()> {
    let (portal, mosis) = release_binaries(&[
        ("wrk", "apt-get install -y wrk"),
        ("curl", "apt-get install -y curl"),
        ("dd", "coreutils"),
    ])?;
    let dir = crate::bench::fresh_dir("publish")?;
    let data = dir.join("data");

    let token = crate::server::bench_account(&portal, &data)?;
    let server = Server::start(
        &portal,
        &data,
        &dir.join("server.log"),
        // No rate limits (one client makes every request), room for the package.
        &[
            ("MOSIS_RATE_LIMIT_PER_IP", "0"),
            ("MOSIS_RATE_LIMIT_PER_TOKEN", "0"),
            ("MOSIS_MAX_UPLOAD_BYTES", "1100000000"),
        ],
    )?;
    let key = crate::server::register_bench_key(&mosis, &dir, &server.url, &token)?;

    println!("publish benchmark: packing {RUNS} + {RUNS} + {CONCURRENT} packages of ~1 GB …");
    let project = dir.join("project");
    make_project(&mosis, &project, FILES)?;
    let mut next_minor = 0u32;
    // Each package is a new version; concurrent ones are of different apps (a lower
    // version finishing after a higher one of the same app would rightly be refused).
    let mut next_package = |app_id: &str| -> anyhow::Result<PathBuf> {
        next_minor += 1;
        pack_as(
            &mosis,
            &key,
            &project,
            (app_id, &format!("1.{next_minor}.0")),
            &dir,
        )
    };
    let upload_url = format!("{}/api/v1/apps/{APP_ID}/versions", server.url);
    let publish = |file: &Path| -> Command {
        let mut cmd = Command::new(&mosis);
        cmd.arg("publish")
            .arg(file)
            .args(["--server", &server.url])
            .env("MOSIS_TOKEN", &token);
        cmd
    };
    let curl = |file: &Path| -> Command {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--fail", "-o", "/dev/null", "-X", "POST"])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args(["-H", "Content-Type: application/octet-stream", "-T"])
            .arg(file)
            .arg(&upload_url);
        cmd
    };

    // Interleaved runs, each on a fresh package (a version uploads once).
    let (mut dd, mut curls, mut publishes, mut growth_kib) =
        (Vec::new(), Vec::new(), Vec::new(), 0u64);
    let mut package_bytes = 0;
    for _ in 0..RUNS {
        let target = dir.join("dd.bin");
        settle()?;
        dd.push(measure(
            Command::new("dd")
                .arg("if=/dev/zero")
                .arg(format!("of={}", target.display()))
                .args(["bs=1M", "count=1024", "conv=fdatasync"]),
        )?);
        fs::remove_file(&target)?;

        let file = next_package(APP_ID)?;
        package_bytes = fs::metadata(&file)?.len();
        settle()?;
        curls.push(measure(&mut curl(&file))?);
        fs::remove_file(&file)?;

        let file = next_package(APP_ID)?;
        settle()?;
        let before = server.reset_peak()?;
        publishes.push(measure(&mut publish(&file))?);
        growth_kib = growth_kib.max(server.status_kib("VmHWM")?.saturating_sub(before));
        fs::remove_file(&file)?;
    }
    let mbps = |bytes: u64, cost: Cost| bytes as f64 / cost.wall.as_secs_f64() / 1e6;
    let dd_mbps = mbps(1024 * 1024 * 1024, best(&dd));
    let curl_mbps = mbps(package_bytes, best(&curls));
    let mosis_mbps = mbps(package_bytes, best(&publishes));
    println!(
        "package {:.0} MB, best of {RUNS} runs, server and clients on 127.0.0.1",
        package_bytes as f64 / 1e6
    );
    println!("  dd 1 GiB conv=fdatasync  {dd_mbps:>6.0} MB/s");
    println!("  curl -T                  {curl_mbps:>6.0} MB/s");
    println!(
        "  mosis publish            {mosis_mbps:>6.0} MB/s   {:.2}× dd   {:.2}× curl   (goal ≥ 0.80× each)",
        mosis_mbps / dd_mbps,
        mosis_mbps / curl_mbps
    );
    let files: Vec<PathBuf> = (0..CONCURRENT)
        .map(|i| next_package(&format!("{APP_ID}{i}")))
        .collect::<anyhow::Result<_>>()?;
    settle()?;
    let before = server.reset_peak()?;
    let started = Instant::now();
    let children: Vec<Child> = files
        .iter()
        .map(|f| publish(f).stdout(Stdio::null()).spawn())
        .collect::<Result<_, _>>()?;
    for mut child in children {
        let status = child.wait()?;
        if !status.success() {
            bail!("a concurrent mosis publish failed ({status})");
        }
    }
    let concurrent_secs = started.elapsed().as_secs_f64();
    let concurrent_growth_kib = server.status_kib("VmHWM")?.saturating_sub(before);
    for f in &files {
        fs::remove_file(f)?;
    }

    println!(
        "  {CONCURRENT} at once                {:>6.0} MB/s aggregate",
        CONCURRENT as f64 * package_bytes as f64 / concurrent_secs / 1e6
    );
    println!(
        "  server peak RSS growth   {:.1} MiB one upload, {:.1} MiB {CONCURRENT} at once (different apps)   (goal ≤ 32 MB)",
        growth_kib as f64 / 1024.0,
        concurrent_growth_kib as f64 / 1024.0
    );

    settle()?;
    let auth = format!("Authorization: Bearer {token}");
    let app = crate::wrk::run(
        WRK_SECS,
        &format!("{}/api/v1/apps/{APP_ID}", server.url),
        &[&auth],
    )?;
    let hello = crate::wrk::run(WRK_SECS, &format!("{}/healthz", server.url), &[])?;
    println!("wrk -c64 -t2 -d{WRK_SECS}s --latency");
    println!(
        "  /healthz                 {:>8.0} req/s   p99 {:>6.2} ms",
        hello.0, hello.1
    );
    println!(
        "  GET /api/v1/apps/{{id}}    {:>8.0} req/s   p99 {:>6.2} ms   {:.0} % of /healthz   (goal ≥ 40 %, p99 ≤ 10 ms)",
        app.0,
        app.1,
        app.0 / hello.0 * 100.0
    );
    drop(server);
    fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Flushes dirty pages (the previous step's gigabytes) so their writeback does not land
/// in the next measurement.
fn settle() -> anyhow::Result<()> {
    let status = Command::new("sync").status().context("running sync")?;
    if !status.success() {
        bail!("sync failed ({status})");
    }
    Ok(())
}
