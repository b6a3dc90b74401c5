//! Browser sign-in around the providers: the round trip's secrets kept server-side, the
//! account an identity signs in as, and the first-run bootstrap link.
//!
//! Storage steps are blocking (SQLite) and provider steps are async (HTTP), so the web
//! layer runs each where it belongs: [`SignIn::remember`] / [`SignIn::take`] /
//! [`SignIn::account_for`] on the blocking pool, [`crate::Provider::authorize`] /
//! [`crate::Provider::identify`] on the executor.

use crate::error::AuthError;
use crate::providers::{Authorization, Identity, Provider, http_client};
use crate::token::{constant_time_eq, random_text, stored_hash};
use mosis_storage::Clock;
use mosis_storage::{
    Account, Accounts, AuditEntry, AuditLog, SignInFlow, SignIns, StorageError, UnixTime,
};
use std::sync::Arc;

/// How long a browser may take at the provider.
const FLOW_TTL_SECS: i64 = 600;
/// The longest account name made from a provider's user name.
const MAX_NAME_CHARS: usize = 40;

/// Sign-in with the configured providers.
#[derive(Debug)]
pub struct SignIn<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    providers: Vec<Provider>,
    http: reqwest::Client,
}

/// A `next` parameter made safe: a same-origin path, else `/apps`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 512
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/apps".to_owned(),
    }
}

/// An account name from a provider's user name: lowercase letters, digits, `-`, `_`, `.`.
fn account_name(identity: &Identity) -> String {
    let raw = identity
        .username
        .clone()
        .unwrap_or_else(|| format!("{}-{}", identity.provider, identity.subject));
    let name: String = raw
        .chars()
        .filter_map(|c| {
            let c = c.to_ascii_lowercase();
            (c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).then_some(c)
        })
        .take(MAX_NAME_CHARS)
        .collect();
    if name.is_empty() {
        format!("{}-user", identity.provider)
    } else {
        name
    }
}

impl<S: SignIns + Accounts + AuditLog> SignIn<S> {
    /// Sign-in over `store` with `providers`.
    pub fn new(
        store: Arc<S>,
        clock: Arc<dyn Clock>,
        providers: Vec<Provider>,
    ) -> Result<Self, AuthError> {
        Ok(Self {
            store,
            clock,
            providers,
            http: http_client()?,
        })
    }

