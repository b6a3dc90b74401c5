//! The browser's credentials: the session cookie (a PASETO token), the sign-in binding
//! cookie, and the CSRF check every state-changing dashboard request passes.
//!
//! [`SessionCookie`] takes the cookie without IO; [`SessionCookie::signed_in`] checks it
//! against the store inside the handler's one blocking call, like `Caller::resolve`.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use mosis_auth::{AuthError, Credential, Principal};
use std::future::{Ready, ready};

/// The session cookie's name over plain http (local runs).
const SESSION_COOKIE: &str = "mosis_session";
/// The sign-in binding cookie's name over plain http.
const SIGN_IN_COOKIE: &str = "mosis_sign_in";
/// The header htmx sends the CSRF token in (forms send the `_csrf` field).
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// A cookie name: `__Host-` prefixed over https (Secure, Path=/, no Domain).
fn cookie_name(base: &'static str, https: bool) -> String {
    if https {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

fn cookie(name: String, value: String, https: bool, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(https)
        // Lax: sent on the top-level navigation back from the provider, not on
        // cross-site subrequests or form posts.
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

/// The session cookie to set after sign-in.
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    let https = state.config.is_https();
    cookie(
        cookie_name(SESSION_COOKIE, https),
        token,
        https,
        state.auth.session_policy().absolute_secs,
    )
}

/// The sign-in binding cookie: carries the flow's `state` to the callback.
pub fn sign_in_cookie(state: &AppState, flow_state: String) -> Cookie<'static> {
    let https = state.config.is_https();
    cookie(cookie_name(SIGN_IN_COOKIE, https), flow_state, https, 600)
}

/// A cookie that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> Cookie<'static> {
    let https = state.config.is_https();
    cookie(cookie_name(SESSION_COOKIE, https), String::new(), https, 0)
}

/// A cookie that removes the sign-in binding cookie.
pub fn clear_sign_in_cookie(state: &AppState) -> Cookie<'static> {
    let https = state.config.is_https();
    cookie(cookie_name(SIGN_IN_COOKIE, https), String::new(), https, 0)
}

/// The sign-in binding cookie's value, if the browser sent one.
pub fn bound_sign_in_state(state: &AppState, req: &HttpRequest) -> Option<String> {
    req.cookie(&cookie_name(SIGN_IN_COOKIE, state.config.is_https()))
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// The session cookie as the browser sent it, not yet checked.
pub struct SessionCookie {
    token: Option<String>,
    csrf_header: Option<String>,
}

impl std::fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCookie(hidden)")
    }
}

/// A checked browser session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who, with the session credential.
    pub principal: Principal,
    /// The session's id.
    pub session_id: String,
    /// The token this session's forms must carry.
    pub csrf: String,
    csrf_header: Option<String>,
}

impl SessionCookie {
    /// Checks the session (blocking: SQLite). 401 when there is none or it ended.
    pub fn signed_in(&self, state: &AppState) -> Result<SignedIn, ApiError> {
        let token = self.token.as_deref().ok_or_else(|| {
            ApiError::from(AuthError::Unauthenticated {
                reason: "sign in to continue".into(),
            })
        })?;
        let principal = state.auth.authenticate_session(token)?;
        let Credential::Session { id } = &principal.credential else {
            return Err(ApiError::internal(
                "a session resolved to another credential",
            ));
        };
        let session_id = id.clone();
        Ok(SignedIn {
            csrf: state.auth.csrf_token(&session_id),
            session_id,
            principal,
            csrf_header: self.csrf_header.clone(),
        })
    }

    /// The session if there is a live one (pages that also serve signed-out visitors).
    pub fn maybe_signed_in(&self, state: &AppState) -> Result<Option<SignedIn>, ApiError> {
        match self.signed_in(state) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.status() == actix_web::http::StatusCode::UNAUTHORIZED => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl SignedIn {
    /// Checks the CSRF token of a state-changing request: the `X-CSRF-Token` header
    /// (htmx) or the form's `_csrf` field. 403 `csrf` otherwise.
    pub fn check_csrf(&self, state: &AppState, form_field: Option<&str>) -> Result<(), ApiError> {
        let presented = self.csrf_header.as_deref().or(form_field).unwrap_or("");
        if state.auth.csrf_matches(&self.session_id, presented) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "csrf",
                "this form has expired or did not come from this site; reload the page and try again",
            ))
        }
    }
}

impl FromRequest for SessionCookie {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let https = req
            .app_data::<crate::state::State>()
            .is_some_and(|s| s.config.is_https());
        let token = req
            .cookie(&cookie_name(SESSION_COOKIE, https))
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty());
        let csrf_header = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        ready(Ok(SessionCookie { token, csrf_header }))
    }
}
