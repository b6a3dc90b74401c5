//! The review crate's error: the pipeline itself failed (findings are a `Report`).

use mosis_storage::StorageError;

/// Reviewing, publishing or signing could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The store failed, or refused a change (a lost lease, a state that moved on).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A check panicked; the job fails and is retried, then left for a person.
    #[error("the {check} check crashed: {message}")]
    CheckPanicked {
        /// The check's id.
        check: &'static str,
        /// The panic's message.
        message: String,
    },
    /// A file the pipeline needs could not be read.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}
