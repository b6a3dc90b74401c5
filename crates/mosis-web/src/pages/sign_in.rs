//! Signing in and out: the sign-in page, the provider round trip, logout, and the
//! first-run bootstrap (`/setup`).

use super::{FormData, Reply, context, render, submit};
use crate::api::client_ip;
use crate::browser::{
    SessionCookie, bound_sign_in_state, clear_session_cookie, clear_sign_in_cookie, session_cookie,
    sign_in_cookie,
};
use crate::error::{ApiError, blocking, reading};
use crate::state::{AppState, State};
use actix_web::http::StatusCode;
use actix_web::web::{Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::{Identity, safe_next};
use mosis_storage::{Accounts as _, Origin, Role};
use serde::Deserialize;

/// `?next=`
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// What a provider sends back.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `?token=`
#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    token: Option<String>,
}

/// The callback URL registered at each provider.
fn callback_url(state: &AppState, provider: &str) -> Result<url::Url, ApiError> {
    url::Url::parse(&format!(
        "{}/auth/{provider}/callback",
        state.config.base_url()
    ))
    .map_err(|e| ApiError::internal(format!("public_url: {e}")))
}

fn origin(req: &HttpRequest) -> Origin {
    Origin {
        ip: client_ip(req),
        client: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect(),
    }
}

/// The sign-in page, with an error when a sign-in failed.
fn login_page(
    state: &AppState,
    next: &str,
    error: Option<(&str, Option<&str>)>,
    status: StatusCode,
) -> Result<Reply, ApiError> {
    let mut ctx = context(state, None, "login");
    let providers = super::provider_list(state);
    ctx.insert("providers", &providers);
    ctx.insert("next", next);
    ctx.insert(
        "next_encoded",
        &url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>(),
    );
    if let Some((message, detail)) = error {
        ctx.insert("page_error", &true);
        ctx.insert("error", message);
        ctx.insert("detail", &detail);
    }
    Ok(Reply::Html(
        status,
        render(state, "pages/login.html", &ctx)?,
    ))
}

/// `/`: the apps list when signed in; sign-in (or first-run setup) otherwise.
pub async fn home(state: State, cookie: SessionCookie) -> Result<HttpResponse, ApiError> {
    let reply = reading(&state, move |state| {
        if cookie.maybe_signed_in(state)?.is_some() {
            return Ok(Reply::Redirect("/apps".into()));
        }
        Ok(Reply::Redirect(
            if state.store.has_admin()? {
                "/login"
            } else {
                "/setup"
            }
            .into(),
        ))
    })
    .await?;
    Ok(reply.into_response())
}

/// `GET /login`: one button per configured provider.
pub async fn login(
    state: State,
    cookie: SessionCookie,
    query: Query<NextQuery>,
) -> Result<HttpResponse, ApiError> {
    let next = safe_next(query.next.as_deref());
    let reply = reading(&state, move |state| {
        if cookie.maybe_signed_in(state)?.is_some() {
            return Ok(Reply::Redirect(next));
        }
        if !state.store.has_admin()? {
            return Ok(Reply::Redirect("/setup".into()));
        }
        login_page(state, &next, None, StatusCode::OK)
    })
    .await?;
    Ok(reply.into_response())
}

/// `GET /auth/{provider}/start`: leaves for the provider, remembering the round trip.
pub async fn start(
    state: State,
    path: Path<String>,
    query: Query<NextQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let next = safe_next(query.next.as_deref());
    let provider = state.sign_in.provider(&id)?;
    let redirect = callback_url(&state, &id)?;
    let authorization = match provider.authorize(state.sign_in.http(), &redirect).await {
        Ok(a) => a,
        Err(e) => {
            let message = e.to_string();
            let reply = blocking({
                let state = state.clone();
                move || {
                    login_page(
                        &state,
                        &next,
                        Some(("The sign-in provider cannot be reached right now; try again in a minute.", Some(&message))),
                        StatusCode::BAD_GATEWAY,
                    )
                }
            })
            .await?;
            return Ok(reply.into_response());
        }
    };
    let url = authorization.url.to_string();
    let flow_state = authorization.state.clone();
    let shared = state.clone();
    blocking(move || Ok(shared.sign_in.remember(&id, &authorization, &next)?)).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, url))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .cookie(sign_in_cookie(&state, flow_state))
        .finish())
}

