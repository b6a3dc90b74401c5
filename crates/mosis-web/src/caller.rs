//! The `Caller` extractor: the authenticated principal of a request, from its
//! `Authorization: Bearer mosis_…` token. A handler that takes a `Caller` cannot run
//! unauthenticated.

use crate::error::{ApiError, blocking};
use crate::state::State;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use mosis_auth::{Credential, Principal};
use std::ops::Deref;
use std::time::Instant;

/// An authenticated caller, rate-limited per token.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Deref for Caller {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<State>().cloned();
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("no application state"))?;
            let token = match header {
                None => {
                    return Err(ApiError::from(mosis_auth::AuthError::Unauthenticated {
                        reason: "this needs an API token: send `Authorization: Bearer mosis_…`"
                            .into(),
                    }));
                }
                Some(Err(_)) => None,
                Some(Ok(value)) => value.strip_prefix("Bearer ").map(|t| t.trim().to_owned()),
            };
            let token = token.ok_or_else(|| {
                ApiError::from(mosis_auth::AuthError::Unauthenticated {
                    reason: "the Authorization header must be `Bearer mosis_…`".into(),
                })
            })?;
            let auth_state = state.clone();
            let principal = blocking(move || {
                auth_state
                    .auth
                    .authenticate_token(&token)
                    .map_err(ApiError::from)
            })
            .await?;
            if let Credential::Token { id, .. } = &principal.credential {
                state
                    .token_limit
                    .check(&format!("token:{id}"), Instant::now())
                    .map_err(|secs| ApiError::rate_limited("with this token", secs))?;
            }
            Ok(Caller(principal))
        })
    }
}
