//! What the API and the dashboard both do, once: each action checks its permission,
//! validates its input (errors name the field), changes the store and writes the audit
//! log. Blocking (SQLite): call inside `blocking`.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use mosis_auth::{IssuedToken, Principal, Scope, permissions};
use mosis_domain::{AppId, KeyId, PublicKey};
use mosis_storage::{
    App, Apps, AuditEntry, AuditLog as _, SigningKeyRecord, SigningKeys, StorageError, TokenId,
    UnixTime,
};

/// The longest listing name accepted.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest key label accepted.
pub const MAX_LABEL_CHARS: usize = 100;
/// The longest token expiry accepted, in days.
pub const MAX_EXPIRY_DAYS: u32 = 3650;

/// Appends an audit entry for an action of `actor`.
pub fn audit(
    state: &AppState,
    actor: &Principal,
    action: &str,
    target: String,
    detail: serde_json::Value,
    ip: Option<&str>,
) -> Result<(), ApiError> {
    state.store.record_audit(
        &AuditEntry {
            actor: Some(actor.account.id),
            action: action.into(),
            target,
            detail,
            ip: ip.map(str::to_owned),
        },
        state.auth.clock().now(),
    )?;
    Ok(())
}

/// Parses an app id typed by a person or sent by a client.
pub fn parse_app_id(text: &str) -> Result<AppId, ApiError> {
    AppId::parse(text.trim())
        .map_err(|e| ApiError::bad_request("invalid_app_id", format!("app_id: {e}")))
}

/// A listing name: trimmed, 1 to [`MAX_NAME_CHARS`] characters; the id when empty.
pub fn listing_name(name: Option<&str>, id: &AppId) -> Result<String, ApiError> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let name = name.map_or_else(|| id.to_string(), str::to_owned);
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_name",
            format!("name: must have 1 to {MAX_NAME_CHARS} characters and no control characters"),
        ));
    }
    Ok(name)
}

/// Registers `id` to the caller under `name`. 409 `app_exists` if it is taken. Audited.
pub fn register_app(
    state: &AppState,
    caller: &Principal,
    id: &AppId,
    name: &str,
    ip: Option<&str>,
) -> Result<App, ApiError> {
    permissions::register_app(caller, id)?;
    let now = state.auth.clock().now();
    let app = state
        .store
        .create_app(id, caller.account.id, name, now)
        .map_err(|e| match e {
            StorageError::Conflict { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "app_exists",
                format!("app_id: {id} is registered already"),
            ),
            other => other.into(),
        })?;
    audit(
        state,
        caller,
        "app.registered",
        id.to_string(),
        serde_json::json!({ "name": name }),
        ip,
    )?;
    Ok(app)
}

/// Parses a public key: a `.pub` file's text or the bare base64 key.
pub fn parse_public_key(text: &str) -> Result<PublicKey, ApiError> {
    let text = text.trim();
    if text.starts_with("mosis-") {
        PublicKey::from_file_text(text)
    } else {
        PublicKey::from_base64(text)
    }
    .map_err(|reason| ApiError::bad_request("invalid_key", format!("public_key: {reason}")))
}

/// Registers a signing key for the caller. 409 `key_exists` if it is registered. Audited.
pub fn add_key(
    state: &AppState,
    caller: &Principal,
    public: &PublicKey,
    label: &str,
    ip: Option<&str>,
) -> Result<SigningKeyRecord, ApiError> {
    let label = label.trim();
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(ApiError::bad_request(
            "invalid_label",
            format!("label: at most {MAX_LABEL_CHARS} characters"),
        ));
    }
    permissions::manage_keys(caller)?;
    let now = state.auth.clock().now();
    let record = state
        .store
        .add_key(caller.account.id, public, label, now)
        .map_err(|e| match e {
            StorageError::Conflict { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "key_exists",
                format!("public_key: key {} is registered already", public.key_id()),
            ),
            other => other.into(),
        })?;
    audit(
        state,
        caller,
        "key.added",
        record.key_id.to_string(),
        serde_json::json!({ "label": record.label }),
        ip,
    )?;
    Ok(record)
}

/// Parses a key id from a path.
pub fn parse_key_id(text: &str) -> Result<KeyId, ApiError> {
    KeyId::parse(text).map_err(|e| ApiError::bad_request("invalid_key_id", e.to_string()))
}

/// Revokes one of the caller's keys. Audited.
pub fn revoke_key(
    state: &AppState,
    caller: &Principal,
    key_id: KeyId,
    ip: Option<&str>,
) -> Result<(), ApiError> {
    permissions::manage_keys(caller)?;
    let now = state.auth.clock().now();
    state.store.revoke_key(caller.account.id, key_id, now)?;
    audit(
        state,
        caller,
        "key.revoked",
        key_id.to_string(),
        serde_json::json!({}),
        ip,
    )
}

/// A token expiry in days from `now`: `None` never expires; 1 to [`MAX_EXPIRY_DAYS`].
pub fn token_expiry(days: Option<u32>, now: UnixTime) -> Result<Option<UnixTime>, ApiError> {
    match days {
        None => Ok(None),
        Some(0) => Err(ApiError::bad_request(
            "invalid_expiry",
            "expires_days: must be at least 1",
        )),
        Some(days) if days > MAX_EXPIRY_DAYS => Err(ApiError::bad_request(
            "invalid_expiry",
            format!("expires_days: at most {MAX_EXPIRY_DAYS}"),
        )),
        Some(days) => Ok(Some(now + i64::from(days) * 86_400)),
    }
}

/// Parses requested scopes.
pub fn parse_scopes<S: AsRef<str>>(scopes: &[S]) -> Result<Vec<Scope>, ApiError> {
    Scope::parse_list(scopes)
        .map_err(|e| ApiError::bad_request("invalid_scope", format!("scopes: {e}")))
}

/// Creates a token for the caller (audited by the authenticator).
pub fn create_token(
    state: &AppState,
    caller: &Principal,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<UnixTime>,
    ip: Option<&str>,
) -> Result<IssuedToken, ApiError> {
    permissions::create_token(caller, scopes, expires_at)?;
    Ok(state
        .auth
        .issue_token(&caller.account, name, scopes, expires_at, ip)?)
}

/// Revokes one of the caller's tokens (audited by the authenticator).
pub fn revoke_token(
    state: &AppState,
    caller: &Principal,
    id: TokenId,
    ip: Option<&str>,
) -> Result<(), ApiError> {
    permissions::revoke_token(caller)?;
    Ok(state.auth.revoke_token(caller.account.id, id, ip)?)
}
