//! The authenticator: resolves credentials to principals, issues and revokes them.

use crate::error::AuthError;
use crate::principal::{Credential, Principal, account_may};
use crate::scope::Scope;
use crate::session::{SessionClaims, SessionSigner};
use crate::token::{TokenSecret, random_bytes};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mosis_storage::Clock;
use mosis_storage::{
    Account, AccountId, Accounts, AuditEntry, AuditLog, NewToken, Origin, SessionRecord, Sessions,
    StorageError, TokenId, TokenRecord, Tokens, UnixTime,
};
use std::sync::Arc;

/// A token's or session's last use is written at most this often, so authenticated reads
/// stay reads.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// How long browser sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle_secs: i64,
    /// A session ends this long after sign-in, used or not.
    pub absolute_secs: i64,
}

impl Default for SessionPolicy {
    /// Twelve hours idle, seven days in all.
    fn default() -> Self {
        Self {
            idle_secs: 12 * 3600,
            absolute_secs: 7 * 86_400,
        }
    }
}

/// A newly created token: its secret (shown once) and its stored record.
#[derive(Debug)]
pub struct IssuedToken {
    /// The secret to hand to the user, once.
    pub secret: TokenSecret,
    /// What was stored.
    pub record: TokenRecord,
}

/// Resolves credentials against the store.
#[derive(Debug)]
pub struct Authenticator<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    sessions: SessionSigner,
    policy: SessionPolicy,
}

fn storage_or(e: StorageError, reason: &str) -> AuthError {
    match e {
        StorageError::NotFound { .. } => AuthError::unauthenticated(reason),
        other => AuthError::Storage(other),
    }
}

