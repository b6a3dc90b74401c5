//! The blocking REST client.

use crate::error::ClientError;
use crate::wire::*;
use reqwest::StatusCode;
use reqwest::blocking::{Body, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use std::io::Read;
use std::time::Duration;

/// Calls that are not uploads or downloads get this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of one portal, optionally with an API token.
pub struct Client {
    http: reqwest::blocking::Client,
    base: String,
    token: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}

/// The text of an error and its causes ("error sending request: connection refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = cause.source();
    }
    text
}

impl Client {
    /// A client of the portal at `server` (`http://host:port`, no path needed).
    pub fn new(server: &str, token: Option<String>) -> Result<Self, ClientError> {
        let base = server.trim_end_matches('/').to_owned();
        let valid = ["http://", "https://"].iter().any(|scheme| {
            base.strip_prefix(scheme)
                .is_some_and(|rest| !rest.is_empty())
        });
        if !valid {
            return Err(ClientError::InvalidServer(server.to_owned()));
        }
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(None)
            .user_agent(concat!("mosis-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Transport {
                url: base.clone(),
                reason: chain(&e),
            })?;
        Ok(Self { http, base, token })
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn authorised(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    fn send(&self, request: RequestBuilder, url: &str) -> Result<Response, ClientError> {
        let response = self
            .authorised(request)
            .send()
            .map_err(|e| ClientError::Transport {
                url: url.to_owned(),
                reason: chain(&e),
            })?;
        if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
            return Ok(response);
        }
        Err(api_error(response, url))
    }

    fn json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        url: &str,
    ) -> Result<T, ClientError> {
        let response = self.send(request.timeout(CALL_TIMEOUT), url)?;
        response.json().map_err(|e| ClientError::Protocol {
            url: url.to_owned(),
            detail: format!("the body is not the expected JSON: {}", chain(&e)),
        })
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = self.url(path);
        self.json(self.http.get(&url), &url)
    }

    fn post<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let url = self.url(path);
        self.json(self.http.post(&url).json(body), &url)
    }

    fn delete(&self, path: &str) -> Result<(), ClientError> {
        let url = self.url(path);
        self.send(self.http.delete(&url).timeout(CALL_TIMEOUT), &url)
            .map(drop)
    }

    /// `GET /me`: who the token belongs to.
    pub fn me(&self) -> Result<Me, ClientError> {
        self.get("/me")
    }

    /// `GET /apps`: the caller's apps.
    pub fn apps(&self) -> Result<Vec<AppSummary>, ClientError> {
        self.get("/apps")
    }

    /// `POST /apps`: registers an app id.
    pub fn create_app(&self, app: &NewApp) -> Result<AppSummary, ClientError> {
        self.post("/apps", app)
    }

    /// `GET /apps/{app_id}`: the app and its versions.
    pub fn app(&self, app_id: &str) -> Result<AppDetail, ClientError> {
        self.get(&format!("/apps/{app_id}"))
    }

    /// `GET /apps/{app_id}/versions/{version}`.
    pub fn version(&self, app_id: &str, version: &str) -> Result<VersionView, ClientError> {
        self.get(&format!("/apps/{app_id}/versions/{version}"))
    }

    /// `POST /apps/{app_id}/versions`: uploads a package of `len` bytes read from `body`,
    /// streamed (the caller may wrap `body` to show progress). No overall timeout.
    pub fn upload(
        &self,
        app_id: &str,
        body: impl Read + Send + 'static,
        len: u64,
    ) -> Result<VersionView, ClientError> {
        let url = self.url(&format!("/apps/{app_id}/versions"));
        let request = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::sized(body, len));
        let response = self.send(request, &url)?;
        response.json().map_err(|e| ClientError::Protocol {
            url,
            detail: format!("the body is not the expected JSON: {}", chain(&e)),
        })
    }

    /// `GET /apps/{app_id}/versions/{version}/package`: a reader of the package.
    pub fn download(&self, app_id: &str, version: &str) -> Result<impl Read, ClientError> {
        let url = self.url(&format!("/apps/{app_id}/versions/{version}/package"));
        self.send(self.http.get(&url), &url)
    }

    /// `GET /keys`: the caller's signing keys.
    pub fn keys(&self) -> Result<Vec<KeyView>, ClientError> {
        self.get("/keys")
    }

    /// `POST /keys`: registers a public key.
    pub fn add_key(&self, key: &NewKey) -> Result<KeyView, ClientError> {
        self.post("/keys", key)
    }

    /// `DELETE /keys/{key_id}`: revokes a key.
    pub fn revoke_key(&self, key_id: &str) -> Result<(), ClientError> {
        self.delete(&format!("/keys/{key_id}"))
    }

    /// `GET /tokens`: the caller's API tokens.
    pub fn tokens(&self) -> Result<Vec<TokenView>, ClientError> {
        self.get("/tokens")
    }

    /// `POST /tokens`: creates a token; its secret is in the answer, once.
    pub fn create_token(&self, request: &NewTokenRequest) -> Result<CreatedToken, ClientError> {
        self.post("/tokens", request)
    }

    /// `DELETE /tokens/{id}`: revokes a token.
    pub fn revoke_token(&self, id: i64) -> Result<(), ClientError> {
        self.delete(&format!("/tokens/{id}"))
    }
}

/// Turns an error response into [`ClientError::Api`], or [`ClientError::Protocol`] when
/// the body is not the API's error shape.
fn api_error(response: Response, url: &str) -> ClientError {
    let status = response.status();
    let text = response.text().unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => ClientError::Api {
            status: status.as_u16(),
            code: body.error.code,
            message: body.error.message,
            problems: body.error.problems,
        },
        Err(_) => ClientError::Protocol {
            url: url.to_owned(),
            detail: format!(
                "HTTP {status} without an API error body{}",
                if text.is_empty() {
                    String::new()
                } else {
                    format!(": {}", text.chars().take(200).collect::<String>())
                }
            ),
        },
    }
}
