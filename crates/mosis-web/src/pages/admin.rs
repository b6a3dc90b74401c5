//! Admin pages: users (roles, suspension, sessions, linked identities) and the audit log.

use super::{FormData, Reply, context, render, show, submit, when};
use crate::actions;
use crate::browser::{SessionCookie, SignedIn};
use crate::error::ApiError;
use crate::state::{AppState, State};
use actix_web::http::StatusCode;
use actix_web::web::{Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_storage::{
    Account, AccountId, Accounts as _, AuditLog as _, AuditRecord, Role, UnixTime,
};
use std::collections::HashMap;

/// Audit entries per page.
pub(super) const AUDIT_PAGE: u32 = 50;

/// `?before=`
#[derive(Debug, serde::Deserialize)]
pub struct Page {
    before: Option<i64>,
}

/// Puts audit entries (with actor names) and the "older" cursor into `ctx`.
pub(super) fn audit_rows(
    state: &AppState,
    ctx: &mut tera::Context,
    entries: &[AuditRecord],
    now: UnixTime,
) -> Result<(), ApiError> {
    let mut names: HashMap<AccountId, String> = HashMap::new();
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        let actor = match e.entry.actor {
            None => "system".to_owned(),
            Some(id) => match names.get(&id) {
                Some(name) => name.clone(),
                None => {
                    let name = state
                        .store
                        .account(id)
                        .map_or_else(|_| format!("account {id}"), |a| a.name);
                    names.insert(id, name.clone());
                    name
                }
            },
        };
        rows.push(serde_json::json!({
            "at": when(e.at, now),
            "actor": actor,
            "action": e.entry.action,
            "target": e.entry.target,
            "detail": if e.entry.detail == serde_json::json!({}) { String::new() } else { e.entry.detail.to_string() },
            "ip": e.entry.ip.clone().unwrap_or_default(),
        }));
    }
    ctx.insert("entries", &rows);
    ctx.insert(
        "older",
        &(entries.len() == AUDIT_PAGE as usize).then(|| entries.last().map(|e| e.id)),
    );
    Ok(())
}

/// `GET /admin/users`
pub async fn users(state: State, cookie: SessionCookie) -> Result<HttpResponse, ApiError> {
    show(&state, cookie, |state, me| {
        permissions::manage_users(&me.principal)?;
        let now = state.auth.clock().now();
        let mut users = Vec::new();
        for a in state.store.list_accounts()? {
            let identities: Vec<String> = state
                .store
                .identities(a.id)?
                .into_iter()
                .map(|(p, s)| format!("{p}: {s}"))
                .collect();
            users.push(serde_json::json!({
                "id": a.id.0,
                "name": a.name,
                "identities": identities,
                "reviewer": a.roles.contains(&Role::Reviewer),
                "admin": a.roles.contains(&Role::Admin),
                "disabled": a.disabled,
                "created": when(a.created_at, now),
                "is_you": a.id == me.principal.account.id,
            }));
        }
        let providers = super::provider_list(state);
        let mut ctx = context(state, Some(me), "admin");
        ctx.insert("users", &users);
        ctx.insert("providers", &providers);
        Ok(Reply::ok(render(state, "pages/admin_users.html", &ctx)?))
    })
    .await
}

fn enabled_admins(state: &AppState) -> Result<usize, ApiError> {
    Ok(state
        .store
        .list_accounts()?
        .iter()
        .filter(|a| !a.disabled && a.roles.contains(&Role::Admin))
        .count())
}

fn conflict(message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "lockout", message)
}

/// Runs an admin action on user `{id}` (after the CSRF and admin checks; the account must
/// exist), then back to the users page.
async fn user_action(
    state: State,
    cookie: SessionCookie,
    path: Path<i64>,
    form: FormData,
    req: HttpRequest,
    action: impl FnOnce(&AppState, &SignedIn, Account, &FormData, Option<&str>) -> Result<(), ApiError>
    + Send
    + 'static,
) -> Result<HttpResponse, ApiError> {
    let id = AccountId(*path);
    submit(state, cookie, form, &req, move |state, me, form, ip| {
        permissions::manage_users(&me.principal)?;
        let account = state.store.account(id)?;
        action(state, me, account, form, ip)?;
        Ok(Reply::Redirect("/admin/users".into()))
    })
    .await
}

