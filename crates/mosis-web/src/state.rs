//! What every handler shares.

use crate::config::Config;
use crate::metrics::Metrics;
use crate::portal::Portal;
use crate::rate_limit::RateLimiter;
use crate::templates::Templates;
use mosis_auth::{Authenticator, SignIn};
use mosis_review::{IndexService, Publisher, Reviewer};
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
    /// Counters for `/metrics` (review workers report into them too).
    pub metrics: Arc<Metrics>,
    /// The review workers' shared state: uploads wake them.
    pub reviewer: Arc<Reviewer<SqlitePortal>>,
    /// Signs and records publications (reviewers' approvals, promotions).
    pub publisher: Publisher,
    /// The signed index of each channel, cached.
    pub index: IndexService,
    /// Requests per IP address.
    pub ip_limit: RateLimiter,
    /// Requests per API token.
    pub token_limit: RateLimiter,
    /// Held while an upload's package is moved into place and its row written, so two
    /// uploads of one version cannot interleave their file and row.
    pub publish_lock: Mutex<()>,
}

impl AppState {
    /// The state over an opened portal and the services built on it.
    pub fn new(
        config: Config,
        portal: &Portal,
        blobs: FsBlobStore,
        auth: Authenticator<SqlitePortal>,
        sign_in: SignIn<SqlitePortal>,
        templates: Templates,
        review: crate::server::ReviewServices,
    ) -> Self {
        Self {
            metrics: review.metrics,
            reviewer: review.reviewer,
            publisher: review.publisher,
            index: review.index,
            ip_limit: RateLimiter::new(config.rate_limit_per_ip),
            token_limit: RateLimiter::new(config.rate_limit_per_token),
            config,
            store: portal.store.clone(),
            blobs,
            auth,
            sign_in,
            templates,
            publish_lock: Mutex::new(()),
        }
    }
}

/// The state as handlers receive it.
pub type State = actix_web::web::Data<AppState>;
