//! Running wrk (Debian's `wrk`) and reading its figures.

use anyhow::{Context as _, bail};
use std::process::Command;

/// Runs wrk against `url` for `secs` at 64 connections; returns (requests/s, p99 ms).
/// Every response must be a 2xx.
pub fn run(secs: u32, url: &str, headers: &[&str]) -> anyhow::Result<(f64, f64)> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", &format!("-d{secs}s"), "--latency"]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd
        .arg(url)
        .output()
        .context("running wrk (apt-get install -y wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || text.contains("Non-2xx") {
        bail!("wrk against {url} saw errors:\n{text}");
    }
    let rps = text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Requests/sec:")?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .with_context(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let p99 = text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("99%")
                .map(str::trim)
                .map(str::to_owned)
        })
        .and_then(|v| parse_duration(&v))
        .with_context(|| format!("no 99% latency in wrk's output:\n{text}"))?;
    Ok((rps, p99))
}

/// `1.23ms`, `456.00us`, `2.00s` → milliseconds.
fn parse_duration(text: &str) -> Option<f64> {
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(n / 1000.0),
        "ms" => Some(n),
        "s" => Some(n * 1000.0),
        "m" => Some(n * 60_000.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_durations_are_read_in_milliseconds() {
        assert_eq!(parse_duration("456.00us"), Some(0.456));
        assert_eq!(parse_duration("1.50ms"), Some(1.5));
        assert_eq!(parse_duration("2.00s"), Some(2000.0));
        assert_eq!(parse_duration("fast"), None);
    }
}
