//! Versions, their state machine, releases and the index serial.

use super::apps::insert_app;
use super::queue::insert_job;
use super::{SqlitePortal, conflict_as, exec, one, parse, query_one};
use crate::repos::{
    AccountId, Channel, JobId, NewVersion, Release, Releases, Result, VersionId, VersionRecord,
    VersionState, Versions,
};
use crate::{StorageError, UnixTime};
use mosis_domain::AppId;
use rusqlite::{Row, Transaction};

const COLUMNS: &str = "id, app_id, version, state, channel, size, sha256, key_id, manifest, report, reject_reason, \
                       uploaded_by, created_at, updated_at, reviewed_by, auto_approved, icon_sha256, requested_channel";

fn version_row(row: &Row<'_>) -> rusqlite::Result<VersionRecord> {
    let channel: Option<String> = row.get(4)?;
    let icon: Option<String> = row.get(16)?;
    let requested: Option<String> = row.get(17)?;
    Ok(VersionRecord {
        id: VersionId(row.get(0)?),
        app_id: parse(&row.get::<_, String>(1)?, "app id")?,
        version: parse(&row.get::<_, String>(2)?, "version")?,
        state: parse(&row.get::<_, String>(3)?, "state")?,
        channel: channel.map(|c| parse(&c, "channel")).transpose()?,
        size: row.get::<_, i64>(5)?.try_into().unwrap_or(0),
        sha256: parse(&row.get::<_, String>(6)?, "sha256")?,
        key_id: parse(&row.get::<_, String>(7)?, "key id")?,
        manifest_json: row.get(8)?,
        report_json: row.get(9)?,
        reject_reason: row.get(10)?,
        uploaded_by: AccountId(row.get(11)?),
        created_at: row.get(12)?,
        updated_at: row.get(13)?,
        reviewed_by: row.get::<_, Option<i64>>(14)?.map(AccountId),
        auto_approved: row.get(15)?,
        icon_sha256: icon.map(|i| parse(&i, "icon sha256")).transpose()?,
        requested_channel: requested
            .map(|c| parse(&c, "requested channel"))
            .transpose()?,
    })
}

pub(super) fn version_in(tx: &Transaction<'_>, id: VersionId) -> Result<VersionRecord> {
    one(
        query_one(
            tx,
            &format!("SELECT {COLUMNS} FROM versions WHERE id = ?1"),
            [id.0],
            version_row,
        ),
        || format!("version {id}"),
    )
}

/// Compare-and-set of a version's state inside `tx`.
pub(super) fn move_state(
    tx: &Transaction<'_>,
    id: VersionId,
    from: VersionState,
    to: VersionState,
    now: UnixTime,
) -> Result<()> {
    let changed = exec(
        tx,
        "UPDATE versions SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = ?4",
        (to.as_str(), now, id.0, from.as_str()),
    )?;
    if changed == 0 {
        let current = version_in(tx, id)?;
        return Err(StorageError::conflict(format!(
            "version {} {} is {}, not {from}",
            current.app_id, current.version, current.state
        )));
    }
    Ok(())
}

fn bump_serial(tx: &Transaction<'_>, channel: Channel, now: UnixTime) -> Result<u64> {
    let serial: i64 = query_one(
        tx,
        "INSERT INTO index_serials (channel, serial, updated_at) VALUES (?1, 1, ?2) \
         ON CONFLICT (channel) DO UPDATE SET serial = serial + 1, updated_at = excluded.updated_at RETURNING serial",
        (channel.as_str(), now),
        |r| r.get(0),
    )?;
    Ok(u64::try_from(serial).unwrap_or(0))
}

