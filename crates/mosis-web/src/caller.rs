//! The `Caller` extractor: the credential a request presents (`Authorization: Bearer
//! mosis_…`), taken from the headers without IO. [`Caller::resolve`] authenticates it
//! against the store (and applies the per-token rate limit); handlers call it inside their
//! one blocking call, so a request makes one trip to the blocking pool, not two. A request
//! without a credential is refused by the extractor, before the handler runs.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest};
use mosis_auth::{AuthError, Credential, Principal};
use std::future::{Ready, ready};
use std::time::Instant;

/// A presented credential, not yet checked.
pub struct Caller {
    token: String,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Caller(token hidden)")
    }
}

fn unauthenticated(reason: &str) -> ApiError {
    AuthError::Unauthenticated {
        reason: reason.into(),
    }
    .into()
}

impl Caller {
    /// Authenticates the credential (blocking: SQLite) and takes one request from its
    /// rate-limit budget.
    pub fn resolve(self, state: &AppState) -> Result<Principal, ApiError> {
        let principal = state.auth.authenticate_token(&self.token)?;
        if let Credential::Token { id, .. } = &principal.credential {
            state
                .token_limit
                .check(&format!("token:{id}"), Instant::now())
                .map_err(|secs| ApiError::rate_limited("with this token", secs))?;
        }
        Ok(principal)
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = match req.headers().get(AUTHORIZATION) {
            None => Err(unauthenticated(
                "this needs an API token: send `Authorization: Bearer mosis_…`",
            )),
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|t| t.trim().to_owned())
                .ok_or_else(|| {
                    unauthenticated("the Authorization header must be `Bearer mosis_…`")
                }),
        };
        ready(token.map(|token| Caller { token }))
    }
}
