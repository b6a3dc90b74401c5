//! Integration tests of `mosis-domain`: one binary, one module per feature.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on any unexpected error"
)]

mod alloc;
mod corpus;
mod installed;
mod pack;
mod roundtrip;
mod support;
mod trust;