/// Words for an OAuth error code a provider sent back.
fn provider_error(name: &str, code: &str) -> String {
    match code {
        "access_denied" => {
            format!("You cancelled at {name}, or {name} refused; nothing was changed.")
        }
        "login_required" | "interaction_required" | "consent_required" => {
            format!("{name} needs you to sign in there first; try again.")
        }
        _ => format!(
            "{name} could not sign you in; try again, or ask an admin if it keeps happening."
        ),
    }
}

/// Why a callback did not sign anyone in: plain words for the page, the technical detail
/// for the collapsed `<details>` and the audit log.
struct Refusal {
    message: String,
    detail: Option<String>,
    status: StatusCode,
}

impl Refusal {
    fn new(message: impl Into<String>, detail: Option<String>, status: StatusCode) -> Self {
        Self {
            message: message.into(),
            detail,
            status,
        }
    }
}

/// `GET /auth/{provider}/callback`: checks the round trip, verifies the identity with the
/// provider, finds or creates the account, starts a session. A refusal shows the sign-in
/// page with the reason and is audited.
pub async fn callback(
    state: State,
    path: Path<String>,
    query: Query<CallbackQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let provider = state.sign_in.provider(&id)?;
    match complete_sign_in(&state, provider, &id, &query, &req).await {
        Ok((token, next)) => Ok(HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, next))
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .cookie(session_cookie(&state, token))
            .cookie(clear_sign_in_cookie(&state))
            .finish()),
        Err(refusal) => {
            let ip = client_ip(&req);
            let clear = clear_sign_in_cookie(&state);
            let reply = blocking(move || {
                let Refusal {
                    message,
                    detail,
                    status,
                } = refusal;
                state.sign_in.record_failure(
                    &id,
                    detail.as_deref().unwrap_or(&message),
                    ip.as_deref(),
                )?;
                login_page(&state, "/apps", Some((&message, detail.as_deref())), status)
            })
            .await?;
            let mut response = reply.into_response();
            let _ = response.add_cookie(&clear);
            Ok(response)
        }
    }
}

/// The callback's steps; returns the session token and where to go next.
async fn complete_sign_in(
    state: &State,
    provider: &mosis_auth::Provider,
    id: &str,
    query: &CallbackQuery,
    req: &HttpRequest,
) -> Result<(String, String), Refusal> {
    let name = &provider.name;
    if let Some(code) = &query.error {
        let detail = query
            .error_description
            .clone()
            .unwrap_or_else(|| code.clone());
        return Err(Refusal::new(
            provider_error(name, code),
            Some(detail),
            StatusCode::UNAUTHORIZED,
        ));
    }
    let (Some(code), Some(flow_state)) = (query.code.clone(), query.state.clone()) else {
        return Err(Refusal::new(
            format!("{name} sent the browser back without a sign-in code; try again."),
            None,
            StatusCode::BAD_REQUEST,
        ));
    };
    let bound = bound_sign_in_state(state, req);
    let (shared, provider_id) = (state.clone(), id.to_owned());
    let flow = blocking(move || {
        Ok(shared
            .sign_in
            .take(&provider_id, &flow_state, bound.as_deref())?)
    })
    .await
    .map_err(|e| {
        Refusal::new(
            "The sign-in expired or did not start in this browser; please try again.",
            Some(e.message().to_owned()),
            StatusCode::UNAUTHORIZED,
        )
    })?;
    let redirect = callback_url(state, id)
        .map_err(|e| Refusal::new(e.message(), None, StatusCode::INTERNAL_SERVER_ERROR))?;
    let identity: Identity = provider
        .identify(
            state.sign_in.http(),
            &redirect,
            &code,
            &flow.pkce_verifier,
            &flow.nonce,
        )
        .await
        .map_err(|e| {
            Refusal::new(
                format!("{name} could not confirm who you are; please try again."),
                Some(e.to_string()),
                StatusCode::UNAUTHORIZED,
            )
        })?;
    let origin = origin(req);
    let shared = state.clone();
    let token = blocking(move || {
        let account = shared
            .sign_in
            .account_for(&identity, origin.ip.as_deref())?;
        let (token, _) = shared.auth.start_session(account.id, &origin)?;
        Ok(token)
    })
    .await
    .map_err(|e| {
        Refusal::new(
            "This account cannot sign in here.",
            Some(e.message().to_owned()),
            StatusCode::FORBIDDEN,
        )
    })?;
    Ok((token, flow.next))
}

