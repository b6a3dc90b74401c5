//! `GET /api/v1/index?channel=stable|beta`: the signed index devices poll.

use crate::error::{ApiError, reading};
use crate::review;
use crate::state::State;
use actix_web::http::header;
use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse};
use mosis_client::wire::ErrorBody;
use mosis_storage::Channel;

/// `?channel=`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct IndexQuery {
    /// `stable` (the default) or `beta`.
    pub channel: Option<String>,
}

/// The signed index of a channel: the root-signed online keys and, signed by an online
/// key, every app's current release statement with the channel's `serial` and an
/// `expires` time. No authentication (devices fetch it); `ETag` / `If-None-Match` make
/// polling cheap. Verify it with `mosis_domain::verify_index` against the trust root
/// (`portal-server admin trust-root`).
#[utoipa::path(get, path = "/api/v1/index", tag = "index", params(IndexQuery),
    responses((status = 200, description = "The signed index document", content_type = "application/json"),
        (status = 304, description = "Unchanged since the ETag given"), (status = 400, body = ErrorBody)))]
pub async fn show(
    state: State,
    query: Query<IndexQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let channel = match query.channel.as_deref() {
        None => Channel::Stable,
        Some(text) => review::channel(text)?,
    };
    let signed = reading(&state, move |state| {
        let now = state.auth.clock().now();
        state
            .index
            .current(&*state.store, channel, now)
            .map_err(ApiError::internal)
    })
    .await?;
    let cache = ("Cache-Control", "no-cache");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == signed.etag || t.trim() == "*")
        });
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, signed.etag.clone()))
            .insert_header(cache)
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, signed.etag.clone()))
        .insert_header(cache)
        .insert_header(("X-Mosis-Index-Serial", signed.serial.to_string()))
        .body(signed.body.clone()))
}
