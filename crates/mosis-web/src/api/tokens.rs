//! `/api/v1/tokens`: the caller's API tokens.

use super::client_ip;
use crate::actions;
use crate::caller::Caller;
use crate::error::{ApiError, blocking, reading};
use crate::state::State;
use crate::views;
use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_client::wire::{CreatedToken, ErrorBody, NewTokenRequest, TokenView};
use mosis_storage::{TokenId, Tokens};

/// The caller's tokens, newest first (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = [TokenView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = [])))]
pub async fn list(state: State, caller: Caller) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = reading(&state, move |state| {
        let caller = caller.resolve(state)?;
        permissions::view_tokens(&caller)?;
        Ok(state.store.tokens_of(caller.account.id)?)
    })
    .await?;
    Ok(Json(tokens.iter().map(views::token).collect()))
}

/// Creates a token with some of the caller's scopes; the secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("token" = [])))]
pub async fn create(
    state: State,
    caller: Caller,
    req: HttpRequest,
    body: Json<NewTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let scopes = actions::parse_scopes(&body.scopes)?;
    let expires_at = actions::token_expiry(body.expires_days, state.auth.clock().now())?;
    let ip = client_ip(&req);
    let name = body.name.clone();
    let issued = blocking(move || {
        let caller = caller.resolve(&state)?;
        actions::create_token(&state, &caller, &name, &scopes, expires_at, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created().json(CreatedToken {
        token: issued.secret.expose().to_owned(),
        info: views::token(&issued.record),
    }))
}

/// Revokes one of the caller's tokens (at once: the next request with it gets 401).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn revoke(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.parse::<i64>().map(TokenId).map_err(|_| {
        ApiError::bad_request(
            "invalid_token_id",
            format!("token id `{path}` is not a number"),
        )
    })?;
    let ip = client_ip(&req);
    blocking(move || {
        let caller = caller.resolve(&state)?;
        actions::revoke_token(&state, &caller, id, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