    /// The configured providers, in config order.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// One provider by id.
    pub fn provider(&self, id: &str) -> Result<&Provider, AuthError> {
        self.providers
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| AuthError::Invalid {
                reason: format!("no sign-in provider `{id}` is configured"),
            })
    }

    /// The HTTP client providers are called with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Stores a round trip that is about to leave for `provider` (blocking).
    pub fn remember(
        &self,
        provider: &str,
        authorization: &Authorization,
        next: &str,
    ) -> Result<(), AuthError> {
        let now = self.clock.now();
        Ok(self.store.start_sign_in(
            &SignInFlow {
                state_hash: stored_hash(&authorization.state),
                provider: provider.to_owned(),
                nonce: authorization.nonce.clone(),
                pkce_verifier: authorization.pkce_verifier.clone(),
                next: next.to_owned(),
                expires_at: now + FLOW_TTL_SECS,
            },
            now,
        )?)
    }

    /// Takes the round trip a callback belongs to (blocking). The callback's `state` must
    /// equal the one bound to this browser (`bound`, from its cookie), and the flow must
    /// be unused, unexpired and for `provider`.
    pub fn take(
        &self,
        provider: &str,
        state: &str,
        bound: Option<&str>,
    ) -> Result<SignInFlow, AuthError> {
        let expired = "the sign-in expired or was already used; please try again";
        match bound {
            Some(bound) if constant_time_eq(bound.as_bytes(), state.as_bytes()) => {}
            _ => {
                return Err(AuthError::unauthenticated(
                    "the sign-in did not start in this browser (state mismatch); please try again",
                ));
            }
        }
        let flow = self
            .store
            .take_sign_in(&stored_hash(state), self.clock.now())
            .map_err(|e| match e {
                StorageError::NotFound { .. } => AuthError::unauthenticated(expired),
                other => other.into(),
            })?;
        if flow.provider != provider {
            return Err(AuthError::unauthenticated(expired));
        }
        Ok(flow)
    }

    /// The account `identity` signs in as (blocking): its linked account, or — on a first
    /// sign-in — a new account linked to it. A disabled account is refused. Audited.
    pub fn account_for(&self, identity: &Identity, ip: Option<&str>) -> Result<Account, AuthError> {
        let now = self.clock.now();
        let account = match self
            .store
            .account_by_identity(&identity.provider, &identity.subject)
        {
            Ok(account) => account,
            Err(StorageError::NotFound { .. }) => self.create_for(identity, ip, now)?,
            Err(e) => return Err(e.into()),
        };
        if account.disabled {
            self.audit(
                Some(&account),
                "login.refused",
                identity,
                "account disabled",
                ip,
            )?;
            return Err(AuthError::forbidden(
                "this account is suspended; ask an admin of this portal",
            ));
        }
        self.audit(Some(&account), "login", identity, "", ip)?;
        Ok(account)
    }

    fn create_for(
        &self,
        identity: &Identity,
        ip: Option<&str>,
        now: UnixTime,
    ) -> Result<Account, AuthError> {
        let base = account_name(identity);
        let mut attempt = 1;
        let account = loop {
            let name = if attempt == 1 {
                base.clone()
            } else {
                format!("{base}-{attempt}")
            };
            match self
                .store
                .create_account(&name, identity.email.as_deref(), now)
            {
                Ok(account) => break account,
                Err(StorageError::Conflict { .. }) if attempt < 50 => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        };
        self.store
            .link_identity(account.id, &identity.provider, &identity.subject, now)?;
        self.audit(Some(&account), "account.created", identity, "", ip)?;
        Ok(account)
    }

    /// Records a refused sign-in (no actor: nobody is signed in).
    pub fn record_failure(
        &self,
        provider: &str,
        reason: &str,
        ip: Option<&str>,
    ) -> Result<(), AuthError> {
        let entry = AuditEntry {
            actor: None,
            action: "login.failed".into(),
            target: provider.to_owned(),
            detail: serde_json::json!({ "reason": reason }),
            ip: ip.map(str::to_owned),
        };
        self.store.record_audit(&entry, self.clock.now())?;
        Ok(())
    }

    fn audit(
        &self,
        account: Option<&Account>,
        action: &str,
        identity: &Identity,
        reason: &str,
        ip: Option<&str>,
    ) -> Result<(), AuthError> {
        let mut detail = serde_json::json!({ "provider": identity.provider });
        if !reason.is_empty() {
            detail["reason"] = reason.into();
        }
        self.store.record_audit(
            &AuditEntry {
                actor: account.map(|a| a.id),
                action: action.into(),
                target: format!("{}:{}", identity.provider, identity.subject),
                detail,
                ip: ip.map(str::to_owned),
            },
            self.clock.now(),
        )?;
        Ok(())
    }

    /// Mints a bootstrap link secret valid for `ttl_secs` (only its hash is stored). The
    /// caller prints `/setup?token=SECRET`.
    pub fn create_bootstrap_link(&self, ttl_secs: i64) -> Result<String, AuthError> {
        let secret = random_text::<32>()?;
        let now = self.clock.now();
        self.store
            .create_bootstrap_link(&stored_hash(&secret), now + ttl_secs, now)?;
        Ok(secret)
    }

    /// Claims the instance with a bootstrap link: creates the first admin, `name`. Used,
    /// expired and unknown links, and an instance that has an admin, are refused. Audited.
    pub fn claim(&self, secret: &str, name: &str, ip: Option<&str>) -> Result<Account, AuthError> {
        let now = self.clock.now();
        let account = self
            .store
            .claim_with_bootstrap(&stored_hash(secret), name, now)
            .map_err(|e| match e {
                StorageError::NotFound { .. } => {
                    AuthError::unauthenticated("this bootstrap link is not valid")
                }
                other => other.into(),
            })?;
        self.store.record_audit(
            &AuditEntry {
                actor: Some(account.id),
                action: "instance.claimed".into(),
                target: account.name.clone(),
                detail: serde_json::json!({ "role": "admin" }),
                ip: ip.map(str::to_owned),
            },
            now,
        )?;
        Ok(account)
    }
}
