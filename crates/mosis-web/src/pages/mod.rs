//! The dashboard: server-rendered pages (tera) that work without JavaScript, with htmx
//! fragments for live parts. One module per resource; every route is registered in
//! [`configure`]. Pages authenticate with the session cookie ([`SessionCookie`]), and
//! every state-changing request passes the CSRF check.

mod account;
mod admin;
mod apps;
mod device;
mod form;
mod keys;
mod review;
mod sign_in;
mod tokens;

use crate::browser::{SessionCookie, SignedIn};
use crate::error::{ApiError, blocking, reading};
use crate::state::{AppState, State};
use crate::templates;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::{Next, from_fn};
use actix_web::{Error, HttpRequest, HttpResponse, web};
use mosis_storage::{Role, UnixTime};

pub use form::FormData;

/// The pages' Content-Security-Policy: scripts and styles from this origin only (no
/// inline script, no eval), forms post only here, never framed.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// Registers every dashboard route (after the API's, which take precedence).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{name}", web::get().to(serve_asset))
        .service(
            web::scope("")
                .wrap(from_fn(render_errors))
                .route("/", web::get().to(sign_in::home))
                .route("/login", web::get().to(sign_in::login))
                .route("/auth/{provider}/start", web::get().to(sign_in::start))
                .route(
                    "/auth/{provider}/callback",
                    web::get().to(sign_in::callback),
                )
                .route("/logout", web::post().to(sign_in::logout))
                .route("/setup", web::get().to(sign_in::setup))
                .route("/setup", web::post().to(sign_in::claim))
                .route("/apps", web::get().to(apps::list))
                .route("/apps", web::post().to(apps::register))
                .route("/apps/new", web::get().to(apps::new))
                .route("/apps/{app_id}", web::get().to(apps::show))
                .route("/apps/{app_id}/versions", web::get().to(apps::versions))
                .route("/apps/{app_id}/upload", web::get().to(apps::upload_form))
                .route("/apps/{app_id}/upload", web::post().to(apps::upload))
                .route(
                    "/apps/{app_id}/versions/{version}",
                    web::get().to(apps::version),
                )
                .route(
                    "/apps/{app_id}/versions/{version}/state",
                    web::get().to(apps::version_state),
                )
                .route(
                    "/apps/{app_id}/versions/{version}/package",
                    web::get().to(apps::download),
                )
                .route(
                    "/apps/{app_id}/versions/{version}/promote",
                    web::post().to(review::promote),
                )
                .route(
                    "/apps/{app_id}/versions/{version}/suspend",
                    web::post().to(review::suspend),
                )
                .route("/review", web::get().to(review::queue))
                .route("/review/{app_id}/{version}", web::get().to(review::detail))
                .route(
                    "/review/{app_id}/{version}/approve",
                    web::post().to(review::approve),
                )
                .route(
                    "/review/{app_id}/{version}/reject",
                    web::post().to(review::reject),
                )
                .route(
                    "/review/{app_id}/{version}/retry",
                    web::post().to(review::retry),
                )
                .route(
                    "/review/{app_id}/{version}/auto-approve",
                    web::post().to(review::set_auto_approve),
                )
                .route("/keys", web::get().to(keys::list))
                .route("/keys", web::post().to(keys::add))
                .route("/keys/{key_id}/revoke", web::post().to(keys::revoke))
                .route("/tokens", web::get().to(tokens::list))
                .route("/tokens", web::post().to(tokens::create))
                .route("/tokens/{id}/revoke", web::post().to(tokens::revoke))
                .route("/device", web::get().to(device::show))
                .route("/device", web::post().to(device::decide))
                .route("/account", web::get().to(account::show_account))
                .route(
                    "/account/sessions/revoke",
                    web::post().to(account::sign_out_everywhere),
                )
                .route("/admin/users", web::get().to(admin::users))
                .route("/admin/users/{id}/roles", web::post().to(admin::set_roles))
                .route("/admin/users/{id}/disable", web::post().to(admin::disable))
                .route("/admin/users/{id}/enable", web::post().to(admin::enable))
                .route(
                    "/admin/users/{id}/sessions/revoke",
                    web::post().to(admin::end_sessions),
                )
                .route(
                    "/admin/users/{id}/identities",
                    web::post().to(admin::link_identity),
                )
                .route("/admin/audit", web::get().to(admin::audit))
                .default_service(web::to(|| async {
                    Err::<HttpResponse, _>(ApiError::not_found("there is no such page"))
                })),
        );
}

/// What a page handler's blocking part produces (an `HttpResponse` is not `Send`).
#[derive(Debug)]
pub enum Reply {
    /// An HTML document or fragment.
    Html(StatusCode, String),
    /// A redirect after a POST (or to sign in): 303 See Other.
    Redirect(String),
}

impl Reply {
    /// 200 with `body`.
    pub fn ok(body: String) -> Self {
        Self::Html(StatusCode::OK, body)
    }

