#![doc = include_str!("../README.md")]

mod clock;
mod error;
pub mod permissions;
mod principal;
mod scope;
mod service;
mod session;
mod token;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AuthError;
pub use principal::{Credential, Principal};
pub use scope::{Scope, ScopeError};
pub use service::{Authenticator, IssuedToken};
pub use session::{SessionClaims, SessionSigner};
pub use token::{TOKEN_PREFIX, TokenSecret};
