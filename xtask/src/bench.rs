//! `cargo xtask bench verify`: how fast the real `mosis` binary verifies and packs a large
//! package, as ratios to baselines measured over the same bytes in the same run:
//! `openssl dgst -sha256` (OpenSSL's SHA-256 with the CPU's SHA extensions is the physical
//! limit for verifying) and, for packing, also a plain copy of the project's files into one
//! new synced file (writing the package is the other physical limit).

use crate::{cargo, run, workspace_root};
use anyhow::{Context as _, bail};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const FILE_BYTES: usize = 700 * 1024;
/// Package sizes measured: a smaller one, to show peak memory does not grow with size.
const SIZES: [(&str, usize); 2] = [("64 MB", 96), ("280 MB", 400)];
const RUNS: usize = 5;

/// One command's cost: wall time and peak resident memory.
#[derive(Clone, Copy)]
pub(crate) struct Cost {
    pub(crate) wall: Duration,
    pub(crate) max_rss_kib: u64,
}

/// Runs the benchmark and prints throughputs, ratios and peak memory.
pub fn verify() -> anyhow::Result<()> {
    if Command::new("openssl").arg("version").output().is_err() {
        bail!("openssl is needed as the baseline: apt-get install -y openssl");
    }
    let mut build = cargo();
    build.args(["build", "--release", "--locked", "-p", "mosis-cli"]);
    run(build)?;
    let mosis = workspace_root().join("target/release/mosis");
    let dir = workspace_root().join("bench-out/verify");
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    fs::create_dir_all(&dir)?;
    let key = dir.join("bench.key");
    quiet(Command::new(&mosis).arg("keygen").arg("--out").arg(&key))?;

    println!(
        "mosis verify/pack benchmark: stored package of {}-KiB random files, best of {RUNS} runs",
        FILE_BYTES / 1024
    );
    println!(
        "{:<8} {:>6} {:>10} {:>10} {:>7} {:>10} {:>10} {:>7} {:>7} {:>11}",
        "package",
        "files",
        "openssl",
        "verify",
        "ratio",
        "copy",
        "pack",
        "/ossl",
        "/copy",
        "verify RSS"
    );
    for (label, files) in SIZES {
        let project = dir.join(format!("project-{files}"));
        let content_bytes = make_project(&mosis, &project, files)?;
        let package = dir.join(format!("bench-{files}.mpk"));
        let copy = best_of(3, || copy_baseline(&project, &dir.join("copy.bin")))?;
        let pack = best_of(3, || {
            // A fresh output each time, as for the copy baseline (replacing a large file costs more).
            let _ = fs::remove_file(&package);
            measure(
                Command::new(&mosis)
                    .arg("pack")
                    .arg(&project)
                    .arg("--key")
                    .arg(&key)
                    .arg("-o")
                    .arg(&package),
            )
        })?;
        let package_bytes = fs::metadata(&package)?.len();
        let mut verify = Vec::new();
        let mut openssl = Vec::new();
        for _ in 0..RUNS {
            // Interleaved, so a noisy neighbour slows both alike.
            verify.push(measure(Command::new(&mosis).arg("validate").arg(&package))?);
            openssl.push(measure(
                Command::new("openssl")
                    .args(["dgst", "-sha256"])
                    .arg(&package),
            )?);
        }
        let verify = best(&verify);
        let openssl = best(&openssl);
        let mbps = |bytes: u64, cost: Cost| bytes as f64 / cost.wall.as_secs_f64() / 1e6;
        let openssl_mbps = mbps(package_bytes, openssl);
        let verify_mbps = mbps(package_bytes, verify);
        let pack_mbps = mbps(content_bytes, pack);
        let copy_mbps = mbps(content_bytes, copy);
        println!(
            "{label:<8} {files:>6} {openssl_mbps:>5.0} MB/s {verify_mbps:>5.0} MB/s {:>6.2}× {copy_mbps:>5.0} MB/s {pack_mbps:>5.0} MB/s {:>6.2}× {:>6.2}× {:>7} MiB",
            verify_mbps / openssl_mbps,
            pack_mbps / openssl_mbps,
            pack_mbps / copy_mbps,
            verify.max_rss_kib / 1024
        );
    }
    println!(
        "ratio, /ossl: mosis throughput ÷ `openssl dgst -sha256` throughput over the same bytes (verify goal ≥ 0.90×)"
    );
    println!("/copy: pack throughput ÷ copying the project's files into one new synced file");
    Ok(())
}

/// Runs the storage benchmark (`crates/mosis-storage/examples/bench_storage.rs`) in release mode.
pub fn storage() -> anyhow::Result<()> {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--release",
        "--locked",
        "-q",
        "-p",
        "mosis-storage",
        "--example",
        "bench_storage",
        "--",
    ])
    .arg(workspace_root().join("bench-out/storage"));
    run(cmd)
}

