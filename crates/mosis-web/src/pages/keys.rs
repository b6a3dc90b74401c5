//! Signing keys: list, add, revoke.

use super::{FormData, Reply, context, or_form_error, render, show, submit, when, with_errors};
use crate::actions;
use crate::browser::{SessionCookie, SignedIn};
use crate::error::ApiError;
use crate::state::{AppState, State};
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
    let status = with_errors(&mut ctx, errors);
    Ok(Reply::Html(status, render(state, "pages/keys.html", &ctx)?))
}

/// `GET /keys`
pub async fn list(state: State, cookie: SessionCookie) -> Result<HttpResponse, ApiError> {
    show(&state, cookie, |state, me| {
        keys_page(
            state,
            me,
            serde_json::json!({ "public_key": "", "label": "" }),
            None,
        )
    })
    .await
}

/// `POST /keys`: adds the key, or shows the form again with the error.
pub async fn add(
    state: State,
    cookie: SessionCookie,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, |state, me, form, ip| {
        let (text, label) = (form.text("public_key"), form.text("label"));
        let added = actions::parse_public_key(&text)
            .and_then(|key| actions::add_key(state, &me.principal, &key, &label, ip))
            .map(|_| Reply::Redirect("/keys".into()));
        or_form_error(added, &["public_key", "label"], |errors| {
            let kept = serde_json::json!({ "public_key": text, "label": label });
            keys_page(state, me, kept, Some(errors))
        })
    })
    .await
}

/// `POST /keys/{key_id}/revoke`
pub async fn revoke(
    state: State,
    cookie: SessionCookie,
    path: Path<String>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, move |state, me, _, ip| {
        let key_id = actions::parse_key_id(&path)?;
        actions::revoke_key(state, &me.principal, key_id, ip)?;
        Ok(Reply::Redirect("/keys".into()))
    })
    .await
}
