//! API tokens, browser sessions and device authorisations.

use super::{
    SqlitePortal, conflict_as, exec, join_scopes, one, parse, query_one, split_scopes, touched,
};
use crate::repos::{
    AccountId, DeviceAuth, DeviceAuthState, DeviceAuthorizations, NewDeviceAuth, NewToken, Origin,
    Result, SessionRecord, Sessions, TokenId, TokenRecord, Tokens,
};
use crate::{StorageError, UnixTime};
use rusqlite::{Connection, Row};

const TOKEN_COLUMNS: &str =
    "id, account_id, name, prefix, hash, scopes, created_at, expires_at, last_used_at, revoked_at";

fn token_row(row: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: TokenId(row.get(0)?),
        account_id: AccountId(row.get(1)?),
        name: row.get(2)?,
        prefix: row.get(3)?,
        hash: row.get(4)?,
        scopes: split_scopes(&row.get::<_, String>(5)?),
        created_at: row.get(6)?,
        expires_at: row.get(7)?,
        last_used_at: row.get(8)?,
        revoked_at: row.get(9)?,
    })
}

impl Tokens for SqlitePortal {
    fn create_token(&self, new: &NewToken, now: UnixTime) -> Result<TokenRecord> {
        let id = conflict_as(
            self.db.write(|tx| {
                exec(tx,
                    "INSERT INTO api_tokens (account_id, name, prefix, hash, scopes, created_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    (new.account_id.0, &new.name, &new.prefix, &new.hash, join_scopes(&new.scopes), now, new.expires_at),
                )?;
                Ok(tx.last_insert_rowid())
            }),
            || "a token with that prefix exists, or the account does not".to_owned(),
        )?;
        self.db.read(|c| {
            Ok(query_one(
                c,
                &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1"),
                [id],
                token_row,
            )?)
        })
    }

    fn token_by_prefix(&self, prefix: &str) -> Result<TokenRecord> {
        self.db.read(|c| {
            one(
                query_one(
                    c,
                    &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE prefix = ?1"),
                    [prefix],
                    token_row,
                ),
                || "token".to_owned(),
            )
        })
    }

    fn tokens_of(&self, account: AccountId) -> Result<Vec<TokenRecord>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE account_id = ?1 ORDER BY id DESC"
            ))?;
            Ok(stmt
                .query_map([account.0], token_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    fn revoke_token(&self, account: AccountId, id: TokenId, now: UnixTime) -> Result<()> {
        self.db.write(|tx| {
            touched(
                exec(tx,
                    "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?1) WHERE id = ?2 AND account_id = ?3",
                    (now, id.0, account.0),
                )?,
                || format!("token {id} of account {account}"),
            )
        })
    }

    fn touch_token(&self, id: TokenId, now: UnixTime) -> Result<()> {
        self.db.write(|tx| {
            touched(
                exec(
                    tx,
                    "UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2",
                    (now, id.0),
                )?,
                || format!("token {id}"),
            )
        })
    }
}

const SESSION_COLUMNS: &str =
    "id, account_id, created_at, last_seen_at, expires_at, revoked_at, ip, user_agent";

fn session_row(row: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: row.get(0)?,
        account_id: AccountId(row.get(1)?),
        created_at: row.get(2)?,
        last_seen_at: row.get(3)?,
        expires_at: row.get(4)?,
        revoked_at: row.get(5)?,
        origin: Origin {
            ip: row.get(6)?,
            client: row.get(7)?,
        },
    })
}

impl Sessions for SqlitePortal {
    fn create_session(
        &self,
        id: &str,
        account: AccountId,
        expires_at: UnixTime,
        origin: &Origin,
        now: UnixTime,
    ) -> Result<SessionRecord> {
        conflict_as(
            self.db.write(|tx| {
                exec(tx,
                    "INSERT INTO sessions (id, account_id, created_at, last_seen_at, expires_at, ip, user_agent) \
                     VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)",
                    (id, account.0, now, expires_at, &origin.ip, &origin.client),
                )?;
                Ok(())
            }),
            || "that session id is taken, or the account does not exist".to_owned(),
        )?;
        self.session(id)
    }

    fn session(&self, id: &str) -> Result<SessionRecord> {
        self.db.read(|c| {
            one(
                query_one(
                    c,
                    &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1"),
                    [id],
                    session_row,
                ),
                || "session".to_owned(),
            )
        })
    }

