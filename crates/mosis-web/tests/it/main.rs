//! The portal server over HTTP: started for real on 127.0.0.1:0 with a temp data dir.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on any unexpected error"
)]

mod authz;
mod bad_input;
mod browser;
mod components;
mod limits;
mod pages;
mod publish;
mod review;
mod sign_in;
mod support;
