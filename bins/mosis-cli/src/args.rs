//! The command line: every command, flag and its help text (clap).

use crate::output;
use clap::{Parser, Subcommand};
use mosis_domain::AppId;
use std::path::PathBuf;

/// Create, sign, pack, validate and publish Mosis app packages.
#[derive(Debug, Parser)]
#[command(
    name = "mosis",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// When to colour messages: auto (only on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = output::ColorChoice::Auto)]
    pub color: output::ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate an Ed25519 signing key pair: KEY (private, mode 0600) and KEY.pub.
    ///
    /// Prints the key id on stdout. Never overwrites an existing key.
    Keygen {
        /// Where to write the private key; the public key goes to the same path plus `.pub`.
        #[arg(long, value_name = "KEY")]
        out: PathBuf,
    },
    /// Create a new app project that packs and validates as it is.
    ///
    /// Writes manifest.json (version 0.1.0), icon.png (256×256) and main.js into DIR,
    /// which must be new or empty.
    Init {
        /// The app id, reverse-DNS: 2–8 labels of a–z, 0–9 and _, e.g. com.example.weather.
        #[arg(long, value_name = "ID", value_parser = parse_app_id)]
        id: AppId,
        /// The app's display name (1–50 characters).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// The project directory to create.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Pack a project directory into a signed .mpk package.
    ///
    /// Refuses, listing every problem, a project whose manifest or files break a rule.
    /// Packing is deterministic: the same project gives byte-identical packages.
    Pack {
        /// The project directory (holding manifest.json).
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// The private key file to sign with (from `mosis keygen`).
        #[arg(long, value_name = "KEY", env = "MOSIS_KEY")]
        key: PathBuf,
        /// Where to write the package; replaced atomically if it exists.
        #[arg(short = 'o', long = "out", value_name = "FILE.mpk")]
        out: PathBuf,
    },
    /// Check a package: format, limits, signature, file hashes and manifest.
    ///
    /// Exit status: 0 valid, 1 invalid (every problem listed), 2 usage or IO error.
    Validate {
        /// The package to check.
        #[arg(value_name = "FILE.mpk")]
        file: PathBuf,
        /// Print a JSON report: {"valid", "app_id", "version", "key_id", "problems": [{"code", "message", "path"?}]}.
        #[arg(long)]
        json: bool,
    },
    /// Store a portal's URL and an API token for the other networked commands.
    ///
    /// Without --token-stdin, a device login: `mosis` shows a code and a URL, you approve
    /// the code in the dashboard (signed in there), and `mosis` receives its own token.
    /// The token is checked against the server, then kept in the user config folder
    /// ($XDG_CONFIG_HOME/mosis/credentials.json, mode 0600).
    Login {
        #[command(flatten)]
        server: ServerArg,
        /// Read the API token (`mosis_…`) from stdin, e.g. `mosis login --token-stdin < token.txt`.
        #[arg(long)]
        token_stdin: bool,
        /// Scopes to ask for in a device login (repeatable; the approver may narrow them).
        #[arg(long = "scope", value_name = "SCOPE", default_value = "publish")]
        scopes: Vec<String>,
    },
    /// Forget the stored token (it stays valid on the server until revoked there).
    Logout,
    /// Manage the signing keys registered with the portal.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Upload a package (or pack and upload a directory); it enters review as `pending`.
    ///
    /// The first upload of an unclaimed app id registers it to you.
    Publish {
        /// A signed .mpk, or a project directory to pack first.
        #[arg(value_name = "FILE.mpk|DIR", default_value = ".")]
        target: PathBuf,
        /// The private key to sign with when packing a directory.
        #[arg(long, value_name = "KEY", env = "MOSIS_KEY")]
        key: Option<PathBuf>,
        /// The channel to publish on once approved (the reviewer has the last word).
        #[arg(long, value_name = "CHANNEL", value_parser = ["stable", "beta"])]
        channel: Option<String>,
        #[command(flatten)]
        server: ServerArg,
        /// Print the uploaded version as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show an app's versions and their review states.
    Status {
        /// The app id.
        #[arg(value_name = "APP_ID")]
        app_id: String,
        #[command(flatten)]
        server: ServerArg,
        /// Print the app and its versions as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Your apps.
    #[command(subcommand)]
    Apps(AppsCommand),
}

/// `--server`, shared by every networked command.
#[derive(Debug, clap::Args)]
pub struct ServerArg {
    /// The portal's URL [default: the one stored by `mosis login`].
    #[arg(long, value_name = "URL", env = "MOSIS_SERVER")]
    pub server: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Register a public key (KEY.pub from `mosis keygen`); packages signed by it are yours.
    Register {
        /// The public key file.
        #[arg(value_name = "KEY.pub")]
        file: PathBuf,
        /// A label for it [default: the file name].
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        server: ServerArg,
    },
    /// List your registered keys.
    List {
        #[command(flatten)]
        server: ServerArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// List your apps with their newest version.
    List {
        #[command(flatten)]
        server: ServerArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn parse_app_id(s: &str) -> Result<AppId, String> {
    AppId::parse(s).map_err(|e| e.to_string())
}
