//! Device authorisation for `mosis login` (RFC 8628's shape): the CLI gets a secret
//! device code and a short user code; a signed-in user approves the user code in the
//! dashboard, choosing scopes; the CLI polls with the device code and receives one API
//! token. Only the device code's hash is stored.

use crate::error::AuthError;
use crate::principal::Principal;
use crate::scope::Scope;
use crate::service::{Authenticator, IssuedToken};
use crate::token::{random_bytes, random_text, stored_hash};
use mosis_storage::{
    Accounts, AuditEntry, AuditLog, DeviceAuth, DeviceAuthState, DeviceAuthorizations,
    NewDeviceAuth, Origin, Sessions, StorageError, Tokens,
};

/// How long a code may wait for approval.
pub const DEVICE_CODE_TTL_SECS: i64 = 600;
/// How often the CLI should poll.
pub const POLL_INTERVAL_SECS: u64 = 5;
/// How long a token issued to a device lasts.
const DEVICE_TOKEN_DAYS: i64 = 90;
/// User-code letters: no vowels (no words), no look-alikes (RFC 8628 §6.1).
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// What the CLI gets when it starts.
#[derive(Debug)]
pub struct DeviceStart {
    /// The secret the CLI polls with.
    pub device_code: String,
    /// The code the user types, `XXXX-XXXX`.
    pub user_code: String,
    /// Seconds until both expire.
    pub expires_in: i64,
}

/// The answer to a poll.
#[derive(Debug)]
pub enum DevicePoll {
    /// Not decided yet.
    Pending,
    /// The user denied it.
    Denied,
    /// Nobody decided in time.
    Expired,
    /// Approved: the token, handed out once.
    Approved(IssuedToken),
}

/// Normalises what a user typed: uppercase, spaces and dashes dropped, `XXXX-XXXX`.
/// `None` if it cannot be a user code.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let letters: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (letters.len() == 8 && letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &letters[..4], &letters[4..]))
}

fn user_code() -> Result<String, AuthError> {
    let bytes = random_bytes::<8>()?;
    let letters: String = bytes
        .iter()
        .map(|b| char::from(USER_CODE_ALPHABET[usize::from(*b) % USER_CODE_ALPHABET.len()]))
        .collect();
    Ok(format!("{}-{}", &letters[..4], &letters[4..]))
}

fn unknown_code() -> AuthError {
    AuthError::Invalid {
        reason:
            "that code is not known; check it against your terminal, or run `mosis login` again"
                .into(),
    }
}

