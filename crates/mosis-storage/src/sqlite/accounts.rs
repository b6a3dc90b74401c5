//! Accounts, identities, roles, and developers' signing keys.

use super::{SqlitePortal, conflict_as, exec, one, parse, query_one, touched};
use crate::repos::{Account, AccountId, Accounts, Result, Role, SigningKeyRecord, SigningKeys};
use crate::{StorageError, UnixTime};
use mosis_domain::{KeyId, PublicKey};
use rusqlite::{Connection, Row};
use std::collections::BTreeSet;

/// The account's columns and its roles (space-separated), in one statement: an account is
/// read on every authenticated request.
const ACCOUNT_COLUMNS: &str = "id, name, email, disabled, created_at, \
     (SELECT group_concat(role, ' ') FROM account_roles WHERE account_id = accounts.id)";

fn account_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let roles: Option<String> = row.get(5)?;
    let roles = roles
        .unwrap_or_default()
        .split_whitespace()
        .map(|s| parse::<Role>(s, "role"))
        .collect::<rusqlite::Result<BTreeSet<Role>>>()?;
    Ok(Account {
        id: AccountId(row.get(0)?),
        name: row.get(1)?,
        email: row.get(2)?,
        disabled: row.get(3)?,
        roles,
        created_at: row.get(4)?,
    })
}

fn account_where(
    conn: &Connection,
    clause: &str,
    param: &dyn rusqlite::ToSql,
) -> rusqlite::Result<Account> {
    query_one(
        conn,
        &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {clause}"),
        [param],
        account_row,
    )
}

/// Inserts an account row (inside a caller's transaction); returns its id.
pub(super) fn insert_account(
    conn: &Connection,
    name: &str,
    email: Option<&str>,
    now: UnixTime,
) -> rusqlite::Result<AccountId> {
    exec(
        conn,
        "INSERT INTO accounts (name, email, created_at) VALUES (?1, ?2, ?3)",
        (name, email, now),
    )?;
    Ok(AccountId(conn.last_insert_rowid()))
}

/// Grants a role (idempotent), inside a caller's transaction.
pub(super) fn insert_role(
    conn: &Connection,
    id: AccountId,
    role: Role,
    now: UnixTime,
) -> rusqlite::Result<()> {
    exec(
        conn,
        "INSERT OR IGNORE INTO account_roles (account_id, role, granted_at) VALUES (?1, ?2, ?3)",
        (id.0, role.as_str(), now),
    )?;
    Ok(())
}

/// Whether an enabled admin exists.
pub(super) fn admin_exists(conn: &Connection) -> rusqlite::Result<bool> {
    query_one(
        conn,
        "SELECT EXISTS (SELECT 1 FROM account_roles r JOIN accounts a ON a.id = r.account_id \
         WHERE r.role = 'admin' AND a.disabled = 0)",
        [],
        |r| r.get(0),
    )
}

impl Accounts for SqlitePortal {
    fn create_account(&self, name: &str, email: Option<&str>, now: UnixTime) -> Result<Account> {
        let id = conflict_as(
            self.db
                .write(|tx| Ok(insert_account(tx, name, email, now)?)),
            || format!("an account named {name} exists"),
        )?;
        self.account(id)
    }

    fn account(&self, id: AccountId) -> Result<Account> {
        self.db.read(|c| {
            one(account_where(c, "id = ?1", &id.0), || {
                format!("account {id}")
            })
        })
    }

    fn account_by_name(&self, name: &str) -> Result<Account> {
        self.db.read(|c| {
            one(account_where(c, "name = ?1", &name), || {
                format!("account {name}")
            })
        })
    }

