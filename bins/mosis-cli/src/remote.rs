//! The commands that talk to a portal: login, logout, keys, publish, status, apps.

use crate::Outcome;
use crate::credentials::{self, Credentials};
use crate::output::{Output, human_bytes};
use anyhow::Context as _;
use mosis_client::wire::{AppDetail, DeviceCodeRequest, NewKey};
use mosis_client::{Client, ClientError};
use mosis_domain::{PackError, SigningKey};
use std::io::{IsTerminal as _, Read as _};
use std::path::Path;

/// A server error as one clear line (plus a refused package's problems), exit 1; a
/// transport or usage error is returned for exit 2.
pub fn report(result: Result<Outcome, anyhow::Error>, out: &Output) -> anyhow::Result<Outcome> {
    let err = match result {
        Ok(outcome) => return Ok(outcome),
        Err(err) => err,
    };
    match err.downcast_ref::<ClientError>() {
        Some(ClientError::Api {
            status,
            message,
            problems,
            ..
        }) => {
            out.error(&format!("the server refused: {message} (HTTP {status})"));
            for p in problems {
                let at = p
                    .path
                    .as_deref()
                    .map_or(String::new(), |p| format!("{p}: "));
                out.note(&format!("  - {at}{} [{}]", p.message, p.code));
            }
            Ok(Outcome::Refused)
        }
        _ => Err(err),
    }
}

/// The server and token a networked command uses: `--server` (or `MOSIS_SERVER`), else
/// the one stored by `mosis login`. The stored token is only ever sent to the stored
/// server; `MOSIS_TOKEN` overrides it.
pub fn connect(server: Option<&str>) -> anyhow::Result<Client> {
    let stored = credentials::load()?;
    let env_token = std::env::var("MOSIS_TOKEN").ok().filter(|t| !t.is_empty());
    let (server, stored_token) = match (server, &stored) {
        (Some(s), Some(c)) if same_server(s, &c.server) => (s.to_owned(), Some(c.token.clone())),
        (Some(s), _) => (s.to_owned(), None),
        (None, Some(c)) => (c.server.clone(), Some(c.token.clone())),
        (None, None) => anyhow::bail!(
            "no server: pass --server URL, set MOSIS_SERVER, or run `mosis login --server URL --token-stdin`"
        ),
    };
    let token = env_token.or(stored_token).with_context(|| {
        format!("no token for {server}: run `mosis login --server {server} --token-stdin` or set MOSIS_TOKEN")
    })?;
    Ok(Client::new(&server, Some(token))?)
}

fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// `mosis login --server URL --token-stdin`.
pub fn login(
    server: Option<&str>,
    token_stdin: bool,
    scopes: &[String],
    out: &Output,
) -> anyhow::Result<Outcome> {
    let server = server.context("--server URL (or MOSIS_SERVER) is required to log in")?;
    let token = if token_stdin {
        let mut token = String::new();
        std::io::stdin()
            .read_to_string(&mut token)
            .context("reading the token from stdin")?;
        let token = token.trim().to_owned();
        anyhow::ensure!(!token.is_empty(), "stdin held no token");
        token
    } else {
        device_login(server, scopes, out)?
    };
    let client = Client::new(server, Some(token.clone()))?;
    let me = client.me()?;
    let path = credentials::save(&Credentials {
        server: client.server().to_owned(),
        token,
    })?;
    out.note(&format!(
        "logged in to {} as {} (scopes: {}); credentials in {}",
        client.server(),
        me.account.name,
        me.scopes.join(" "),
        path.display()
    ));
    Ok(Outcome::Done)
}