impl<S: Accounts + Tokens + Sessions + AuditLog + DeviceAuthorizations> Authenticator<S> {
    /// Starts a device authorisation asking for `scopes`. `client` and `host` are what
    /// the CLI says about itself, shown (as self-reported) on the approval page.
    pub fn start_device_auth(
        &self,
        scopes: &[Scope],
        client: &str,
        host: &str,
        ip: Option<&str>,
    ) -> Result<DeviceStart, AuthError> {
        if scopes.is_empty() {
            return Err(AuthError::Invalid {
                reason: "scope: ask for at least one scope".into(),
            });
        }
        let clip = |s: &str| s.chars().filter(|c| !c.is_control()).take(100).collect();
        let now = self.clock().now();
        let device_code = random_text::<32>()?;
        // A user-code collision with a live code is unlikely (20^8); retry a few times.
        for _ in 0..5 {
            let new = NewDeviceAuth {
                code_hash: stored_hash(&device_code),
                user_code: user_code()?,
                scopes: scopes.iter().map(Scope::to_string).collect(),
                expires_at: now + DEVICE_CODE_TTL_SECS,
                origin: Origin {
                    ip: ip.map(str::to_owned),
                    client: clip(client),
                },
                host: clip(host),
            };
            match self.store().start_device_auth(&new, now) {
                Ok(auth) => {
                    return Ok(DeviceStart {
                        device_code,
                        user_code: auth.user_code,
                        expires_in: DEVICE_CODE_TTL_SECS,
                    });
                }
                Err(StorageError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AuthError::Crypto("could not find a free user code".into()))
    }

    /// The authorisation a user typed the code of (any spelling), for the approval page.
    pub fn device_auth(&self, typed: &str) -> Result<DeviceAuth, AuthError> {
        let code = normalize_user_code(typed).ok_or_else(unknown_code)?;
        self.store()
            .device_auth_by_user_code(&code)
            .map_err(|e| match e {
                StorageError::NotFound { .. } => unknown_code(),
                other => other.into(),
            })
    }

    /// Approves (with `scopes`, each of which `approver` may hold) or denies a pending,
    /// unexpired authorisation. Audited.
    pub fn decide_device_auth(
        &self,
        approver: &Principal,
        typed: &str,
        approve: bool,
        scopes: &[Scope],
        ip: Option<&str>,
    ) -> Result<DeviceAuth, AuthError> {
        let auth = self.device_auth(typed)?;
        if approve {
            if scopes.is_empty() {
                return Err(AuthError::Invalid {
                    reason: "choose at least one scope to approve".into(),
                });
            }
            if let Some(missing) = scopes
                .iter()
                .find(|s| !crate::principal::account_may(&approver.account, s))
            {
                return Err(AuthError::forbidden(format!(
                    "your account cannot grant the `{missing}` scope"
                )));
            }
        }
        let now = self.clock().now();
        let granted: Vec<String> = scopes.iter().map(Scope::to_string).collect();
        let decided = self
            .store()
            .decide_device_auth(
                &auth.user_code,
                approve.then_some(approver.account.id),
                &granted,
                now,
            )
            .map_err(|e| match e {
                StorageError::Conflict { what } => AuthError::Invalid { reason: what },
                other => other.into(),
            })?;
        self.store().record_audit(
            &AuditEntry {
                actor: Some(approver.account.id),
                action: if approve {
                    "device.approved"
                } else {
                    "device.denied"
                }
                .into(),
                target: auth.user_code.clone(),
                detail: serde_json::json!({
                    "scopes": granted,
                    "client": auth.origin.client,
                    "host": auth.host,
                    "from_ip": auth.origin.ip,
                }),
                ip: ip.map(str::to_owned),
            },
            now,
        )?;
        Ok(decided)
    }

    /// The CLI's poll: pending, denied, expired, or — once — the approved token.
    pub fn poll_device_auth(&self, device_code: &str) -> Result<DevicePoll, AuthError> {
        let hash = stored_hash(device_code);
        let auth = self
            .store()
            .device_auth_by_code_hash(&hash)
            .map_err(|e| match e {
                StorageError::NotFound { .. } => AuthError::Invalid {
                    reason: "the device code is not known".into(),
                },
                other => other.into(),
            })?;
        let now = self.clock().now();
        match auth.state {
            DeviceAuthState::Denied => return Ok(DevicePoll::Denied),
            DeviceAuthState::Consumed => {
                return Err(AuthError::Invalid {
                    reason: "this device code was used already; run `mosis login` again".into(),
                });
            }
            _ if auth.expires_at <= now => return Ok(DevicePoll::Expired),
            DeviceAuthState::Pending => return Ok(DevicePoll::Pending),
            DeviceAuthState::Approved => {}
        }
        let consumed = self.store().consume_device_auth(&hash, now)?;
        let account_id = consumed
            .account_id
            .ok_or_else(|| AuthError::Crypto("an approved device login has no account".into()))?;
        let account = self.store().account(account_id)?;
        let scopes = Scope::parse_list(&consumed.scopes).map_err(|e| AuthError::Invalid {
            reason: format!("the approved scopes are invalid: {e}"),
        })?;
        let host = if consumed.host.is_empty() {
            "a device".to_owned()
        } else {
            consumed.host.clone()
        };
        let issued = self.issue_token(
            &account,
            &format!("mosis login on {host}"),
            &scopes,
            Some(now + DEVICE_TOKEN_DAYS * 86_400),
            consumed.origin.ip.as_deref(),
        )?;
        Ok(DevicePoll::Approved(issued))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(
            normalize_user_code("bcdf-ghjk").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(
            normalize_user_code(" BCDF GHJK ").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(
            normalize_user_code("bcdfghjk").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(
            normalize_user_code("ABCD-EFGH"),
            None,
            "vowels are never in a code"
        );
        assert_eq!(normalize_user_code("BCD"), None);
    }

    #[test]
    fn generated_codes_use_the_alphabet() {
        for _ in 0..50 {
            let code = user_code().unwrap();
            assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
        }
    }
}
