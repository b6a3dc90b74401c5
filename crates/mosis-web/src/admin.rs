//! `portal-server admin …`, `backup` and `restore`: work on the data directory directly,
//! with or without the server running (restore needs it stopped).

use crate::config::Config;
use crate::portal::Portal;
use anyhow::Context as _;
use mosis_auth::{Authenticator, Clock as _, IssuedToken, Scope, SessionSigner, SystemClock};
use mosis_storage::{Account, Accounts, AuditEntry, AuditLog, Role, StorageError, backup};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A role named on the command line: `developer` is every account's, the others add rights.
pub fn parse_role(text: &str) -> anyhow::Result<Option<Role>> {
    match text {
        "developer" => Ok(None),
        "reviewer" => Ok(Some(Role::Reviewer)),
        "admin" => Ok(Some(Role::Admin)),
        other => anyhow::bail!("unknown role `{other}`: expected developer, reviewer or admin"),
    }
}

fn audit(
    portal: &Portal,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    portal.store.record_audit(
        &AuditEntry {
            actor: None,
            action: action.into(),
            target: target.into(),
            detail,
            ip: None,
        },
        SystemClock.now(),
    )?;
    Ok(())
}

/// Creates an account named `name` with `roles` (on top of developer).
pub fn create_user(config: &Config, name: &str, roles: &[Role]) -> anyhow::Result<Account> {
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 64,
        "--name: must have 1 to 64 characters"
    );
    let portal = Portal::open(&config.data)?;
    let now = SystemClock.now();
    let account = portal
        .store
        .create_account(name, None, now)
        .map_err(|e| match e {
            StorageError::Conflict { .. } => anyhow::anyhow!("a user named {name} exists already"),
            other => other.into(),
        })?;
    for role in roles {
        portal.store.grant_role(account.id, *role, now)?;
    }
    audit(
        &portal,
        "account.created",
        name,
        serde_json::json!({ "roles": roles.iter().map(ToString::to_string).collect::<Vec<_>>(), "via": "admin cli" }),
    )?;
    Ok(portal.store.account(account.id)?)
}

/// Creates an API token for user `name`.
pub fn create_token(
    config: &Config,
    user: &str,
    scopes: &[String],
    expires_days: Option<u32>,
) -> anyhow::Result<IssuedToken> {
    let scopes = Scope::parse_list(scopes).context("--scope")?;
    let portal = Portal::open(&config.data)?;
    let account = portal.store.account_by_name(user).map_err(|e| match e {
        StorageError::NotFound { .. } => {
            anyhow::anyhow!("no user named {user}: create it with `portal-server admin create-user --name {user}`")
        }
        other => other.into(),
    })?;
    let signer = SessionSigner::new(&portal.keys.session)?;
    let auth = Authenticator::new(portal.store.clone(), Arc::new(SystemClock), signer);
    let expires_at = match expires_days {
        Some(0) => anyhow::bail!("--expires-days: must be at least 1"),
        Some(days) => Some(SystemClock.now() + i64::from(days) * 86_400),
        None => None,
    };
    Ok(auth.issue_token(&account, "admin cli", &scopes, expires_at, None)?)
}

/// The root public key's file text, the trust root devices need.
pub fn trust_root(config: &Config) -> anyhow::Result<String> {
    Ok(Portal::open(&config.data)?.keys.trust_root())
}

/// Rotates the portal's online signing key (`keys/online.key`): the new key joins the
/// root-signed list, the old one stays in it so what it signed keeps verifying on
/// devices. Returns (old key id, new key id). A running server signs with the new key
/// after its next start. Audited.
pub fn rotate_online_key(
    config: &Config,
) -> anyhow::Result<(mosis_domain::KeyId, mosis_domain::KeyId)> {
    let portal = Portal::open(&config.data)?;
    let (old, new) = portal.keys.rotate_online(&config.data.join("keys"))?;
    audit(
        &portal,
        "online_key.rotated",
        &new.to_string(),
        serde_json::json!({ "previous": old.to_string() }),
    )?;
    Ok((old, new))
}

/// Backs up both databases into `{data}/backups/{timestamp}/`; returns the folder.
pub fn backup(config: &Config) -> anyhow::Result<PathBuf> {
    let portal = Portal::open(&config.data)?;
    Ok(backup::backup_now(
        &[portal.store.database(), portal.telemetry.database()],
        &config.data.join("backups"),
        config.backup_keep,
        SystemClock.now(),
    )?)
}

/// Restores from a backup folder or a single backed-up database file (the server must be
/// stopped). Returns the file names restored.
pub fn restore(config: &Config, source: &Path) -> anyhow::Result<Vec<&'static str>> {
    anyhow::ensure!(source.exists(), "{} does not exist", source.display());
    let restored = backup::restore(source, &config.data)
        .with_context(|| format!("restoring from {}", source.display()))?;
    Ok(restored.into_iter().map(|k| k.file_name()).collect())
}

/// Mints a new one-time bootstrap link (for an instance with no admin yet) and returns
/// its URL. Refused once an admin exists: then admins manage users in the dashboard.
pub fn bootstrap_link(config: &Config) -> anyhow::Result<String> {
    let portal = Portal::open(&config.data)?;
    anyhow::ensure!(
        !portal.store.has_admin()?,
        "this instance has an admin already; add more with `portal-server admin create-user --role admin` or in the dashboard"
    );
    let sign_in = mosis_auth::SignIn::new(portal.store.clone(), Arc::new(SystemClock), Vec::new())?;
    let secret = sign_in.create_bootstrap_link(crate::server::BOOTSTRAP_LINK_SECS)?;
    audit(&portal, "bootstrap.link_created", "", serde_json::json!({}))?;
    Ok(format!("{}/setup?token={secret}", config.base_url()))
}
