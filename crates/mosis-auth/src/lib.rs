#![doc = include_str!("../README.md")]

mod device;
mod error;
pub mod permissions;
mod principal;
mod providers;
mod scope;
mod service;
mod session;
mod sign_in;
mod token;

pub use device::{
    DEVICE_CODE_TTL_SECS, DevicePoll, DeviceStart, POLL_INTERVAL_SECS, normalize_user_code,
};
pub use error::AuthError;
/// Time as a parameter (defined by the storage layer, shared by every service crate).
pub use mosis_storage::{Clock, ManualClock, SystemClock};
pub use principal::{Credential, Principal};
pub use providers::{Authorization, Identity, Provider, ProviderKind, ProviderSettings};
pub use scope::{Scope, ScopeError};
pub use service::{Authenticator, IssuedToken, SessionPolicy};
pub use session::{SessionClaims, SessionSigner};
pub use sign_in::{SignIn, safe_next};
pub use token::{TOKEN_PREFIX, TokenSecret};
