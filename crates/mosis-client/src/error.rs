//! The client's one error type.

use crate::wire::ProblemView;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error.
    #[error("{message} (HTTP {status}, {code})")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
        /// The server's message.
        message: String,
        /// For a refused package: every problem found.
        problems: Vec<ProblemView>,
    },
    /// The server could not be reached, or the connection broke.
    #[error("cannot reach {url}: {reason}")]
    Transport {
        /// The URL called.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The server answered something that is not the API (wrong URL, a proxy's page).
    #[error("unexpected response from {url}: {detail}")]
    Protocol {
        /// The URL called.
        url: String,
        /// What was unexpected.
        detail: String,
    },
    /// The server URL is not an http(s) URL.
    #[error("invalid server URL `{0}`: expected http://host[:port] or https://host[:port]")]
    InvalidServer(String),
}