/// `POST /admin/users/{id}/roles`: sets the reviewer and admin roles. The last admin
/// cannot lose the role.
pub async fn set_roles(
    state: State,
    cookie: SessionCookie,
    path: Path<i64>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user_action(
        state,
        cookie,
        path,
        form,
        req,
        |state, me, account, form, ip| {
            let (id, wanted) = (account.id, form.all("role"));
            let now = state.auth.clock().now();
            for role in [Role::Reviewer, Role::Admin] {
                let want = wanted.iter().any(|r| r == role.as_str());
                let has = account.roles.contains(&role);
                if want == has {
                    continue;
                }
                if !want && role == Role::Admin && !account.disabled && enabled_admins(state)? <= 1
                {
                    return Err(conflict(
                        "this is the last admin: make another admin first, so nobody is locked out",
                    ));
                }
                if want {
                    state.store.grant_role(id, role, now)?;
                } else {
                    state.store.revoke_role(id, role)?;
                }
                actions::audit(
                    state,
                    &me.principal,
                    if want { "role.granted" } else { "role.revoked" },
                    account.name.clone(),
                    serde_json::json!({ "role": role.as_str() }),
                    ip,
                )?;
            }
            Ok(())
        },
    )
    .await
}

/// `POST /admin/users/{id}/disable`: suspends the account and ends its sessions at once.
pub async fn disable(
    state: State,
    cookie: SessionCookie,
    path: Path<i64>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user_action(
        state,
        cookie,
        path,
        form,
        req,
        |state, me, account, _, ip| {
            let id = account.id;
            if id == me.principal.account.id {
                return Err(conflict("you cannot suspend yourself"));
            }
            if account.roles.contains(&Role::Admin) && enabled_admins(state)? <= 1 {
                return Err(conflict("this is the last admin"));
            }
            state.store.set_disabled(id, true)?;
            state
                .auth
                .end_sessions_of(me.principal.account.id, id, ip)?;
            actions::audit(
                state,
                &me.principal,
                "account.disabled",
                account.name,
                serde_json::json!({}),
                ip,
            )
        },
    )
    .await
}

/// `POST /admin/users/{id}/enable`
pub async fn enable(
    state: State,
    cookie: SessionCookie,
    path: Path<i64>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user_action(
        state,
        cookie,
        path,
        form,
        req,
        |state, me, account, _, ip| {
            state.store.set_disabled(account.id, false)?;
            actions::audit(
                state,
                &me.principal,
                "account.enabled",
                account.name,
                serde_json::json!({}),
                ip,
            )
        },
    )
    .await
}

/// `POST /admin/users/{id}/sessions/revoke`: signs the user out everywhere, at once.
pub async fn end_sessions(
    state: State,
    cookie: SessionCookie,
    path: Path<i64>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user_action(
        state,
        cookie,
        path,
        form,
        req,
        |state, me, account, _, ip| {
            state
                .auth
                .end_sessions_of(me.principal.account.id, account.id, ip)?;
            Ok(())
        },
    )
    .await
}

/// `POST /admin/users/{id}/identities`: links a provider identity (provider, subject) to
/// the account, so its owner can sign in with it.
pub async fn link_identity(
    state: State,
    cookie: SessionCookie,
    path: Path<i64>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user_action(
        state,
        cookie,
        path,
        form,
        req,
        |state, me, account, form, ip| {
            let provider = form.text("provider");
            let subject = form.text("subject").trim().to_owned();
            state.sign_in.provider(&provider)?;
            if subject.is_empty() || subject.len() > 255 {
                return Err(ApiError::bad_request(
                    "invalid_subject",
                    "subject: the provider's user id, 1 to 255 characters",
                ));
            }
            state
                .store
                .link_identity(account.id, &provider, &subject, state.auth.clock().now())?;
            actions::audit(
                state,
                &me.principal,
                "identity.linked",
                account.name,
                serde_json::json!({ "provider": provider, "subject": subject }),
                ip,
            )
        },
    )
    .await
}

/// `GET /admin/audit[?before=ID]`
pub async fn audit(
    state: State,
    cookie: SessionCookie,
    page: Query<Page>,
) -> Result<HttpResponse, ApiError> {
    let before = page.before;
    show(&state, cookie, move |state, me| {
        permissions::view_audit_log(&me.principal)?;
        let now = state.auth.clock().now();
        let entries = state.store.audit_entries(None, before, AUDIT_PAGE)?;
        let mut ctx = context(state, Some(me), "admin");
        audit_rows(state, &mut ctx, &entries, now)?;
        Ok(Reply::ok(render(state, "pages/admin_audit.html", &ctx)?))
    })
    .await
}
