//! Apps: the list, registering one, an app's page with its versions, uploading from the
//! browser, a version's page, and downloading its package.

use super::{
    FormData, Reply, When, context, is_htmx, or_form_error, render, show as show_page, size_text,
    submit, when, with_errors,
};
use crate::actions;
use crate::browser::{CSRF_HEADER, SessionCookie};
use crate::error::{ApiError, blocking, reading};
use crate::state::{AppState, State};
use crate::{download, upload};
use actix_multipart::Multipart;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use mosis_auth::permissions;
use mosis_storage::{App, Apps, UnixTime, VersionRecord, VersionState, Versions};
use serde::Serialize;

/// Room for the multipart framing around the package in a form upload (and the most the
/// form's other fields may hold).
const MULTIPART_OVERHEAD_BYTES: u64 = 64 * 1024;

/// An app as pages show it.
#[derive(Debug, Serialize)]
struct AppView {
    app_id: String,
    name: String,
    created: When,
}

fn app_view(app: &App, now: UnixTime) -> AppView {
    AppView {
        app_id: app.app_id.to_string(),
        name: app.name.clone(),
        created: when(app.created_at, now),
    }
}

/// A row of the apps list: the app and its newest version.
#[derive(Debug, Serialize)]
struct AppRow {
    #[serde(flatten)]
    app: AppView,
    latest_version: Option<String>,
    latest_state: Option<String>,
    latest_at: Option<When>,
}

/// A version as tables and the version page show it.
#[derive(Debug, Serialize)]
pub(super) struct VersionView {
    version: String,
    state: String,
    channel: Option<String>,
    size_text: String,
    sha256: String,
    key_id: String,
    reject_reason: Option<String>,
    auto_approved: bool,
    requested_channel: Option<String>,
    uploaded: When,
    updated: When,
}

pub(super) fn version_view(v: &VersionRecord, now: UnixTime) -> VersionView {
    VersionView {
        version: v.version.to_string(),
        state: v.state.to_string(),
        channel: v.channel.map(|c| c.to_string()),
        size_text: size_text(v.size),
        sha256: v.sha256.to_string(),
        key_id: v.key_id.to_string(),
        reject_reason: v.reject_reason.clone(),
        auto_approved: v.auto_approved,
        requested_channel: v.requested_channel.map(|c| c.to_string()),
        uploaded: when(v.created_at, now),
        updated: when(v.updated_at, now),
    }
}

/// JSON text made readable (or left as it is when it does not parse).
pub(super) fn pretty(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| json.to_owned())
}

/// Whether a version may still change state on its own (so its page keeps polling).
fn in_flight(state: VersionState) -> bool {
    matches!(state, VersionState::Pending | VersionState::InReview)
}

/// An app the viewer may see, by the id in the path.
fn visible_app(state: &AppState, me: &mosis_auth::Principal, text: &str) -> Result<App, ApiError> {
    let id = actions::parse_app_id(text)?;
    let app = state.store.app(&id)?;
    // "Not visible to you" looks the same as "missing".
    permissions::view_app(me, &app).map_err(|_| ApiError::not_found("there is no such app"))?;
    Ok(app)
}

/// Reads a small text field of a multipart form (at most 256 bytes).
async fn small_field(field: &mut actix_multipart::Field, name: &str) -> Result<String, ApiError> {
    let mut value = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_form", e.to_string()))?;
        if value.len() + chunk.len() > 256 {
            return Err(ApiError::bad_request(
                "invalid_form",
                format!("{name}: too long"),
            ));
        }
        value.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&value).into_owned())
}

/// `GET /apps`
pub async fn list(state: State, cookie: SessionCookie) -> Result<HttpResponse, ApiError> {
    show_page(&state, cookie, move |state, me| {
        permissions::list_apps(&me.principal)?;
        let now = state.auth.clock().now();
        let apps = state.store.apps_of(me.principal.account.id)?;
        let newest = state
            .store
            .newest_versions_of_owner(me.principal.account.id)?;
        let mut rows = Vec::with_capacity(apps.len());
        for app in &apps {
            let latest = newest.get(&app.app_id);
            rows.push(AppRow {
                app: app_view(app, now),
                latest_version: latest.map(|v| v.version.to_string()),
                latest_state: latest.map(|v| v.state.to_string()),
                latest_at: latest.map(|v| when(v.updated_at, now)),
            });
        }
        let mut ctx = context(state, Some(me), "apps");
        ctx.insert("apps", &rows);
        Ok(Reply::ok(render(state, "pages/apps.html", &ctx)?))
    })
    .await
}

fn new_app_page(
    state: &AppState,
    me: &crate::browser::SignedIn,
    form: serde_json::Value,
    errors: Option<serde_json::Value>,
) -> Result<Reply, ApiError> {
    let mut ctx = context(state, Some(me), "apps");
    ctx.insert("form", &form);
    let status = with_errors(&mut ctx, errors);
    Ok(Reply::Html(
        status,
        render(state, "pages/app_new.html", &ctx)?,
    ))
}

