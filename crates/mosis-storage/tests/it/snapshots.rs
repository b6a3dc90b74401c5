//! `Database::read_snapshot`: one connection and one read transaction for many reads.

use mosis_storage::{Accounts, SqlitePortal, StorageError};

const NOW: i64 = 1_800_000_000;

#[test]
fn reads_in_a_snapshot_see_one_state_until_the_thread_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SqlitePortal::open(&dir.path().join("portal.db")).unwrap());
    store.create_account("alice", None, NOW).unwrap();
    let seen = store
        .database()
        .read_snapshot(|| {
            let first = store.list_accounts()?.len();
            // A write on another thread, committed after the snapshot's first read.
            let other = store.clone();
            std::thread::spawn(move || other.create_account("bob", None, NOW))
                .join()
                .unwrap()?;
            let held = store.list_accounts()?.len();
            let nested = store
                .database()
                .read_snapshot(|| store.list_accounts())?
                .len();
            // This thread's own write: its reads see it from then on.
            let carol = store.create_account("carol", None, NOW)?;
            let own = store.list_accounts()?.len();
            Ok::<_, StorageError>((first, held, nested, carol.name, own))
        })
        .unwrap();
    assert_eq!(
        seen,
        (1, 1, 1, "carol".to_owned(), 3),
        "the snapshot holds still (nested calls too) until this thread writes"
    );
    assert_eq!(store.list_accounts().unwrap().len(), 3);
}

#[test]
fn a_panic_inside_a_snapshot_leaves_no_stale_snapshot_on_the_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlitePortal::open(&dir.path().join("portal.db")).unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store
            .database()
            .read_snapshot(|| -> Result<(), StorageError> {
                store.list_accounts()?;
                panic!("a handler bug");
            })
    }));
    assert!(panicked.is_err());
    store.create_account("alice", None, NOW).unwrap();
    assert_eq!(
        store.list_accounts().unwrap().len(),
        1,
        "a read after the panic is not served from the old snapshot"
    );
}
