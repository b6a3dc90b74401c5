//! `/api/v1/apps/{app_id}/versions`: uploads, one version, its package.

use super::{app_id, version};
use crate::caller::Caller;
use crate::download;
use crate::error::{ApiError, blocking, reading};
use crate::state::State;
use crate::{upload, views};
use actix_web::http::header;
use actix_web::web::{Json, Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_client::wire::{ErrorBody, VersionView};
use mosis_storage::{Apps, StorageError, Versions};

/// `?channel=` of an upload.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct UploadQuery {
    /// The channel to publish on once approved, `stable` or `beta` (the reviewer has the
    /// last word; the risk-based rule follows it).
    pub channel: Option<String>,
}

/// Uploads a signed `.mpk` (the raw body, streamed). It is verified — integrity, a
/// signature by one of the owner's registered unrevoked keys, the app id owned by the
/// caller (an unclaimed id is registered to them), a version greater than every earlier
/// one — and only then stored, as `pending`.
#[utoipa::path(post, path = "/api/v1/apps/{app_id}/versions", tag = "versions",
    params(("app_id" = String, Path, description = "The app id; must equal the manifest's"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The .mpk package"),
    responses((status = 201, body = VersionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 408, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("token" = [])))]
pub async fn upload(
    state: State,
    caller: Caller,
    path: Path<String>,
    query: actix_web::web::Query<UploadQuery>,
    req: HttpRequest,
    payload: Payload,
) -> Result<HttpResponse, ApiError> {
    let id = app_id(&path)?;
    let channel = query
        .channel
        .as_deref()
        .map(crate::review::channel)
        .transpose()?;
    let lookup = (state.clone(), id.clone());
    // Authorised before a byte of the body is read.
    let (caller, existing) = blocking(move || {
        let (state, id) = lookup;
        let caller = caller.resolve(&state)?;
        let existing = match state.store.app(&id) {
            Ok(app) => Some(app),
            Err(StorageError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        permissions::upload_version(&caller, &id, existing.as_ref().map(|a| a.owner_id))?;
        Ok((caller, existing))
    })
    .await?;

    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let record = upload::store(
        &state.clone().into_inner(),
        caller.account,
        (id, channel),
        existing,
        payload,
        declared,
    )
    .await?;
    let view = views::version(&record);
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/apps/{}/versions/{}", view.app_id, view.version),
        ))
        .json(view))
}

/// One version: state, size, SHA-256, signing key, review report.
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/versions/{version}", tag = "versions",
    params(("app_id" = String, Path, description = "The app id"), ("version" = String, Path, description = "The version")),
    responses((status = 200, body = VersionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn show(
    state: State,
    caller: Caller,
    path: Path<(String, String)>,
) -> Result<Json<VersionView>, ApiError> {
    let (id, v) = (app_id(&path.0)?, version(&path.1)?);
    let view = reading(&state, move |state| {
        let caller = caller.resolve(state)?;
        let app = state.store.app(&id)?;
        permissions::view_app(&caller, &app)?;
        Ok(views::version(&state.store.version(&id, &v)?))
    })
    .await?;
    Ok(Json(view))
}

/// Downloads a version's package: `Range` (one range), `ETag` (its SHA-256) and
/// `If-None-Match`.
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/versions/{version}/package", tag = "versions",
    params(("app_id" = String, Path, description = "The app id"), ("version" = String, Path, description = "The version"),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. bytes=0-1023"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag already held")),
    responses((status = 200, description = "The package", content_type = "application/octet-stream"),
        (status = 206, description = "The requested range"), (status = 304, description = "Unchanged"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 416, body = ErrorBody)),
    security(("token" = [])))]
pub async fn download(
    state: State,
    caller: Caller,
    path: Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (id, v) = (app_id(&path.0)?, version(&path.1)?);
    let (app, record) = reading(&state, move |state| {
        let caller = caller.resolve(state)?;
        let app = state.store.app(&id)?;
        permissions::view_app(&caller, &app)?;
        let record = state.store.version(&id, &v)?;
        Ok((app, record))
    })
    .await?;
    download::respond(&state, &req, &app, &record).await
}
