//! API tokens: list, create (the secret shown once), revoke.

use super::{
    FormData, Reply, context, or_form_error, render, scope_choices, show, submit, when, with_errors,
};
use crate::actions;
use crate::browser::{SessionCookie, SignedIn};
use crate::error::ApiError;
use crate::state::{AppState, State};
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::{IssuedToken, permissions};
use mosis_storage::{TokenId, TokenRecord, Tokens as _, UnixTime};

fn tokens_page(
    state: &AppState,
    me: &SignedIn,
    form: &FormData,
    created: Option<&IssuedToken>,
    errors: Option<serde_json::Value>,
) -> Result<Reply, ApiError> {
    permissions::view_tokens(&me.principal)?;
    let now = state.auth.clock().now();
    let mut records = state.store.tokens_of(me.principal.account.id)?;
    let active = |t: &TokenRecord| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now);
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
    ctx.insert(
        "created",
        &created.map(|issued| {
            serde_json::json!({ "name": issued.record.name, "secret": issued.secret.expose() })
        }),
    );
    let status = with_errors(&mut ctx, errors);
    Ok(Reply::Html(
        status,
        render(state, "pages/tokens.html", &ctx)?,
    ))
}

/// `GET /tokens`
pub async fn list(state: State, cookie: SessionCookie) -> Result<HttpResponse, ApiError> {
    show(&state, cookie, |state, me| {
        tokens_page(state, me, &FormData::default(), None, None)
    })
    .await
}

/// The token the form asks for: scopes ticked (plus `publish:APP` when an app is named),
/// a name, an expiry. Errors name their field.
fn create_from_form(
    state: &AppState,
    me: &SignedIn,
    form: &FormData,
    now: UnixTime,
    ip: Option<&str>,
) -> Result<IssuedToken, ApiError> {
    let mut scopes = form.all("scope");
    let app_scope = form.text("app_scope");
    if !app_scope.trim().is_empty() {
        scopes.push(format!("publish:{}", app_scope.trim()));
    }
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
    actions::create_token(state, &me.principal, &name, &scopes, expires_at, ip)
}

/// `POST /tokens`: creates the token and shows its secret once (this answer is not
/// cached and is not a redirect target, so Back does not show it again).
pub async fn create(
    state: State,
    cookie: SessionCookie,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, |state, me, form, ip| {
        let now = state.auth.clock().now();
        let shown = create_from_form(state, me, form, now, ip)
            .and_then(|issued| tokens_page(state, me, &FormData::default(), Some(&issued), None));
        or_form_error(shown, &["name", "scopes", "expires_days"], |errors| {
            tokens_page(state, me, form, None, Some(errors))
        })
    })
    .await
}

/// `POST /tokens/{id}/revoke`
pub async fn revoke(
    state: State,
    cookie: SessionCookie,
    path: Path<i64>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, move |state, me, _, ip| {
        actions::revoke_token(state, &me.principal, TokenId(*path), ip)?;
        Ok(Reply::Redirect("/tokens".into()))
    })
    .await
}