/// `POST /logout`: ends the session at once (the cookie is worthless afterwards).
pub async fn logout(
    state: State,
    cookie: SessionCookie,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let clear = clear_session_cookie(&state);
    let mut response = submit(state, cookie, form, &req, |state, me, _, ip| {
        state
            .auth
            .end_session(me.principal.account.id, &me.session_id, ip)?;
        Ok(Reply::Redirect("/login".into()))
    })
    .await?;
    let _ = response.add_cookie(&clear);
    Ok(response)
}

/// `GET /setup`: the bootstrap link's page (claim), the admin's checklist after it, or
/// "already set up".
pub async fn setup(
    state: State,
    cookie: SessionCookie,
    query: Query<SetupQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = query.token.clone();
    let reply = reading(&state, move |state| {
        let viewer = cookie.maybe_signed_in(state)?;
        let has_admin = state.store.has_admin()?;
        let mut ctx = context(state, viewer.as_ref(), "setup");
        let (page, status) = match (&viewer, has_admin, token) {
            (Some(v), true, _) if v.principal.account.roles.contains(&Role::Admin) => {
                ("done", StatusCode::OK)
            }
            (_, true, Some(_)) => ("locked", StatusCode::CONFLICT),
            (_, true, None) => ("locked", StatusCode::OK),
            (_, false, Some(token)) => {
                ctx.insert("token", &token);
                ctx.insert("name", "admin");
                ("claim", StatusCode::OK)
            }
            (_, false, None) => ("need_link", StatusCode::OK),
        };
        let providers = super::provider_list(state);
        ctx.insert("providers", &providers);
        ctx.insert("state", page);
        Ok(Reply::Html(
            status,
            render(state, "pages/setup.html", &ctx)?,
        ))
    })
    .await?;
    Ok(reply.into_response())
}

/// A name for the first admin: 1 to 40 of `a-z 0-9 . _ -`.
fn valid_account_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// `POST /setup`: claims the instance with the bootstrap link (the link's secret is this
/// form's proof of origin), signs the visitor in as the first admin.
pub async fn claim(
    state: State,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = form.text("token");
    let name = form.text("name").trim().to_owned();
    let origin = origin(&req);
    let shared = state.clone();
    let outcome = blocking(move || {
        if !valid_account_name(&name) {
            let mut ctx = context(&shared, None, "setup");
            ctx.insert("state", "claim");
            ctx.insert("token", &token);
            ctx.insert("name", &name);
            ctx.insert("page_error", &true);
            ctx.insert(
                "errors",
                &serde_json::json!({ "name": "Account name: 1 to 40 lowercase letters, digits, dots, dashes or underscores" }),
            );
            let page = render(&shared, "pages/setup.html", &ctx)?;
            return Ok(Err(Reply::Html(StatusCode::BAD_REQUEST, page)));
        }
        let account = shared
            .sign_in
            .claim(&token, &name, origin.ip.as_deref())
            .map_err(|e| {
                let e = ApiError::from(e);
                if e.status() == StatusCode::CONFLICT {
                    ApiError::new(
                        StatusCode::CONFLICT,
                        "bootstrap_refused",
                        format!(
                            "{}. To mint a new link, run `portal-server admin bootstrap-link` on the server.",
                            e.message()
                        ),
                    )
                } else {
                    e
                }
            })?;
        let (session, _) = shared.auth.start_session(account.id, &origin)?;
        Ok(Ok(session))
    })
    .await?;
    match outcome {
        Err(page) => Ok(page.into_response()),
        Ok(session) => {
            let mut response = Reply::Redirect("/setup".into()).into_response();
            let _ = response.add_cookie(&session_cookie(&state, session));
            Ok(response)
        }
    }
}