/// `GET /apps/new`
pub async fn new(state: State, cookie: SessionCookie) -> Result<HttpResponse, ApiError> {
    show_page(&state, cookie, move |state, me| {
        new_app_page(
            state,
            me,
            serde_json::json!({ "app_id": "", "name": "" }),
            None,
        )
    })
    .await
}

/// `POST /apps`: registers the app, or shows the form again with the errors.
pub async fn register(
    state: State,
    cookie: SessionCookie,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, |state, me, form, ip| {
        let (id_text, name) = (form.text("app_id"), form.text("name"));
        let registered = actions::parse_app_id(&id_text).and_then(|id| {
            let name = actions::listing_name(Some(&name), &id)?;
            actions::register_app(state, &me.principal, &id, &name, ip)
        });
        or_form_error(
            registered.map(|app| Reply::Redirect(format!("/apps/{}", app.app_id))),
            &["app_id", "name"],
            |errors| {
                let kept = serde_json::json!({ "app_id": id_text, "name": name });
                new_app_page(state, me, kept, Some(errors))
            },
        )
    })
    .await
}

fn versions_context(
    state: &AppState,
    app: &App,
    ctx: &mut tera::Context,
) -> Result<Vec<VersionRecord>, ApiError> {
    let now = state.auth.clock().now();
    let versions = state.store.versions_of(&app.app_id)?;
    ctx.insert("app", &app_view(app, now));
    ctx.insert(
        "versions",
        &versions
            .iter()
            .map(|v| version_view(v, now))
            .collect::<Vec<_>>(),
    );
    ctx.insert("polling", &versions.iter().any(|v| in_flight(v.state)));
    Ok(versions)
}

/// `GET /apps/{app_id}`
pub async fn show(
    state: State,
    cookie: SessionCookie,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    show_page(&state, cookie, move |state, me| {
        let app = visible_app(state, &me.principal, &path)?;
        let mut ctx = context(state, Some(me), "apps");
        let versions = versions_context(state, &app, &mut ctx)?;
        let now = state.auth.clock().now();
        let attention: Vec<_> = versions
            .iter()
            .filter(|v| v.state == VersionState::Rejected)
            .take(3)
            .map(|v| version_view(v, now))
            .collect();
        ctx.insert("attention", &attention);
        Ok(Reply::ok(render(state, "pages/app.html", &ctx)?))
    })
    .await
}

/// `GET /apps/{app_id}/versions`: the versions table fragment (htmx polls it while a
/// version is in flight; the answer without the trigger stops the polling).
pub async fn versions(
    state: State,
    cookie: SessionCookie,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    show_page(&state, cookie, move |state, me| {
        let app = visible_app(state, &me.principal, &path)?;
        let mut ctx = context(state, Some(me), "apps");
        versions_context(state, &app, &mut ctx)?;
        Ok(Reply::ok(render(state, "partials/versions.html", &ctx)?))
    })
    .await
}

/// `GET /apps/{app_id}/upload`
pub async fn upload_form(
    state: State,
    cookie: SessionCookie,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    show_page(&state, cookie, move |state, me| {
        let app = visible_app(state, &me.principal, &path)?;
        permissions::upload_version(&me.principal, &app.app_id, Some(app.owner_id))?;
        let now = state.auth.clock().now();
        let mut ctx = context(state, Some(me), "apps");
        ctx.insert("app", &app_view(&app, now));
        ctx.insert(
            "newest",
            &state
                .store
                .versions_of(&app.app_id)?
                .first()
                .map(|v| v.version.to_string()),
        );
        ctx.insert(
            "max_upload_mb",
            &(state.config.max_upload_bytes / 1_000_000),
        );
        Ok(Reply::ok(render(state, "pages/upload.html", &ctx)?))
    })
    .await
}

