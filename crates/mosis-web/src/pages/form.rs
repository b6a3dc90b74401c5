//! Form bodies (`application/x-www-form-urlencoded`) as name/value pairs, so repeated
//! fields (checkbox groups) keep every value.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

/// The largest form body accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// A parsed form body.
#[derive(Debug, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or "".
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The CSRF field.
    pub fn csrf(&self) -> Option<&str> {
        self.get("_csrf")
    }
}

impl FromRequest for FormData {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        let form_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.starts_with("application/x-www-form-urlencoded"));
        Box::pin(async move {
            if !form_type {
                return Err(ApiError::bad_request(
                    "invalid_form",
                    "expected a form (application/x-www-form-urlencoded)",
                ));
            }
            let body = bytes
                .await
                .map_err(|e| ApiError::bad_request("invalid_form", e.to_string()))?;
            if body.len() > MAX_FORM_BYTES {
                return Err(ApiError::too_large(MAX_FORM_BYTES as u64));
            }
            Ok(FormData(
                url::form_urlencoded::parse(&body)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
            ))
        })
    }
}
