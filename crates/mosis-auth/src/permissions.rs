//! One permission check per action. Every route calls exactly one of these before it
//! touches anything; the web crate's authorization matrix test proves the mapping.
//!
//! Each returns `Err(AuthError::Forbidden)` naming the missing right.

use crate::error::AuthError;
use crate::principal::{Credential, Principal};
use crate::scope::Scope;
use mosis_domain::AppId;
use mosis_storage::{AccountId, App, UnixTime};

type Check = Result<(), AuthError>;

fn require(principal: &Principal, scope: Scope, action: &str) -> Check {
    if principal.allows(&scope) {
        Ok(())
    } else {
        Err(AuthError::forbidden(format!(
            "{action} needs the `{scope}` scope"
        )))
    }
}

/// `GET /me`: any authenticated caller may see who they are.
pub fn view_self(_principal: &Principal) -> Check {
    Ok(())
}

/// Listing the caller's apps.
pub fn list_apps(principal: &Principal) -> Check {
    require(principal, Scope::Read, "listing apps")
}

/// Reading an app, its versions and packages: its owner (with `read`, or a token for
/// publishing that app), or a reviewer or admin with their scope.
pub fn view_app(principal: &Principal, app: &App) -> Check {
    if app.owner_id == principal.account.id {
        if principal.allows(&Scope::Read)
            || principal.allows(&Scope::PublishApp(app.app_id.clone()))
        {
            return Ok(());
        }
        return require(principal, Scope::Read, "reading an app");
    }
    if principal.allows(&Scope::Review) {
        return Ok(());
    }
    Err(AuthError::forbidden(format!(
        "app {} belongs to another developer",
        app.app_id
    )))
}

/// Registering an app id.
pub fn register_app(principal: &Principal, app_id: &AppId) -> Check {
    require(
        principal,
        Scope::PublishApp(app_id.clone()),
        "registering an app",
    )
}

/// Uploading a version: a publish scope for the app, and the app is the caller's (or
/// unclaimed, when `owner` is `None`: the upload claims it). Admins do not upload for
/// others.
pub fn upload_version(principal: &Principal, app_id: &AppId, owner: Option<AccountId>) -> Check {
    require(
        principal,
        Scope::PublishApp(app_id.clone()),
        "uploading a version",
    )?;
    match owner {
        Some(owner) if owner != principal.account.id => Err(AuthError::forbidden(format!(
            "app id {app_id} is registered to another developer"
        ))),
        _ => Ok(()),
    }
}

/// Listing the caller's signing keys.
pub fn view_keys(principal: &Principal) -> Check {
    require(principal, Scope::Read, "listing signing keys")
}

/// Registering or revoking the caller's signing keys: decides which packages the portal
/// accepts as theirs, so it needs the unrestricted `publish` scope.
pub fn manage_keys(principal: &Principal) -> Check {
    require(principal, Scope::Publish, "managing signing keys")
}

/// Listing the caller's API tokens.
pub fn view_tokens(principal: &Principal) -> Check {
    require(principal, Scope::Read, "listing API tokens")
}

/// Creating an API token: it may carry only scopes this request may use, and a token
/// cannot outlive the token that created it.
pub fn create_token(
    principal: &Principal,
    scopes: &[Scope],
    expires_at: Option<UnixTime>,
) -> Check {
    if let Some(missing) = scopes.iter().find(|s| !principal.allows(s)) {
        return Err(AuthError::forbidden(format!(
            "cannot grant the `{missing}` scope: this credential or account does not have it"
        )));
    }
    if let Credential::Token {
        expires_at: Some(limit),
        ..
    } = principal.credential
        && expires_at.is_none_or(|e| e > limit)
    {
        return Err(AuthError::forbidden(
            "a token created with an expiring token must expire no later than it",
        ));
    }
    Ok(())
}

/// Revoking one of the caller's own tokens: any authenticated caller may reduce its own
/// access.
pub fn revoke_token(_principal: &Principal) -> Check {
    Ok(())
}

/// Approving a device login: a browser session only (a token cannot approve another
/// device), and only scopes the account may hold (checked when deciding).
pub fn approve_device(principal: &Principal) -> Check {
    match principal.credential {
        Credential::Session { .. } => Ok(()),
        Credential::Token { .. } => Err(AuthError::forbidden(
            "device logins are approved in the dashboard, signed in with a browser",
        )),
    }
}

/// Reading one's own account page and security history.
pub fn view_account(principal: &Principal) -> Check {
    require(principal, Scope::Read, "read your account")
}

/// Managing users: roles, suspension, sessions, linked identities.
pub fn manage_users(principal: &Principal) -> Check {
    require(principal, Scope::Admin, "manage users")
}

/// Reading the whole audit log.
pub fn view_audit_log(principal: &Principal) -> Check {
    require(principal, Scope::Admin, "read the audit log")
}

/// Reading the review queue: reviewers and admins (with the `review` scope).
pub fn review_queue(principal: &Principal) -> Check {
    require(principal, Scope::Review, "reading the review queue")
}

/// Changing an app's risk-based review override: admins only.
pub fn set_auto_approve(principal: &Principal) -> Check {
    require(
        principal,
        Scope::Admin,
        "changing an app's risk-based review setting",
    )
}

/// Who the caller is to an app's versions when acting on them (approve, reject,
/// promote, suspend); the review state machine then decides what that role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseRole {
    /// The app's owner, with a publish scope for it. Owners never review their own app,
    /// even when they are reviewers.
    Owner,
    /// A reviewer or admin, with the `review` scope, who does not own the app.
    Reviewer,
}

/// Acting on an app's versions: its owner (with a publish scope for the app), or a
/// reviewer (with the `review` scope) who does not own it.
pub fn act_on_release(principal: &Principal, app: &App) -> Result<ReleaseRole, AuthError> {
    if app.owner_id == principal.account.id {
        require(
            principal,
            Scope::PublishApp(app.app_id.clone()),
            "managing your app's releases",
        )?;
        return Ok(ReleaseRole::Owner);
    }
    if principal.allows(&Scope::Review) {
        return Ok(ReleaseRole::Reviewer);
    }
    Err(AuthError::forbidden(format!(
        "app {} belongs to another developer; reviewing it needs the `review` scope",
        app.app_id
    )))
}
