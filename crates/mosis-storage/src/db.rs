//! One SQLite database: a pool of readers, one serialised writer, the production pragmas.

use crate::error::StorageError;
use crate::migrate;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

type PooledConnection = r2d2::PooledConnection<SqliteConnectionManager>;

/// A reader connection that [`Database::read_snapshot`] pinned on a thread, inside an
/// open read transaction.
struct Pinned {
    database: u64,
    conn: PooledConnection,
    /// Set when this thread wrote to the database during the snapshot: from then on its
    /// reads take fresh connections, so they see their own writes. A `Cell`, so a write
    /// never needs the list mutably (it may run while a read holds it).
    wrote: Cell<bool>,
}

thread_local! {
    static PINNED: RefCell<Vec<Pinned>> = const { RefCell::new(Vec::new()) };
}

/// Gives each opened database its own id (for [`PINNED`]).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Which of the two databases a file is (they have separate migrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// `portal.db`: accounts, apps, versions, tokens, reviews, audit log.
    Portal,
    /// `telemetry.db`: device events and their aggregates.
    Telemetry,
}

impl DatabaseKind {
    /// The file name inside the data directory.
    pub fn file_name(self) -> &'static str {
        match self {
            DatabaseKind::Portal => "portal.db",
            DatabaseKind::Telemetry => "telemetry.db",
        }
    }
}

/// How long a connection waits for a lock before SQLite reports busy. With one writer
/// this only covers checkpoints and backups.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Read-only connections kept in the pool.
const READERS: u32 = 8;

/// An open, migrated database.
pub struct Database {
    id: u64,
    path: PathBuf,
    kind: DatabaseKind,
    readers: r2d2::Pool<SqliteConnectionManager>,
    writer: Mutex<Connection>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .finish()
    }
}

/// Sets the pragmas every connection needs (see the crate README for why these).
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Every repository statement is prepared once per connection and kept.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Prepared statements kept per connection: more than the repositories use.
const STATEMENT_CACHE: usize = 128;

impl Database {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path, kind: DatabaseKind) -> Result<Self, StorageError> {
        let mut writer = Connection::open(path)
            .map_err(|e| StorageError::Database(format!("{}: {e}", path.display())))?;
        configure(&writer)?;
        migrate::apply(&mut writer, kind)?;
        let manager = SqliteConnectionManager::file(path)
            .with_flags(
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .with_init(|c| {
                configure(c)?;
                c.pragma_update(None, "query_only", "ON")
            });
        let readers = r2d2::Pool::builder()
            .max_size(READERS)
            .min_idle(Some(1))
            // A local SQLite connection cannot go stale; checking it on every checkout costs a
            // statement per read.
            .test_on_check_out(false)
            .build(manager)?;
        Ok(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            path: path.to_owned(),
            kind,
            readers,
            writer: Mutex::new(writer),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Which database this is.
    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// Runs `f` on a read-only pooled connection (the pinned one inside
    /// [`Database::read_snapshot`]). Never waits for the writer.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let unpinned = PINNED.with(|pinned| {
            let pinned = pinned.borrow();
            match pinned
                .iter()
                .find(|p| p.database == self.id && !p.wrote.get())
            {
                Some(pin) => Ok(f(&pin.conn)),
                None => Err(f),
            }
        });
        match unpinned {
            Ok(result) => result,
            Err(f) => {
                let conn = self.readers.get()?;
                f(&conn)
            }
        }
    }

    /// Runs `f` with every [`Database::read`] on this thread served by one connection in
    /// one read transaction: one consistent snapshot, one pool checkout and one lock for
    /// many statements (an API request's reads). A write inside `f` ends the snapshot for
    /// the reads after it, so they see it. Nested calls join the outer snapshot.
    pub fn read_snapshot<T, E: From<StorageError>>(
        &self,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let nested = PINNED.with(|p| p.borrow().iter().any(|p| p.database == self.id));
        if nested {
            return f();
        }
        let conn = self.readers.get().map_err(StorageError::from)?;
        conn.execute_batch("BEGIN DEFERRED")
            .map_err(StorageError::from)?;
        PINNED.with(|p| {
            p.borrow_mut().push(Pinned {
                database: self.id,
                conn,
                wrote: Cell::new(false),
            });
        });
        // Unpins (ending the transaction) even if `f` panics, so the thread's next
        // request never inherits a stale snapshot.
        struct Unpin(u64);
        impl Drop for Unpin {
            fn drop(&mut self) {
                let conn = PINNED.with(|p| {
                    let mut p = p.borrow_mut();
                    let at = p.iter().position(|p| p.database == self.0)?;
                    Some(p.remove(at).conn)
                });
                if let Some(conn) = conn {
                    let _ = conn.execute_batch("COMMIT");
                }
            }
        }
        let _unpin = Unpin(self.id);
        f()
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the single writer connection and
    /// commits if it returns `Ok`; rolls back otherwise. Writers queue on a mutex, so none
    /// ever sees `SQLITE_BUSY`.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        // A panic inside an earlier write dropped its transaction (rolled back); the
        // connection is still sound, so a poisoned lock is taken over.
        let mut conn = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        // Reads after this one on this thread must see it.
        PINNED.with(|p| {
            for pin in p.borrow().iter().filter(|p| p.database == self.id) {
                pin.wrote.set(true);
            }
        });
        Ok(value)
    }

    /// Runs `f` with the writer connection outside any transaction (backups, checkpoints).
    pub(crate) fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut conn = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut conn)
    }

    /// Copies the WAL into the database file and truncates it (on shutdown and before backups).
    pub fn checkpoint(&self) -> Result<(), StorageError> {
        self.with_writer(|c| {
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(())
        })
    }

    /// `PRAGMA integrity_check`: `Ok` when SQLite answers `ok`.
    pub fn integrity_check(&self) -> Result<(), StorageError> {
        self.read(|c| integrity_check(c, &self.path))
    }
}

/// Runs `PRAGMA integrity_check` on `conn`.
pub(crate) fn integrity_check(conn: &Connection, path: &Path) -> Result<(), StorageError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if rows == ["ok"] {
        Ok(())
    } else {
        Err(StorageError::Corrupt {
            path: path.to_owned(),
            detail: rows.join("; "),
        })
    }
}
