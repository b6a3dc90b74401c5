//! Eight readers and a writer hammer one database for a few seconds: no error surfaces
//! (no `SQLITE_BUSY`, no locked database), and readers see consistent data.

use mosis_storage::{Accounts, AuditEntry, AuditLog, SqlitePortal};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[test]
fn eight_readers_and_a_writer_never_see_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqlitePortal::open(&dir.path().join("portal.db")).unwrap());
    let account = store.create_account("alice", None, 0).unwrap().id;
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let reads = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (store, stop, written, reads) = (
                Arc::clone(&store),
                Arc::clone(&stop),
                Arc::clone(&written),
                Arc::clone(&reads),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let floor = written.load(Ordering::SeqCst);
                    let seen = store.audit_entries(Some(account), None, 1).unwrap();
                    let newest = seen
                        .first()
                        .map_or(0, |r| r.entry.detail["n"].as_u64().unwrap());
                    assert!(
                        newest >= floor,
                        "a reader saw {newest} after {floor} was committed"
                    );
                    store.account(account).unwrap();
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let writer = {
        let (store, stop, written) = (Arc::clone(&store), Arc::clone(&stop), Arc::clone(&written));
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let entry = AuditEntry {
                    actor: Some(account),
                    action: "test.write".into(),
                    target: String::new(),
                    detail: serde_json::json!({ "n": n }),
                    ip: None,
                };
                store.record_audit(&entry, n as i64).unwrap();
                written.store(n, Ordering::SeqCst);
            }
        })
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("the writer saw no error");
    for reader in readers {
        reader.join().expect("no reader saw an error");
    }
    let n = written.load(Ordering::SeqCst);
    assert!(
        n > 100 && reads.load(Ordering::Relaxed) > 100,
        "too little work to mean anything: {n} writes"
    );
    assert_eq!(
        store
            .audit_entries(Some(account), None, u32::MAX)
            .unwrap()
            .len() as u64,
        n
    );
    store.database().integrity_check().unwrap();
}
