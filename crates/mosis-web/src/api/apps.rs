//! `/api/v1/apps`: the caller's apps.

use super::{app_id, client_ip};
use crate::actions;
use crate::caller::Caller;
use crate::error::{ApiError, blocking, reading};
use crate::state::State;
use crate::views;
use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_client::wire::{AppDetail, AppSummary, AutoApproveSetting, ErrorBody, NewApp};
use mosis_storage::{Apps, Versions};

/// The caller's apps, by id, with their newest version.
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps",
    responses((status = 200, body = [AppSummary]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = [])))]
pub async fn list(state: State, caller: Caller) -> Result<Json<Vec<AppSummary>>, ApiError> {
    let apps = reading(&state, move |state| {
        let caller = caller.resolve(state)?;
        permissions::list_apps(&caller)?;
        let apps = state.store.apps_of(caller.account.id)?;
        let newest = state.store.newest_versions_of_owner(caller.account.id)?;
        Ok(apps
            .iter()
            .map(|app| views::app_summary(app, newest.get(&app.app_id)))
            .collect())
    })
    .await?;
    Ok(Json(apps))
}

/// Registers an app id to the caller (an upload of an unclaimed id does this too).
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", request_body = NewApp,
    responses((status = 201, body = AppSummary), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = [])))]
pub async fn register(
    state: State,
    caller: Caller,
    req: HttpRequest,
    body: Json<NewApp>,
) -> Result<HttpResponse, ApiError> {
    let id = app_id(&body.app_id)?;
    let name = actions::listing_name(body.name.as_deref(), &id)?;
    let ip = client_ip(&req);
    let app = blocking(move || {
        let caller = caller.resolve(&state)?;
        actions::register_app(&state, &caller, &id, &name, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/apps/{}", app.app_id)))
        .json(views::app_summary(&app, None)))
}

/// One app with its versions and their states.
#[utoipa::path(get, path = "/api/v1/apps/{app_id}", tag = "apps",
    params(("app_id" = String, Path, description = "The app id")),
    responses((status = 200, body = AppDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn show(
    state: State,
    caller: Caller,
    path: Path<String>,
) -> Result<Json<AppDetail>, ApiError> {
    let id = app_id(&path)?;
    let detail = reading(&state, move |state| {
        let caller = caller.resolve(state)?;
        let app = state.store.app(&id)?;
        permissions::view_app(&caller, &app)?;
        let versions = state.store.versions_of(&id)?;
        Ok(AppDetail {
            app: views::app_summary(&app, versions.first()),
            versions: versions.iter().map(views::version).collect(),
        })
    })
    .await?;
    Ok(Json(detail))
}

/// Sets an app's risk-based review override: `true` or `false` for this app, `null` to
/// follow the operator's `auto_approve_updates`. Admins only; audited.
#[utoipa::path(put, path = "/api/v1/apps/{app_id}/auto-approve", tag = "apps", request_body = AutoApproveSetting,
    params(("app_id" = String, Path, description = "The app id")),
    responses((status = 200, body = AutoApproveSetting), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn set_auto_approve(
    state: State,
    caller: Caller,
    path: Path<String>,
    req: HttpRequest,
    body: Json<AutoApproveSetting>,
) -> Result<Json<AutoApproveSetting>, ApiError> {
    let id = app_id(&path)?;
    let ip = client_ip(&req);
    let value = body.auto_approve;
    let app = blocking(move || {
        let caller = caller.resolve(&state)?;
        crate::review::set_auto_approve(&state, &caller, &id, value, ip.as_deref())
    })
    .await?;
    Ok(Json(AutoApproveSetting {
        auto_approve: app.auto_approve,
    }))
}
