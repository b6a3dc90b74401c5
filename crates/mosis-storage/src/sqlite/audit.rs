//! The audit log.

use super::{SqlitePortal, exec};
use crate::UnixTime;
use crate::repos::{AccountId, AuditEntry, AuditLog, AuditRecord, Result};

impl AuditLog for SqlitePortal {
    fn record_audit(&self, entry: &AuditEntry, now: UnixTime) -> Result<i64> {
        self.db.write(|tx| {
            exec(tx,
                "INSERT INTO audit_log (at, actor_id, action, target, detail, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                (now, entry.actor.map(|a| a.0), &entry.action, &entry.target, entry.detail.to_string(), &entry.ip),
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    fn audit_entries(
        &self,
        actor: Option<AccountId>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, actor_id, action, target, detail, ip FROM audit_log \
                 WHERE (?1 IS NULL OR actor_id = ?1) AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map((actor.map(|a| a.0), before, limit), |r| {
                let detail: String = r.get(5)?;
                Ok(AuditRecord {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    entry: AuditEntry {
                        actor: r.get::<_, Option<i64>>(2)?.map(AccountId),
                        action: r.get(3)?,
                        target: r.get(4)?,
                        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
                        ip: r.get(6)?,
                    },
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
