//! The account page: identities, live sessions, the account's own security history.

use super::admin::audit_rows;
use super::{FormData, Reply, context, render, show, submit, when};
use crate::browser::{SessionCookie, clear_session_cookie};
use crate::error::ApiError;
use crate::state::State;
use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_storage::{Accounts as _, AuditLog as _, Sessions as _};

/// `?before=` for paging the history.
#[derive(Debug, serde::Deserialize)]
pub struct Page {
    before: Option<i64>,
}

/// `GET /account`
pub async fn show_account(
    state: State,
    cookie: SessionCookie,
    page: Query<Page>,
) -> Result<HttpResponse, ApiError> {
    let before = page.before;
    show(&state, cookie, move |state, me| {
        permissions::view_account(&me.principal)?;
        let account = &me.principal.account;
        let now = state.auth.clock().now();
        let identities: Vec<_> = state
            .store
            .identities(account.id)?
            .into_iter()
            .map(|(provider, subject)| serde_json::json!({ "provider": provider, "subject": subject }))
            .collect();
        let sessions: Vec<_> = state
            .store
            .sessions_of(account.id, now)?
            .iter()
            .map(|s| {
                serde_json::json!({
                    "client": if s.origin.client.is_empty() { "unknown browser" } else { &s.origin.client },
                    "ip": s.origin.ip.clone().unwrap_or_default(),
                    "created": when(s.created_at, now),
                    "last_seen": when(s.last_seen_at, now),
                    "current": s.id == me.session_id,
                })
            })
            .collect();
        let entries = state.store.audit_entries(Some(account.id), before, super::admin::AUDIT_PAGE)?;
        let mut ctx = context(state, Some(me), "account");
        ctx.insert(
            "account",
            &serde_json::json!({
                "email": account.email,
                "roles": account.roles.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }),
        );
        ctx.insert("identities", &identities);
        ctx.insert("sessions", &sessions);
        audit_rows(state, &mut ctx, &entries, now)?;
        Ok(Reply::ok(render(state, "pages/account.html", &ctx)?))
    })
    .await
}

/// `POST /account/sessions/revoke`: signs out every session of the account, this one
/// included.
pub async fn sign_out_everywhere(
    state: State,
    cookie: SessionCookie,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let clear = clear_session_cookie(&state);
    let mut response = submit(state, cookie, form, &req, |state, me, _, ip| {
        let id = me.principal.account.id;
        state.auth.end_sessions_of(id, id, ip)?;
        Ok(Reply::Redirect("/login".into()))
    })
    .await?;
    let _ = response.add_cookie(&clear);
    Ok(response)
}
