//! Integration tests of `mosis-storage` on real SQLite files with the production pragmas.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on any unexpected error"
)]

mod backups;
mod blobs;
mod concurrency;
mod conformance;
mod crash;
mod litestream;
mod migrations;
mod pragmas;
mod snapshots;
