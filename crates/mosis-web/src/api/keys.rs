//! `/api/v1/keys`: the caller's signing keys.

use super::{audit, client_ip};
use crate::caller::Caller;
use crate::error::{ApiError, blocking, reading};
use crate::state::State;
use crate::views;
use actix_web::http::StatusCode;
use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_client::wire::{ErrorBody, KeyView, NewKey};
use mosis_domain::{KeyId, PublicKey};
use mosis_storage::{SigningKeys, StorageError};

const MAX_LABEL_CHARS: usize = 100;

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
    let text = body.public_key.trim();
    let public = if text.starts_with("mosis-") {
        PublicKey::from_file_text(text)
    } else {
        PublicKey::from_base64(text)
    }
    .map_err(|reason| ApiError::bad_request("invalid_key", format!("public_key: {reason}")))?;
    let label = body.label.clone().unwrap_or_default().trim().to_owned();
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(ApiError::bad_request(
            "invalid_label",
            format!("label: at most {MAX_LABEL_CHARS} characters"),
        ));
    }
    let ip = client_ip(&req);
    let record = blocking(move || {
        let caller = caller.resolve(&state)?;
        permissions::manage_keys(&caller)?;
        let now = state.auth.clock().now();
        let record = state
            .store
            .add_key(caller.account.id, &public, &label, now)
            .map_err(|e| match e {
                StorageError::Conflict { .. } => ApiError::new(
                    StatusCode::CONFLICT,
                    "key_exists",
                    format!("key {} is registered already", public.key_id()),
                ),
                other => other.into(),
            })?;
        audit(
            &state,
            &caller,
            "key.added",
            record.key_id.to_string(),
            serde_json::json!({ "label": record.label }),
            ip,
        )?;
        Ok(record)
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
    let key_id =
        KeyId::parse(&path).map_err(|e| ApiError::bad_request("invalid_key_id", e.to_string()))?;
    let ip = client_ip(&req);
    blocking(move || {
        let caller = caller.resolve(&state)?;
        permissions::manage_keys(&caller)?;
        let now = state.auth.clock().now();
        state.store.revoke_key(caller.account.id, key_id, now)?;
        audit(
            &state,
            &caller,
            "key.revoked",
            key_id.to_string(),
            serde_json::json!({}),
            ip,
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
