//! `mosis`: create, sign, pack, validate and publish Mosis app packages.

mod args;
mod credentials;
mod output;
mod remote;

use anyhow::Context as _;
use args::{AppsCommand, Cli, Command, KeysCommand, parse_app_id};
use clap::Parser as _;
use mosis_domain::{Limits, PackError, SigningKey};
use output::{Output, human_bytes};
use std::process::ExitCode;

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
    match remote::report(run(cli.command, &out), &out) {
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
        Command::Login {
            server,
            token_stdin,
            scopes,
        } => return remote::login(server.server.as_deref(), token_stdin, &scopes, out),
        Command::Logout => return remote::logout(out),
        Command::Keys(KeysCommand::Register {
            file,
            label,
            server,
        }) => {
            let client = remote::connect(server.server.as_deref())?;
            return remote::register_key(&client, &file, label, out);
        }
        Command::Keys(KeysCommand::List { server, json }) => {
            return remote::list_keys(&remote::connect(server.server.as_deref())?, json);
        }
        Command::Publish {
            target,
            key,
            channel,
            server,
            json,
        } => {
            let client = remote::connect(server.server.as_deref())?;
            let how = remote::Publish {
                key: key.as_deref(),
                channel: channel.as_deref(),
                json,
            };
            return remote::publish(&client, &target, how, out);
        }
        Command::Status {
            app_id,
            server,
            json,
        } => {
            let app_id = parse_app_id(&app_id).map_err(|e| anyhow::anyhow!("APP_ID: {e}"))?;
            let client = remote::connect(server.server.as_deref())?;
            return remote::status(&client, app_id.as_str(), json);
        }
        Command::Apps(AppsCommand::List { server, json }) => {
            return remote::list_apps(&remote::connect(server.server.as_deref())?, json);
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
