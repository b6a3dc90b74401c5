//! The reviewer's pages: the queue, one version with its report, diff, files and
//! manifest, and the decisions; the owner's and reviewers' release actions (promote,
//! suspend) from the version pages.

use super::{
    FormData, Reply, context, render, show as show_page, size_text, submit, when, with_errors,
};
use crate::browser::SignedIn;
use crate::error::ApiError;
use crate::review;
use crate::state::{AppState, State};
use actix_web::web::{Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_domain::{AppId, FILE_LIST_PATH, FileList, Manifest, PackagePath, read_entry};
use mosis_review::{Action, Report, Status, changes as diff, last_published};
use mosis_storage::{
    Accounts as _, Apps as _, BlobFile, BlobKey, BlobStore as _, JobState, ReviewQueue as _,
    VersionState, Versions as _,
};
use std::io::BufReader;

/// The queue's filters, in tab order.
const FILTERS: [(&str, &str); 6] = [
    ("in_review", "Awaiting review"),
    ("errored", "Checks errored"),
    ("pending", "Checks running"),
    ("published", "Published"),
    ("rejected", "Rejected"),
    ("suspended", "Suspended"),
];

/// `?state=` of the queue page.
#[derive(Debug, serde::Deserialize)]
pub struct QueueQuery {
    state: Option<String>,
}

/// `GET /review`: the queue, oldest upload first, filtered by state.
pub async fn queue(
    state: State,
    cookie: crate::browser::SessionCookie,
    query: Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    let current = query.state.clone().unwrap_or_else(|| "in_review".into());
    show_page(&state, cookie, move |state, me| {
        let filter = review::parse_filter(&current)?;
        let items = review::queue(state, &me.principal, filter)?;
        let now = state.auth.clock().now();
        let rows: Vec<serde_json::Value> = items
            .iter()
            .map(|i| {
                let report: Option<Report> =
                    i.version.report.clone().and_then(|r| serde_json::from_value(r).ok());
                let count = |status: Status| {
                    report.as_ref().map_or(0, |r| r.checks.iter().filter(|c| c.status == status).count())
                };
                serde_json::json!({
                    "app_id": i.version.app_id, "app_name": i.app_name, "version": i.version.version,
                    "uploaded": when(i.version.uploaded_at, now), "state": i.version.state,
                    "failed": count(Status::Failed), "warnings": count(Status::Warning),
                    "has_report": report.is_some(), "job_error": i.job_error,
                    "own": i.owner_id == me.principal.account.id.0,
                })
            })
            .collect();
        let filters: Vec<serde_json::Value> = FILTERS
            .iter()
            .map(|(value, label)| serde_json::json!({ "value": value, "label": label }))
            .collect();
        let label = FILTERS.iter().find(|(v, _)| *v == current).map_or("", |(_, l)| *l);
        let mut ctx = context(state, Some(me), "review");
        ctx.insert("filters", &filters);
        ctx.insert("current", &current);
        ctx.insert("current_label", label);
        ctx.insert("items", &rows);
        Ok(Reply::ok(render(state, "pages/review_queue.html", &ctx)?))
    })
    .await
}

/// The signed file list of a stored package (cheap: one small entry), or why not.
fn file_list(state: &AppState, key: &BlobKey) -> Result<Vec<serde_json::Value>, String> {
    let file = state.blobs.open_file(key).map_err(|e| e.to_string())?;
    let path = PackagePath::parse(FILE_LIST_PATH).map_err(|e| e.to_string())?;
    let limits = state.config.package_limits();
    let bytes = read_entry(
        BufReader::new(file),
        &limits,
        &path,
        limits.max_file_list_bytes,
    )
    .map_err(|e| e.to_string())?;
    let list = FileList::parse(&bytes).map_err(|p| p.message)?;
    Ok(list
        .files
        .iter()
        .map(|f| serde_json::json!({ "path": f.path.as_str(), "size": size_text(f.size), "sha256": f.sha256.to_string() }))
        .collect())
}

/// The review page of one version, with the form errors and typed reason to show.
fn review_page(
    state: &AppState,
    me: &SignedIn,
    path: &(String, String),
    errors: Option<serde_json::Value>,
    reason: &str,
) -> Result<Reply, ApiError> {
    permissions::review_queue(&me.principal)?;
    let (id, version) = version_path(path)?;
    let app = state.store.app(&id)?;
    let record = state.store.version(&app.app_id, &version)?;
    let now = state.auth.clock().now();
    let versions = state.store.versions_of(&app.app_id)?;
    let manifest: Option<Manifest> = serde_json::from_str(&record.manifest_json).ok();
    let live_changes = manifest.as_ref().and_then(|m| {
        last_published(&versions, &record.version)
            .and_then(|base| diff(base, m, record.key_id, record.icon_sha256))
    });
    let job = state.store.job_of_version(record.id).ok();
    let job_error = job
        .as_ref()
        .filter(|j| j.state == JobState::Errored)
        .map(|j| {
            j.last_error
                .clone()
                .unwrap_or_else(|| "unknown error".into())
        });
    let own = app.owner_id == me.principal.account.id;
    let key = BlobKey {
        dev_id: app.owner_id,
        app_id: app.app_id.clone(),
        version: record.version.clone(),
        file: BlobFile::Package,
    };
    let (files, files_error) = match file_list(state, &key) {
        Ok(files) => (files, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let report: Option<Report> = record
        .report_json
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let mut ctx = context(state, Some(me), "review");
    let status = with_errors(&mut ctx, errors);
    ctx.insert(
        "app",
        &serde_json::json!({ "app_id": app.app_id, "name": app.name }),
    );
    ctx.insert("owner_name", &state.store.account(app.owner_id)?.name);
    ctx.insert("version", &super::apps::version_view(&record, now));
    ctx.insert("own", &own);
    ctx.insert(
        "can_decide",
        &matches!(record.state, VersionState::Pending | VersionState::InReview),
    );
    ctx.insert("job_error", &job_error);
    ctx.insert("can_retry", &true);
    ctx.insert("live_changes", &live_changes);
    ctx.insert(
        "report_at",
        &report.as_ref().map(|r| when(r.reviewed_at, now)),
    );
    ctx.insert("report", &report);
    ctx.insert("files", &files);
    ctx.insert("files_error", &files_error);
    ctx.insert("manifest", &super::apps::pretty(&record.manifest_json));
    ctx.insert("reason", reason);
    ctx.insert(
        "auto_approve",
        match app.auto_approve {
            None => "default",
            Some(true) => "on",
            Some(false) => "off",
        },
    );
    ctx.insert(
        "instance_auto",
        if state.config.auto_approve_updates {
            "on"
        } else {
            "off"
        },
    );
    Ok(Reply::Html(
        status,
        render(state, "pages/review.html", &ctx)?,
    ))
}

/// `GET /review/{app_id}/{version}`
pub async fn detail(
    state: State,
    cookie: crate::browser::SessionCookie,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    show_page(&state, cookie, move |state, me| {
        review_page(state, me, &path, None, "")
    })
    .await
}

fn review_url(app: &str, version: &str) -> String {
    format!("/review/{app}/{version}")
}

/// The app id and version of a `/…/{app_id}/{version}` path (404 for a version that
/// cannot exist).
fn version_path(path: &(String, String)) -> Result<(AppId, semver::Version), ApiError> {
    let id = crate::actions::parse_app_id(&path.0)?;
    let version = path
        .1
        .parse()
        .map_err(|_| ApiError::not_found("there is no such version"))?;
    Ok((id, version))
}

/// Runs `action` from a form, then goes back to the review page (or shows it again with
/// the reason's error).
async fn decide_from_form(
    state: State,
    cookie: crate::browser::SessionCookie,
    path: Path<(String, String)>,
    form: FormData,
    req: HttpRequest,
    action: impl FnOnce(&FormData) -> Result<Action, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, move |state, me, form, ip| {
        let (id, version) = version_path(&path)?;
        let action = action(form)?;
        let reason = form.text("reason");
        match review::act(
            state,
            &me.principal,
            &id,
            &version,
            action,
            Some(&reason),
            ip,
        ) {
            Ok(_) => Ok(Reply::Redirect(review_url(&path.0, &path.1))),
            Err(e) if e.code() == "invalid_reason" => review_page(
                state,
                me,
                &path,
                Some(serde_json::json!({ "reason": e.message() })),
                &reason,
            ),
            Err(e) => Err(e),
        }
    })
    .await
}

/// `POST /review/{app_id}/{version}/approve` (`channel`)
pub async fn approve(
    state: State,
    cookie: crate::browser::SessionCookie,
    path: Path<(String, String)>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    decide_from_form(state, cookie, path, form, req, |form| {
        Ok(Action::Approve(review::channel(&form.text("channel"))?))
    })
    .await
}

/// `POST /review/{app_id}/{version}/reject` (`reason`)
pub async fn reject(
    state: State,
    cookie: crate::browser::SessionCookie,
    path: Path<(String, String)>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    decide_from_form(state, cookie, path, form, req, |_| Ok(Action::Reject)).await
}

/// `POST /review/{app_id}/{version}/retry`: an admin runs an errored review again.
pub async fn retry(
    state: State,
    cookie: crate::browser::SessionCookie,
    path: Path<(String, String)>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, move |state, me, _, ip| {
        let (id, version) = version_path(&path)?;
        review::retry(state, &me.principal, &id, &version, ip)?;
        Ok(Reply::Redirect(review_url(&path.0, &path.1)))
    })
    .await
}

/// `POST /review/{app_id}/{version}/auto-approve` (`default`, `on`, `off`): an admin's
/// per-app override.
pub async fn set_auto_approve(
    state: State,
    cookie: crate::browser::SessionCookie,
    path: Path<(String, String)>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, move |state, me, form, ip| {
        let id = crate::actions::parse_app_id(&path.0)?;
        let value = match form.text("auto_approve").as_str() {
            "default" => None,
            "on" => Some(true),
            "off" => Some(false),
            other => {
                return Err(ApiError::bad_request(
                    "invalid_setting",
                    format!("auto_approve: `{other}` is not default, on or off"),
                ));
            }
        };
        review::set_auto_approve(state, &me.principal, &id, value, ip)?;
        Ok(Reply::Redirect(review_url(&path.0, &path.1)))
    })
    .await
}

/// `POST /apps/{app_id}/versions/{version}/promote` and `…/suspend` from a page: back to
/// the review page when it came from there, else to the version's page.
async fn release_action(
    state: State,
    cookie: crate::browser::SessionCookie,
    path: Path<(String, String)>,
    form: FormData,
    req: HttpRequest,
    action: Action,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, move |state, me, form, ip| {
        let (id, version) = version_path(&path)?;
        review::act(state, &me.principal, &id, &version, action, None, ip)?;
        Ok(Reply::Redirect(if form.text("back") == "review" {
            review_url(&path.0, &path.1)
        } else {
            format!("/apps/{}/versions/{}", path.0, path.1)
        }))
    })
    .await
}

/// `POST /apps/{app_id}/versions/{version}/promote`
pub async fn promote(
    state: State,
    cookie: crate::browser::SessionCookie,
    path: Path<(String, String)>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    release_action(state, cookie, path, form, req, Action::Promote).await
}

/// `POST /apps/{app_id}/versions/{version}/suspend`
pub async fn suspend(
    state: State,
    cookie: crate::browser::SessionCookie,
    path: Path<(String, String)>,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    release_action(state, cookie, path, form, req, Action::Suspend).await
}
