//! Signing keys: list, add, revoke.

use super::apps::field_of;
use super::{FormData, Reply, context, render, viewer, when};
use crate::actions;
use crate::api::client_ip;
use crate::browser::{SessionCookie, SignedIn};
use crate::error::{ApiError, blocking, reading};
use crate::state::{AppState, State};
use actix_web::http::StatusCode;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_storage::SigningKeys as _;

fn keys_page(
    state: &AppState,
    me: &SignedIn,
    form: serde_json::Value,
    errors: Option<serde_json::Value>,
) -> Result<Reply, ApiError> {
    permissions::view_keys(&me.principal)?;
    let now = state.auth.clock().now();
    let keys: Vec<_> = state
        .store
        .keys_of(me.principal.account.id)?
        .iter()
        .map(|k| {
            serde_json::json!({
                "key_id": k.key_id.to_string(),
                "label": k.label,
                "created": when(k.created_at, now),
                "revoked": k.revoked_at.map(|t| when(t, now)),
            })
        })
        .collect();
    let mut ctx = context(state, Some(me), "keys");
    ctx.insert("keys", &keys);
    ctx.insert("form", &form);
    let status = if errors.is_some() {
        ctx.insert("page_error", &true);
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    ctx.insert("errors", &errors);
    Ok(Reply::Html(status, render(state, "pages/keys.html", &ctx)?))
}

fn empty_form() -> serde_json::Value {
    serde_json::json!({ "public_key": "", "label": "" })
}

/// `GET /keys`
pub async fn list(state: State, cookie: SessionCookie) -> Result<HttpResponse, ApiError> {
    let reply = reading(&state, move |state| {
        let me = viewer(&cookie, state)?;
        keys_page(state, &me, empty_form(), None)
    })
    .await?;
    Ok(reply.into_response())
}

/// `POST /keys`: adds the key, or shows the form again with the error.
pub async fn add(
    state: State,
    cookie: SessionCookie,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&req);
    let reply = blocking(move || {
        let me = viewer(&cookie, &state)?;
        me.check_csrf(&state, form.csrf())?;
        let (text, label) = (form.text("public_key"), form.text("label"));
        let result = actions::parse_public_key(&text)
            .and_then(|key| actions::add_key(&state, &me.principal, &key, &label, ip.as_deref()));
        match result {
            Ok(_) => Ok(Reply::Redirect("/keys".into())),
            Err(e) => match field_of(&e, &["public_key", "label"]) {
                Some(field) => keys_page(
                    &state,
                    &me,
                    serde_json::json!({ "public_key": text, "label": label }),
                    Some(serde_json::json!({ field: e.message() })),
                ),
                None => Err(e),
            },
        }
    })
    .await?;
    Ok(reply.into_response())
}

/// `POST /keys/{key_id}/revoke`
pub async fn revoke(
    state: State,
    cookie: SessionCookie,
    path: Path<String>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&req);
    let reply = blocking(move || {
        let me = viewer(&cookie, &state)?;
        me.check_csrf(&state, form.csrf())?;
        let key_id = actions::parse_key_id(&path)?;
        actions::revoke_key(&state, &me.principal, key_id, ip.as_deref())?;
        Ok(Reply::Redirect("/keys".into()))
    })
    .await?;
    Ok(reply.into_response())
}
