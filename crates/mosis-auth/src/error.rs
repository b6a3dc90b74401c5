//! The auth crate's one error type.

use mosis_storage::StorageError;

/// Why a caller was refused, or why auth itself failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credential, or one that is malformed, unknown, expired or revoked (HTTP 401).
    #[error("{reason}")]
    Unauthenticated {
        /// What was wrong with the credential, safe to show (never the credential).
        reason: String,
    },
    /// A valid credential that may not do this (HTTP 403).
    #[error("{reason}")]
    Forbidden {
        /// Which right is missing.
        reason: String,
    },
    /// A request for something invalid, such as an unknown scope (HTTP 400).
    #[error("{reason}")]
    Invalid {
        /// What was invalid.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The operating system's random generator or a signing primitive failed.
    #[error("cryptography failed: {0}")]
    Crypto(String),
}

impl AuthError {
    pub(crate) fn unauthenticated(reason: impl Into<String>) -> Self {
        Self::Unauthenticated {
            reason: reason.into(),
        }
    }

    pub(crate) fn forbidden(reason: impl Into<String>) -> Self {
        Self::Forbidden {
            reason: reason.into(),
        }
    }
}