/// This machine's name, shown (as self-reported) to whoever approves a device login.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// The device login: shows the code, polls until it is approved, denied or expired.
fn device_login(server: &str, scopes: &[String], out: &Output) -> anyhow::Result<String> {
    let client = Client::new(server, None)?;
    let code = client.start_device_login(&DeviceCodeRequest {
        scopes: scopes.to_vec(),
        client: Some(concat!("mosis ", env!("CARGO_PKG_VERSION")).to_owned()),
        host: Some(host_name()),
    })?;
    out.note(&format!(
        "to log in, open {} in a browser signed in to the portal and enter the code\n\n    {}\n\n(or open {})\nwaiting for approval (the code expires in {} min)…",
        code.verification_uri,
        code.user_code,
        code.verification_uri_complete,
        code.expires_in / 60
    ));
    let interval = std::time::Duration::from_secs(code.interval.max(1));
    let deadline = std::time::Instant::now()
        + std::time::Duration::from_secs(u64::try_from(code.expires_in).unwrap_or(600) + 30);
    loop {
        std::thread::sleep(interval);
        match client.poll_device_login(&code.device_code) {
            Ok(created) => return Ok(created.token),
            Err(ClientError::Api { code: reason, .. }) if reason == "authorization_pending" => {
                if std::time::Instant::now() > deadline {
                    anyhow::bail!(
                        "the code expired before it was approved; run `mosis login` again"
                    );
                }
            }
            Err(ClientError::Api { code: reason, .. }) if reason == "access_denied" => {
                anyhow::bail!("the login was denied in the dashboard; nothing was stored")
            }
            Err(ClientError::Api { code: reason, .. }) if reason == "expired_token" => {
                anyhow::bail!("the code expired before it was approved; run `mosis login` again")
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// `mosis logout`: forgets the stored credentials (the token stays valid on the server).
pub fn logout(out: &Output) -> anyhow::Result<Outcome> {
    if credentials::remove()? {
        out.note("logged out: the stored token was removed from this machine (revoke it in the portal to end it everywhere)");
    } else {
        out.note("not logged in");
    }
    Ok(Outcome::Done)
}

/// `mosis keys register KEY.pub`.
pub fn register_key(
    client: &Client,
    file: &Path,
    label: Option<String>,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    if SigningKey::from_file_text(&text).is_ok() {
        anyhow::bail!(
            "{} is a private key: register the public one ({}.pub); never send the private key",
            file.display(),
            file.display()
        );
    }
    let label = label.or_else(|| file.file_stem().map(|s| s.to_string_lossy().into_owned()));
    let key = client.add_key(&NewKey {
        public_key: text,
        label,
    })?;
    out.note(&format!(
        "registered key {} with {}",
        key.key_id,
        client.server()
    ));
    println!("{}", key.key_id);
    Ok(Outcome::Done)
}

/// `mosis keys list`.
pub fn list_keys(client: &Client, json: bool) -> anyhow::Result<Outcome> {
    let keys = client.keys()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&keys)?);
    } else {
        println!("{:<18} {:<10} LABEL", "KEY ID", "STATUS");
        for k in &keys {
            let status = if k.revoked_at.is_some() {
                "revoked"
            } else {
                "active"
            };
            println!("{:<18} {:<10} {}", k.key_id, status, k.label);
        }
    }
    Ok(Outcome::Done)
}

/// How `mosis publish` was asked to publish.
pub struct Publish<'a> {
    /// `--key`, to pack a directory.
    pub key: Option<&'a Path>,
    /// `--channel`.
    pub channel: Option<&'a str>,
    /// `--json`.
    pub json: bool,
}

