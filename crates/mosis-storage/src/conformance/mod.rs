//! The conformance suite: behaviour every implementation of the repository traits must
//! show. [`portal_suite`] and [`telemetry_suite`] take a factory for fresh, empty stores
//! and panic with a message naming the broken rule. The SQLite implementation runs them in
//! `tests/it`; a new implementation (say, Postgres) runs them the same way.

use crate::repos::*;
use crate::{StorageError, UnixTime};
use mosis_domain::{AppId, PublicKey, Sha256, SigningKey};

/// Every portal repository at once.
pub trait PortalStore:
    Accounts
    + SigningKeys
    + Apps
    + Versions
    + Releases
    + ReviewQueue
    + Tokens
    + Sessions
    + DeviceAuthorizations
    + SignIns
    + AuditLog
{
}

impl<T> PortalStore for T where
    T: Accounts
        + SigningKeys
        + Apps
        + Versions
        + Releases
        + ReviewQueue
        + Tokens
        + Sessions
        + DeviceAuthorizations
        + SignIns
        + AuditLog
{
}

mod identity;
mod publishing;
mod telemetry;

use identity::*;
use publishing::*;
use telemetry::*;

const NOW: UnixTime = 1_796_398_245;

/// Runs every portal check, each on a fresh store from `fresh`.
pub fn portal_suite<S: PortalStore>(fresh: impl Fn() -> S) {
    accounts(&fresh());
    signing_keys(&fresh());
    apps(&fresh());
    versions(&fresh());
    newest_versions(&fresh());
    uploads(&fresh());
    releases(&fresh());
    review_queue(&fresh());
    tokens(&fresh());
    sessions(&fresh());
    device_authorizations(&fresh());
    sign_ins(&fresh());
    audit_log(&fresh());
}

/// Runs every telemetry check on a fresh store from `fresh`.
pub fn telemetry_suite<S: Telemetry>(fresh: impl Fn() -> S) {
    telemetry(&fresh());
}

fn is_conflict<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(StorageError::Conflict { .. }))
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(StorageError::NotFound { .. }))
}

fn app_id(s: &str) -> AppId {
    AppId::parse(s).expect("valid test app id")
}

fn key(seed: u8) -> PublicKey {
    SigningKey::from_seed([seed; 32])
        .expect("valid seed")
        .public_key()
}

/// An account with a registered key and an app.
fn developer<S: PortalStore>(s: &S, name: &str, app: &str) -> (AccountId, PublicKey, AppId) {
    let account = s
        .create_account(name, None, NOW)
        .expect("create account")
        .id;
    let public = key(name
        .bytes()
        .fold(1u8, |a, b| a.wrapping_mul(31).wrapping_add(b)));
    s.add_key(account, &public, "laptop", NOW).expect("add key");
    let id = app_id(app);
    s.create_app(&id, account, "App", NOW).expect("create app");
    (account, public, id)
}

fn upload<S: PortalStore>(
    s: &S,
    owner: AccountId,
    public: &PublicKey,
    app: &AppId,
    version: &str,
) -> VersionRecord {
    let new = NewVersion {
        app_id: app.clone(),
        version: version.parse().expect("valid version"),
        size: 1234,
        sha256: Sha256::of(version.as_bytes()),
        key_id: public.key_id(),
        manifest_json: format!(r#"{{"id":"{app}","version":"{version}"}}"#),
        uploaded_by: owner,
        requested_channel: Some(Channel::Beta),
    };
    s.create_version(&new, NOW).expect("create version")
}
