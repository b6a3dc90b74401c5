//! API tokens: list, create (the secret shown once), revoke.

use super::apps::field_of;
use super::{FormData, Reply, context, render, scope_choices, viewer, when};
use crate::actions;
use crate::api::client_ip;
use crate::browser::{SessionCookie, SignedIn};
use crate::error::{ApiError, blocking, reading};
use crate::state::{AppState, State};
use actix_web::http::StatusCode;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_storage::{TokenId, Tokens as _};

fn tokens_page(
    state: &AppState,
    me: &SignedIn,
    form: &FormData,
    created: Option<serde_json::Value>,
    errors: Option<serde_json::Value>,
) -> Result<Reply, ApiError> {
    permissions::view_tokens(&me.principal)?;
    let now = state.auth.clock().now();
    let mut records = state.store.tokens_of(me.principal.account.id)?;
    let active = |t: &mosis_storage::TokenRecord| {
        t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now)
    };
    // Active tokens first, newest first within each group.
    records.sort_by_key(|t| !active(t));
    let tokens: Vec<_> = records
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id.0,
                "name": t.name,
                "prefix": t.prefix,
                "scopes": t.scopes,
                "created": when(t.created_at, now),
                "expires": t.expires_at.map(|e| when(e, now)),
                "last_used": t.last_used_at.map(|e| when(e, now)),
                "revoked": t.revoked_at.is_some(),
                "expired": t.expires_at.is_some_and(|e| e <= now),
                "active": active(t),
            })
        })
        .collect();
    let mut ctx = context(state, Some(me), "tokens");
    ctx.insert("tokens", &tokens);
    let checked = if form.get("name").is_some() {
        form.all("scope")
    } else {
        vec!["publish".to_owned()]
    };
    ctx.insert(
        "scope_choices",
        &scope_choices(&me.principal.account, &checked),
    );
    ctx.insert(
        "form",
        &serde_json::json!({
            "name": form.text("name"),
            "app_scope": form.text("app_scope"),
            "expires_days": form.get("expires_days").unwrap_or("90"),
        }),
    );
    ctx.insert("created", &created);
    let status = if errors.is_some() {
        ctx.insert("page_error", &true);
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    ctx.insert("errors", &errors);
    Ok(Reply::Html(
        status,
        render(state, "pages/tokens.html", &ctx)?,
    ))
}

/// `GET /tokens`
pub async fn list(state: State, cookie: SessionCookie) -> Result<HttpResponse, ApiError> {
    let reply = reading(&state, move |state| {
        let me = viewer(&cookie, state)?;
        tokens_page(state, &me, &FormData::default(), None, None)
    })
    .await?;
    Ok(reply.into_response())
}

/// `POST /tokens`: creates the token and shows its secret once (this answer is not
/// cached and is not a redirect target, so Back does not show it again).
pub async fn create(
    state: State,
    cookie: SessionCookie,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&req);
    let reply = blocking(move || {
        let me = viewer(&cookie, &state)?;
        me.check_csrf(&state, form.csrf())?;
        let mut scopes = form.all("scope");
        let app_scope = form.text("app_scope");
        if !app_scope.trim().is_empty() {
            scopes.push(format!("publish:{}", app_scope.trim()));
        }
        let now = state.auth.clock().now();
        let result = (|| {
            if scopes.is_empty() {
                return Err(ApiError::bad_request(
                    "invalid_scope",
                    "scopes: choose at least one scope",
                ));
            }
            let scopes = actions::parse_scopes(&scopes)?;
            let days = match form.get("expires_days").unwrap_or("90") {
                "never" => None,
                text => Some(text.parse::<u32>().map_err(|_| {
                    ApiError::bad_request("invalid_expiry", "expires_days: choose an expiry")
                })?),
            };
            let expires_at = actions::token_expiry(days, now)?;
            let name = form.text("name");
            if name.trim().is_empty() {
                return Err(ApiError::bad_request(
                    "invalid_name",
                    "name: give the token a name",
                ));
            }
            actions::create_token(
                &state,
                &me.principal,
                &name,
                &scopes,
                expires_at,
                ip.as_deref(),
            )
        })();
        match result {
            Ok(issued) => tokens_page(
                &state,
                &me,
                &FormData::default(),
                Some(serde_json::json!({
                    "name": issued.record.name,
                    "secret": issued.secret.expose(),
                })),
                None,
            ),
            Err(e) => match field_of(&e, &["name", "scopes", "expires_days"]) {
                Some(field) => tokens_page(
                    &state,
                    &me,
                    &form,
                    None,
                    Some(serde_json::json!({ field: e.message() })),
                ),
                None => Err(e),
            },
        }
    })
    .await?;
    Ok(reply.into_response())
}

/// `POST /tokens/{id}/revoke`
pub async fn revoke(
    state: State,
    cookie: SessionCookie,
    path: Path<i64>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&req);
    let reply = blocking(move || {
        let me = viewer(&cookie, &state)?;
        me.check_csrf(&state, form.csrf())?;
        actions::revoke_token(&state, &me.principal, TokenId(*path), ip.as_deref())?;
        Ok(Reply::Redirect("/tokens".into()))
    })
    .await?;
    Ok(reply.into_response())
}