/// `POST /apps/{app_id}/upload`: a multipart form with `_csrf` first and the `package`
/// file, streamed like the API's upload (never held whole). htmx gets the result
/// fragment; a plain form is redirected to the new version's page.
pub async fn upload(
    state: State,
    cookie: SessionCookie,
    path: Path<String>,
    req: HttpRequest,
    mut multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let limit = state.config.max_upload_bytes;
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit + MULTIPART_OVERHEAD_BYTES) {
        return Err(ApiError::too_large(limit));
    }
    let header_csrf = req.headers().contains_key(CSRF_HEADER);
    let text = path.into_inner();
    let shared = state.clone();
    let (me, app) = blocking(move || {
        let me = cookie.signed_in(&shared)?;
        if header_csrf {
            me.check_csrf(&shared, None)?;
        }
        let app = visible_app(&shared, &me.principal, &text)?;
        permissions::upload_version(&me.principal, &app.app_id, Some(app.owner_id))?;
        Ok((me, app))
    })
    .await?;
    let mut csrf_checked = header_csrf;
    let mut ignored_bytes = 0u64;
    let mut accepted = None;
    let mut channel = None;
    while let Some(field) = multipart.next().await {
        let mut field =
            field.map_err(|e| ApiError::bad_request("invalid_form", format!("the form: {e}")))?;
        match field.name() {
            Some("_csrf") => {
                let value = small_field(&mut field, "_csrf").await?;
                me.check_csrf(&state, Some(&value))?;
                csrf_checked = true;
            }
            // The channel asked for (empty: the reviewer chooses); it must come before the
            // file, like the token.
            Some("channel") => {
                let value = small_field(&mut field, "channel").await?;
                channel = (!value.trim().is_empty())
                    .then(|| crate::review::channel(&value))
                    .transpose()?;
            }
            // One package per upload; a second file field counts as an ignored field.
            Some("package") if accepted.is_none() => {
                if !csrf_checked {
                    return Err(ApiError::forbidden(
                        "csrf",
                        "the form's CSRF token must come before the file; reload the page and try again",
                    ));
                }
                let record = upload::store(
                    &state.clone().into_inner(),
                    me.principal.account.clone(),
                    (app.app_id.clone(), channel),
                    Some(app.clone()),
                    &mut field,
                    None,
                )
                .await?;
                accepted = Some(record);
            }
            _ => {
                // Other fields are ignored, but read (so the stream moves on) and bounded.
                while let Some(chunk) = field.next().await {
                    let chunk =
                        chunk.map_err(|e| ApiError::bad_request("invalid_form", e.to_string()))?;
                    ignored_bytes += chunk.len() as u64;
                    if ignored_bytes > MULTIPART_OVERHEAD_BYTES {
                        return Err(ApiError::too_large(MULTIPART_OVERHEAD_BYTES));
                    }
                }
            }
        }
    }
    let record = accepted.ok_or_else(|| {
        ApiError::bad_request("invalid_form", "package: choose a package file to upload")
    })?;
    if !is_htmx(&req) {
        return Ok(Reply::Redirect(format!(
            "/apps/{}/versions/{}",
            record.app_id, record.version
        ))
        .into_response());
    }
    let reply = blocking(move || {
        let mut ctx = context(&state, Some(&me), "apps");
        let now = state.auth.clock().now();
        ctx.insert("app", &app_view(&app, now));
        ctx.insert("version", &version_view(&record, now));
        Ok(Reply::ok(render(
            &state,
            "partials/upload_result.html",
            &ctx,
        )?))
    })
    .await?;
    Ok(reply.into_response())
}

fn version_context(
    state: &AppState,
    me: &crate::browser::SignedIn,
    app_text: &str,
    version_text: &str,
) -> Result<tera::Context, ApiError> {
    let app = visible_app(state, &me.principal, app_text)?;
    let version: semver::Version = version_text
        .parse()
        .map_err(|_| ApiError::not_found("there is no such version"))?;
    let record = state.store.version(&app.app_id, &version)?;
    let now = state.auth.clock().now();
    let mut ctx = context(state, Some(me), "apps");
    ctx.insert("app", &app_view(&app, now));
    ctx.insert("version", &version_view(&record, now));
    ctx.insert("polling", &in_flight(record.state));
    let report: Option<mosis_review::Report> = record
        .report_json
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    ctx.insert(
        "report_at",
        &report.as_ref().map(|r| when(r.reviewed_at, now)),
    );
    ctx.insert("report", &report);
    ctx.insert(
        "owner_actions",
        &permissions::act_on_release(&me.principal, &app).is_ok(),
    );
    ctx.insert("manifest", &pretty(&record.manifest_json));
    Ok(ctx)
}

/// `GET /apps/{app_id}/versions/{version}`
pub async fn version(
    state: State,
    cookie: SessionCookie,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    show_page(&state, cookie, move |state, me| {
        let ctx = version_context(state, me, &path.0, &path.1)?;
        Ok(Reply::ok(render(state, "pages/version.html", &ctx)?))
    })
    .await
}

/// `GET /apps/{app_id}/versions/{version}/state`: the state fragment htmx polls.
pub async fn version_state(
    state: State,
    cookie: SessionCookie,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    show_page(&state, cookie, move |state, me| {
        let ctx = version_context(state, me, &path.0, &path.1)?;
        Ok(Reply::ok(render(
            state,
            "partials/version_state.html",
            &ctx,
        )?))
    })
    .await
}

/// `GET /apps/{app_id}/versions/{version}/package`: the download, for the signed-in
/// owner (or a reviewer or admin).
pub async fn download(
    state: State,
    cookie: SessionCookie,
    path: Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (app, record) = reading(&state, move |state| {
        let me = cookie.signed_in(state)?;
        let app = visible_app(state, &me.principal, &path.0)?;
        let version: semver::Version = path
            .1
            .parse()
            .map_err(|_| ApiError::not_found("there is no such version"))?;
        let record = state.store.version(&app.app_id, &version)?;
        Ok((app, record))
    })
    .await?;
    download::respond(&state, &req, &app, &record).await
}