    /// The HTTP response, with the page headers.
    pub fn into_response(self) -> HttpResponse {
        match self {
            Self::Html(status, body) => html(status, body),
            Self::Redirect(to) => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
        }
    }
}

/// An HTML response: the page CSP, never cached (pages are personal; a token is shown once).
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The context every page gets: instance, assets, the viewer and their CSRF token.
pub fn context(state: &AppState, viewer: Option<&SignedIn>, section: &str) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("instance_name", &state.config.instance_name);
    ctx.insert("base_url", &state.config.base_url());
    ctx.insert("assets", &state.templates.assets);
    ctx.insert("section", section);
    // Defaults, so templates may test them unset.
    ctx.insert("errors", &None::<()>);
    ctx.insert("page_error", &false);
    if let Some(v) = viewer {
        let account = &v.principal.account;
        ctx.insert(
            "viewer",
            &serde_json::json!({
                "name": account.name,
                "is_admin": account.roles.contains(&Role::Admin),
                "is_reviewer": account.roles.contains(&Role::Reviewer),
            }),
        );
        ctx.insert("csrf", &v.csrf);
    } else {
        ctx.insert("csrf", "");
    }
    ctx
}

/// Renders a page or fragment.
pub fn render(state: &AppState, name: &str, ctx: &tera::Context) -> Result<String, ApiError> {
    state.templates.render(name, ctx)
}

/// A time as templates show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct When {
    /// ISO 8601, for `<time datetime>`.
    pub iso: String,
    /// `2026-12-04 10:00:00 UTC`, for logs and detail pages.
    pub absolute: String,
    /// `3 h ago`.
    pub relative: String,
}

/// A time for templates: ISO 8601 (for `<time datetime>`), relative and absolute UTC.
pub fn when(at: UnixTime, now: UnixTime) -> When {
    let t = time::OffsetDateTime::from_unix_timestamp(at).ok();
    When {
        iso: t
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default(),
        absolute: t
            .and_then(|t| {
                t.format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
                ))
                .ok()
            })
            .unwrap_or_default(),
        relative: relative(at, now),
    }
}

/// "3 h ago", "in 10 min", "just now".
fn relative(at: UnixTime, now: UnixTime) -> String {
    let delta = now - at;
    let (amount, future) = (delta.unsigned_abs(), delta < 0);
    let text = match amount {
        0..45 => return "just now".into(),
        45..3_600 => format!("{} min", amount.div_ceil(60)),
        3_600..86_400 => format!("{} h", amount / 3_600),
        _ => format!("{} d", amount / 86_400),
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// A byte count for people.
pub fn size_text(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

/// The configured sign-in providers as pages list them (`id`, `name`).
pub fn provider_list(state: &AppState) -> Vec<serde_json::Value> {
    state
        .sign_in
        .providers()
        .iter()
        .map(|p| serde_json::json!({ "id": p.id, "name": p.name }))
        .collect()
}

/// The scopes offered on the token and device-approval forms, for `account`.
pub fn scope_choices(
    account: &mosis_storage::Account,
    checked: &[String],
) -> Vec<serde_json::Value> {
    let mut choices = vec![
        ("read", "read your apps, versions, keys and tokens"),
        (
            "publish",
            "register apps, upload versions of any of your apps, manage keys",
        ),
    ];
    if account.roles.contains(&Role::Reviewer) || account.roles.contains(&Role::Admin) {
        choices.push(("review", "review other developers' uploads"));
    }
    if account.roles.contains(&Role::Admin) {
        choices.push(("admin", "manage users and read the audit log"));
    }
    choices
        .into_iter()
        .map(|(value, description)| {
            serde_json::json!({
                "value": value,
                "description": description,
                "checked": checked.iter().any(|c| c == value),
            })
        })
        .collect()
}

/// `GET /_bench/apps-table` (only with `bench_routes`): the apps page with 50 synthetic
/// rows, rendered like a real page (on the blocking pool) but with no session and no
/// queries — the baseline of `cargo xtask bench dashboard`.
pub async fn bench_apps_table(state: State) -> Result<HttpResponse, ApiError> {
    let reply = crate::error::blocking(move || {
        let now = state.auth.clock().now();
        let rows: Vec<_> = (0..50)
            .map(|i| {
                serde_json::json!({
                    "app_id": format!("com.example.app{i}"),
                    "name": format!("App {i}"),
                    "created": when(now - 86_400, now),
                    "latest_version": "1.0.0",
                    "latest_state": "in_review",
                    "latest_at": when(now - 3_600, now),
                })
            })
            .collect();
        let mut ctx = context(&state, None, "apps");
        ctx.insert(
            "viewer",
            &serde_json::json!({ "name": "bench", "is_admin": false, "is_reviewer": false }),
        );
        ctx.insert("csrf", "bench");
        ctx.insert("apps", &rows);
        Ok(Reply::ok(render(&state, "pages/apps.html", &ctx)?))
    })
    .await?;
    Ok(reply.into_response())
}

/// Serves a compiled-in asset; the URL carries its hash, so it may be cached forever.
async fn serve_asset(path: web::Path<String>) -> HttpResponse {
    match templates::asset(&path) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.bytes),
        None => HttpResponse::NotFound().finish(),
    }
}

/// Whether a request came from htmx (and wants a fragment, not a page).
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("HX-Request") && !req.headers().contains_key("HX-Boosted")
}