    fn account_by_identity(&self, provider: &str, subject: &str) -> Result<Account> {
        self.db.read(|c| {
            one(
                query_one(
                    c,
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = \
                         (SELECT account_id FROM identities WHERE provider = ?1 AND subject = ?2)"
                    ),
                    [provider, subject],
                    account_row,
                ),
                || format!("account for {provider} identity {subject}"),
            )
        })
    }

    fn link_identity(
        &self,
        id: AccountId,
        provider: &str,
        subject: &str,
        now: UnixTime,
    ) -> Result<()> {
        let linked = self.db.write(|tx| {
            exec(tx,
                "INSERT INTO identities (provider, subject, account_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                (provider, subject, id.0, now),
            )?;
            Ok(())
        });
        match linked {
            // A missing account violates the foreign key: say so rather than "conflict".
            Err(StorageError::Conflict { .. }) if self.account(id).is_err() => {
                Err(StorageError::not_found(format!("account {id}")))
            }
            other => conflict_as(other, || {
                format!("the {provider} identity {subject} is linked to an account already")
            }),
        }
    }

    fn identities(&self, id: AccountId) -> Result<Vec<(String, String)>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached("SELECT provider, subject FROM identities WHERE account_id = ?1 ORDER BY provider, subject")?;
            Ok(stmt.query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn set_disabled(&self, id: AccountId, disabled: bool) -> Result<()> {
        self.db.write(|tx| {
            touched(
                exec(
                    tx,
                    "UPDATE accounts SET disabled = ?1 WHERE id = ?2",
                    (disabled, id.0),
                )?,
                || format!("account {id}"),
            )
        })
    }

    fn grant_role(&self, id: AccountId, role: Role, now: UnixTime) -> Result<()> {
        self.account(id)?;
        self.db.write(|tx| Ok(insert_role(tx, id, role, now)?))
    }

    fn revoke_role(&self, id: AccountId, role: Role) -> Result<()> {
        self.account(id)?;
        self.db.write(|tx| {
            exec(
                tx,
                "DELETE FROM account_roles WHERE account_id = ?1 AND role = ?2",
                (id.0, role.as_str()),
            )?;
            Ok(())
        })
    }

    fn list_accounts(&self) -> Result<Vec<Account>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"
            ))?;
            Ok(stmt
                .query_map([], account_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    fn has_admin(&self) -> Result<bool> {
        self.db.read(|c| Ok(admin_exists(c)?))
    }
}

const KEY_COLUMNS: &str = "key_id, account_id, public_key, label, created_at, revoked_at";

fn key_row(row: &Row<'_>) -> rusqlite::Result<SigningKeyRecord> {
    let public: String = row.get(2)?;
    Ok(SigningKeyRecord {
        key_id: parse(&row.get::<_, String>(0)?, "key id")?,
        account_id: AccountId(row.get(1)?),
        public_key: PublicKey::from_base64(&public).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?,
        label: row.get(3)?,
        created_at: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

impl SigningKeys for SqlitePortal {
    fn add_key(
        &self,
        account: AccountId,
        key: &PublicKey,
        label: &str,
        now: UnixTime,
    ) -> Result<SigningKeyRecord> {
        self.account(account)?;
        conflict_as(
            self.db.write(|tx| {
                exec(tx,
                    "INSERT INTO signing_keys (key_id, account_id, public_key, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    (key.key_id().to_string(), account.0, key.to_base64(), label, now),
                )?;
                Ok(())
            }),
            || format!("key {} is registered already", key.key_id()),
        )?;
        self.key(key.key_id())
    }

    fn key(&self, key_id: KeyId) -> Result<SigningKeyRecord> {
        self.db.read(|c| {
            one(
                query_one(
                    c,
                    &format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE key_id = ?1"),
                    [key_id.to_string()],
                    key_row,
                ),
                || format!("key {key_id}"),
            )
        })
    }

    fn keys_of(&self, account: AccountId) -> Result<Vec<SigningKeyRecord>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE account_id = ?1 ORDER BY created_at, key_id"))?;
            Ok(stmt.query_map([account.0], key_row)?.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn revoke_key(&self, account: AccountId, key_id: KeyId, now: UnixTime) -> Result<()> {
        self.db.write(|tx| {
            let changed = exec(tx,
                "UPDATE signing_keys SET revoked_at = coalesce(revoked_at, ?1) WHERE key_id = ?2 AND account_id = ?3",
                (now, key_id.to_string(), account.0),
            )?;
            touched(changed, || format!("key {key_id} of account {account}"))
        })
    }
}
