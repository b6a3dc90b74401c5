//! Every connection, reader or writer, runs with the production pragmas.

use mosis_storage::{Database, DatabaseKind, StorageError};

#[test]
fn readers_and_the_writer_have_the_production_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("portal.db"), DatabaseKind::Portal).unwrap();
    let read = |sql: &str| {
        db.read(|c| Ok(c.query_row(sql, [], |r| r.get::<_, String>(0))?))
            .unwrap()
    };
    assert_eq!(read("PRAGMA journal_mode"), "wal");
    assert_eq!(
        read("SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys"),
        "1"
    );
    assert_eq!(
        read("SELECT CAST(synchronous AS TEXT) FROM pragma_synchronous"),
        "1",
        "NORMAL"
    );
    assert_eq!(
        read("SELECT CAST(timeout AS TEXT) FROM pragma_busy_timeout"),
        "10000"
    );
    let write = |sql: &str| {
        db.write(|tx| Ok(tx.query_row(sql, [], |r| r.get::<_, String>(0))?))
            .unwrap()
    };
    assert_eq!(
        write("SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys"),
        "1"
    );
    assert_eq!(
        write("SELECT CAST(synchronous AS TEXT) FROM pragma_synchronous"),
        "1"
    );
}

#[test]
fn readers_cannot_write_and_foreign_keys_hold() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("portal.db"), DatabaseKind::Portal).unwrap();
    let err = db
        .read(|c| Ok(c.execute("DELETE FROM accounts", [])?))
        .unwrap_err();
    assert!(matches!(err, StorageError::Database(_)), "{err}");
    let err = db
        .write(|tx| {
            Ok(tx.execute(
                "INSERT INTO apps (app_id, owner_id, name, created_at) VALUES ('a.b', 42, 'x', 0)",
                [],
            )?)
        })
        .unwrap_err();
    assert!(matches!(err, StorageError::Conflict { .. }), "{err}");
}

#[test]
fn a_failed_write_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("portal.db"), DatabaseKind::Portal).unwrap();
    let result: Result<(), _> = db.write(|tx| {
        tx.execute(
            "INSERT INTO accounts (name, created_at) VALUES ('alice', 0)",
            [],
        )?;
        Err(StorageError::Conflict {
            what: "changed my mind".into(),
        })
    });
    assert!(result.is_err());
    let n: i64 = db
        .read(|c| Ok(c.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(n, 0);
}
