//! Integration tests of `mosis-review` against a real SQLite store and blob store: the
//! checks on real packages, the workers, signing and the index.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on any unexpected error"
)]

mod checks;
mod signing;
mod support;
mod workers;
