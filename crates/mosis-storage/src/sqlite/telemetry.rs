//! Device telemetry in `telemetry.db`.

use super::{SqliteTelemetry, exec, parse};
use crate::UnixTime;
use crate::repos::{CrashGroup, DailyRollup, Result, Telemetry, TelemetryEvent};
use mosis_domain::AppId;

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn store(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Telemetry for SqliteTelemetry {
    fn insert_events(&self, events: &[TelemetryEvent], received_at: UnixTime) -> Result<usize> {
        self.db.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO events (app_id, version, install_id, kind, at, received_at, stack, signature) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for e in events {
                stmt.execute((e.app_id.as_str(), &e.version, &e.install_id, e.kind.as_str(), e.at, received_at, &e.stack, &e.signature))?;
            }
            Ok(events.len())
        })
    }

    fn events_between(
        &self,
        app_id: &AppId,
        from: UnixTime,
        to: UnixTime,
    ) -> Result<Vec<TelemetryEvent>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT app_id, version, install_id, kind, at, stack, signature FROM events \
                 WHERE app_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY at, id",
            )?;
            let rows = stmt.query_map((app_id.as_str(), from, to), |r| {
                Ok(TelemetryEvent {
                    app_id: parse(&r.get::<_, String>(0)?, "app id")?,
                    version: r.get(1)?,
                    install_id: r.get(2)?,
                    kind: parse(&r.get::<_, String>(3)?, "event kind")?,
                    at: r.get(4)?,
                    stack: r.get(5)?,
                    signature: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn delete_events_before(&self, before: UnixTime) -> Result<u64> {
        self.db
            .write(|tx| Ok(exec(tx, "DELETE FROM events WHERE at < ?1", [before])? as u64))
    }

    fn upsert_rollup(&self, r: &DailyRollup) -> Result<()> {
        self.db.write(|tx| {
            exec(tx,
                "INSERT OR REPLACE INTO daily_rollups (app_id, version, day, installs, uninstalls, updates, launches, crashes, active_installs) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                (
                    r.app_id.as_str(),
                    &r.version,
                    r.day,
                    store(r.installs),
                    store(r.uninstalls),
                    store(r.updates),
                    store(r.launches),
                    store(r.crashes),
                    store(r.active_installs),
                ),
            )?;
            Ok(())
        })
    }

    fn rollups(&self, app_id: &AppId) -> Result<Vec<DailyRollup>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT app_id, version, day, installs, uninstalls, updates, launches, crashes, active_installs \
                 FROM daily_rollups WHERE app_id = ?1 ORDER BY version, day",
            )?;
            let rows = stmt.query_map([app_id.as_str()], |r| {
                Ok(DailyRollup {
                    app_id: parse(&r.get::<_, String>(0)?, "app id")?,
                    version: r.get(1)?,
                    day: r.get(2)?,
                    installs: count(r.get(3)?),
                    uninstalls: count(r.get(4)?),
                    updates: count(r.get(5)?),
                    launches: count(r.get(6)?),
                    crashes: count(r.get(7)?),
                    active_installs: count(r.get(8)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn record_crash(
        &self,
        app_id: &AppId,
        signature: &str,
        stack: &str,
        at: UnixTime,
    ) -> Result<()> {
        self.db.write(|tx| {
            exec(tx,
                "INSERT INTO crash_groups (app_id, signature, first_seen, last_seen, occurrences, sample_stack) \
                 VALUES (?1, ?2, ?3, ?3, 1, ?4) ON CONFLICT (app_id, signature) DO UPDATE SET \
                 occurrences = occurrences + 1, first_seen = min(first_seen, excluded.first_seen), \
                 last_seen = max(last_seen, excluded.last_seen)",
                (app_id.as_str(), signature, at, stack),
            )?;
            Ok(())
        })
    }

    fn crash_groups(&self, app_id: &AppId) -> Result<Vec<CrashGroup>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT app_id, signature, first_seen, last_seen, occurrences, sample_stack FROM crash_groups \
                 WHERE app_id = ?1 ORDER BY occurrences DESC, signature",
            )?;
            let rows = stmt.query_map([app_id.as_str()], |r| {
                Ok(CrashGroup {
                    app_id: parse(&r.get::<_, String>(0)?, "app id")?,
                    signature: r.get(1)?,
                    first_seen: r.get(2)?,
                    last_seen: r.get(3)?,
                    occurrences: count(r.get(4)?),
                    sample_stack: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
