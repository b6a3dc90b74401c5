//! `/api/v1/reviews` (the reviewer queue and decisions) and the owner's and reviewers'
//! release actions under `/api/v1/apps/{app_id}/versions/{version}`.

use super::{app_id, client_ip, version};
use crate::caller::Caller;
use crate::error::{ApiError, blocking, reading};
use crate::review;
use crate::state::State;
use crate::views;
use actix_web::HttpRequest;
use actix_web::web::{Json, Path, Query};
use mosis_client::wire::{ApproveRequest, ErrorBody, RejectRequest, ReviewItem, VersionView};
use mosis_review::Action;

/// `?state=` of the review queue.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct QueueQuery {
    /// `in_review` (the default), `pending`, `published`, `rejected`, `suspended`, or
    /// `errored` (pending versions whose automated review gave up).
    pub state: Option<String>,
}

/// The review queue: versions in a state, oldest upload first, with the report, the app
/// and the review job. Reviewers and admins.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "reviews", params(QueueQuery),
    responses((status = 200, body = [ReviewItem]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("token" = [])))]
pub async fn list(
    state: State,
    caller: Caller,
    query: Query<QueueQuery>,
) -> Result<Json<Vec<ReviewItem>>, ApiError> {
    let filter = review::parse_filter(query.state.as_deref().unwrap_or("in_review"))?;
    let items = reading(&state, move |state| {
        let caller = caller.resolve(state)?;
        review::queue(state, &caller, filter)
    })
    .await?;
    Ok(Json(items))
}

/// Runs a release action for a request: authenticate, act, answer with the version.
async fn run(
    state: State,
    caller: Caller,
    path: Path<(String, String)>,
    req: &HttpRequest,
    action: Action,
    reason: Option<String>,
) -> Result<Json<VersionView>, ApiError> {
    let (id, v) = (app_id(&path.0)?, version(&path.1)?);
    let ip = client_ip(req);
    let record = blocking(move || {
        let caller = caller.resolve(&state)?;
        review::act(
            &state,
            &caller,
            &id,
            &v,
            action,
            reason.as_deref(),
            ip.as_deref(),
        )
    })
    .await?;
    Ok(Json(views::version(&record)))
}

/// Approves a version that passed the automated checks: publishes it on `channel`, signs
/// its release statement and bumps the channel's index serial. Reviewers who do not own
/// the app; 409 unless it is `in_review`.
#[utoipa::path(post, path = "/api/v1/reviews/{app_id}/{version}/approve", tag = "reviews", request_body = ApproveRequest,
    params(("app_id" = String, Path, description = "The app id"), ("version" = String, Path, description = "The version")),
    responses((status = 200, body = VersionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = [])))]
pub async fn approve(
    state: State,
    caller: Caller,
    path: Path<(String, String)>,
    req: HttpRequest,
    body: Json<ApproveRequest>,
) -> Result<Json<VersionView>, ApiError> {
    let channel = review::channel(&body.channel)?;
    run(state, caller, path, &req, Action::Approve(channel), None).await
}

/// Rejects a version (pending or in review) with a reason the developer sees. Reviewers
/// who do not own the app.
#[utoipa::path(post, path = "/api/v1/reviews/{app_id}/{version}/reject", tag = "reviews", request_body = RejectRequest,
    params(("app_id" = String, Path, description = "The app id"), ("version" = String, Path, description = "The version")),
    responses((status = 200, body = VersionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = [])))]
pub async fn reject(
    state: State,
    caller: Caller,
    path: Path<(String, String)>,
    req: HttpRequest,
    body: Json<RejectRequest>,
) -> Result<Json<VersionView>, ApiError> {
    // `review::act` checks the reason, after who may reject and whether they may now.
    run(
        state,
        caller,
        path,
        &req,
        Action::Reject,
        Some(body.into_inner().reason),
    )
    .await
}

/// Promotes a beta release to stable without a new upload. The owner or a reviewer;
/// 409 unless it is published on beta.
#[utoipa::path(post, path = "/api/v1/apps/{app_id}/versions/{version}/promote", tag = "reviews",
    params(("app_id" = String, Path, description = "The app id"), ("version" = String, Path, description = "The version")),
    responses((status = 200, body = VersionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = [])))]
pub async fn promote(
    state: State,
    caller: Caller,
    path: Path<(String, String)>,
    req: HttpRequest,
) -> Result<Json<VersionView>, ApiError> {
    run(state, caller, path, &req, Action::Promote, None).await
}

/// Suspends (yanks) a published version: it leaves every channel's index at once. The
/// owner or a reviewer; 409 unless it is published.
#[utoipa::path(post, path = "/api/v1/apps/{app_id}/versions/{version}/suspend", tag = "reviews",
    params(("app_id" = String, Path, description = "The app id"), ("version" = String, Path, description = "The version")),
    responses((status = 200, body = VersionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = [])))]
pub async fn suspend(
    state: State,
    caller: Caller,
    path: Path<(String, String)>,
    req: HttpRequest,
) -> Result<Json<VersionView>, ApiError> {
    run(state, caller, path, &req, Action::Suspend, None).await
}
