//! The server's settings: defaults, then the TOML config file, then `MOSIS_*` environment
//! variables, then command-line flags (each overriding the one before).

use anyhow::Context as _;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every setting of the portal server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The data directory (`portal.db`, `packages/`, `keys/`, `backups/`).
    pub data: PathBuf,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The largest upload accepted, in bytes (HTTP 413 beyond it).
    pub max_upload_bytes: u64,
    /// An upload that sends nothing for this long is abandoned (HTTP 408).
    pub upload_idle_timeout_secs: u64,
    /// Any other request must be answered within this (HTTP 503 after it).
    pub request_timeout_secs: u64,
    /// Requests per minute from one IP address (HTTP 429 beyond it).
    pub rate_limit_per_ip: u32,
    /// Requests per minute with one API token (HTTP 429 beyond it).
    pub rate_limit_per_token: u32,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// How many built-in backups `portal-server backup` keeps.
    pub backup_keep: usize,
    /// HTTP worker threads (0: one per core).
    pub workers: usize,
    /// The URL browsers reach the portal at (`https://portal.example.com`), used for
    /// sign-in callbacks, the bootstrap link and the device-login URL. Cookies are
    /// `Secure` (and `__Host-` prefixed) when it is https. Default `http://{listen}`.
    pub public_url: Option<String>,
    /// The instance's name, shown on every page.
    pub instance_name: String,
    /// A browser session unused this long ends, in minutes.
    pub session_idle_minutes: u32,
    /// A browser session ends this long after sign-in, in hours.
    pub session_max_hours: u32,
    /// The sign-in providers (`[[providers]]` tables), in button order.
    pub providers: Vec<mosis_auth::ProviderSettings>,
    /// Review worker threads (0: one per core).
    pub review_workers: usize,
    /// How long a review job is a worker's before another may retry it, in seconds.
    pub review_lease_secs: u64,
    /// Attempts before a failing review job is left for a person.
    pub review_max_attempts: u32,
    /// Risk-based review: publish an update without a reviewer when it is signed by the
    /// same key as a reviewer-approved release, adds no sensitive permission and keeps
    /// name and icon. An admin can override it per app.
    pub auto_approve_updates: bool,
    /// How long a signed index is valid, in hours (re-signed once a quarter is left).
    pub index_validity_hours: u32,
    /// Serves `/_bench/apps-table`, the synthetic baseline page of `cargo xtask bench
    /// dashboard` (no session, no queries). Off in production.
    pub bench_routes: bool,
}

/// The request log's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data: PathBuf::from("./data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_upload_bytes: mosis_domain::Limits::default().max_package_bytes,
            upload_idle_timeout_secs: 60,
            request_timeout_secs: 30,
            rate_limit_per_ip: 1200,
            rate_limit_per_token: 600,
            log_format: LogFormat::Text,
            backup_keep: 7,
            workers: 0,
            public_url: None,
            instance_name: "Mosis Developer Portal".into(),
            session_idle_minutes: 12 * 60,
            session_max_hours: 7 * 24,
            providers: Vec::new(),
            review_workers: 0,
            review_lease_secs: 300,
            review_max_attempts: 3,
            auto_approve_updates: false,
            index_validity_hours: 7 * 24,
            bench_routes: false,
        }
    }
}

/// The settings that `MOSIS_<NAME>` environment variables may set.
const ENV_SETTINGS: &[&str] = &[
    "data",
    "listen",
    "max_upload_bytes",
    "upload_idle_timeout_secs",
    "request_timeout_secs",
    "rate_limit_per_ip",
    "rate_limit_per_token",
    "log_format",
    "backup_keep",
    "workers",
    "public_url",
    "instance_name",
    "session_idle_minutes",
    "session_max_hours",
    "review_workers",
    "review_lease_secs",
    "review_max_attempts",
    "auto_approve_updates",
    "index_validity_hours",
    "bench_routes",
];

impl Config {
    /// The public base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// The limits every package is held to, at upload and in review.
    pub fn package_limits(&self) -> mosis_domain::Limits {
        mosis_domain::Limits {
            max_package_bytes: self.max_upload_bytes,
            ..mosis_domain::Limits::default()
        }
    }

    /// Whether browsers reach the portal over https (cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url().starts_with("https://")
    }

    /// Loads the settings: `file` (if given, it must exist), then `MOSIS_*` variables from
    /// `env`. Errors name the file or variable and the setting.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                text.parse::<toml::Table>()
                    .with_context(|| format!("config file {} is not valid TOML", path.display()))?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            let Some(setting) = name
                .strip_prefix("MOSIS_")
                .map(str::to_ascii_lowercase)
                .filter(|s| ENV_SETTINGS.contains(&s.as_str()))
            else {
                continue;
            };
            table.insert(setting, env_value(&value));
        }
        let source = file.map_or("the environment".to_owned(), |p| {
            format!("{} or the environment", p.display())
        });
        Config::deserialize(toml::Value::Table(table))
            .with_context(|| format!("invalid setting in {source}"))
    }
}

/// An environment value as TOML: a number or boolean when it reads as one, else a string.
fn env_value(text: &str) -> toml::Value {
    match format!("v = {text}").parse::<toml::Table>() {
        Ok(mut t) => match t.remove("v") {
            Some(v @ (toml::Value::Integer(_) | toml::Value::Boolean(_))) => v,
            _ => toml::Value::String(text.to_owned()),
        },
        Err(_) => toml::Value::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portal.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\nmax_upload_bytes = 5000\nlog_format = \"json\"\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&file),
            env(&[
                ("MOSIS_MAX_UPLOAD_BYTES", "7000"),
                ("MOSIS_SERVER", "ignored"),
                ("HOME", "/x"),
            ]),
        )
        .unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.max_upload_bytes, 7000);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.data, Config::default().data);
    }

    #[test]
    fn the_example_config_in_deploy_is_valid() {
        let text = include_str!("../../../deploy/portal.example.toml");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portal.toml");
        std::fs::write(&file, text).unwrap();
        let config = Config::load(Some(&file), []).unwrap();
        assert_eq!(config.data, PathBuf::from("/data"));
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let err = Config::load(None, env(&[("MOSIS_LISTEN", "not an address")])).unwrap_err();
        assert!(
            format!("{err:#}").contains("listen") || format!("{err:#}").contains("address"),
            "{err:#}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portal.toml");
        std::fs::write(&file, "max_uplod_bytes = 1\n").unwrap();
        let err = format!("{:#}", Config::load(Some(&file), []).unwrap_err());
        assert!(
            err.contains("max_uplod_bytes") && err.contains("portal.toml"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            Config::load(Some(&dir.path().join("missing.toml")), []).unwrap_err()
        );
        assert!(err.contains("missing.toml"), "{err}");
    }
}
