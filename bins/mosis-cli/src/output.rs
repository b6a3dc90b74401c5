//! How `mosis` talks: results on stdout, notes and errors on stderr, colour only on a terminal.

use mosis_domain::{InvalidPackage, Problem, VerifiedPackage};
use std::io::IsTerminal as _;
use std::path::Path;

/// The `--color` choices.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Where and how messages are printed.
pub struct Output {
    stdout_color: bool,
    stderr_color: bool,
}

impl Output {
    pub fn new(choice: ColorChoice) -> Self {
        let auto =
            |terminal: bool| terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let (stdout_color, stderr_color) = match choice {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto => (
                auto(std::io::stdout().is_terminal()),
                auto(std::io::stderr().is_terminal()),
            ),
        };
        Self {
            stdout_color,
            stderr_color,
        }
    }

    /// An error, on stderr.
    pub fn error(&self, message: &str) {
        eprintln!("{} {message}", paint(self.stderr_color, "1;31", "error:"));
    }

    /// A note for the person at the terminal, on stderr (stdout stays for results).
    pub fn note(&self, message: &str) {
        eprintln!("{message}");
    }

    /// A refusal with every problem, on stderr.
    pub fn problems(&self, headline: &str, problems: &[Problem]) {
        self.error(&format!(
            "{headline}: {} problem{}",
            problems.len(),
            plural(problems.len())
        ));
        for p in problems {
            eprintln!(
                "  {} {p}",
                paint(self.stderr_color, "33", &format!("[{}]", p.code))
            );
        }
    }

    /// The human report of `mosis validate`, on stdout.
    pub fn validation(&self, file: &Path, result: &Result<VerifiedPackage, InvalidPackage>) {
        match result {
            Ok(v) => println!(
                "{} {}: {} {} is valid ({} files, {}), signed by key {}",
                paint(self.stdout_color, "1;32", "valid"),
                file.display(),
                v.manifest().id,
                v.manifest().version,
                v.file_list().files.len(),
                human_bytes(v.file_list().total_size()),
                v.key_id()
            ),
            Err(invalid) => {
                let n = invalid.problems.len();
                println!(
                    "{} {}: {n} problem{}",
                    paint(self.stdout_color, "1;31", "invalid"),
                    file.display(),
                    plural(n)
                );
                for p in &invalid.problems {
                    println!(
                        "  {} {p}",
                        paint(self.stdout_color, "33", &format!("[{}]", p.code))
                    );
                }
            }
        }
    }
}

/// The `mosis validate --json` report.
pub fn validation_json(result: &Result<VerifiedPackage, InvalidPackage>) -> serde_json::Value {
    let (manifest, key_id, problems) = match result {
        Ok(v) => (Some(v.manifest()), Some(v.key_id()), &[][..]),
        Err(e) => (e.manifest.as_deref(), e.key_id, e.problems.as_slice()),
    };
    serde_json::json!({
        "valid": result.is_ok(),
        "app_id": manifest.map(|m| m.id.to_string()),
        "version": manifest.map(|m| m.version.to_string()),
        "key_id": key_id.map(|k| k.to_string()),
        "problems": problems,
    })
}

fn paint(enabled: bool, code: &str, text: &str) -> String {
    if enabled {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `1536` → `1.5 KiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes() {
        assert_eq!(super::human_bytes(10), "10 B");
        assert_eq!(super::human_bytes(1536), "1.5 KiB");
        assert_eq!(super::human_bytes(300 * 1024 * 1024), "300.0 MiB");
    }
}
