#![doc = include_str!("../README.md")]

mod checks;
mod decide;
mod denylist;
mod error;
mod files;
mod index;
mod pipeline;
mod publish;
mod report;
mod risk;
mod worker;

pub use checks::{
    Check, DenyListCheck, Finding, IconCheck, LimitsCheck, OwnershipCheck, PackageCheck,
    PermissionsCheck, SigningKeyCheck, Subject, VersionCheck, default_checks,
};
pub use decide::{Action, Actor, Refusal, Transition, decide};
pub use denylist::{DENY_LIST_FILE, DenyList};
pub use error::ReviewError;
pub use index::{IndexService, SignedIndex};
pub use pipeline::{Pipeline, Reviewed};
pub use publish::{OnlineSigner, Publication, Publisher};
pub use report::{AutoApproval, CheckResult, Report, Status, Verdict};
pub use risk::{Changes, Diff, RULE as AUTO_APPROVAL_RULE, auto_approval, changes, last_published};
pub use worker::{JobObserver, JobOutcome, ReviewStore, Reviewer, WorkerPool, WorkerSettings};
