#![doc = include_str!("../README.md")]

pub mod backup;
mod blob;
mod clock;
pub mod conformance;
mod db;
mod error;
mod migrate;
pub mod repos;
mod sqlite;

pub use blob::{BlobFile, BlobInfo, BlobKey, BlobStore, FsBlobStore, FsPendingBlob, PendingBlob};
pub use clock::{Clock, ManualClock, SystemClock};
pub use db::{Database, DatabaseKind};
pub use error::StorageError;
pub use repos::*;
pub use sqlite::{SqlitePortal, SqliteTelemetry};

/// A time as Unix seconds (UTC). Callers pass `now` in, so tests control the clock.
pub type UnixTime = i64;
