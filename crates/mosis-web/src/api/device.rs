//! `/api/v1/device`: device login for `mosis login` (RFC 8628's shape). Starting and
//! polling need no credential; approval happens in the dashboard (`/device`).

use super::client_ip;
use crate::actions;
use crate::error::{ApiError, blocking};
use crate::state::State;
use crate::views;
use actix_web::HttpRequest;
use actix_web::web::Json;
use mosis_auth::{DevicePoll, POLL_INTERVAL_SECS};
use mosis_client::wire::{
    CreatedToken, DeviceCode, DeviceCodeRequest, DeviceTokenRequest, ErrorBody,
};

/// Starts a device login: a secret device code for the CLI, a short code for the user.
#[utoipa::path(post, path = "/api/v1/device/code", tag = "device", request_body = DeviceCodeRequest,
    responses((status = 200, body = DeviceCode), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn start(
    state: State,
    req: HttpRequest,
    body: Json<DeviceCodeRequest>,
) -> Result<Json<DeviceCode>, ApiError> {
    let scopes = actions::parse_scopes(&body.scopes)?;
    let ip = client_ip(&req);
    let body = body.into_inner();
    let shared = state.clone();
    let started = blocking(move || {
        Ok(shared.auth.start_device_auth(
            &scopes,
            body.client.as_deref().unwrap_or("unknown client"),
            body.host.as_deref().unwrap_or(""),
            ip.as_deref(),
        )?)
    })
    .await?;
    let base = state.config.base_url();
    Ok(Json(DeviceCode {
        verification_uri: format!("{base}/device"),
        verification_uri_complete: format!("{base}/device?user_code={}", started.user_code),
        device_code: started.device_code,
        user_code: started.user_code,
        expires_in: started.expires_in,
        interval: POLL_INTERVAL_SECS,
    }))
}

/// Polls a device login: 400 `authorization_pending` until the user decides; then 200
/// with the token (once), or 400 `access_denied` / `expired_token`.
#[utoipa::path(post, path = "/api/v1/device/token", tag = "device", request_body = DeviceTokenRequest,
    responses((status = 200, body = CreatedToken), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn poll(
    state: State,
    body: Json<DeviceTokenRequest>,
) -> Result<Json<CreatedToken>, ApiError> {
    let code = body.into_inner().device_code;
    let polled = blocking(move || Ok(state.auth.poll_device_auth(&code)?)).await?;
    match polled {
        DevicePoll::Pending => Err(ApiError::bad_request(
            "authorization_pending",
            "waiting for you to approve the code in the dashboard",
        )),
        DevicePoll::Denied => Err(ApiError::bad_request(
            "access_denied",
            "the login was denied in the dashboard",
        )),
        DevicePoll::Expired => Err(ApiError::bad_request(
            "expired_token",
            "the code expired before it was approved; run `mosis login` again",
        )),
        DevicePoll::Approved(issued) => Ok(Json(CreatedToken {
            token: issued.secret.expose().to_owned(),
            info: views::token(&issued.record),
        })),
    }
}
