//! Sign-in round trips and first-run bootstrap links.

use super::accounts::{admin_exists, insert_account, insert_role};
use super::{SqlitePortal, conflict_as, exec, one, query_one};
use crate::repos::{Account, Result, Role, SignInFlow, SignIns};
use crate::{Accounts as _, StorageError, UnixTime};

impl SignIns for SqlitePortal {
    fn start_sign_in(&self, flow: &SignInFlow, now: UnixTime) -> Result<()> {
        conflict_as(
            self.db.write(|tx| {
                exec(tx,
                    "INSERT INTO sign_in_flows (state_hash, provider, nonce, pkce_verifier, next, created_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    (&flow.state_hash, &flow.provider, &flow.nonce, &flow.pkce_verifier, &flow.next, now, flow.expires_at),
                )?;
                Ok(())
            }),
            || "that sign-in state is in use".to_owned(),
        )
    }

    fn take_sign_in(&self, state_hash: &[u8], now: UnixTime) -> Result<SignInFlow> {
        self.db.write(|tx| {
            exec(
                tx,
                "DELETE FROM sign_in_flows WHERE expires_at <= ?1",
                [now],
            )?;
            one(
                query_one(
                    tx,
                    "DELETE FROM sign_in_flows WHERE state_hash = ?1 \
                     RETURNING state_hash, provider, nonce, pkce_verifier, next, expires_at",
                    [state_hash],
                    |r| {
                        Ok(SignInFlow {
                            state_hash: r.get(0)?,
                            provider: r.get(1)?,
                            nonce: r.get(2)?,
                            pkce_verifier: r.get(3)?,
                            next: r.get(4)?,
                            expires_at: r.get(5)?,
                        })
                    },
                ),
                || "sign-in attempt".to_owned(),
            )
        })
    }

    fn create_bootstrap_link(
        &self,
        hash: &[u8],
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<()> {
        conflict_as(
            self.db.write(|tx| {
                exec(
                    tx,
                    "INSERT INTO bootstrap_links (hash, created_at, expires_at) VALUES (?1, ?2, ?3)",
                    (hash, now, expires_at),
                )?;
                Ok(())
            }),
            || "that bootstrap link exists".to_owned(),
        )
    }

    fn claim_with_bootstrap(&self, hash: &[u8], name: &str, now: UnixTime) -> Result<Account> {
        let id = self.db.write(|tx| {
            let (expires_at, used_at): (UnixTime, Option<UnixTime>) = one(
                query_one(
                    tx,
                    "SELECT expires_at, used_at FROM bootstrap_links WHERE hash = ?1",
                    [hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                ),
                || "bootstrap link".to_owned(),
            )?;
            if used_at.is_some() {
                return Err(StorageError::conflict(
                    "the bootstrap link was used already",
                ));
            }
            if expires_at <= now {
                return Err(StorageError::conflict("the bootstrap link has expired"));
            }
            if admin_exists(tx)? {
                return Err(StorageError::conflict("this instance has an admin already"));
            }
            let id = insert_account(tx, name, None, now)
                .map_err(StorageError::from)
                .map_err(|e| match e {
                    StorageError::Conflict { .. } => {
                        StorageError::conflict(format!("an account named {name} exists"))
                    }
                    other => other,
                })?;
            insert_role(tx, id, Role::Admin, now)?;
            exec(
                tx,
                "UPDATE bootstrap_links SET used_at = ?1 WHERE hash = ?2",
                (now, hash),
            )?;
            Ok(id)
        })?;
        self.account(id)
    }
}
