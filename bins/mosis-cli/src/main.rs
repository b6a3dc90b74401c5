//! `mosis`: create, sign, pack and validate Mosis app packages.

mod output;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use mosis_domain::{AppId, Limits, PackError, SigningKey};
use output::{Output, human_bytes};
use std::path::PathBuf;
use std::process::ExitCode;

/// Create, sign, pack and validate Mosis app packages.
#[derive(Debug, Parser)]
#[command(
    name = "mosis",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// When to colour messages: auto (only on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = output::ColorChoice::Auto)]
    color: output::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
}

fn parse_app_id(s: &str) -> Result<AppId, String> {
    AppId::parse(s).map_err(|e| e.to_string())
}

/// What a command concluded, mapped to the exit status.
enum Outcome {
    /// It did what was asked (exit 0).
    Done,
    /// The input breaks rules; the problems were printed (exit 1).
    Refused,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.color);
    match run(cli.command, &out) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Refused) => ExitCode::from(1),
        Err(err) => {
            out.error(&format!("{err:#}"));
            ExitCode::from(2)
        }
    }
}

fn run(command: Command, out: &Output) -> anyhow::Result<Outcome> {
    match command {
        Command::Keygen { out: path } => {
            let key = mosis_domain::write_new_key_pair(&path)?;
            out.note(&format!(
                "wrote {} (private: keep it secret, never commit it) and {}.pub",
                path.display(),
                path.display()
            ));
            println!("{}", key.key_id());
        }
        Command::Init { id, name, dir } => {
            mosis_domain::init_project(&dir, &id, &name)?;
            out.note(&format!("created {id} in {}", dir.display()));
            out.note(&format!(
                "next: mosis pack {} --key KEY -o {id}.mpk",
                dir.display()
            ));
        }
        Command::Pack {
            dir,
            key,
            out: target,
        } => {
            let key = SigningKey::read_file(&key)?;
            match mosis_domain::pack_to_file(&dir, &key, &target) {
                Ok(s) => println!(
                    "packed {} {}: {} files, {} → {} ({}), signed by key {}",
                    s.manifest.id,
                    s.manifest.version,
                    s.files,
                    human_bytes(s.content_bytes),
                    target.display(),
                    human_bytes(s.package_bytes),
                    s.key_id
                ),
                Err(PackError::Refused(problems)) => {
                    out.problems(&format!("cannot pack {}", dir.display()), &problems);
                    return Ok(Outcome::Refused);
                }
                Err(PackError::Failed(e)) => return Err(e.into()),
            }
        }
        Command::Validate { file, json } => {
            let opened = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let result = mosis_domain::verify_package(opened, &Limits::default());
            let valid = result.is_ok();
            if json {
                println!("{}", output::validation_json(&result));
            } else {
                out.validation(&file, &result);
            }
            if !valid {
                return Ok(Outcome::Refused);
            }
        }
    }
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
