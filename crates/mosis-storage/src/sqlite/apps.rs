//! Registered apps.

use super::{SqlitePortal, conflict_as, exec, one, parse, query_one, touched};
use crate::repos::{AccountId, App, Apps, Result};
use crate::{StorageError, UnixTime};
use mosis_domain::AppId;
use rusqlite::{Row, Transaction};

const COLUMNS: &str = "app_id, owner_id, name, auto_approve, created_at";

fn app_row(row: &Row<'_>) -> rusqlite::Result<App> {
    Ok(App {
        app_id: parse(&row.get::<_, String>(0)?, "app id")?,
        owner_id: AccountId(row.get(1)?),
        name: row.get(2)?,
        auto_approve: row.get(3)?,
        created_at: row.get(4)?,
    })
}

/// Inserts an app row inside `tx` (shared with recording a first upload).
pub(super) fn insert_app(
    tx: &Transaction<'_>,
    app_id: &AppId,
    owner: AccountId,
    name: &str,
    now: UnixTime,
) -> rusqlite::Result<()> {
    exec(
        tx,
        "INSERT INTO apps (app_id, owner_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        (app_id.as_str(), owner.0, name, now),
    )?;
    Ok(())
}

impl Apps for SqlitePortal {
    fn create_app(
        &self,
        app_id: &AppId,
        owner: AccountId,
        name: &str,
        now: UnixTime,
    ) -> Result<App> {
        let created = self
            .db
            .write(|tx| Ok(insert_app(tx, app_id, owner, name, now)?));
        match created {
            // No such app means the foreign key on the owner failed.
            Err(StorageError::Conflict { .. }) if self.app(app_id).is_err() => {
                Err(StorageError::not_found(format!("account {owner}")))
            }
            other => conflict_as(other, || format!("app id {app_id} is registered already")),
        }?;
        self.app(app_id)
    }

    fn app(&self, app_id: &AppId) -> Result<App> {
        self.db.read(|c| {
            one(
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM apps WHERE app_id = ?1"),
                    [app_id.as_str()],
                    app_row,
                ),
                || format!("app {app_id}"),
            )
        })
    }

    fn apps_of(&self, owner: AccountId) -> Result<Vec<App>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM apps WHERE owner_id = ?1 ORDER BY app_id"
            ))?;
            Ok(stmt
                .query_map([owner.0], app_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    fn set_app_name(&self, app_id: &AppId, name: &str) -> Result<()> {
        self.db.write(|tx| {
            touched(
                exec(
                    tx,
                    "UPDATE apps SET name = ?1 WHERE app_id = ?2",
                    (name, app_id.as_str()),
                )?,
                || format!("app {app_id}"),
            )
        })
    }

    fn set_auto_approve(&self, app_id: &AppId, auto_approve: Option<bool>) -> Result<()> {
        self.db.write(|tx| {
            touched(
                exec(
                    tx,
                    "UPDATE apps SET auto_approve = ?1 WHERE app_id = ?2",
                    (auto_approve, app_id.as_str()),
                )?,
                || format!("app {app_id}"),
            )
        })
    }
}
