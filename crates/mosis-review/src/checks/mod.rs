//! The automated checks of SPEC §7. Each looks at a [`Subject`] (the version, its
//! verified — or refused — package, and what the store knows) and returns its findings.

mod content;
mod package;
mod standing;

use crate::denylist::DenyList;
use crate::report::Status;
use mosis_domain::{InvalidPackage, Limits, VerifiedPackage};
use mosis_storage::{App, SigningKeyRecord, VersionRecord};

pub use content::{DenyListCheck, IconCheck, PermissionsCheck};
pub use package::{LimitsCheck, PackageCheck};
pub use standing::{OwnershipCheck, SigningKeyCheck, VersionCheck};

/// Everything a check may look at. Gathered once per job by the pipeline.
#[derive(Debug)]
pub struct Subject<'a> {
    /// The version under review.
    pub version: &'a VersionRecord,
    /// Its app.
    pub app: &'a App,
    /// The package as the domain verifier saw it.
    pub package: &'a Result<VerifiedPackage, InvalidPackage>,
    /// The package file's size in bytes.
    pub package_size: u64,
    /// The icon file's bytes, read when the package verified (or why it could not be).
    pub icon: Option<&'a Result<Vec<u8>, String>>,
    /// The app owner's signing keys, revoked ones included.
    pub owner_keys: &'a [SigningKeyRecord],
    /// Every version of the app, this one included.
    pub versions: &'a [VersionRecord],
    /// The limits packages are held to.
    pub limits: &'a Limits,
    /// Known-bad file hashes.
    pub deny_list: &'a DenyList,
}

/// One thing a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Passed, warning or failed.
    pub status: Status,
    /// What it found, for people.
    pub message: String,
    /// The file concerned, if any.
    pub path: Option<String>,
    /// The package problem's code, if it is one.
    pub code: Option<String>,
}

impl Finding {
    fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            path: None,
            code: None,
        }
    }

    /// Nothing wrong.
    pub fn passed(message: impl Into<String>) -> Self {
        Self::new(Status::Passed, message)
    }

    /// Worth a reviewer's look.
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Status::Warning, message)
    }

    /// Breaks a rule.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Status::Failed, message)
    }

    /// The same finding, about `path`.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// A finding from a domain problem, with its path and code.
    pub fn problem(problem: &mosis_domain::Problem) -> Self {
        let message = match &problem.field {
            Some(field) => format!("field `{field}`: {}", problem.message),
            None => problem.message.clone(),
        };
        Self {
            status: Status::Failed,
            message,
            path: problem.path.clone(),
            code: Some(problem.code.as_str().to_owned()),
        }
    }
}

/// An automated check. Findings are data: a check never fails the pipeline; a panic in
/// one fails the job (and is retried), never the process.
pub trait Check: Send + Sync {
    /// A stable id (`package`, `icon`, …): the report's `check` field.
    fn id(&self) -> &'static str;
    /// What it looks at, for people.
    fn title(&self) -> &'static str;
    /// Its findings; an empty list means it passed with nothing to say.
    fn run(&self, subject: &Subject<'_>) -> Vec<Finding>;
}

/// The checks the portal runs, in report order.
pub fn default_checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(PackageCheck),
        Box::new(LimitsCheck),
        Box::new(OwnershipCheck),
        Box::new(VersionCheck),
        Box::new(SigningKeyCheck),
        Box::new(IconCheck),
        Box::new(PermissionsCheck),
        Box::new(DenyListCheck),
    ]
}
