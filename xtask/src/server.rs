//! A `portal-server` the benchmarks and browser tests start on a random loopback port,
//! with its stderr in a file; killed on drop.

use anyhow::Context as _;
use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running server.
pub struct Server {
    child: Child,
    /// Its base URL.
    pub url: String,
    /// The first-run bootstrap link it printed, when the data dir had no admin.
    pub bootstrap_url: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `binary` on `data` with the extra environment `env`.
    pub fn start(
        binary: &Path,
        data: &Path,
        log: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(log)?)
            .spawn()
            .context("starting portal-server")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let wait = Duration::from_secs(30);
        let first = rx
            .recv_timeout(wait)
            .with_context(|| format!("portal-server printed nothing; see {}", log.display()))?;
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("portal-server said {first:?}; see {}", log.display()))?
            .to_owned();
        // The banner, if any, follows at once.
        let mut bootstrap_url = None;
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
            if let Some(link) = line.trim().strip_prefix("bootstrap: ") {
                bootstrap_url = Some(link.to_owned());
                break;
            }
        }
        Ok(Self {
            child,
            url,
            bootstrap_url,
        })
    }

    /// Resets the kernel's peak-RSS mark, returning the current RSS in KiB.
    pub fn reset_peak(&self) -> anyhow::Result<u64> {
        fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .context("resetting the server's peak RSS")?;
        self.status_kib("VmRSS")
    }

    /// A `/proc/PID/status` field in KiB.
    pub fn status_kib(&self, field: &str) -> anyhow::Result<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| {
                l.strip_prefix(field)?
                    .trim_start_matches(':')
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
            .with_context(|| format!("no {field} in /proc status"))
    }
}

/// Runs `portal-server --data DATA ARGS…` (an admin command); returns the last line it
/// printed (where tokens and links go).
pub fn admin(portal: &Path, data: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(portal)
        .arg("--data")
        .arg(data)
        .args(args)
        .output()?;
    if !out.status.success() {
        anyhow::bail!(
            "portal-server {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned())
}

/// The account `bench` with a `read publish` token (before the server starts).
pub fn bench_account(portal: &Path, data: &Path) -> anyhow::Result<String> {
    admin(portal, data, &["admin", "create-user", "--name", "bench"])?;
    admin(
        portal,
        data,
        &[
            "admin",
            "create-token",
            "--user",
            "bench",
            "--scope",
            "read",
            "--scope",
            "publish",
        ],
    )
}

/// A new key `dir/bench.key`, registered for `token` with the running server at `url`.
pub fn register_bench_key(
    mosis: &Path,
    dir: &Path,
    url: &str,
    token: &str,
) -> anyhow::Result<std::path::PathBuf> {
    let key = dir.join("bench.key");
    crate::bench::quiet(Command::new(mosis).arg("keygen").arg("--out").arg(&key))?;
    crate::bench::quiet(
        Command::new(mosis)
            .args(["keys", "register"])
            .arg(key.with_extension("key.pub"))
            .args(["--server", url])
            .env("MOSIS_TOKEN", token),
    )?;
    Ok(key)
}
