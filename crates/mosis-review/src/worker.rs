//! The review workers: threads that claim jobs with a lease, review, record the outcome,
//! and publish what the risk-based rule approves. A job whose worker died is claimed
//! again once its lease expires; one that keeps failing is left `errored` for a person.

use crate::error::ReviewError;
use crate::pipeline::{Pipeline, panic_message};
use crate::publish::{Publication, Publisher};
use crate::report::Verdict;
use crate::risk::last_published;
use mosis_storage::{
    AccountId, Apps, AuditEntry, AuditLog, BlobFile, Channel, Clock, FsBlobStore, JobState,
    PendingBlob as _, Releases, ReviewJob, ReviewOutcome, ReviewQueue, SigningKeys, VersionRecord,
    VersionState, Versions,
};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the workers need of the store.
pub trait ReviewStore:
    Apps + Versions + SigningKeys + ReviewQueue + Releases + AuditLog + Send + Sync + 'static
{
}

impl<T> ReviewStore for T where
    T: Apps + Versions + SigningKeys + ReviewQueue + Releases + AuditLog + Send + Sync + 'static
{
}

/// How the workers run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSettings {
    /// Worker threads (at least one).
    pub workers: usize,
    /// How long a claimed job is a worker's before another may take it, in seconds.
    pub lease_secs: i64,
    /// Claims before a failing job is left `errored` for a person.
    pub max_attempts: u32,
    /// How often an idle worker looks for expired leases (new jobs wake it at once).
    pub idle_poll: Duration,
    /// The operator's risk-based review setting (an app's override wins).
    pub auto_approve: bool,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            lease_secs: 300,
            max_attempts: 3,
            idle_poll: Duration::from_secs(5),
            auto_approve: false,
        }
    }
}

/// Told about every finished job attempt (the server's metrics).
pub trait JobObserver: Send + Sync {
    /// A job attempt ended with `outcome` (`in_review`, `rejected`, `published`,
    /// `skipped`, `retried`, `errored`) after `took`.
    fn job_finished(&self, outcome: &'static str, took: Duration);
}

/// What one claimed job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// The version was reviewed (and maybe published); here is where it stands.
    Reviewed(Box<VersionRecord>),
    /// The attempt failed; the job is queued again or errored.
    Failed {
        /// `Queued` (it will be retried) or `Errored` (a person must look).
        state: JobState,
        /// Why.
        error: String,
    },
}

/// Wakes idle workers and tells them to stop.
#[derive(Debug, Default)]
struct Signal {
    /// (wake-ups so far, stopping)
    state: Mutex<(u64, bool)>,
    changed: Condvar,
}

impl Signal {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, bool)> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wake(&self) {
        self.lock().0 += 1;
        self.changed.notify_all();
    }

    fn stop(&self) {
        self.lock().1 = true;
        self.changed.notify_all();
    }

    /// The wake-up count, or `None` once stopping.
    fn generation(&self) -> Option<u64> {
        let state = self.lock();
        (!state.1).then_some(state.0)
    }

    /// Waits until a wake-up after `seen`, a stop, or `timeout`.
    fn wait(&self, seen: u64, timeout: Duration) {
        let state = self.lock();
        let _ = self
            .changed
            .wait_timeout_while(state, timeout, |s| s.0 == seen && !s.1);
    }
}

/// Reviews jobs: what each worker thread runs, and what tests drive one job at a time.
pub struct Reviewer<S: ReviewStore> {
    store: Arc<S>,
    blobs: FsBlobStore,
    pipeline: Pipeline,
    publisher: Publisher,
    clock: Arc<dyn Clock>,
    settings: WorkerSettings,
    observer: Option<Arc<dyn JobObserver>>,
    signal: Arc<Signal>,
}

