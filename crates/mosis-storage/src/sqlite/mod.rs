//! The SQLite implementation of the repository traits.

mod accounts;
mod apps;
mod audit;
mod auth;
mod queue;
mod sign_in;
mod telemetry;
mod versions;

use crate::db::{Database, DatabaseKind};
use crate::error::StorageError;
use rusqlite::OptionalExtension as _;
use std::path::Path;
use std::str::FromStr;

/// `portal.db` behind every portal repository trait.
#[derive(Debug)]
pub struct SqlitePortal {
    db: Database,
}

impl SqlitePortal {
    /// Opens (creating and migrating) `portal.db` at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        Ok(Self {
            db: Database::open(path, DatabaseKind::Portal)?,
        })
    }

    /// The underlying database (for backups, checkpoints and integrity checks).
    pub fn database(&self) -> &Database {
        &self.db
    }
}

/// `telemetry.db` behind [`crate::Telemetry`].
#[derive(Debug)]
pub struct SqliteTelemetry {
    db: Database,
}

impl SqliteTelemetry {
    /// Opens (creating and migrating) `telemetry.db` at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        Ok(Self {
            db: Database::open(path, DatabaseKind::Telemetry)?,
        })
    }

    /// The underlying database.
    pub fn database(&self) -> &Database {
        &self.db
    }
}

/// Parses a stored text column into a domain type; a failure means the row is corrupt.
fn parse<T: FromStr>(text: &str, what: &str) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("stored {what} `{text}`: {e}").into(),
        )
    })
}

/// `query_row` through the connection's statement cache (the hot paths are point queries).
fn query_one<T, P: rusqlite::Params>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: P,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

/// `execute` through the connection's statement cache.
fn exec<P: rusqlite::Params>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// Space-separated scope lists.
fn join_scopes(scopes: &[String]) -> String {
    scopes.join(" ")
}

fn split_scopes(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// A query that must find one row, or `NotFound { what }`.
fn one<T>(result: rusqlite::Result<T>, what: impl FnOnce() -> String) -> Result<T, StorageError> {
    result
        .optional()?
        .ok_or_else(|| StorageError::not_found(what()))
}

/// An update that must touch a row, or `NotFound { what }`.
fn touched(changed: usize, what: impl FnOnce() -> String) -> Result<(), StorageError> {
    if changed == 0 {
        Err(StorageError::not_found(what()))
    } else {
        Ok(())
    }
}

/// Turns a constraint violation into a `Conflict` that says what in domain terms.
fn conflict_as<T>(
    result: Result<T, StorageError>,
    what: impl FnOnce() -> String,
) -> Result<T, StorageError> {
    match result {
        Err(StorageError::Conflict { .. }) => Err(StorageError::conflict(what())),
        other => other,
    }
}
