//! The storage crate's error type, in domain terms.

use std::path::PathBuf;

/// Why a storage operation failed. No rusqlite or r2d2 type appears here.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The thing asked for does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `app com.example.x`.
        what: String,
    },
    /// The change conflicts with what is stored (a duplicate, or a state that moved on).
    #[error("conflict: {what}")]
    Conflict {
        /// What conflicts.
        what: String,
    },
    /// A stored migration no longer matches its file: migrations are append-only.
    #[error(
        "migration {name} was changed after it was applied (migrations are append-only; add a new one)"
    )]
    MigrationChanged {
        /// The migration's file name.
        name: String,
    },
    /// The database was migrated by a newer version of the portal.
    #[error("the database has migration {name}, which this version does not know (is it newer?)")]
    UnknownMigration {
        /// The unknown migration's name.
        name: String,
    },
    /// A database file failed `PRAGMA integrity_check`.
    #[error("{}: integrity check failed: {detail}", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// A blob write went over its size limit.
    #[error("the upload exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The database itself failed (disk full, I/O error, a bug in a query).
    #[error("database error: {0}")]
    Database(String),
}

impl StorageError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    pub(crate) fn conflict(what: impl Into<String>) -> Self {
        Self::Conflict { what: what.into() }
    }
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Self::not_found("row"),
            rusqlite::Error::SqliteFailure(f, msg)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Self::conflict(msg.unwrap_or_else(|| "constraint violated".into()))
            }
            other => Self::Database(other.to_string()),
        }
    }
}

impl From<r2d2::Error> for StorageError {
    fn from(e: r2d2::Error) -> Self {
        Self::Database(format!("no database connection available: {e}"))
    }
}
