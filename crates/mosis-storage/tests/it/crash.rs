//! Crash safety: a child process writes blobs and transactions until it is killed with
//! SIGKILL at a random moment, many times over. Afterwards the database passes
//! `integrity_check`, every transaction the child reported committed is there whole, and
//! no partial blob is visible.

use mosis_domain::{AppId, Sha256};
use mosis_storage::{
    AccountId, Accounts, AuditLog, BlobFile, BlobKey, BlobStore, FsBlobStore, PendingBlob,
    SqlitePortal,
};
use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Duration;

const CHILD_ENV: &str = "MOSIS_CRASH_CHILD_DIR";
const START_ENV: &str = "MOSIS_CRASH_CHILD_START";
const ROUNDS: u64 = 12;
const BLOB_BYTES: usize = 512 * 1024;

fn blob_key(i: u64) -> BlobKey {
    BlobKey {
        dev_id: AccountId(1),
        app_id: AppId::parse("com.example.crash").unwrap(),
        version: semver::Version::new(1, 0, i),
        file: BlobFile::Package,
    }
}

/// The deterministic content of blob `i`.
fn blob_content(i: u64) -> Vec<u8> {
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..BLOB_BYTES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The child: writes blob `i`, then one transaction (an account and its audit row), and
/// reports `i` once both are durable — forever, until killed.
fn child(dir: &Path, start: u64) -> ! {
    let store = SqlitePortal::open(&dir.join("portal.db")).unwrap();
    let blobs = FsBlobStore::open(&dir.join("packages")).unwrap();
    let mut stdout = std::io::stdout();
    for i in start.. {
        let mut pending = blobs.begin(BLOB_BYTES as u64).unwrap();
        for chunk in blob_content(i).chunks(16 * 1024) {
            pending.write_all(chunk).unwrap();
        }
        pending.commit(&blob_key(i)).unwrap();
        store
            .database()
            .write(|tx| {
                tx.execute("INSERT INTO accounts (name, created_at) VALUES (?1, ?2)", (format!("user{i}"), i as i64))?;
                tx.execute(
                    "INSERT INTO audit_log (at, actor_id, action, target) VALUES (?1, last_insert_rowid(), 'crash.test', ?2)",
                    (i as i64, format!("user{i}")),
                )?;
                Ok(())
            })
            .unwrap();
        writeln!(stdout, "{i}").unwrap();
        stdout.flush().unwrap();
    }
    unreachable!("the loop only ends when the process is killed")
}

#[test]
fn killed_mid_write_loses_nothing_committed() {
    if let (Some(dir), Some(start)) = (std::env::var_os(CHILD_ENV), std::env::var_os(START_ENV)) {
        child(Path::new(&dir), start.to_string_lossy().parse().unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let mut committed = BTreeSet::new();
    for round in 0..ROUNDS {
        let start = round * 1_000_000;
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "crash::killed_mid_write_loses_nothing_committed",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .env(START_ENV, start.to_string())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, received) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let numbers = std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.trim().parse::<u64>().ok());
            for i in numbers {
                if sender.send(i).is_err() {
                    break;
                }
            }
        });
        // Once the child is under way (its first commit), kill it at a different moment
        // each round: mid-blob or mid-transaction.
        let first = received
            .recv_timeout(Duration::from_secs(60))
            .expect("the child committed nothing within a minute");
        committed.insert(first);
        std::thread::sleep(Duration::from_millis(50 + (round * 37) % 200));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        committed.extend(received.try_iter());
    }
    assert!(
        committed.len() as u64 > ROUNDS,
        "the child committed too little to test anything: {}",
        committed.len()
    );

    let store = SqlitePortal::open(&dir.path().join("portal.db")).unwrap();
    store.database().integrity_check().unwrap();
    let accounts: BTreeSet<String> = store
        .list_accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    let audited: BTreeSet<String> = store
        .audit_entries(None, None, u32::MAX)
        .unwrap()
        .into_iter()
        .map(|r| r.entry.target)
        .collect();
    assert_eq!(accounts, audited, "a transaction was applied in part");
    for i in &committed {
        assert!(
            accounts.contains(&format!("user{i}")),
            "committed transaction {i} is missing"
        );
    }
    // Opening the store sweeps the temp files the kills left behind.
    let blobs = FsBlobStore::open(&dir.path().join("packages")).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path().join("packages/.incoming"))
            .unwrap()
            .count(),
        0
    );
    let versions = dir.path().join("packages/1/com.example.crash");
    let mut visible = 0;
    for entry in std::fs::read_dir(&versions).unwrap() {
        let version: semver::Version = entry
            .unwrap()
            .file_name()
            .to_string_lossy()
            .parse()
            .unwrap();
        if !blobs.exists(&blob_key(version.patch)).unwrap() {
            continue; // killed between creating the folder and the rename: nothing visible
        }
        let (mut reader, size) = blobs.open(&blob_key(version.patch), None).unwrap();
        let (digest, read) = Sha256::of_reader(&mut reader).unwrap();
        assert_eq!(
            (size, read),
            (BLOB_BYTES as u64, BLOB_BYTES as u64),
            "blob {version} is partial"
        );
        assert_eq!(
            digest,
            Sha256::of(&blob_content(version.patch)),
            "blob {version} is corrupt"
        );
        visible += 1;
    }
    for i in &committed {
        assert!(
            blobs.exists(&blob_key(*i)).unwrap(),
            "committed blob {i} is missing"
        );
    }
    assert!(visible >= committed.len());
}
