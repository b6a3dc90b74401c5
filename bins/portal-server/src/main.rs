//! `portal-server`: serves the Mosis Developer Portal, and administers its data directory.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use mosis_web::Config;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// The Mosis Developer Portal server. Without a subcommand, it serves.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// Config file (TOML); `MOSIS_*` environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory [default: ./data].
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Bootstrap and script the portal without the server running.
    #[command(subcommand)]
    Admin(Admin),
    /// Back up both databases into {data}/backups/{timestamp}/.
    Backup,
    /// Restore from a backup folder or a backed-up portal.db/telemetry.db (server stopped).
    Restore {
        /// The backup folder or database file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum Admin {
    /// Create an account. Every account develops and publishes its own apps; roles add rights.
    CreateUser {
        /// The account's unique name.
        #[arg(long)]
        name: String,
        /// A role: developer, reviewer or admin (repeatable; they add up).
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
    },
    /// Create an API token; it is printed once, alone on the last line of stdout.
    CreateToken {
        /// The account it belongs to.
        #[arg(long)]
        user: String,
        /// A scope: read, publish, publish:APP_ID, review, admin (repeatable).
        #[arg(long = "scope", value_name = "SCOPE", required = true)]
        scopes: Vec<String>,
        /// Days until it expires (never, when absent).
        #[arg(long, value_name = "N")]
        expires_days: Option<u32>,
    },
    /// Print the root public key, the trust root a device needs.
    TrustRoot,
    /// Rotate the online key that signs releases and the index. The root key endorses the
    /// new key and keeps endorsing the old ones, so devices keep working; restart the
    /// server to sign with the new key.
    RotateOnlineKey,
    /// Mint a one-time link that makes its visitor the first admin (only while the
    /// instance has no admin). The URL is printed alone on the last line of stdout.
    BootstrapLink,
}

fn config(args: &Args) -> anyhow::Result<Config> {
    let mut config = Config::load(args.config.as_deref(), std::env::vars())?;
    if let Some(data) = &args.data {
        config.data.clone_from(data);
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    Ok(config)
}

fn execute(args: Args) -> anyhow::Result<()> {
    let config = config(&args)?;
    let mut out = std::io::stdout().lock();
    match args.command.unwrap_or(Command::Serve) {
        Command::Serve => mosis_web::run(config)?,
        Command::Admin(Admin::CreateUser { name, roles }) => {
            let roles: Vec<_> = roles
                .iter()
                .map(|r| mosis_web::admin::parse_role(r))
                .collect::<anyhow::Result<Vec<_>>>()
                .context("--role")?
                .into_iter()
                .flatten()
                .collect();
            let account = mosis_web::admin::create_user(&config, &name, &roles)?;
            let roles: Vec<String> = account.roles.iter().map(ToString::to_string).collect();
            writeln!(
                out,
                "created user {} (id {}), roles: developer{}",
                account.name,
                account.id,
                roles.iter().map(|r| format!(", {r}")).collect::<String>()
            )?;
        }
        Command::Admin(Admin::CreateToken {
            user,
            scopes,
            expires_days,
        }) => {
            let issued = mosis_web::admin::create_token(&config, &user, &scopes, expires_days)?;
            writeln!(
                out,
                "created token {} for {user}, scopes: {}{}",
                issued.record.id,
                issued.record.scopes.join(" "),
                expires_days.map_or(String::new(), |d| format!(", expires in {d} days"))
            )?;
            writeln!(out, "it is shown once; store it now:")?;
            writeln!(out, "{}", issued.secret.expose())?;
        }
        Command::Admin(Admin::BootstrapLink) => {
            let url = mosis_web::admin::bootstrap_link(&config)?;
            writeln!(out, "{url}")?;
        }
        Command::Admin(Admin::TrustRoot) => {
            write!(out, "{}", mosis_web::admin::trust_root(&config)?)?;
        }
        Command::Admin(Admin::RotateOnlineKey) => {
            let (old, new) = mosis_web::admin::rotate_online_key(&config)?;
            writeln!(
                out,
                "rotated the online key: {old} → {new}\nthe root key endorses both; restart the server to sign with {new}"
            )?;
        }
        Command::Backup => {
            let dir = mosis_web::admin::backup(&config)?;
            writeln!(out, "backed up to {}", dir.display())?;
        }
        Command::Restore { file } => {
            let restored = mosis_web::admin::restore(&config, &file)?;
            writeln!(
                out,
                "restored {} into {}",
                restored.join(", "),
                config.data.display()
            )?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match execute(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portal-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn verify_cli() {
        Args::command().debug_assert();
    }

    #[test]
    fn data_and_config_are_accepted_after_the_subcommand_too() {
        let args =
            Args::try_parse_from(["portal-server", "admin", "trust-root", "--data", "/x"]).unwrap();
        assert_eq!(args.data, Some(PathBuf::from("/x")));
        let args = Args::try_parse_from(["portal-server", "--config", "c.toml", "backup"]).unwrap();
        assert_eq!(args.config, Some(PathBuf::from("c.toml")));
    }
}
