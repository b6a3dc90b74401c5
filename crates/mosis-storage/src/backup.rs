//! Online backups of both databases (SQLite's backup API), retention, a schedule, and a
//! restore that checks integrity before it replaces anything.
//!
//! Layout: `{backups}/{YYYYMMDDTHHMMSSZ}/portal.db` and `telemetry.db`. A backup is written
//! into a `.partial-…` folder and renamed when complete, so a listed backup is whole.

use crate::UnixTime;
use crate::db::{Database, DatabaseKind, integrity_check};
use crate::error::StorageError;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// Backs up every database in `databases` into a new folder under `backups_dir`, keeps the
/// newest `keep` backups, and returns the new folder.
pub fn backup_now(
    databases: &[&Database],
    backups_dir: &Path,
    keep: usize,
    now: UnixTime,
) -> Result<PathBuf, StorageError> {
    let name = timestamp_name(now);
    let partial = backups_dir.join(format!(".partial-{name}"));
    let done = backups_dir.join(&name);
    if done.exists() {
        return Err(StorageError::conflict(format!(
            "a backup named {name} exists"
        )));
    }
    std::fs::create_dir_all(&partial).map_err(StorageError::io(&partial))?;
    let result = databases
        .iter()
        .try_for_each(|db| copy_online(db, &partial.join(db.kind().file_name())));
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, &done).map_err(StorageError::io(&done))?;
    prune(backups_dir, keep)?;
    Ok(done)
}

/// Copies a live database with the backup API (a consistent snapshot; writers carry on),
/// then checks the copy.
fn copy_online(db: &Database, target: &Path) -> Result<(), StorageError> {
    let mut dest = Connection::open(target)
        .map_err(|e| StorageError::Database(format!("{}: {e}", target.display())))?;
    db.read(|source| {
        let backup = rusqlite::backup::Backup::new(source, &mut dest)?;
        // All pages in one step: a step-wise copy restarts whenever the writer commits.
        backup.step(-1)?;
        Ok(())
    })?;
    integrity_check(&dest, target)
}

/// The existing backups, oldest first.
pub fn list(backups_dir: &Path) -> Result<Vec<PathBuf>, StorageError> {
    if !backups_dir.exists() {
        return Ok(Vec::new());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(backups_dir)
        .map_err(StorageError::io(backups_dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_backup_name)
        })
        .collect();
    found.sort();
    Ok(found)
}

fn prune(backups_dir: &Path, keep: usize) -> Result<(), StorageError> {
    let all = list(backups_dir)?;
    for old in &all[..all.len().saturating_sub(keep.max(1))] {
        std::fs::remove_dir_all(old).map_err(StorageError::io(old))?;
    }
    Ok(())
}

/// Restores from `source`, a backup folder (with `portal.db` and/or `telemetry.db`) or a
/// single backed-up `portal.db`/`telemetry.db`, into `data_dir`. Every file is checked with
/// `PRAGMA integrity_check` before anything is replaced; each database is then replaced
/// atomically (and its stale WAL removed). The portal must not be running.
pub fn restore(source: &Path, data_dir: &Path) -> Result<Vec<DatabaseKind>, StorageError> {
    let candidates: Vec<(DatabaseKind, PathBuf)> = if source.is_dir() {
        [DatabaseKind::Portal, DatabaseKind::Telemetry]
            .into_iter()
            .map(|k| (k, source.join(k.file_name())))
            .filter(|(_, p)| p.exists())
            .collect()
    } else {
        let name = source
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let kind = [DatabaseKind::Portal, DatabaseKind::Telemetry]
            .into_iter()
            .find(|k| k.file_name() == name)
            .ok_or_else(|| {
                StorageError::not_found(format!(
                    "{}: not a backup (expected a backup folder, portal.db or telemetry.db)",
                    source.display()
                ))
            })?;
        vec![(kind, source.to_owned())]
    };
    if candidates.is_empty() {
        return Err(StorageError::not_found(format!(
            "{}: holds no portal.db or telemetry.db",
            source.display()
        )));
    }
    for (_, path) in &candidates {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
                StorageError::Corrupt {
                    path: path.clone(),
                    detail: e.to_string(),
                }
            })?;
        integrity_check(&conn, path).map_err(|e| match e {
            StorageError::Database(detail) => StorageError::Corrupt {
                path: path.clone(),
                detail,
            },
            other => other,
        })?;
    }
    std::fs::create_dir_all(data_dir).map_err(StorageError::io(data_dir))?;
    for (kind, path) in &candidates {
        let live = data_dir.join(kind.file_name());
        let staged = data_dir.join(format!(".restore-{}", kind.file_name()));
        std::fs::copy(path, &staged).map_err(StorageError::io(&staged))?;
        std::fs::File::open(&staged)
            .and_then(|f| f.sync_all())
            .map_err(StorageError::io(&staged))?;
        for suffix in ["-wal", "-shm"] {
            let side = data_dir.join(format!("{}{suffix}", kind.file_name()));
            if side.exists() {
                std::fs::remove_file(&side).map_err(StorageError::io(&side))?;
            }
        }
        std::fs::rename(&staged, &live).map_err(StorageError::io(&live))?;
    }
    std::fs::File::open(data_dir)
        .and_then(|d| d.sync_all())
        .map_err(StorageError::io(data_dir))?;
    Ok(candidates.into_iter().map(|(k, _)| k).collect())
}

/// A job run on a fixed interval on its own thread until stopped (or dropped).
#[derive(Debug)]
pub struct Schedule {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Schedule {
    /// Runs `job` every `interval`, first after one interval.
    pub fn every(interval: Duration, mut job: impl FnMut() + Send + 'static) -> Self {
        let (stop, stopped) = channel::<()>();
        let thread = std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                job();
            }
        });
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops the schedule, waiting for a running job to finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Schedule {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// `20261204T153000Z` for a Unix time (UTC).
fn timestamp_name(t: UnixTime) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn is_backup_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && name[..8]
            .bytes()
            .chain(name[9..15].bytes())
            .all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_utc_timestamps() {
        assert_eq!(timestamp_name(0), "19700101T000000Z");
        assert_eq!(timestamp_name(1_796_398_245), "20261204T153045Z");
        assert_eq!(timestamp_name(951_782_400), "20000229T000000Z");
        assert!(is_backup_name(&timestamp_name(1_796_398_245)));
        assert!(!is_backup_name(".partial-20261204T153045Z"));
    }
}