fn insert_version(
    tx: &Transaction<'_>,
    new: &NewVersion,
    now: UnixTime,
) -> rusqlite::Result<VersionId> {
    exec(
        tx,
        "INSERT INTO versions (app_id, version, state, size, sha256, key_id, manifest, uploaded_by, created_at, updated_at, requested_channel) \
         VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
        (
            new.app_id.as_str(),
            new.version.to_string(),
            i64::try_from(new.size).unwrap_or(i64::MAX),
            new.sha256.to_string(),
            new.key_id.to_string(),
            &new.manifest_json,
            new.uploaded_by.0,
            now,
            new.requested_channel.map(Channel::as_str),
        ),
    )?;
    Ok(VersionId(tx.last_insert_rowid()))
}

impl Versions for SqlitePortal {
    fn create_version(&self, new: &NewVersion, now: UnixTime) -> Result<VersionRecord> {
        let id = conflict_as(
            self.db.write(|tx| Ok(insert_version(tx, new, now)?)),
            || {
                format!(
                    "version {} of {} exists, or its app, key or uploader does not",
                    new.version, new.app_id
                )
            },
        )?;
        self.version_by_id(id)
    }

    fn record_upload(
        &self,
        new: &NewVersion,
        claim_as: Option<&str>,
        now: UnixTime,
    ) -> Result<(VersionRecord, JobId)> {
        let (id, job) = conflict_as(
            self.db.write(|tx| {
                if let Some(name) = claim_as {
                    insert_app(tx, &new.app_id, new.uploaded_by, name, now)?;
                }
                let id = insert_version(tx, new, now)?;
                Ok((id, insert_job(tx, id, now)?))
            }),
            || {
                format!(
                    "version {} of {} exists, or the app id was claimed meanwhile",
                    new.version, new.app_id
                )
            },
        )?;
        Ok((self.version_by_id(id)?, job))
    }

