//! The REST client: a blocking API over one async reqwest client and a private runtime,
//! so an upload can stream large chunks read on their own thread.

use crate::error::ClientError;
use crate::wire::*;
use reqwest::{Body, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use std::io::{Read, Write};
use std::time::Duration;

/// Calls that are not uploads or downloads get this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// An upload is read and sent in chunks of this size.
const UPLOAD_CHUNK_BYTES: usize = 256 * 1024;
/// Chunks read ahead of the network.
const UPLOAD_CHUNKS_AHEAD: usize = 4;

/// A client of one portal, optionally with an API token.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
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
        let transport = |e: &dyn std::error::Error| ClientError::Transport {
            url: base.clone(),
            reason: chain(e),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| transport(&e))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Below the usual 5 s server keep-alive: a pooled connection the server is
            // about to close must not be picked for a request (a POST is not retried).
            .pool_idle_timeout(Duration::from_secs(4))
            .user_agent(concat!("mosis-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| transport(&e))?;
        Ok(Self {
            runtime,
            http,
            base,
            token,
        })
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

    async fn send(&self, request: RequestBuilder, url: &str) -> Result<Response, ClientError> {
        let response =
            self.authorised(request)
                .send()
                .await
                .map_err(|e| ClientError::Transport {
                    url: url.to_owned(),
                    reason: chain(&e),
                })?;
        if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
            return Ok(response);
        }
        Err(api_error(response, url).await)
    }

    async fn decode<T: DeserializeOwned>(response: Response, url: &str) -> Result<T, ClientError> {
        response.json().await.map_err(|e| ClientError::Protocol {
            url: url.to_owned(),
            detail: format!("the body is not the expected JSON: {}", chain(&e)),
        })
    }

    fn json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        url: &str,
    ) -> Result<T, ClientError> {
        self.runtime.block_on(async {
            let response = self.send(request.timeout(CALL_TIMEOUT), url).await?;
            Self::decode(response, url).await
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
        self.runtime
            .block_on(self.send(self.http.delete(&url).timeout(CALL_TIMEOUT), &url))
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
    /// streamed in large chunks read on their own thread (the caller may wrap `body` to
    /// show progress). No overall timeout.
    pub fn upload(
        &self,
        app_id: &str,
        body: impl Read + Send + 'static,
        len: u64,
    ) -> Result<VersionView, ClientError> {
        self.upload_for_channel(app_id, None, body, len)
    }

    /// [`Client::upload`], asking to publish on `channel` (`stable` or `beta`) once
    /// approved.
    pub fn upload_for_channel(
        &self,
        app_id: &str,
        channel: Option<&str>,
        body: impl Read + Send + 'static,
        len: u64,
    ) -> Result<VersionView, ClientError> {
        let query = channel.map(|c| format!("?channel={c}")).unwrap_or_default();
        let url = self.url(&format!("/apps/{app_id}/versions{query}"));
        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(UPLOAD_CHUNKS_AHEAD);
        let reader = std::thread::spawn(move || read_chunks(body, &tx));
        let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        });
        let request = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(Body::wrap_stream(chunks));
        let result = self.runtime.block_on(async {
            let response = self.send(request, &url).await?;
            Self::decode(response, &url).await
        });
        // The reader stops when the channel closes; it never outlives the call.
        let _ = reader.join();
        result
    }

    /// `GET /apps/{app_id}/versions/{version}/package`: writes the package to `out`;
    /// returns its size.
    pub fn download(
        &self,
        app_id: &str,
        version: &str,
        out: &mut impl Write,
    ) -> Result<u64, ClientError> {
        let url = self.url(&format!("/apps/{app_id}/versions/{version}/package"));
        self.runtime.block_on(async {
            let mut response = self.send(self.http.get(&url), &url).await?;
            let mut written = 0u64;
            while let Some(chunk) = response.chunk().await.map_err(|e| ClientError::Transport {
                url: url.clone(),
                reason: chain(&e),
            })? {
                out.write_all(&chunk).map_err(|e| ClientError::Transport {
                    url: url.clone(),
                    reason: format!("writing the download: {e}"),
                })?;
                written += chunk.len() as u64;
            }
            Ok(written)
        })
    }

    /// `GET /reviews?state=…`: the review queue (reviewers).
    pub fn reviews(&self, state: &str) -> Result<Vec<ReviewItem>, ClientError> {
        self.get(&format!("/reviews?state={state}"))
    }

    /// `POST /reviews/{app_id}/{version}/approve`: publishes on `channel`.
    pub fn approve(
        &self,
        app_id: &str,
        version: &str,
        channel: &str,
    ) -> Result<VersionView, ClientError> {
        self.post(
            &format!("/reviews/{app_id}/{version}/approve"),
            &ApproveRequest {
                channel: channel.into(),
            },
        )
    }

    /// `POST /reviews/{app_id}/{version}/reject`, with the reason the developer sees.
    pub fn reject(
        &self,
        app_id: &str,
        version: &str,
        reason: &str,
    ) -> Result<VersionView, ClientError> {
        self.post(
            &format!("/reviews/{app_id}/{version}/reject"),
            &RejectRequest {
                reason: reason.into(),
            },
        )
    }

    /// `POST /apps/{app_id}/versions/{version}/promote`: beta → stable.
    pub fn promote(&self, app_id: &str, version: &str) -> Result<VersionView, ClientError> {
        self.post(
            &format!("/apps/{app_id}/versions/{version}/promote"),
            &serde_json::json!({}),
        )
    }

    /// `POST /apps/{app_id}/versions/{version}/suspend`: takes it off the index.
    pub fn suspend(&self, app_id: &str, version: &str) -> Result<VersionView, ClientError> {
        self.post(
            &format!("/apps/{app_id}/versions/{version}/suspend"),
            &serde_json::json!({}),
        )
    }

    /// `GET /index?channel=…`: the signed index, to verify with
    /// [`mosis_domain::verify_index`] against the trust root.
    pub fn index(
        &self,
        channel: mosis_domain::Channel,
    ) -> Result<mosis_domain::IndexDocument, ClientError> {
        self.get(&format!("/index?channel={channel}"))
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

    /// `POST /device/code`: starts a device login (needs no token).
    pub fn start_device_login(
        &self,
        request: &DeviceCodeRequest,
    ) -> Result<DeviceCode, ClientError> {
        self.post("/device/code", request)
    }

    /// `POST /device/token`: one poll. `Err(ClientError::Api { code, .. })` with
    /// `authorization_pending` until the user decides.
    pub fn poll_device_login(&self, device_code: &str) -> Result<CreatedToken, ClientError> {
        self.post(
            "/device/token",
            &DeviceTokenRequest {
                device_code: device_code.to_owned(),
            },
        )
    }
}

/// Reads `body` in chunks into `tx` until it ends, fails, or the receiver is gone.
fn read_chunks(mut body: impl Read, tx: &tokio::sync::mpsc::Sender<std::io::Result<Vec<u8>>>) {
    loop {
        let mut chunk = vec![0u8; UPLOAD_CHUNK_BYTES];
        let item = match body.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                chunk.truncate(n);
                Ok(chunk)
            }
            Err(e) => Err(e),
        };
        let failed = item.is_err();
        if tx.blocking_send(item).is_err() || failed {
            return;
        }
    }
}

/// Turns an error response into [`ClientError::Api`], or [`ClientError::Protocol`] when
/// the body is not the API's error shape.
async fn api_error(response: Response, url: &str) -> ClientError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
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