impl<S: ReviewStore> std::fmt::Debug for Reviewer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reviewer")
            .field("pipeline", &self.pipeline)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S: ReviewStore> Reviewer<S> {
    /// A reviewer over `store` and `blobs`.
    pub fn new(
        store: Arc<S>,
        blobs: FsBlobStore,
        pipeline: Pipeline,
        publisher: Publisher,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
    ) -> Self {
        Self {
            store,
            blobs,
            pipeline,
            publisher,
            clock,
            settings,
            observer: None,
            signal: Arc::default(),
        }
    }

    /// Reports every finished attempt to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn JobObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The settings.
    pub fn settings(&self) -> &WorkerSettings {
        &self.settings
    }

    /// Wakes idle workers: a job was queued.
    pub fn wake(&self) {
        self.signal.wake();
    }

    /// Claims the oldest claimable job as `worker` and reviews it. `Ok(None)` when there
    /// is none. A failure or panic while reviewing fails the job (retried until
    /// `max_attempts`, then errored); it is never raised.
    pub fn run_once(&self, worker: &str) -> Result<Option<JobOutcome>, ReviewError> {
        let now = self.clock.now();
        let Some(job) = self.store.claim(
            worker,
            self.settings.lease_secs,
            self.settings.max_attempts,
            now,
        )?
        else {
            return Ok(None);
        };
        let started = Instant::now();
        let result =
            catch_unwind(AssertUnwindSafe(|| self.review(&job, worker))).unwrap_or_else(|panic| {
                Err(ReviewError::CheckPanicked {
                    check: "pipeline",
                    message: panic_message(panic.as_ref()),
                })
            });
        let (outcome, label) = match result {
            Ok((version, label)) => (JobOutcome::Reviewed(Box::new(version)), label),
            Err(e) => {
                let error = e.to_string();
                let state = self.store.fail_job(
                    job.id,
                    worker,
                    &error,
                    self.settings.max_attempts,
                    self.clock.now(),
                )?;
                tracing::warn!(job = %job.id, version = %job.version_id, attempt = job.attempts, %error, next = %state, "review job failed");
                let label = if state == JobState::Errored {
                    "errored"
                } else {
                    "retried"
                };
                (JobOutcome::Failed { state, error }, label)
            }
        };
        if let Some(observer) = &self.observer {
            observer.job_finished(label, started.elapsed());
        }
        Ok(Some(outcome))
    }

    /// Reviews one claimed job; returns where the version ended and the metrics label.
    fn review(
        &self,
        job: &ReviewJob,
        worker: &str,
    ) -> Result<(VersionRecord, &'static str), ReviewError> {
        let store = &*self.store;
        let version = store.version_by_id(job.version_id)?;
        let now = self.clock.now();
        if version.state != VersionState::Pending {
            // A reviewer decided before the checks ran (an early rejection).
            store.finish_job(job.id, worker, now)?;
            return Ok((version, "skipped"));
        }
        let app = store.app(&version.app_id)?;
        let auto = app.auto_approve.unwrap_or(self.settings.auto_approve);
        let reviewed = self
            .pipeline
            .review(store, &self.blobs, &app, &version, auto, now)?;
        let report = &reviewed.report;
        let report_json = report.to_json();
        // report.json appears beside the package; its row is the source of truth.
        crate::files::stage(&self.blobs, &report_json)?.commit(&crate::files::key(
            app.owner_id,
            &version,
            BlobFile::Report,
        ))?;
        let passed = report.verdict == Verdict::Passed;
        let record = store.complete_review(
            job.id,
            worker,
            &ReviewOutcome {
                report_json,
                icon_sha256: reviewed.icon_sha256,
                next: if passed {
                    VersionState::InReview
                } else {
                    VersionState::Rejected
                },
                reason: report.rejection_summary(),
            },
            now,
        )?;
        tracing::info!(app_id = %record.app_id, version = %record.version, state = %record.state, "version reviewed");
        match record.state {
            VersionState::Rejected if !passed => {
                self.audit(
                    "version.rejected",
                    format!("{} {}", record.app_id, record.version),
                    serde_json::json!({"by": "automated checks", "reason": report.rejection_summary()}),
                );
                Ok((record, "rejected"))
            }
            VersionState::InReview if report.auto_approval.applied => self.publish_automatically(
                record,
                app.owner_id,
                report.auto_approval.rule.as_deref(),
            ),
            VersionState::InReview => Ok((record, "in_review")),
            // A reviewer decided while the checks ran; their decision stands.
            _ => Ok((record, "skipped")),
        }
    }

    /// Publishes a version the risk-based rule approved: on the channel the developer
    /// asked for, else on that of the release it updates. If that fails, the version
    /// stays `in_review` for a reviewer.
    fn publish_automatically(
        &self,
        record: VersionRecord,
        owner: AccountId,
        rule: Option<&str>,
    ) -> Result<(VersionRecord, &'static str), ReviewError> {
        let store = &*self.store;
        let versions = store.versions_of(&record.app_id)?;
        let channel = record
            .requested_channel
            .or_else(|| last_published(&versions, &record.version).and_then(|base| base.channel))
            .unwrap_or(Channel::Stable);
        let how = Publication {
            from: VersionState::InReview,
            channel,
            approved_by: None,
        };
        match self
            .publisher
            .publish(store, &record, owner, how, self.clock.now())
        {
            Ok(serial) => {
                self.audit(
                    "version.auto_approved",
                    format!("{} {}", record.app_id, record.version),
                    serde_json::json!({"channel": channel, "serial": serial, "rule": rule}),
                );
                Ok((store.version_by_id(record.id)?, "published"))
            }
            Err(e) => {
                tracing::error!(app_id = %record.app_id, version = %record.version, error = %e, "automatic approval failed; left for a reviewer");
                Ok((record, "in_review"))
            }
        }
    }

    fn audit(&self, action: &str, target: String, detail: serde_json::Value) {
        let entry = AuditEntry {
            actor: None,
            action: action.into(),
            target,
            detail,
            ip: None,
        };
        if let Err(e) = self.store.record_audit(&entry, self.clock.now()) {
            tracing::error!(error = %e, action, "writing the audit log");
        }
    }
}

/// The running worker threads. Dropping it stops them (after their current job).
#[derive(Debug)]
pub struct WorkerPool {
    signal: Arc<Signal>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts `reviewer.settings().workers` threads (at least one).
    pub fn start<S: ReviewStore>(reviewer: Arc<Reviewer<S>>) -> std::io::Result<Self> {
        let count = reviewer.settings.workers.max(1);
        let mut threads = Vec::with_capacity(count);
        let host = std::process::id();
        for n in 0..count {
            let reviewer = reviewer.clone();
            let name = format!("review-{host}-{n}");
            threads.push(
                std::thread::Builder::new()
                    .name(name.clone())
                    .spawn(move || work(&reviewer, &name))?,
            );
        }
        Ok(Self {
            signal: reviewer.signal.clone(),
            threads,
        })
    }

    /// Stops the workers after their current job and waits for them.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.signal.stop();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// One worker thread's loop.
fn work<S: ReviewStore>(reviewer: &Reviewer<S>, name: &str) {
    while let Some(seen) = reviewer.signal.generation() {
        match reviewer.run_once(name) {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => tracing::error!(worker = name, error = %e, "the review queue failed"),
        }
        reviewer.signal.wait(seen, reviewer.settings.idle_poll);
    }
}