    fn sessions_of(&self, account: AccountId, now: UnixTime) -> Result<Vec<SessionRecord>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions \
                 WHERE account_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 ORDER BY created_at DESC"
            ))?;
            Ok(stmt
                .query_map((account.0, now), session_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    fn touch_session(&self, id: &str, now: UnixTime) -> Result<()> {
        self.db.write(|tx| {
            touched(
                exec(
                    tx,
                    "UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2",
                    (now, id),
                )?,
                || "session".to_owned(),
            )
        })
    }

    fn revoke_session(&self, id: &str, now: UnixTime) -> Result<()> {
        self.db.write(|tx| {
            touched(
                exec(
                    tx,
                    "UPDATE sessions SET revoked_at = coalesce(revoked_at, ?1) WHERE id = ?2",
                    (now, id),
                )?,
                || "session".to_owned(),
            )
        })
    }

    fn revoke_sessions_of(&self, account: AccountId, now: UnixTime) -> Result<u64> {
        self.db.write(|tx| {
            let n = exec(
                tx,
                "UPDATE sessions SET revoked_at = ?1 WHERE account_id = ?2 AND revoked_at IS NULL",
                (now, account.0),
            )?;
            Ok(n as u64)
        })
    }
}

const DEVICE_COLUMNS: &str =
    "user_code, scopes, state, account_id, created_at, expires_at, decided_at, client, host, ip";

fn device_row(row: &Row<'_>) -> rusqlite::Result<DeviceAuth> {
    Ok(DeviceAuth {
        user_code: row.get(0)?,
        scopes: split_scopes(&row.get::<_, String>(1)?),
        state: parse(&row.get::<_, String>(2)?, "device authorisation state")?,
        account_id: row.get::<_, Option<i64>>(3)?.map(AccountId),
        created_at: row.get(4)?,
        expires_at: row.get(5)?,
        decided_at: row.get(6)?,
        origin: Origin {
            client: row.get(7)?,
            ip: row.get(9)?,
        },
        host: row.get(8)?,
    })
}

fn device_where(c: &Connection, clause: &str, param: &dyn rusqlite::ToSql) -> Result<DeviceAuth> {
    one(
        query_one(
            c,
            &format!("SELECT {DEVICE_COLUMNS} FROM device_authorizations WHERE {clause}"),
            [param],
            device_row,
        ),
        || "device authorisation".to_owned(),
    )
}

impl DeviceAuthorizations for SqlitePortal {
    fn start_device_auth(&self, new: &NewDeviceAuth, now: UnixTime) -> Result<DeviceAuth> {
        conflict_as(
            self.db.write(|tx| {
                exec(tx,
                    "INSERT INTO device_authorizations \
                     (device_code_hash, user_code, scopes, state, created_at, expires_at, client, host, ip) \
                     VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8)",
                    (&new.code_hash, &new.user_code, join_scopes(&new.scopes), now, new.expires_at,
                     &new.origin.client, &new.host, &new.origin.ip),
                )?;
                Ok(())
            }),
            || "that device or user code is in use".to_owned(),
        )?;
        self.device_auth_by_user_code(&new.user_code)
    }

    fn device_auth_by_user_code(&self, user_code: &str) -> Result<DeviceAuth> {
        self.db
            .read(|c| device_where(c, "user_code = ?1", &user_code))
    }

    fn device_auth_by_code_hash(&self, code_hash: &[u8]) -> Result<DeviceAuth> {
        self.db
            .read(|c| device_where(c, "device_code_hash = ?1", &code_hash))
    }

    fn decide_device_auth(
        &self,
        user_code: &str,
        approver: Option<AccountId>,
        scopes: &[String],
        now: UnixTime,
    ) -> Result<DeviceAuth> {
        self.db.write(|tx| {
            let current = device_where(tx, "user_code = ?1", &user_code)?;
            if current.state != DeviceAuthState::Pending || current.expires_at <= now {
                return Err(StorageError::conflict(format!(
                    "device authorisation {user_code} is {}",
                    if current.expires_at <= now { "expired" } else { current.state.as_str() }
                )));
            }
            let (state, granted) = match approver {
                Some(_) => (DeviceAuthState::Approved, join_scopes(scopes)),
                None => (DeviceAuthState::Denied, join_scopes(&current.scopes)),
            };
            exec(tx,
                "UPDATE device_authorizations SET state = ?1, account_id = ?2, scopes = ?3, decided_at = ?4 WHERE user_code = ?5",
                (state.as_str(), approver.map(|a| a.0), granted, now, user_code),
            )?;
            device_where(tx, "user_code = ?1", &user_code)
        })
    }

    fn consume_device_auth(&self, code_hash: &[u8], now: UnixTime) -> Result<DeviceAuth> {
        self.db.write(|tx| {
            let changed = exec(tx,
                "UPDATE device_authorizations SET state = 'consumed' WHERE device_code_hash = ?1 AND state = 'approved' AND expires_at > ?2",
                (code_hash, now),
            )?;
            let current = device_where(tx, "device_code_hash = ?1", &code_hash)?;
            if changed == 0 {
                return Err(StorageError::conflict(format!("device authorisation is {}, not approved", current.state)));
            }
            Ok(current)
        })
    }
}
