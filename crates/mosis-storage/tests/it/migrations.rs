//! Migrations: applied once, in order, recorded; append-only; the schema as snapshotted.

use mosis_storage::{Database, DatabaseKind, StorageError};
use std::path::{Path, PathBuf};

fn migrations_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(kind)
}

/// `migrations/checksums.txt`: `{db}/{file} {sha256}` for every released migration.
/// Appending a line is how a new migration is released; changing one is refused here.
#[test]
fn released_migrations_never_change() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let lock = std::fs::read_to_string(root.join("checksums.txt")).unwrap();
    let mut listed = Vec::new();
    for line in lock
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (file, sha) = line.split_once(' ').unwrap();
        let text = std::fs::read_to_string(root.join(file)).unwrap_or_else(|_| {
            panic!("{file} is listed but missing: migrations are never deleted")
        });
        assert_eq!(
            mosis_domain::Sha256::of(text.as_bytes()).to_string(),
            sha.trim(),
            "{file} changed after release; migrations are append-only: revert it and add a new migration"
        );
        listed.push(file.to_owned());
    }
    for kind in ["portal", "telemetry"] {
        for entry in std::fs::read_dir(migrations_dir(kind)).unwrap() {
            let name = format!("{kind}/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(
                listed.contains(&name),
                "{name} is not in migrations/checksums.txt; add `{name} <sha256>` to release it"
            );
        }
    }
}

#[test]
fn opening_twice_applies_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    drop(Database::open(&path, DatabaseKind::Portal).unwrap());
    let db = Database::open(&path, DatabaseKind::Portal).unwrap();
    let applied: i64 = db
        .read(|c| Ok(c.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(
        applied as usize,
        std::fs::read_dir(migrations_dir("portal")).unwrap().count()
    );
}

#[test]
fn a_changed_applied_migration_stops_the_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let db = Database::open(&path, DatabaseKind::Portal).unwrap();
    db.write(|tx| {
        Ok(tx.execute(
            "UPDATE schema_migrations SET sha256 = 'x' WHERE name = '0001_initial.sql'",
            [],
        )?)
    })
    .unwrap();
    drop(db);
    let err = Database::open(&path, DatabaseKind::Portal).unwrap_err();
    assert!(
        matches!(err, StorageError::MigrationChanged { ref name } if name == "0001_initial.sql"),
        "{err}"
    );
}

#[test]
fn a_database_from_a_newer_portal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let db = Database::open(&path, DatabaseKind::Portal).unwrap();
    db.write(|tx| {
        Ok(tx.execute(
            "INSERT INTO schema_migrations VALUES ('9999_future.sql', 'x', 0)",
            [],
        )?)
    })
    .unwrap();
    drop(db);
    let err = Database::open(&path, DatabaseKind::Portal).unwrap_err();
    assert!(
        matches!(err, StorageError::UnknownMigration { .. }),
        "{err}"
    );
}

fn schema(kind: DatabaseKind) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join(kind.file_name()), kind).unwrap();
    let rows: Vec<String> = db
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC, name",
            )?;
            Ok(stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?)
        })
        .unwrap();
    rows.join(";\n\n") + ";\n"
}

/// The schema after migrating, compared with `tests/snapshots/{db}.sql`. Run with
/// `UPDATE_SNAPSHOTS=1` to accept a deliberate change (then review the diff).
fn check_snapshot(kind: DatabaseKind, name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.sql"));
    let actual = schema(kind);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "the {name} schema differs from {}; rerun with UPDATE_SNAPSHOTS=1 if intended",
        path.display()
    );
}

#[test]
fn portal_schema_snapshot() {
    check_snapshot(DatabaseKind::Portal, "portal");
}

#[test]
fn telemetry_schema_snapshot() {
    check_snapshot(DatabaseKind::Telemetry, "telemetry");
}
