//! `cargo xtask bench review`: what the review queue adds, on the release `portal-server`,
//! as ratios to a peer measured in the same run:
//!
//! - A 50 MB package: the time from `mosis publish` returning (the upload accepted,
//!   `pending`) to `in_review` (a worker claimed the job, re-verified the package, ran
//!   every check, stored the report), against `mosis validate` of the same file. Goal
//!   ≤ 1.5× (the queue adds little to the verification it must repeat).
//! - 200 small packages uploaded 8 at a time: reviewed jobs per second, end to end, with
//!   the mean job time the server's `/metrics` reports, against `mosis validate` of the
//!   same 200 files one after another.

use crate::bench::{
    Cost, FILE_BYTES, best, make_project, measure, pack_as, quiet, release_binaries,
};
use crate::server::Server;
use anyhow::{Context as _, bail};
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIG_APP: &str = "com.example.reviewbench";
/// About 50 MB of incompressible content.
const BIG_FILES: usize = 50_000_000 / FILE_BYTES + 1;
const RUNS: usize = 3;
const SMALL: usize = 200;
const PARALLEL: usize = 8;

/// Runs the benchmark and prints every ratio.
pub fn run() -> anyhow::Result<()> {
    let (portal, mosis) = release_binaries(&[])?;
    let dir = crate::bench::fresh_dir("review")?;
    let data = dir.join("data");
    let token = crate::server::bench_account(&portal, &data)?;
    let server = Server::start(
        &portal,
        &data,
        &dir.join("server.log"),
        &[
            ("MOSIS_RATE_LIMIT_PER_IP", "0"),
            ("MOSIS_RATE_LIMIT_PER_TOKEN", "0"),
        ],
    )?;
    let key = crate::server::register_bench_key(&mosis, &dir, &server.url, &token)?;
    let pack = |project: &Path, app: &str, version: &str| {
        pack_as(&mosis, &key, project, (app, version), &dir)
    };
    let publish = |file: &Path| -> Command {
        let mut cmd = Command::new(&mosis);
        cmd.arg("publish")
            .arg(file)
            .args(["--server", &server.url])
            .env("MOSIS_TOKEN", &token);
        cmd
    };
    let validate = |file: &Path| -> Command {
        let mut cmd = Command::new(&mosis);
        cmd.arg("validate").arg(file);
        cmd
    };
    let addr = server.url.trim_start_matches("http://").to_owned();

    println!("review benchmark: a ~50 MB package {RUNS} times, then {SMALL} small packages …");
    let big = dir.join("big");
    make_project(&mosis, &big, BIG_FILES)?;
    let (mut validations, mut queued) = (Vec::new(), Vec::new());
    let mut package_bytes = 0;
    for run in 1..=RUNS {
        let version = format!("1.{run}.0");
        let file = pack(&big, BIG_APP, &version)?;
        package_bytes = fs::metadata(&file)?.len();
        validations.push(measure(
            validate(&file).stdout(std::process::Stdio::null()),
        )?);
        quiet(&mut publish(&file))?;
        let accepted = Instant::now();
        wait_in_review(&addr, &token, &[(BIG_APP.to_owned(), version)])?;
        queued.push(Cost {
            wall: accepted.elapsed(),
            max_rss_kib: 0,
        });
        fs::remove_file(&file)?;
    }
    let (validate_best, queue_best) = (best(&validations).wall, best(&queued).wall);
    println!(
        "package {:.0} MB, best of {RUNS}, server and client on 127.0.0.1",
        package_bytes as f64 / 1e6
    );
    println!(
        "  mosis validate                 {:>8.1} ms",
        ms(validate_best)
    );
    println!(
        "  upload accepted → in_review    {:>8.1} ms   {:.2}× validate   (goal ≤ 1.5×)",
        ms(queue_best),
        queue_best.as_secs_f64() / validate_best.as_secs_f64()
    );

    // Many small packages: one app each, so uploads at once never race on versions.
    let small = dir.join("small");
    quiet(
        Command::new(&mosis)
            .args(["init", "--id", "com.example.small", "--name", "Small"])
            .arg(&small),
    )?;
    let files: Vec<(String, PathBuf)> = (0..SMALL)
        .map(|i| {
            let app = format!("com.example.small{i}");
            pack(&small, &app, "1.0.0").map(|f| (app, f))
        })
        .collect::<anyhow::Result<_>>()?;
    let started = Instant::now();
    for f in &files {
        quiet(validate(&f.1).stdout(std::process::Stdio::null()))?;
    }
    let validate_all = started.elapsed();
    let before = job_metrics(&addr)?;
    let started = Instant::now();
    for batch in files.chunks(PARALLEL) {
        let children = batch
            .iter()
            .map(|(_, f)| publish(f).stdout(std::process::Stdio::null()).spawn())
            .collect::<Result<Vec<_>, _>>()?;
        for mut child in children {
            let status = child.wait()?;
            if !status.success() {
                bail!("a mosis publish failed ({status})");
            }
        }
    }
    let expected: Vec<(String, String)> = files
        .iter()
        .map(|(app, _)| (app.clone(), "1.0.0".to_owned()))
        .collect();
    wait_in_review(&addr, &token, &expected)?;
    let reviewed_all = started.elapsed();
    let after = job_metrics(&addr)?;
    let (jobs, job_secs) = (after.0 - before.0, after.1 - before.1);
    println!(
        "{SMALL} small packages ({:.0} kB each), uploaded {PARALLEL} at a time",
        fs::metadata(&files[0].1)?.len() as f64 / 1e3
    );
    println!(
        "  mosis validate, one by one     {:>8.1} packages/s",
        SMALL as f64 / validate_all.as_secs_f64()
    );
    println!(
        "  uploaded and reviewed          {:>8.1} jobs/s   ({jobs:.0} jobs, {:.1} ms each on average in the workers)",
        SMALL as f64 / reviewed_all.as_secs_f64(),
        job_secs / jobs.max(1.0) * 1e3
    );
    drop(server);
    fs::remove_dir_all(&dir)?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One HTTP/1.1 GET on loopback; returns the body.
fn get(addr: &str, path: &str, token: Option<&str>) -> anyhow::Result<String> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").context("no HTTP body")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {}", head.lines().next().unwrap_or_default());
    }
    Ok(body.to_owned())
}

/// Polls until every (app, version) is `in_review` (fails on `rejected`, or after 5 min).
fn wait_in_review(addr: &str, token: &str, versions: &[(String, String)]) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    for (app, version) in versions {
        loop {
            let body = get(
                addr,
                &format!("/api/v1/apps/{app}/versions/{version}"),
                Some(token),
            )?;
            let state: serde_json::Value = serde_json::from_str(&body)?;
            match state["state"].as_str() {
                Some("in_review") => break,
                Some("rejected") => {
                    bail!("{app} {version} was rejected: {}", state["reject_reason"])
                }
                _ if Instant::now() > deadline => {
                    bail!("{app} {version} is still {}", state["state"])
                }
                _ => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    }
    Ok(())
}

/// (jobs, seconds) of the `in_review` review jobs so far, from `/metrics`.
fn job_metrics(addr: &str) -> anyhow::Result<(f64, f64)> {
    let text = get(addr, "/metrics", None)?;
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Ok((
        value("mosis_review_job_duration_seconds_count{outcome=\"in_review\"}"),
        value("mosis_review_job_duration_seconds_sum{outcome=\"in_review\"}"),
    ))
}
