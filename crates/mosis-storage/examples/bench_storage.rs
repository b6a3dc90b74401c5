//! `cargo xtask bench storage`: the cost of the pool and repository layer against a bare
//! rusqlite connection doing the same work, and blob-store write throughput against `cp`
//! of the same file, measured in the same run. Usage: `bench_storage DIR`.

use mosis_domain::AppId;
use mosis_storage::{
    AccountId, Accounts, BlobFile, BlobKey, BlobStore, FsBlobStore, PendingBlob, SqlitePortal,
};
use rusqlite::{Connection, TransactionBehavior};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROWS: i64 = 20_000;
const BLOB_BYTES: usize = 256 * 1024 * 1024;
const RUNS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: bench_storage DIR")?);
    std::fs::create_dir_all(&dir)?;
    println!("storage benchmark: best of {RUNS} runs");
    println!(
        "{:<32} {:>14} {:>14} {:>8}",
        "", "mosis-storage", "baseline", "ratio"
    );

    let (mut repo_insert, mut bare_insert, mut repo_read, mut bare_read) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        let (insert, read) = through_repository(&dir.join(format!("repo-{run}.db")))?;
        repo_insert.push(insert);
        repo_read.push(read);
        let (insert, read) = bare_rusqlite(&dir.join(format!("bare-{run}.db")))?;
        bare_insert.push(insert);
        bare_read.push(read);
    }
    let per_sec =
        |d: &[Duration]| ROWS as f64 / d.iter().min().copied().unwrap_or_default().as_secs_f64();
    row(
        "inserts/s (one tx each)",
        per_sec(&repo_insert),
        per_sec(&bare_insert),
    );
    row("point reads/s", per_sec(&repo_read), per_sec(&bare_read));

    let source = dir.join("blob-source.bin");
    write_random(&source, BLOB_BYTES)?;
    let (mut blob, mut cp, mut userspace) = (Vec::new(), Vec::new(), Vec::new());
    let rss_before = peak_rss_kib();
    for run in 0..RUNS {
        blob.push(blob_write(&dir.join(format!("packages-{run}")), &source)?);
        cp.push(copy_with_cp(&source, &dir.join(format!("cp-{run}.bin")))?);
        userspace.push(copy_through_userspace(
            &source,
            &dir.join(format!("copy-{run}.bin")),
        )?);
    }
    // Measured before the SHA-256 ceiling below, which reads the whole file into memory.
    let rss_after = peak_rss_kib();
    let mbps = |d: &[Duration]| {
        BLOB_BYTES as f64 / d.iter().min().copied().unwrap_or_default().as_secs_f64() / 1e6
    };
    row("blob write MB/s (vs cp)", mbps(&blob), mbps(&cp));
    // cp copies inside the kernel (copy_file_range); a store that hashes must read the
    // bytes into user space, so the read/write copy is the closer baseline.
    row(
        "blob write MB/s (vs read/write)",
        mbps(&blob),
        mbps(&userspace),
    );
    println!(
        "peak RSS: {} MiB before the blob writes, {} MiB after writing {RUNS} × {} MiB blobs",
        rss_before / 1024,
        rss_after / 1024,
        BLOB_BYTES / (1024 * 1024)
    );
    // Every blob write hashes its bytes: SHA-256 on one core is the ceiling it cannot pass.
    let data = std::fs::read(&source)?;
    let started = Instant::now();
    std::hint::black_box(mosis_domain::Sha256::of(&data));
    let sha = [started.elapsed()];
    drop(data);
    row("blob write MB/s (vs SHA-256)", mbps(&blob), mbps(&sha));
    println!("goals: repository ratio ≥ 0.80 (layer cost ≤ 20%), blob ratio ≥ 0.80× cp");
    println!(
        "(cp uses copy_file_range: the bytes never reach user space, where a store must hash them)"
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn row(label: &str, ours: f64, baseline: f64) {
    println!(
        "{label:<32} {ours:>14.0} {baseline:>14.0} {:>7.2}×",
        ours / baseline
    );
}

/// Inserts and reads `ROWS` accounts through `SqlitePortal` (pool, writer mutex, mapping).
fn through_repository(path: &Path) -> Result<(Duration, Duration), Box<dyn std::error::Error>> {
    let store = SqlitePortal::open(path)?;
    let started = Instant::now();
    for i in 0..ROWS {
        store.create_account(&format!("user{i}"), None, i)?;
    }
    let inserts = started.elapsed();
    let started = Instant::now();
    for i in 0..ROWS {
        let account = store.account(AccountId(i % ROWS + 1))?;
        std::hint::black_box(account);
    }
    Ok((inserts, started.elapsed()))
}

/// The same work on one bare connection with the same pragmas: the same statements
/// (the insert in its own immediate transaction, then the read of the row and its roles).
fn bare_rusqlite(path: &Path) -> Result<(Duration, Duration), Box<dyn std::error::Error>> {
    drop(SqlitePortal::open(path)?); // the same schema
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let started = Instant::now();
    for i in 0..ROWS {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached("INSERT INTO accounts (name, email, created_at) VALUES (?1, ?2, ?3)")?
            .execute((format!("user{i}"), None::<String>, i))?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        std::hint::black_box(read_account(&conn, id)?);
    }
    let inserts = started.elapsed();
    let started = Instant::now();
    for i in 0..ROWS {
        std::hint::black_box(read_account(&conn, i % ROWS + 1)?);
    }
    Ok((inserts, started.elapsed()))
}

/// What `Accounts::account` reads: the row and its roles.
type AccountRow = ((i64, String, Option<String>, bool, i64), Vec<String>);

fn read_account(conn: &Connection, id: i64) -> rusqlite::Result<AccountRow> {
    let row = conn
        .prepare_cached("SELECT id, name, email, disabled, created_at FROM accounts WHERE id = ?1")?
        .query_row([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    let roles = conn
        .prepare_cached("SELECT role FROM account_roles WHERE account_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok((row, roles))
}

fn blob_write(root: &Path, source: &Path) -> Result<Duration, Box<dyn std::error::Error>> {
    let store = FsBlobStore::open(root)?;
    let key = BlobKey {
        dev_id: AccountId(1),
        app_id: AppId::parse("com.example.bench")?,
        version: semver::Version::new(1, 0, 0),
        file: BlobFile::Package,
    };
    let mut input = std::fs::File::open(source)?;
    let started = Instant::now();
    let mut pending = store.begin(u64::MAX)?;
    pump(&mut input, &mut pending)?;
    let info = pending.commit(&key)?;
    let elapsed = started.elapsed();
    if info.size != BLOB_BYTES as u64
        || std::fs::metadata(root.join("1/com.example.bench/1.0.0/package.mpk"))?.len() != info.size
    {
        return Err("the blob store wrote the wrong number of bytes".into());
    }
    std::fs::remove_dir_all(root)?;
    Ok(elapsed)
}

/// `cp` then `sync` of the copy: the blob store fsyncs too, so the baseline does.
fn copy_with_cp(source: &Path, target: &Path) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let status = std::process::Command::new("cp")
        .arg(source)
        .arg(target)
        .status()?;
    if !status.success() {
        return Err("cp failed".into());
    }
    std::fs::File::open(target)?.sync_all()?;
    let elapsed = started.elapsed();
    std::fs::remove_file(target)?;
    Ok(elapsed)
}

/// Reads the file through a 256 KiB buffer and writes it to a new synced file.
fn copy_through_userspace(
    source: &Path,
    target: &Path,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut input = std::fs::File::open(source)?;
    let mut output = std::fs::File::create(target)?;
    pump(&mut input, &mut output)?;
    output.sync_all()?;
    let elapsed = started.elapsed();
    std::fs::remove_file(target)?;
    Ok(elapsed)
}

/// Copies `input` to `output` through one 256 KiB buffer (both sides of the comparison
/// move the bytes the same way).
fn pump(input: &mut impl Read, output: &mut impl Write) -> std::io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        output.write_all(&buf[..n])?;
    }
}

fn write_random(path: &Path, bytes: usize) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut chunk = vec![0u8; 1 << 20];
    for _ in 0..bytes / chunk.len() {
        for word in chunk.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            word.copy_from_slice(&x.to_le_bytes());
        }
        file.write_all(&chunk)?;
    }
    file.flush()
}

/// This process's peak resident memory (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