impl<S: Accounts + Tokens + Sessions + AuditLog> Authenticator<S> {
    /// An authenticator over `store`, reading time from `clock`, signing sessions with
    /// `sessions`.
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, sessions: SessionSigner) -> Self {
        Self {
            store,
            clock,
            sessions,
            policy: SessionPolicy::default(),
        }
    }

    /// The same, with sessions lasting as `policy` says.
    pub fn with_session_policy(mut self, policy: SessionPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The clock this authenticator uses.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The session lifetimes.
    pub fn session_policy(&self) -> SessionPolicy {
        self.policy
    }

    pub(crate) fn store(&self) -> &S {
        &self.store
    }

    /// The CSRF token for forms of session `session_id` (see [`SessionSigner::csrf_token`]).
    pub fn csrf_token(&self, session_id: &str) -> String {
        self.sessions.csrf_token(session_id)
    }

    /// Whether `presented` is session `session_id`'s CSRF token (constant time).
    pub fn csrf_matches(&self, session_id: &str, presented: &str) -> bool {
        self.sessions.csrf_matches(session_id, presented)
    }

    fn enabled_account(&self, id: AccountId) -> Result<Account, AuthError> {
        let account = self
            .store
            .account(id)
            .map_err(|e| storage_or(e, "the account no longer exists"))?;
        if account.disabled {
            return Err(AuthError::unauthenticated("the account is disabled"));
        }
        Ok(account)
    }

    /// Resolves an API token: well-formed, known, hash equal (constant time), not revoked,
    /// not expired, account enabled. Records its use.
    pub fn authenticate_token(&self, text: &str) -> Result<Principal, AuthError> {
        let secret = TokenSecret::parse(text)?;
        let unknown = "the token is not valid";
        let record = self
            .store
            .token_by_prefix(secret.lookup_prefix())
            .map_err(|e| storage_or(e, unknown))?;
        if !secret.matches(&record.hash) {
            return Err(AuthError::unauthenticated(unknown));
        }
        let now = self.clock.now();
        if record.revoked_at.is_some() {
            return Err(AuthError::unauthenticated("the token has been revoked"));
        }
        if record.expires_at.is_some_and(|e| e <= now) {
            return Err(AuthError::unauthenticated("the token has expired"));
        }
        let account = self.enabled_account(record.account_id)?;
        if record
            .last_used_at
            .is_none_or(|t| now - t >= TOUCH_INTERVAL_SECS)
        {
            self.store.touch_token(record.id, now)?;
        }
        // Scopes are written only by `issue_token`; one that no longer parses fails closed.
        let scopes = Scope::parse_list(&record.scopes).map_err(|e| {
            AuthError::unauthenticated(format!("the token's scopes are invalid: {e}"))
        })?;
        Ok(Principal {
            account,
            credential: Credential::Token {
                id: record.id,
                scopes,
                expires_at: record.expires_at,
            },
        })
    }

    /// Creates a token for `account` with `scopes`, expiring at `expires_at` if given. The
    /// account must be allowed every scope (`review` needs the reviewer role, `admin` the
    /// admin role). Audited.
    pub fn issue_token(
        &self,
        account: &Account,
        name: &str,
        scopes: &[Scope],
        expires_at: Option<UnixTime>,
        ip: Option<&str>,
    ) -> Result<IssuedToken, AuthError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(AuthError::Invalid {
                reason: "a token name must have 1 to 100 characters".into(),
            });
        }
        if scopes.is_empty() {
            return Err(AuthError::Invalid {
                reason: "a token needs at least one scope".into(),
            });
        }
        let now = self.clock.now();
        if expires_at.is_some_and(|e| e <= now) {
            return Err(AuthError::Invalid {
                reason: "the expiry must be in the future".into(),
            });
        }
        if let Some(missing) = scopes.iter().find(|s| !account_may(account, s)) {
            return Err(AuthError::forbidden(format!(
                "account {} cannot hold the `{missing}` scope",
                account.name
            )));
        }
        let secret = TokenSecret::generate()?;
        let record = self.store.create_token(
            &NewToken {
                account_id: account.id,
                name: name.to_owned(),
                prefix: secret.lookup_prefix().to_owned(),
                hash: secret.hash().as_bytes().to_vec(),
                scopes: scopes.iter().map(Scope::to_string).collect(),
                expires_at,
            },
            now,
        )?;
        self.audit(
            account.id,
            "token.created",
            &record.prefix,
            serde_json::json!({ "name": record.name, "scopes": record.scopes }),
            ip,
        )?;
        Ok(IssuedToken { secret, record })
    }

    /// Revokes one of `account`'s tokens; `NotFound` if it is not theirs. Audited.
    pub fn revoke_token(
        &self,
        account: AccountId,
        id: TokenId,
        ip: Option<&str>,
    ) -> Result<(), AuthError> {
        self.store.revoke_token(account, id, self.clock.now())?;
        self.audit(
            account,
            "token.revoked",
            &id.to_string(),
            serde_json::json!({}),
            ip,
        )
    }

    /// Starts a browser session for `account` (lasting as the session policy says) from
    /// `origin`; returns the signed token for the cookie.
    pub fn start_session(
        &self,
        account: AccountId,
        origin: &Origin,
    ) -> Result<(String, SessionRecord), AuthError> {
        let id = URL_SAFE_NO_PAD.encode(random_bytes::<16>()?);
        let now = self.clock.now();
        let record = self.store.create_session(
            &id,
            account,
            now + self.policy.absolute_secs,
            origin,
            now,
        )?;
        let token = self.sessions.sign(
            &SessionClaims {
                account,
                session_id: id,
                expires_at: record.expires_at,
            },
            now,
        )?;
        Ok((token, record))
    }

    /// Resolves a session token: signature, expiry, and a live (unrevoked) session row of
    /// an enabled account.
    pub fn authenticate_session(&self, token: &str) -> Result<Principal, AuthError> {
        let now = self.clock.now();
        let claims = self.sessions.verify(token, now)?;
        let session = self
            .store
            .session(&claims.session_id)
            .map_err(|e| storage_or(e, "the session has ended"))?;
        if session.revoked_at.is_some() {
            return Err(AuthError::unauthenticated("the session has ended"));
        }
        if session.expires_at <= now || now - session.last_seen_at >= self.policy.idle_secs {
            return Err(AuthError::unauthenticated(
                "the session has expired; sign in again",
            ));
        }
        if session.account_id != claims.account {
            return Err(AuthError::unauthenticated("the session token is invalid"));
        }
        let account = self.enabled_account(claims.account)?;
        if now - session.last_seen_at >= TOUCH_INTERVAL_SECS {
            self.store.touch_session(&session.id, now)?;
        }
        Ok(Principal {
            account,
            credential: Credential::Session {
                id: claims.session_id,
            },
        })
    }

    /// Ends a session (logout). Audited.
    pub fn end_session(
        &self,
        account: AccountId,
        id: &str,
        ip: Option<&str>,
    ) -> Result<(), AuthError> {
        self.store.revoke_session(id, self.clock.now())?;
        self.audit(account, "logout", "", serde_json::json!({}), ip)
    }

    /// Ends every session of `account` (an admin's action or "sign out everywhere");
    /// returns how many. Audited as `actor`'s action.
    pub fn end_sessions_of(
        &self,
        actor: AccountId,
        account: AccountId,
        ip: Option<&str>,
    ) -> Result<u64, AuthError> {
        let n = self.store.revoke_sessions_of(account, self.clock.now())?;
        self.audit(
            actor,
            "sessions.revoked",
            &account.to_string(),
            serde_json::json!({ "count": n }),
            ip,
        )?;
        Ok(n)
    }

    pub(crate) fn audit(
        &self,
        actor: AccountId,
        action: &str,
        target: &str,
        detail: serde_json::Value,
        ip: Option<&str>,
    ) -> Result<(), AuthError> {
        self.store.record_audit(
            &AuditEntry {
                actor: Some(actor),
                action: action.into(),
                target: target.into(),
                detail,
                ip: ip.map(str::to_owned),
            },
            self.clock.now(),
        )?;
        Ok(())
    }
}