/// Turns an error of a page route into what a browser should see: a redirect to sign in
/// for 401, else an HTML error page (or, for htmx, a fragment aimed at the page's alert
/// region). The one place dashboard errors become HTML.
async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let htmx = req.headers().contains_key("HX-Request");
    let is_get = req.method() == Method::GET;
    let here = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let (message, problems) = match res.response().error() {
        Some(e) => match e.as_error::<ApiError>() {
            Some(api) => (api.message().to_owned(), api.problems().to_vec()),
            None => (e.to_string(), Vec::new()),
        },
        // A handler rendered its own error page.
        None => return Ok(res),
    };
    let Some(state) = res.request().app_data::<State>().cloned() else {
        return Ok(res);
    };
    let (http_req, _) = res.into_parts();
    if status == StatusCode::UNAUTHORIZED {
        let login = format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(if is_get { here.as_bytes() } else { b"/apps" })
                .collect::<String>()
        );
        let response = if htmx {
            HttpResponse::Ok()
                .insert_header(("HX-Redirect", login))
                .finish()
        } else {
            Reply::Redirect(login).into_response()
        };
        return Ok(ServiceResponse::new(http_req, response));
    }
    let title = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::CONFLICT => "Already done",
        StatusCode::PAYLOAD_TOO_LARGE => "Too large",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    let mut ctx = context(&state, None, "");
    ctx.insert("page_error", &true);
    ctx.insert("title", title);
    ctx.insert("message", &message);
    ctx.insert("problems", &problems);
    ctx.insert("back", "/apps");
    let template = if htmx {
        "partials/error.html"
    } else {
        "pages/error.html"
    };
    let response = match state.templates.render(template, &ctx) {
        Ok(body) => {
            let mut response = html(status, body);
            if htmx {
                let headers = response.headers_mut();
                headers.insert(
                    header::HeaderName::from_static("hx-retarget"),
                    header::HeaderValue::from_static("#alerts"),
                );
                headers.insert(
                    header::HeaderName::from_static("hx-reswap"),
                    header::HeaderValue::from_static("innerHTML"),
                );
            }
            response
        }
        Err(e) => HttpResponse::build(status).body(e.message().to_owned()),
    };
    Ok(ServiceResponse::new(http_req, response))
}

/// Runs a page's read-only work for the signed-in viewer, in one storage snapshot on the
/// blocking pool. Signed out, it is 401, which [`render_errors`] turns into a sign-in
/// redirect that comes back here.
pub async fn show(
    state: &State,
    cookie: SessionCookie,
    f: impl FnOnce(&AppState, &SignedIn) -> Result<Reply, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let reply = reading(state, move |state| {
        let me = cookie.signed_in(state)?;
        f(state, &me)
    })
    .await?;
    Ok(reply.into_response())
}

/// Runs a form's state-changing work for the signed-in viewer, after the CSRF check, on
/// the blocking pool; `f` gets the form and the client's IP address (for the audit log).
pub async fn submit(
    state: State,
    cookie: SessionCookie,
    form: FormData,
    req: &HttpRequest,
    f: impl FnOnce(&AppState, &SignedIn, &FormData, Option<&str>) -> Result<Reply, ApiError>
    + Send
    + 'static,
) -> Result<HttpResponse, ApiError> {
    let ip = crate::api::client_ip(req);
    let reply = blocking(move || {
        let me = cookie.signed_in(&state)?;
        me.check_csrf(&state, form.csrf())?;
        f(&state, &me, &form, ip.as_deref())
    })
    .await?;
    Ok(reply.into_response())
}

/// Puts a form's errors (field → message) into `ctx`; returns the status: 400 with
/// errors (and "Error: " in the title), else 200.
pub fn with_errors(ctx: &mut tera::Context, errors: Option<serde_json::Value>) -> StatusCode {
    let failed = errors.is_some();
    ctx.insert("page_error", &failed);
    ctx.insert("errors", &errors);
    if failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// An action's error about one of a form's `fields` (its message starts `field:`) shows
/// the form `again` with the error beside that field; any other error passes through.
pub fn or_form_error(
    result: Result<Reply, ApiError>,
    fields: &[&str],
    again: impl FnOnce(serde_json::Value) -> Result<Reply, ApiError>,
) -> Result<Reply, ApiError> {
    match result {
        Ok(reply) => Ok(reply),
        Err(e) => {
            let field = fields
                .iter()
                .find(|f| e.message().starts_with(&format!("{f}:")));
            match field {
                Some(field) => again(serde_json::json!({ *field: e.message() })),
                None => Err(e),
            }
        }
    }
}
