//! The review report: what each check found, what changed since the last published
//! version, and whether the risk-based rule approved it. Stored as JSON on the version
//! (and as `report.json` beside the package); its field names are a public contract.

use crate::risk::Changes;
use serde::{Deserialize, Serialize};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing wrong.
    Passed,
    /// Worth a reviewer's look; does not reject.
    Warning,
    /// Breaks a rule; the version is rejected.
    Failed,
}

/// One finding of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check's stable id (`package`, `ownership`, `version`, `signing_key`, `icon`,
    /// `permissions`, `limits`, `deny_list`).
    pub check: String,
    /// What the check looks at, for people.
    pub title: String,
    /// Passed, warning or failed.
    pub status: Status,
    /// What it found.
    pub message: String,
    /// The file inside the package, where it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The package problem's stable code (`mosis validate` codes), where it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Whether the automated checks passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No check failed: the version goes to a reviewer (or is approved automatically).
    Passed,
    /// A check failed: the version is rejected with this report.
    Failed,
}

/// Whether the risk-based rule applied, and why (not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoApproval {
    /// Whether the version was approved without a reviewer.
    pub applied: bool,
    /// The rule that approved it, when it applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Why it did not apply (empty when it did).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// The automated review of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The report format (1).
    pub format: u32,
    /// Passed or failed.
    pub verdict: Verdict,
    /// Every finding, in check order.
    pub checks: Vec<CheckResult>,
    /// What changed since the last published version, for updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// The risk-based rule's decision.
    pub auto_approval: AutoApproval,
    /// When the checks ran (Unix seconds).
    pub reviewed_at: i64,
}

impl Report {
    /// The report's format version.
    pub const FORMAT: u32 = 1;

    /// The failed findings, in order.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.status == Status::Failed)
    }

    /// One line for the rejection reason: how many checks failed and the first.
    pub fn rejection_summary(&self) -> Option<String> {
        let failures: Vec<&CheckResult> = self.failures().collect();
        let first = failures.first()?;
        let at = first
            .path
            .as_deref()
            .map(|p| format!("{p}: "))
            .unwrap_or_default();
        Some(format!(
            "{} automated check finding(s) failed; first: {} — {at}{}",
            failures.len(),
            first.title,
            first.message
        ))
    }

    /// The report as JSON (what is stored).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
