//! The domain crate's error type: things that went wrong, as opposed to [`crate::Problem`]s found.

use std::path::PathBuf;

/// An operation could not be carried out (as opposed to a package or manifest that was
/// read fine and found to break rules, which is reported as [`crate::Problem`]s).
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file that must not be overwritten already exists.
    #[error("{} already exists; refusing to overwrite it", path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A directory that must be empty (for a new project) is not.
    #[error("{} exists and is not empty; choose a new or empty directory", path.display())]
    DirectoryNotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// A key file is not in the documented format.
    #[error("{}: not a valid Mosis key file: {reason}", path.display())]
    InvalidKeyFile {
        /// The key file.
        path: PathBuf,
        /// Which part of the format it breaks.
        reason: String,
    },
    /// The system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// A value given by the caller breaks a rule (for example an app name for `mosis init`).
    #[error("{field}: {reason}")]
    InvalidInput {
        /// Which input.
        field: &'static str,
        /// The rule it breaks.
        reason: String,
    },
}

impl DomainError {
    /// Wraps an IO error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
