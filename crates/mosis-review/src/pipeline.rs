//! Running the checks over one version: read its package, gather what the checks look
//! at, run each (a panic is caught and named), and judge the result.

use crate::checks::{Check, Subject, default_checks};
use crate::denylist::DenyList;
use crate::error::ReviewError;
use crate::report::{CheckResult, Report, Status, Verdict};
use crate::risk::{auto_approval, changes, last_published};
use mosis_domain::{Limits, MAX_ICON_BYTES, Sha256, read_entry, verify_package};
use mosis_storage::{
    App, Apps, BlobFile, BlobStore as _, FsBlobStore, SigningKeys, UnixTime, VersionRecord,
    Versions,
};
use std::io::BufReader;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A review's result: the report, and the icon's hash for later comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewed {
    /// The report.
    pub report: Report,
    /// The icon's SHA-256, when the package verified.
    pub icon_sha256: Option<Sha256>,
}

/// The checks, and what they are configured with.
pub struct Pipeline {
    checks: Vec<Box<dyn Check>>,
    limits: Limits,
    deny_list: DenyList,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.checks.iter().map(|c| c.id()).collect();
        f.debug_struct("Pipeline")
            .field("checks", &ids)
            .field("limits", &self.limits)
            .field("deny_list", &self.deny_list.len())
            .finish()
    }
}

impl Pipeline {
    /// The portal's checks ([`default_checks`]) with these limits and deny-list.
    pub fn new(limits: Limits, deny_list: DenyList) -> Self {
        Self::with_checks(default_checks(), limits, deny_list)
    }

    /// Any checks (an embedder's own, or a test's), run in this order.
    pub fn with_checks(checks: Vec<Box<dyn Check>>, limits: Limits, deny_list: DenyList) -> Self {
        Self {
            checks,
            limits,
            deny_list,
        }
    }

    /// The limits packages are held to.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs every check over `subject`, in order. A check that panics stops the run with
    /// [`ReviewError::CheckPanicked`] naming it.
    pub fn run_checks(&self, subject: &Subject<'_>) -> Result<Vec<CheckResult>, ReviewError> {
        let mut results = Vec::new();
        for check in &self.checks {
            let findings =
                catch_unwind(AssertUnwindSafe(|| check.run(subject))).map_err(|panic| {
                    ReviewError::CheckPanicked {
                        check: check.id(),
                        message: panic_message(panic.as_ref()),
                    }
                })?;
            let findings = if findings.is_empty() {
                vec![crate::checks::Finding::passed("nothing to report")]
            } else {
                findings
            };
            results.extend(findings.into_iter().map(|f| CheckResult {
                check: check.id().to_owned(),
                title: check.title().to_owned(),
                status: f.status,
                message: f.message,
                path: f.path,
                code: f.code,
            }));
        }
        Ok(results)
    }

    /// Reviews `version` of `app`: verifies its stored package, gathers the owner's keys
    /// and the app's versions, runs the checks, and — for an update — compares it with
    /// the last published version and applies the risk-based rule (`auto_approve`: the
    /// operator's setting after the app's override).
    pub fn review<S: Apps + Versions + SigningKeys + ?Sized>(
        &self,
        store: &S,
        blobs: &FsBlobStore,
        app: &App,
        version: &VersionRecord,
        auto_approve: bool,
        now: UnixTime,
    ) -> Result<Reviewed, ReviewError> {
        let key = crate::files::key(app.owner_id, version, BlobFile::Package);
        let file = blobs.open_file(&key)?;
        let package_size = file
            .metadata()
            .map_err(|e| ReviewError::File {
                path: format!("the package of {} {}", app.app_id, version.version),
                reason: e.to_string(),
            })?
            .len();
        let package = verify_package(BufReader::new(file), &self.limits);
        let (icon, icon_sha256) = match &package {
            Ok(verified) => {
                let path = &verified.manifest().icon;
                let bytes = read_entry(
                    BufReader::new(blobs.open_file(&key)?),
                    &self.limits,
                    path,
                    MAX_ICON_BYTES as u64,
                )
                .map_err(|invalid| {
                    invalid
                        .problems
                        .first()
                        .map_or_else(|| "unreadable".to_owned(), |p| p.message.clone())
                });
                let sha = verified.file_list().get(path).map(|f| f.sha256);
                (Some(bytes), sha)
            }
            Err(_) => (None, None),
        };
        let owner_keys = store.keys_of(app.owner_id)?;
        let versions = store.versions_of(&app.app_id)?;
        let subject = Subject {
            version,
            app,
            package: &package,
            package_size,
            icon: icon.as_ref(),
            owner_keys: &owner_keys,
            versions: &versions,
            limits: &self.limits,
            deny_list: &self.deny_list,
        };
        let checks = self.run_checks(&subject)?;
        let verdict = if checks.iter().any(|c| c.status == Status::Failed) {
            Verdict::Failed
        } else {
            Verdict::Passed
        };
        let changes = match &package {
            Ok(verified) => last_published(&versions, &version.version)
                .and_then(|base| changes(base, verified.manifest(), version.key_id, icon_sha256)),
            Err(_) => None,
        };
        let auto = if verdict == Verdict::Failed {
            crate::report::AutoApproval {
                applied: false,
                rule: None,
                reasons: vec!["an automated check failed".into()],
            }
        } else {
            auto_approval(auto_approve, &versions, changes.as_ref(), version.key_id)
        };
        Ok(Reviewed {
            report: Report {
                format: Report::FORMAT,
                verdict,
                checks,
                changes,
                auto_approval: auto,
                reviewed_at: now,
            },
            icon_sha256,
        })
    }
}

/// The text of a caught panic.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
