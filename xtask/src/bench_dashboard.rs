//! `cargo xtask bench dashboard`: the dashboard's read path on the release
//! `portal-server`, as ratios to baselines served by the same server in the same run:
//!
//! - `/apps` of a developer with 50 apps (session check, real queries, tera) against
//!   `/_bench/apps-table`, the same template rendering 50 synthetic rows with no session
//!   and no queries. Goal ≥ 70 % of its requests/s, p99 ≤ 50 ms.
//! - The htmx versions fragment of an app with 10 versions (session, queries, a partial)
//!   against `/healthz`. Goal ≥ 25 % of its requests/s.

use crate::bench::set_manifest;
use crate::bench::{quiet, release_binaries};
use crate::server::Server;
use anyhow::Context as _;
use std::fs;
use std::process::Command;

const APPS: usize = 50;
const VERSIONS: usize = 10;
const WRK_SECS: u32 = 10;

/// Runs the benchmark and prints every ratio.
pub fn run_bench() -> anyhow::Result<()> {
    let (portal, mosis) = release_binaries(&[
        ("wrk", "apt-get install -y wrk"),
        ("curl", "apt-get install -y curl"),
    ])?;
    let dir = crate::bench::fresh_dir("dashboard")?;
    let data = dir.join("data");
    let server = Server::start(
        &portal,
        &data,
        &dir.join("server.log"),
        &[
            ("MOSIS_RATE_LIMIT_PER_IP", "0"),
            ("MOSIS_RATE_LIMIT_PER_TOKEN", "0"),
            ("MOSIS_BENCH_ROUTES", "true"),
            ("MOSIS_LOG", "warn"),
        ],
    )?;
    let url = server.url.clone();

    // The developer signs in through the bootstrap link: a real session cookie.
    let link = server
        .bootstrap_url
        .clone()
        .context("a fresh portal printed no bootstrap link")?;
    let token = link.split("token=").nth(1).context("a token in the link")?;
    let out = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-D", "-", "--data"])
        .arg(format!("token={token}&name=dev"))
        .arg(format!("{url}/setup"))
        .output()?;
    let headers = String::from_utf8_lossy(&out.stdout);
    let cookie = headers
        .lines()
        .find_map(|l| {
            let l = l.strip_prefix("set-cookie: ")?;
            l.starts_with("mosis_session=")
                .then(|| l.split(';').next().unwrap_or_default().to_owned())
        })
        .with_context(|| format!("claiming the instance set no session cookie:\n{headers}"))?;
    let cookie_header = format!("Cookie: {cookie}");

    let api_token = String::from_utf8(
        Command::new(&portal)
            .arg("--data")
            .arg(&data)
            .args([
                "admin",
                "create-token",
                "--user",
                "dev",
                "--scope",
                "publish",
            ])
            .output()?
            .stdout,
    )?
    .lines()
    .last()
    .unwrap_or_default()
    .to_owned();
    println!("dashboard benchmark: {APPS} apps, {VERSIONS} versions of one …");
    for i in 0..APPS {
        quiet(
            Command::new("curl")
                .args(["-sS", "--fail", "-o", "/dev/null", "-H"])
                .arg(format!("Authorization: Bearer {api_token}"))
                .args(["-H", "Content-Type: application/json", "--data"])
                .arg(format!(
                    r#"{{"app_id":"com.example.app{i}","name":"App {i}"}}"#
                ))
                .arg(format!("{url}/api/v1/apps")),
        )?;
    }
    let key = dir.join("bench.key");
    quiet(Command::new(&mosis).arg("keygen").arg("--out").arg(&key))?;
    let with_token = |cmd: &mut Command| {
        cmd.args(["--server", &url]).env("MOSIS_TOKEN", &api_token);
    };
    let mut register = Command::new(&mosis);
    register
        .args(["keys", "register"])
        .arg(key.with_extension("key.pub"));
    with_token(&mut register);
    quiet(&mut register)?;
    // One version of every app (so each row of the apps page shows a version, as the
    // synthetic page's rows do), and VERSIONS of the first.
    let project = dir.join("project");
    quiet(
        Command::new(&mosis)
            .args(["init", "--id", "com.example.app0", "--name", "App 0"])
            .arg(&project),
    )?;
    let publish = |app: &str, version: &str| -> anyhow::Result<()> {
        let manifest = project.join("manifest.json");
        let text = fs::read_to_string(&manifest)?;
        fs::write(&manifest, set_manifest(&text, app, version)?)?;
        let mut cmd = Command::new(&mosis);
        cmd.arg("publish").arg(&project).arg("--key").arg(&key);
        with_token(&mut cmd);
        quiet(&mut cmd)
    };
    for i in 1..APPS {
        publish(&format!("com.example.app{i}"), "1.0.0")?;
    }
    for v in 1..=VERSIONS {
        publish("com.example.app0", &format!("0.{v}.0"))?;
    }
    // For profiling by hand: the session cookie of this run.
    fs::write(dir.join("cookie.txt"), &cookie_header)?;

    let apps = crate::wrk::run(WRK_SECS, &format!("{url}/apps"), &[&cookie_header])?;
    let synthetic = crate::wrk::run(WRK_SECS, &format!("{url}/_bench/apps-table"), &[])?;
    let fragment = crate::wrk::run(
        WRK_SECS,
        &format!("{url}/apps/com.example.app0/versions"),
        &[&cookie_header, "HX-Request: true"],
    )?;
    let hello = crate::wrk::run(WRK_SECS, &format!("{url}/healthz"), &[])?;
    println!("wrk -c64 -t2 -d{WRK_SECS}s --latency, release build, same server");
    let row = |name: &str, (rps, p99): (f64, f64)| {
        println!("  {name:<46} {rps:>9.0} req/s   p99 {p99:>7.2} ms");
    };
    row(
        "/_bench/apps-table (50 rows, no session/queries)",
        synthetic,
    );
    row("/apps (50 apps: session + queries + template)", apps);
    row("/healthz (hello world)", hello);
    row("versions fragment (10 rows, htmx)", fragment);
    println!(
        "apps page ÷ synthetic page: {:.0} % (goal ≥ 70 %), p99 {:.1} ms (goal ≤ 50 ms)",
        apps.0 / synthetic.0 * 100.0,
        apps.1
    );
    println!(
        "fragment ÷ hello world: {:.0} % (goal ≥ 25 %)",
        fragment.0 / hello.0 * 100.0
    );
    Ok(())
}
