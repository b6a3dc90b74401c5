//! What the API and the dashboard both do with reviews and releases, once: the permission
//! check (auth), the state machine (review crate), the change, the audit entry.
//! Blocking (SQLite, signing): call inside `blocking`.

use crate::actions::audit;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use mosis_auth::{Principal, permissions};
use mosis_client::wire::ReviewItem;
use mosis_domain::AppId;
use mosis_review::{Action, Actor, Publication, Refusal, decide};
use mosis_storage::{
    Apps, JobState, Releases as _, ReviewQueue, StorageError, VersionRecord, VersionState, Versions,
};

/// The longest rejection reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// A reviewer's reason: trimmed, 1 to [`MAX_REASON_CHARS`] characters.
pub fn reason(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::bad_request(
            "invalid_reason",
            format!(
                "reason: say why, in 1 to {MAX_REASON_CHARS} characters; the developer reads it"
            ),
        ));
    }
    Ok(text.to_owned())
}

/// Parses a channel name (`stable`, `beta`).
pub fn channel(text: &str) -> Result<mosis_storage::Channel, ApiError> {
    text.trim()
        .parse()
        .map_err(|e: String| ApiError::bad_request("invalid_channel", format!("channel: {e}")))
}

fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Forbidden(m) => ApiError::forbidden("forbidden", m),
        Refusal::WrongState(m) => ApiError::new(StatusCode::CONFLICT, "wrong_state", m),
    }
}

/// Someone acted first: the compare-and-set lost.
fn raced(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict { what } => ApiError::new(
            StatusCode::CONFLICT,
            "wrong_state",
            format!("someone acted on this version first: {what}"),
        ),
        other => other.into(),
    }
}

/// Performs `action` on a version as `caller`: who they are to the app (owner or
/// reviewer), whether the state machine allows it, the change, the audit entry. `reason`
/// is required for rejections. Returns the version as it is now.
pub fn act(
    state: &AppState,
    caller: &Principal,
    app_id: &AppId,
    version: &semver::Version,
    action: Action,
    reason_text: Option<&str>,
    ip: Option<&str>,
) -> Result<VersionRecord, ApiError> {
    let app = state.store.app(app_id)?;
    let actor = match permissions::act_on_release(caller, &app)? {
        permissions::ReleaseRole::Owner => Actor::Owner,
        permissions::ReleaseRole::Reviewer => Actor::Reviewer,
    };
    let record = state.store.version(app_id, version)?;
    let step = decide(record.state, record.channel, action, actor).map_err(refused)?;
    let now = state.auth.clock().now();
    let target = format!("{app_id} {version}");
    let by = Some(caller.account.id);
    match action {
        Action::Approve(_) | Action::Promote => {
            let channel = step.channel.ok_or_else(|| {
                ApiError::internal("the state machine published without a channel")
            })?;
            let how = Publication {
                from: step.from,
                channel,
                approved_by: (action != Action::Promote).then_some(caller.account.id),
            };
            let serial = state
                .publisher
                .publish(&*state.store, &record, app.owner_id, how, now)
                .map_err(|e| match e {
                    mosis_review::ReviewError::Storage(e) => raced(e),
                    other => ApiError::internal(other),
                })?;
            let verb = if action == Action::Promote {
                "version.promoted"
            } else {
                "version.approved"
            };
            audit(
                state,
                caller,
                verb,
                target,
                serde_json::json!({"channel": channel, "serial": serial}),
                ip,
            )?;
        }
        Action::Reject => {
            let reason = reason(reason_text.unwrap_or_default())?;
            state
                .store
                .transition(
                    record.id,
                    step.from,
                    VersionState::Rejected,
                    Some(&reason),
                    by,
                    now,
                )
                .map_err(raced)?;
            audit(
                state,
                caller,
                "version.rejected",
                target,
                serde_json::json!({"reason": reason}),
                ip,
            )?;
        }
        Action::Suspend => {
            state.store.suspend(record.id, now).map_err(raced)?;
            audit(
                state,
                caller,
                "version.suspended",
                target,
                serde_json::json!({}),
                ip,
            )?;
        }
    }
    tracing::info!(app_id = %app_id, version = %version, action = action.as_str(), "review action");
    Ok(state.store.version_by_id(record.id)?)
}

/// Which versions a review queue filter names: a version state, or `errored` (pending
/// versions whose automated review gave up).
pub fn parse_filter(text: &str) -> Result<Filter, ApiError> {
    match text {
        "errored" => Ok(Filter::Errored),
        other => other.parse().map(Filter::State).map_err(|_| {
            ApiError::bad_request(
                "invalid_state",
                format!("state: `{other}` is not one of pending, in_review, published, rejected, suspended, errored"),
            )
        }),
    }
}

/// A review queue filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Versions in this state.
    State(VersionState),
    /// Versions whose automated review errored.
    Errored,
}

/// The review queue: every version the filter names, oldest upload first, with its app
/// and review job. Reviewers only.
pub fn queue(
    state: &AppState,
    caller: &Principal,
    filter: Filter,
) -> Result<Vec<ReviewItem>, ApiError> {
    permissions::review_queue(caller)?;
    let versions = match filter {
        Filter::State(s) => state.store.versions_in_state(s)?,
        Filter::Errored => state
            .store
            .jobs_in_state(JobState::Errored)?
            .into_iter()
            .map(|job| state.store.version_by_id(job.version_id))
            .collect::<Result<Vec<_>, _>>()?,
    };
    versions
        .iter()
        .map(|v| {
            let app = state.store.app(&v.app_id)?;
            let job = match state.store.job_of_version(v.id) {
                Ok(job) => Some(job),
                Err(StorageError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            Ok(ReviewItem {
                version: crate::views::version(v),
                app_name: app.name,
                owner_id: app.owner_id.0,
                job_state: job.as_ref().map(|j| j.state.to_string()),
                job_error: job.and_then(|j| j.last_error),
            })
        })
        .collect()
}

/// Sets an app's risk-based review override (`None`: follow the operator's setting).
/// Admins only; audited.
pub fn set_auto_approve(
    state: &AppState,
    caller: &Principal,
    app_id: &AppId,
    value: Option<bool>,
    ip: Option<&str>,
) -> Result<mosis_storage::App, ApiError> {
    permissions::set_auto_approve(caller)?;
    state.store.set_auto_approve(app_id, value)?;
    audit(
        state,
        caller,
        "app.auto_approve_set",
        app_id.to_string(),
        serde_json::json!({"auto_approve": value}),
        ip,
    )?;
    Ok(state.store.app(app_id)?)
}

/// Runs an errored automated review again (its attempts reset). Reviewers; audited.
pub fn retry(
    state: &AppState,
    caller: &Principal,
    app_id: &AppId,
    version: &semver::Version,
    ip: Option<&str>,
) -> Result<(), ApiError> {
    permissions::review_queue(caller)?;
    let record = state.store.version(app_id, version)?;
    let job = state.store.job_of_version(record.id)?;
    state
        .store
        .retry_job(job.id, state.auth.clock().now())
        .map_err(raced)?;
    state.reviewer.wake();
    audit(
        state,
        caller,
        "review.retried",
        format!("{app_id} {version}"),
        serde_json::json!({}),
        ip,
    )
}
