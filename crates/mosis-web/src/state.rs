//! What every handler shares.

use crate::config::Config;
use crate::metrics::Metrics;
use crate::portal::Portal;
use crate::rate_limit::RateLimiter;
use crate::templates::Templates;
use mosis_auth::{Authenticator, SignIn};
use mosis_storage::{FsBlobStore, SqlitePortal};
use std::sync::{Arc, Mutex};

/// The application state, one per server, behind an `Arc`.
#[derive(Debug)]
pub struct AppState {
    /// The settings.
    pub config: Config,
    /// `portal.db`.
    pub store: Arc<SqlitePortal>,
    /// `packages/`.
    pub blobs: FsBlobStore,
    /// Credentials to principals.
    pub auth: Authenticator<SqlitePortal>,
    /// Browser sign-in with the configured providers, and the bootstrap link.
    pub sign_in: SignIn<SqlitePortal>,
    /// The dashboard's templates and assets.
    pub templates: Templates,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Requests per IP address.
    pub ip_limit: RateLimiter,
    /// Requests per API token.
    pub token_limit: RateLimiter,
    /// Held while an upload's package is moved into place and its row written, so two
    /// uploads of one version cannot interleave their file and row.
    pub publish_lock: Mutex<()>,
}

impl AppState {
    /// The state over an opened portal.
    pub fn new(
        config: Config,
        portal: &Portal,
        blobs: FsBlobStore,
        auth: Authenticator<SqlitePortal>,
        sign_in: SignIn<SqlitePortal>,
        templates: Templates,
    ) -> Self {
        Self {
            ip_limit: RateLimiter::new(config.rate_limit_per_ip),
            token_limit: RateLimiter::new(config.rate_limit_per_token),
            config,
            store: portal.store.clone(),
            blobs,
            auth,
            sign_in,
            templates,
            metrics: Metrics::default(),
            publish_lock: Mutex::new(()),
        }
    }
}

/// The state as handlers receive it.
pub type State = actix_web::web::Data<AppState>;
