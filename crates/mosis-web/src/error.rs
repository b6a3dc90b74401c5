//! The one mapping from failures to HTTP: `{"error": {"code", "message"}}` with the
//! right status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use mosis_auth::AuthError;
use mosis_client::wire::{ErrorBody, ErrorDetail, ProblemView};
use mosis_storage::StorageError;
use std::fmt;

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    problems: Vec<ProblemView>,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    /// An error with `status`, a stable `code` and a message for people.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            problems: Vec::new(),
            retry_after_secs: None,
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 413: the body is over `limit` bytes.
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is over the limit of {limit} bytes"),
        )
    }

    /// 429, retry after `secs`.
    pub fn rate_limited(what: &str, secs: u64) -> Self {
        Self {
            retry_after_secs: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests {what}; retry in {secs} s"),
            )
        }
    }

    /// 500; the detail goes to the log, not to the client.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the error is in its log",
        )
    }

    /// Adds the problems of a refused package.
    pub fn with_problems(mut self, problems: Vec<ProblemView>) -> Self {
        self.problems = problems;
        self
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The problems of a refused package.
    pub fn problems(&self) -> &[ProblemView] {
        &self.problems
    }

    /// 403 with `code`.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after_secs {
            response.insert_header(("Retry-After", secs.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"mosis\""));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                problems: self.problems.clone(),
            },
        })
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthenticated { reason } => {
                Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", reason)
            }
            AuthError::Forbidden { reason } => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", reason)
            }
            AuthError::Invalid { reason } => Self::bad_request("invalid_request", reason),
            AuthError::Storage(e) => e.into(),
            AuthError::Crypto(detail) => Self::internal(detail),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound { what } => Self::not_found(format!("{what} does not exist")),
            StorageError::Conflict { what } => Self::new(StatusCode::CONFLICT, "conflict", what),
            StorageError::TooLarge { limit } => Self::too_large(limit),
            other => Self::internal(other),
        }
    }
}

/// Runs blocking work (SQLite, file IO, hashing) on the blocking pool, off the executor.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    actix_web::web::block(f)
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
}

/// [`blocking`] for read-only work: every SQLite read inside `f` shares one snapshot (one
/// pooled connection, one read transaction, instead of one of each per statement).
pub async fn reading<T: Send + 'static>(
    state: &crate::state::State,
    f: impl FnOnce(&crate::state::AppState) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    blocking(move || state.store.database().read_snapshot(|| f(&state))).await
}

/// Starts long blocking work (an upload's writer, a download's reader) on a thread of its
/// own, at once, so it never holds one of the few blocking-pool threads that serve SQLite.
/// Await the result, or drop it when the work reports another way.
pub fn on_own_thread<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<impl Future<Output = Result<T, ApiError>>, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| ApiError::internal(format!("starting the {name} thread: {e}")))?;
    let name = name.to_owned();
    Ok(async move {
        rx.await
            .map_err(|_| ApiError::internal(format!("the {name} thread failed")))?
    })
}
