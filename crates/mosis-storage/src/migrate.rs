//! Applying the embedded migrations in order, recording each with its SHA-256.

use crate::db::DatabaseKind;
use crate::error::StorageError;
use rusqlite::{Connection, TransactionBehavior};

/// One migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The file name, e.g. `0001_initial.sql`; the order is the names' order.
    pub name: &'static str,
    /// The SQL.
    pub sql: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The embedded migrations of one database.
pub fn migrations(kind: DatabaseKind) -> &'static [Migration] {
    match kind {
        DatabaseKind::Portal => PORTAL,
        DatabaseKind::Telemetry => TELEMETRY,
    }
}

/// Applies every migration not yet recorded, each in its own immediate transaction.
/// Refuses a database whose recorded migrations differ from the embedded ones.
pub fn apply(conn: &mut Connection, kind: DatabaseKind) -> Result<(), StorageError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             name        TEXT    PRIMARY KEY,
             sha256      TEXT    NOT NULL,
             applied_at  INTEGER NOT NULL
         )",
    )?;
    let applied: Vec<(String, String)> = {
        let mut stmt = conn.prepare("SELECT name, sha256 FROM schema_migrations ORDER BY name")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    let embedded = migrations(kind);
    for (name, sha) in &applied {
        match embedded.iter().find(|m| m.name == name) {
            None => return Err(StorageError::UnknownMigration { name: name.clone() }),
            Some(m) if &digest(m.sql) != sha => {
                return Err(StorageError::MigrationChanged { name: name.clone() });
            }
            Some(_) => {}
        }
    }
    for m in embedded
        .iter()
        .filter(|m| !applied.iter().any(|(n, _)| n == m.name))
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(m.sql)
            .map_err(|e| StorageError::Database(format!("migration {}: {e}", m.name)))?;
        tx.execute(
            "INSERT INTO schema_migrations (name, sha256, applied_at) VALUES (?1, ?2, unixepoch())",
            (m.name, digest(m.sql)),
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// The SHA-256 of a migration's text, as recorded.
pub fn digest(sql: &str) -> String {
    mosis_domain::Sha256::of(sql.as_bytes()).to_string()
}