    fn version(&self, app_id: &AppId, version: &semver::Version) -> Result<VersionRecord> {
        self.db.read(|c| {
            one(
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM versions WHERE app_id = ?1 AND version = ?2"),
                    [app_id.as_str(), &version.to_string()],
                    version_row,
                ),
                || format!("version {version} of {app_id}"),
            )
        })
    }

    fn version_by_id(&self, id: VersionId) -> Result<VersionRecord> {
        self.db.read(|c| {
            one(
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM versions WHERE id = ?1"),
                    [id.0],
                    version_row,
                ),
                || format!("version {id}"),
            )
        })
    }

    fn versions_of(&self, app_id: &AppId) -> Result<Vec<VersionRecord>> {
        let mut versions: Vec<VersionRecord> = self.db.read(|c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM versions WHERE app_id = ?1"))?;
            Ok(stmt
                .query_map([app_id.as_str()], version_row)?
                .collect::<rusqlite::Result<_>>()?)
        })?;
        versions.sort_by(|a, b| b.version.cmp(&a.version));
        Ok(versions)
    }

    fn newest_versions_of_owner(
        &self,
        owner: AccountId,
    ) -> Result<std::collections::HashMap<AppId, VersionRecord>> {
        let all: Vec<VersionRecord> = self.db.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM versions WHERE app_id IN (SELECT app_id FROM apps WHERE owner_id = ?1)"
            ))?;
            Ok(stmt
                .query_map([owner.0], version_row)?
                .collect::<rusqlite::Result<_>>()?)
        })?;
        let mut newest: std::collections::HashMap<AppId, VersionRecord> =
            std::collections::HashMap::new();
        for v in all {
            match newest.get(&v.app_id) {
                Some(current) if current.version >= v.version => {}
                _ => {
                    newest.insert(v.app_id.clone(), v);
                }
            }
        }
        Ok(newest)
    }

    fn versions_in_state(&self, state: VersionState) -> Result<Vec<VersionRecord>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM versions WHERE state = ?1 ORDER BY created_at, id"
            ))?;
            Ok(stmt
                .query_map([state.as_str()], version_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    fn transition(
        &self,
        id: VersionId,
        from: VersionState,
        to: VersionState,
        reason: Option<&str>,
        by: Option<AccountId>,
        now: UnixTime,
    ) -> Result<VersionRecord> {
        self.db.write(|tx| {
            move_state(tx, id, from, to, now)?;
            exec(
                tx,
                "UPDATE versions SET reject_reason = coalesce(?1, reject_reason), \
                 reviewed_by = coalesce(?2, reviewed_by) WHERE id = ?3",
                (reason, by.map(|a| a.0), id.0),
            )?;
            version_in(tx, id)
        })
    }
}

impl Releases for SqlitePortal {
    fn publish(
        &self,
        id: VersionId,
        from: VersionState,
        channel: Channel,
        statement: &str,
        approved_by: Option<AccountId>,
        now: UnixTime,
    ) -> Result<u64> {
        self.db.write(|tx| {
            if from != VersionState::Published {
                move_state(tx, id, from, VersionState::Published, now)?;
                exec(
                    tx,
                    "UPDATE versions SET reviewed_by = ?1, auto_approved = ?2 WHERE id = ?3",
                    (approved_by.map(|a| a.0), approved_by.is_none(), id.0),
                )?;
            } else if version_in(tx, id)?.state != VersionState::Published {
                return Err(StorageError::conflict(format!("version {id} is not published")));
            }
            // A version lives on its best channel: stable wins over beta.
            exec(tx,
                "UPDATE versions SET channel = CASE WHEN channel = 'stable' THEN 'stable' ELSE ?1 END, updated_at = ?2 WHERE id = ?3",
                (channel.as_str(), now, id.0),
            )?;
            exec(tx,
                "INSERT INTO releases (version_id, channel, statement, published_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (version_id, channel) DO UPDATE SET statement = excluded.statement, published_at = excluded.published_at",
                (id.0, channel.as_str(), statement, now),
            )?;
            bump_serial(tx, channel, now)
        })
    }

    fn suspend(&self, id: VersionId, now: UnixTime) -> Result<()> {
        self.db.write(|tx| {
            move_state(
                tx,
                id,
                VersionState::Published,
                VersionState::Suspended,
                now,
            )?;
            let channels: Vec<String> = {
                let mut stmt =
                    tx.prepare_cached("SELECT channel FROM releases WHERE version_id = ?1")?;
                stmt.query_map([id.0], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            };
            for channel in channels {
                bump_serial(tx, parse(&channel, "channel")?, now)?;
            }
            Ok(())
        })
    }

    fn current_releases(&self, channel: Channel) -> Result<Vec<Release>> {
        let rows: Vec<Release> = self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT v.id, v.app_id, v.version, r.statement, r.published_at FROM releases r \
                 JOIN versions v ON v.id = r.version_id WHERE r.channel = ?1 AND v.state = 'published'",
            )?;
            Ok(stmt
                .query_map([channel.as_str()], |r| {
                    Ok(Release {
                        version_id: VersionId(r.get(0)?),
                        app_id: parse(&r.get::<_, String>(1)?, "app id")?,
                        version: parse(&r.get::<_, String>(2)?, "version")?,
                        channel,
                        statement: r.get(3)?,
                        published_at: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?)
        })?;
        // The newest published version of each app (semantic-version order, not text order).
        let mut newest: std::collections::BTreeMap<AppId, Release> =
            std::collections::BTreeMap::new();
        for release in rows {
            match newest.get(&release.app_id) {
                Some(current) if current.version >= release.version => {}
                _ => {
                    newest.insert(release.app_id.clone(), release);
                }
            }
        }
        Ok(newest.into_values().collect())
    }

    fn index_serial(&self, channel: Channel) -> Result<u64> {
        self.db.read(|c| {
            let serial: Option<i64> = rusqlite::OptionalExtension::optional(query_one(
                c,
                "SELECT serial FROM index_serials WHERE channel = ?1",
                [channel.as_str()],
                |r| r.get(0),
            ))?;
            Ok(serial.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
        })
    }
}