/// `mosis publish FILE.mpk|DIR [--key KEY] [--channel CHANNEL]`: a directory is packed
/// (signed) first.
pub fn publish(
    client: &Client,
    target: &Path,
    how: Publish<'_>,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let Publish { key, channel, json } = how;
    let packed;
    let file = if target.is_dir() {
        let key = key
            .context("publishing a directory packs it first: pass --key KEY (or set MOSIS_KEY)")?;
        let key = SigningKey::read_file(key)?;
        packed = tempfile::Builder::new()
            .prefix(".mosis-publish-")
            .suffix(".mpk")
            .tempfile()
            .context("creating a temp file for the package")?;
        match mosis_domain::pack_to_file(target, &key, packed.path()) {
            Ok(summary) => out.note(&format!(
                "packed {} {} ({})",
                summary.manifest.id,
                summary.manifest.version,
                human_bytes(summary.package_bytes)
            )),
            Err(PackError::Refused(problems)) => {
                out.problems(&format!("cannot pack {}", target.display()), &problems);
                return Ok(Outcome::Refused);
            }
            Err(PackError::Failed(e)) => return Err(e.into()),
        }
        packed.path().to_owned()
    } else {
        target.to_owned()
    };
    let opened =
        std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
    // The app id comes from the package's manifest; the server verifies everything else
    // (hashing it here too would halve the upload rate of a large package).
    let manifest = match mosis_domain::read_manifest(&opened, &mosis_domain::Limits::default()) {
        Ok(manifest) => manifest,
        Err(invalid) => {
            out.problems(
                &format!("{} is not a valid package", file.display()),
                &invalid.problems,
            );
            return Ok(Outcome::Refused);
        }
    };
    let app_id = manifest.id.to_string();
    let len = opened.metadata()?.len();
    let body = std::fs::File::open(&file)?;
    let bar = if std::io::stderr().is_terminal() && !json {
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "uploading {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let uploaded = client.upload_for_channel(&app_id, channel, bar.wrap_read(body), len);
    bar.finish_and_clear();
    let version = uploaded?;
    if json {
        println!("{}", serde_json::to_string_pretty(&version)?);
    } else {
        println!(
            "uploaded {} {} ({}), state: {}{}",
            version.app_id,
            version.version,
            human_bytes(version.size),
            version.state,
            version
                .requested_channel
                .as_deref()
                .map(|c| format!(", asked for {c}"))
                .unwrap_or_default()
        );
    }
    Ok(Outcome::Done)
}

/// `mosis status APP_ID [--json]`.
pub fn status(client: &Client, app_id: &str, json: bool) -> anyhow::Result<Outcome> {
    let detail = client.app(app_id)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&detail)?);
    } else {
        print_status(&detail);
    }
    Ok(Outcome::Done)
}

fn print_status(detail: &AppDetail) {
    println!("{} ({})", detail.app.name, detail.app.app_id);
    if detail.versions.is_empty() {
        println!("no versions uploaded yet");
        return;
    }
    println!(
        "{:<14} {:<10} {:<8} {:>10}  KEY",
        "VERSION", "STATE", "CHANNEL", "SIZE"
    );
    for v in &detail.versions {
        println!(
            "{:<14} {:<10} {:<8} {:>10}  {}",
            v.version,
            v.state,
            v.channel.as_deref().unwrap_or("-"),
            human_bytes(v.size),
            v.key_id
        );
        if let Some(reason) = &v.reject_reason {
            println!("    rejected: {reason}");
        }
        for failed in failed_checks(v.report.as_ref()) {
            println!("    failed check: {failed}");
        }
    }
}

/// The failed findings of a review report, one line each (`title: path: message`).
fn failed_checks(report: Option<&serde_json::Value>) -> Vec<String> {
    let Some(checks) = report.and_then(|r| r["checks"].as_array()) else {
        return Vec::new();
    };
    checks
        .iter()
        .filter(|c| c["status"] == "failed")
        .map(|c| {
            let at = c["path"]
                .as_str()
                .map(|p| format!("{p}: "))
                .unwrap_or_default();
            format!(
                "{}: {at}{}",
                c["title"].as_str().unwrap_or("check"),
                c["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// `mosis apps list [--json]`.
pub fn list_apps(client: &Client, json: bool) -> anyhow::Result<Outcome> {
    let apps = client.apps()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&apps)?);
    } else if apps.is_empty() {
        println!("no apps yet: `mosis publish DIR --key KEY` registers one");
    } else {
        println!("{:<32} {:<24} {:<12} STATE", "APP ID", "NAME", "LATEST");
        for a in &apps {
            println!(
                "{:<32} {:<24} {:<12} {}",
                a.app_id,
                a.name,
                a.latest_version.as_deref().unwrap_or("-"),
                a.latest_state.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(Outcome::Done)
}
