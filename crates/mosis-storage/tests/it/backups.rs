//! Online backups with retention, the schedule, and restores that check integrity first.

use mosis_domain::AppId;
use mosis_storage::backup::{self, Schedule};
use mosis_storage::{Accounts, Apps, DatabaseKind, SqlitePortal, SqliteTelemetry, StorageError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const NOW: i64 = 1_796_398_245;

fn open(data: &std::path::Path) -> (SqlitePortal, SqliteTelemetry) {
    (
        SqlitePortal::open(&data.join("portal.db")).unwrap(),
        SqliteTelemetry::open(&data.join("telemetry.db")).unwrap(),
    )
}

#[test]
fn a_backup_holds_both_databases_and_retention_keeps_the_newest() {
    let data = tempfile::tempdir().unwrap();
    let (portal, telemetry) = open(data.path());
    portal.create_account("alice", None, NOW).unwrap();
    let backups = data.path().join("backups");
    let dbs = [portal.database(), telemetry.database()];
    for i in 0..3 {
        backup::backup_now(&dbs, &backups, 2, NOW + i).unwrap();
    }
    let kept = backup::list(&backups).unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept[1].ends_with("20261204T153047Z"), "{kept:?}");
    for name in ["portal.db", "telemetry.db"] {
        assert!(kept[1].join(name).exists());
    }
    let copy = SqlitePortal::open(&kept[1].join("portal.db")).unwrap();
    assert_eq!(copy.account_by_name("alice").unwrap().name, "alice");
}

#[test]
fn restore_brings_back_every_row() {
    let data = tempfile::tempdir().unwrap();
    let backups = data.path().join("backups");
    let taken = {
        let (portal, telemetry) = open(data.path());
        let alice = portal.create_account("alice", None, NOW).unwrap();
        portal
            .create_app(
                &AppId::parse("com.example.weather").unwrap(),
                alice.id,
                "Weather",
                NOW,
            )
            .unwrap();
        let taken =
            backup::backup_now(&[portal.database(), telemetry.database()], &backups, 5, NOW)
                .unwrap();
        portal.create_account("mallory", None, NOW).unwrap();
        taken
    };
    let restored = backup::restore(&taken, data.path()).unwrap();
    assert_eq!(restored, [DatabaseKind::Portal, DatabaseKind::Telemetry]);
    let (portal, _) = open(data.path());
    assert!(portal.account_by_name("alice").is_ok());
    assert!(
        portal
            .app(&AppId::parse("com.example.weather").unwrap())
            .is_ok()
    );
    assert!(
        portal.account_by_name("mallory").is_err(),
        "the restore replaced the later state"
    );
}

#[test]
fn a_corrupt_backup_is_refused_and_nothing_is_replaced() {
    let data = tempfile::tempdir().unwrap();
    let (portal, telemetry) = open(data.path());
    portal.create_account("alice", None, NOW).unwrap();
    let taken = backup::backup_now(
        &[portal.database(), telemetry.database()],
        &data.path().join("backups"),
        5,
        NOW,
    )
    .unwrap();
    portal.database().checkpoint().unwrap();
    drop((portal, telemetry));
    // Corrupt the backup's first data page after the header.
    let file = taken.join("portal.db");
    let mut bytes = std::fs::read(&file).unwrap();
    for b in &mut bytes[4096..8192] {
        *b = 0xAA;
    }
    std::fs::write(&file, bytes).unwrap();
    let before = std::fs::read(data.path().join("portal.db")).unwrap();
    let err = backup::restore(&taken, data.path()).unwrap_err();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
    assert_eq!(
        std::fs::read(data.path().join("portal.db")).unwrap(),
        before,
        "the live database is untouched"
    );
}

#[test]
fn restore_refuses_what_is_not_a_backup() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("notes.txt"), b"hello").unwrap();
    assert!(matches!(
        backup::restore(&data.path().join("notes.txt"), data.path()),
        Err(StorageError::NotFound { .. })
    ));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        backup::restore(empty.path(), data.path()),
        Err(StorageError::NotFound { .. })
    ));
}

#[test]
fn the_schedule_runs_until_stopped() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let schedule = Schedule::every(Duration::from_millis(20), move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    while runs.load(Ordering::SeqCst) < 3 {
        std::thread::sleep(Duration::from_millis(5));
    }
    schedule.stop();
    let after = runs.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(runs.load(Ordering::SeqCst), after, "no run after stop");
}
