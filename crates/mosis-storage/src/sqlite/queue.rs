//! The review job queue, claimed with leases.

use super::versions::version_in;
use super::{SqlitePortal, conflict_as, exec, one, parse, query_one};
use crate::repos::{
    JobId, JobState, Result, ReviewJob, ReviewOutcome, ReviewQueue, VersionId, VersionRecord,
    VersionState,
};
use crate::{StorageError, UnixTime};
use rusqlite::{OptionalExtension as _, Row, Transaction};

const COLUMNS: &str = "id, version_id, state, attempts, lease_owner, lease_expires_at, last_error";

fn job_row(row: &Row<'_>) -> rusqlite::Result<ReviewJob> {
    Ok(ReviewJob {
        id: JobId(row.get(0)?),
        version_id: VersionId(row.get(1)?),
        state: parse(&row.get::<_, String>(2)?, "job state")?,
        attempts: row.get(3)?,
        lease_owner: row.get(4)?,
        lease_expires_at: row.get(5)?,
        last_error: row.get(6)?,
    })
}

fn job_in(tx: &Transaction<'_>, job: JobId) -> Result<ReviewJob> {
    one(
        query_one(
            tx,
            &format!("SELECT {COLUMNS} FROM review_jobs WHERE id = ?1"),
            [job.0],
            job_row,
        ),
        || format!("review job {job}"),
    )
}

/// Fails unless `worker` holds the lease on `job` (nobody has claimed it since).
fn require_lease(tx: &Transaction<'_>, job: JobId, worker: &str) -> Result<ReviewJob> {
    let current = job_in(tx, job)?;
    if current.state != JobState::Running || current.lease_owner.as_deref() != Some(worker) {
        return Err(StorageError::conflict(format!(
            "worker {worker} no longer holds review job {job}"
        )));
    }
    Ok(current)
}

/// Queues a review job inside `tx` (shared with recording an upload).
pub(super) fn insert_job(
    tx: &Transaction<'_>,
    version: VersionId,
    now: UnixTime,
) -> rusqlite::Result<JobId> {
    exec(
        tx,
        "INSERT INTO review_jobs (version_id, state, created_at, updated_at) VALUES (?1, 'queued', ?2, ?2)",
        (version.0, now),
    )?;
    Ok(JobId(tx.last_insert_rowid()))
}

impl ReviewQueue for SqlitePortal {
    fn enqueue(&self, version: VersionId, now: UnixTime) -> Result<JobId> {
        conflict_as(
            self.db.write(|tx| Ok(insert_job(tx, version, now)?)),
            || format!("version {version} already has a review job, or does not exist"),
        )
    }

    fn claim(
        &self,
        worker: &str,
        lease_secs: i64,
        max_attempts: u32,
        now: UnixTime,
    ) -> Result<Option<ReviewJob>> {
        self.db.write(|tx| {
            // Jobs whose worker died after the last allowed attempt go to a human.
            exec(tx,
                "UPDATE review_jobs SET state = 'errored', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?1, \
                 last_error = coalesce(last_error, 'the worker stopped responding') \
                 WHERE state = 'running' AND lease_expires_at <= ?1 AND attempts >= ?2",
                (now, max_attempts),
            )?;
            let next: Option<i64> = tx
                .query_row(
                    "SELECT id FROM review_jobs WHERE state = 'queued' OR (state = 'running' AND lease_expires_at <= ?1) \
                     ORDER BY id LIMIT 1",
                    [now],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(id) = next else { return Ok(None) };
            exec(tx,
                "UPDATE review_jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?1, \
                 lease_expires_at = ?2, updated_at = ?3 WHERE id = ?4",
                (worker, now + lease_secs, now, id),
            )?;
            job_in(tx, JobId(id)).map(Some)
        })
    }

    fn finish_job(&self, job: JobId, worker: &str, now: UnixTime) -> Result<()> {
        self.db.write(|tx| {
            require_lease(tx, job, worker)?;
            exec(tx,
                "UPDATE review_jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?1 WHERE id = ?2",
                (now, job.0),
            )?;
            Ok(())
        })
    }

    fn fail_job(
        &self,
        job: JobId,
        worker: &str,
        error: &str,
        max_attempts: u32,
        now: UnixTime,
    ) -> Result<JobState> {
        self.db.write(|tx| {
            let current = require_lease(tx, job, worker)?;
            let next = if current.attempts >= max_attempts { JobState::Errored } else { JobState::Queued };
            exec(tx,
                "UPDATE review_jobs SET state = ?1, lease_owner = NULL, lease_expires_at = NULL, last_error = ?2, updated_at = ?3 \
                 WHERE id = ?4",
                (next.as_str(), error, now, job.0),
            )?;
            Ok(next)
        })
    }

    fn complete_review(
        &self,
        job: JobId,
        worker: &str,
        outcome: &ReviewOutcome,
        now: UnixTime,
    ) -> Result<VersionRecord> {
        self.db.write(|tx| {
            let held = require_lease(tx, job, worker)?;
            exec(tx,
                "UPDATE versions SET report = ?1, icon_sha256 = ?2, updated_at = ?3 WHERE id = ?4",
                (&outcome.report_json, outcome.icon_sha256.map(|s| s.to_string()), now, held.version_id.0),
            )?;
            exec(tx,
                "UPDATE versions SET state = ?1, reject_reason = coalesce(?2, reject_reason) WHERE id = ?3 AND state = ?4",
                (outcome.next.as_str(), outcome.reason.as_deref(), held.version_id.0, VersionState::Pending.as_str()),
            )?;
            exec(tx,
                "UPDATE review_jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?1 WHERE id = ?2",
                (now, job.0),
            )?;
            version_in(tx, held.version_id)
        })
    }

    fn retry_job(&self, job: JobId, now: UnixTime) -> Result<()> {
        self.db.write(|tx| {
            let changed = exec(tx,
                "UPDATE review_jobs SET state = 'queued', attempts = 0, last_error = NULL, updated_at = ?1 \
                 WHERE id = ?2 AND state = 'errored'",
                (now, job.0),
            )?;
            if changed == 0 {
                let current = job_in(tx, job)?;
                return Err(StorageError::conflict(format!(
                    "review job {job} is {}, not errored",
                    current.state
                )));
            }
            Ok(())
        })
    }

    fn job_of_version(&self, version: VersionId) -> Result<ReviewJob> {
        self.db.read(|c| {
            one(
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM review_jobs WHERE version_id = ?1"),
                    [version.0],
                    job_row,
                ),
                || format!("the review job of version {version}"),
            )
        })
    }

    fn jobs_in_state(&self, state: JobState) -> Result<Vec<ReviewJob>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM review_jobs WHERE state = ?1 ORDER BY id"
            ))?;
            Ok(stmt
                .query_map([state.as_str()], job_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    fn job(&self, job: JobId) -> Result<ReviewJob> {
        self.db.read(|c| {
            one(
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM review_jobs WHERE id = ?1"),
                    [job.0],
                    job_row,
                ),
                || format!("review job {job}"),
            )
        })
    }

    fn queue_depth(&self) -> Result<u64> {
        self.db.read(|c| {
            let n: i64 = query_one(
                c,
                "SELECT count(*) FROM review_jobs WHERE state IN ('queued', 'running')",
                [],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }
}
