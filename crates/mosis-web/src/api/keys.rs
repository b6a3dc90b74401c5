//! `/api/v1/keys`: the caller's signing keys.

use super::client_ip;
use crate::actions;
use crate::caller::Caller;
use crate::error::{ApiError, blocking, reading};
use crate::state::State;
use crate::views;
use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_client::wire::{ErrorBody, KeyView, NewKey};
use mosis_storage::SigningKeys;

/// The caller's keys, revoked ones included, oldest first.
#[utoipa::path(get, path = "/api/v1/keys", tag = "keys",
    responses((status = 200, body = [KeyView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = [])))]
pub async fn list(state: State, caller: Caller) -> Result<Json<Vec<KeyView>>, ApiError> {
    let keys = reading(&state, move |state| {
        let caller = caller.resolve(state)?;
        permissions::view_keys(&caller)?;
        Ok(state.store.keys_of(caller.account.id)?)
    })
    .await?;
    Ok(Json(keys.iter().map(views::key).collect()))
}

/// Registers a public key (a `.pub` file's text or the bare base64 key).
#[utoipa::path(post, path = "/api/v1/keys", tag = "keys", request_body = NewKey,
    responses((status = 201, body = KeyView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = [])))]
pub async fn register(
    state: State,
    caller: Caller,
    req: HttpRequest,
    body: Json<NewKey>,
) -> Result<HttpResponse, ApiError> {
    let public = actions::parse_public_key(&body.public_key)?;
    let label = body.label.clone().unwrap_or_default();
    let ip = client_ip(&req);
    let record = blocking(move || {
        let caller = caller.resolve(&state)?;
        actions::add_key(&state, &caller, &public, &label, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created().json(views::key(&record)))
}

/// Revokes one of the caller's keys: packages signed by it are refused from now on.
#[utoipa::path(delete, path = "/api/v1/keys/{key_id}", tag = "keys",
    params(("key_id" = String, Path, description = "The key id")),
    responses((status = 204, description = "Revoked"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn revoke(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key_id = actions::parse_key_id(&path)?;
    let ip = client_ip(&req);
    blocking(move || {
        let caller = caller.resolve(&state)?;
        actions::revoke_key(&state, &caller, key_id, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