/// Creates a project with `mosis init` and adds `files` random files; returns its size in bytes.
pub(crate) fn make_project(mosis: &Path, project: &Path, files: usize) -> anyhow::Result<u64> {
    quiet(
        Command::new(mosis)
            .args(["init", "--id", "com.example.bench", "--name", "Bench"])
            .arg(project),
    )?;
    let data = project.join("data");
    fs::create_dir_all(&data)?;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut buf = vec![0u8; FILE_BYTES];
    for i in 0..files {
        for chunk in buf.chunks_exact_mut(8) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            chunk.copy_from_slice(&rng.to_le_bytes());
        }
        fs::File::create(data.join(format!("f{i:04}.bin")))?.write_all(&buf)?;
    }
    let mut total = 0;
    for entry in walk(project)? {
        total += fs::metadata(entry)?.len();
    }
    Ok(total)
}

/// Copies every file of `project` into one new file at `out` and syncs it: the cost of
/// writing a package's bytes, without hashing or ZIP framing.
fn copy_baseline(project: &Path, out: &Path) -> anyhow::Result<Cost> {
    let files = walk(project)?;
    let _ = fs::remove_file(out);
    let started = Instant::now();
    let mut target = fs::File::create(out)?;
    let mut buf = vec![0u8; 256 * 1024];
    for file in files {
        let mut source = fs::File::open(file)?;
        loop {
            let n = std::io::Read::read(&mut source, &mut buf)?;
            if n == 0 {
                break;
            }
            target.write_all(&buf[..n])?;
        }
    }
    target.sync_all()?;
    let wall = started.elapsed();
    fs::remove_file(out)?;
    Ok(Cost {
        wall,
        max_rss_kib: 0,
    })
}

fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

pub(crate) fn quiet(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status()?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}

pub(crate) fn best(costs: &[Cost]) -> Cost {
    let wall = costs.iter().map(|c| c.wall).min().unwrap_or_default();
    let max_rss_kib = costs
        .iter()
        .map(|c| c.max_rss_kib)
        .max()
        .unwrap_or_default();
    Cost { wall, max_rss_kib }
}

pub(crate) fn best_of(
    n: usize,
    mut f: impl FnMut() -> anyhow::Result<Cost>,
) -> anyhow::Result<Cost> {
    let costs = (0..n).map(|_| f()).collect::<anyhow::Result<Vec<_>>>()?;
    Ok(best(&costs))
}

/// Runs `cmd` to completion and reports its wall time and peak RSS (from `wait4`).
pub(crate) fn measure(cmd: &mut Command) -> anyhow::Result<Cost> {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let pid = libc::pid_t::try_from(child.id()).context("pid out of range")?;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of that plain C struct.
    #[expect(
        unsafe_code,
        reason = "wait4 is the only way to read a child's peak RSS"
    )]
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own un-waited child; `status` and `usage` are valid for writes.
    #[expect(
        unsafe_code,
        reason = "wait4 is the only way to read a child's peak RSS"
    )]
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if waited != pid {
        bail!("waiting for {cmd:?}: {}", std::io::Error::last_os_error());
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{cmd:?} failed (status {status})");
    }
    Ok(Cost {
        wall,
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    })
}

/// An empty `bench-out/{name}` folder (what an earlier run left is removed).
pub(crate) fn fresh_dir(name: &str) -> anyhow::Result<PathBuf> {
    let dir = workspace_root().join("bench-out").join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Fails unless every (tool, install hint) is on PATH; then builds the release
/// `portal-server` and `mosis` and returns their paths (server, CLI).
pub(crate) fn release_binaries(
    tools: &[(&str, &str)],
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    for (tool, hint) in tools {
        let found = Command::new("which")
            .arg(tool)
            .output()
            .is_ok_and(|o| o.status.success());
        anyhow::ensure!(found, "{tool} is needed: {hint}");
    }
    let mut build = crate::cargo();
    build.args([
        "build",
        "--release",
        "--locked",
        "-p",
        "portal-server",
        "-p",
        "mosis-cli",
    ]);
    crate::run(build)?;
    let release = crate::workspace_root().join("target/release");
    Ok((release.join("portal-server"), release.join("mosis")))
}

/// Sets the manifest's `"id"` and `"version"` fields (of the one `mosis init` wrote).
pub(crate) fn set_manifest(manifest: &str, app_id: &str, version: &str) -> anyhow::Result<String> {
    let mut value: serde_json::Value = serde_json::from_str(manifest)?;
    value["id"] = app_id.into();
    value["version"] = version.into();
    Ok(serde_json::to_string_pretty(&value)?)
}

/// Packs `project` as `app` `version` (its manifest rewritten) with `key` into
/// `dir/{app}-{version}.mpk`; returns the package's path.
pub(crate) fn pack_as(
    mosis: &Path,
    key: &Path,
    project: &Path,
    (app, version): (&str, &str),
    dir: &Path,
) -> anyhow::Result<PathBuf> {
    let manifest = project.join("manifest.json");
    fs::write(
        &manifest,
        set_manifest(&fs::read_to_string(&manifest)?, app, version)?,
    )?;
    let out = dir.join(format!("{app}-{version}.mpk"));
    quiet(
        Command::new(mosis)
            .arg("pack")
            .arg(project)
            .arg("--key")
            .arg(key)
            .arg("-o")
            .arg(&out),
    )?;
    Ok(out)
}
