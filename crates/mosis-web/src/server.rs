//! Building and running the HTTP server.

use crate::config::{Config, LogFormat};
use crate::metrics::Metrics;
use crate::portal::Portal;
use crate::state::{AppState, State};
use crate::templates::Templates;
use crate::{api, health, middleware, pages};
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use mosis_auth::{Authenticator, Clock, SessionPolicy, SessionSigner, SignIn, SystemClock};
use mosis_review::{
    DENY_LIST_FILE, DenyList, IndexService, OnlineSigner, Pipeline, Publisher, Reviewer,
    WorkerPool, WorkerSettings,
};
use mosis_storage::{Accounts as _, FsBlobStore, SqlitePortal};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long shutdown waits for in-flight requests (uploads included) before dropping
/// them; a dropped upload's temp file is removed.
const SHUTDOWN_GRACE_SECS: u64 = 30;
/// How long a first-run bootstrap link works.
pub const BOOTSTRAP_LINK_SECS: i64 = 24 * 3600;
/// Blocking-pool threads per HTTP worker (each does short SQLite work).
const BLOCKING_THREADS_PER_WORKER: usize = 4;

/// A bound, running server.
pub struct Started {
    /// The address it listens on (the real port when the config said `:0`).
    pub addr: SocketAddr,
    /// The server future: resolves after a stop (a signal, or [`actix_web::dev::ServerHandle::stop`]).
    pub server: actix_web::dev::Server,
    /// On a start with no admin: the one-time link that makes its visitor the first admin.
    pub bootstrap_url: Option<String>,
    portal: Arc<Portal>,
    workers: WorkerPool,
}

/// The review pipeline's parts the handlers use, built once at start.
pub struct ReviewServices {
    /// Metrics, which the workers report into.
    pub metrics: Arc<Metrics>,
    /// The workers' shared state.
    pub reviewer: Arc<Reviewer<SqlitePortal>>,
    /// Signs and records publications.
    pub publisher: Publisher,
    /// The signed index cache.
    pub index: IndexService,
}

impl ReviewServices {
    /// Builds the pipeline, the publisher and the index over `portal` (the deny-list is
    /// read from `{data}/review/denylist.txt`; a malformed one stops the start).
    fn build(
        config: &Config,
        portal: &Portal,
        blobs: &FsBlobStore,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let deny_list =
            DenyList::load(&config.data.join(DENY_LIST_FILE)).context("the review deny-list")?;
        let signer = Arc::new(OnlineSigner::new(
            portal.keys.online.clone(),
            portal.keys.online_keys.clone(),
        ));
        let publisher = Publisher::new(signer.clone(), blobs.clone());
        let metrics = Arc::new(Metrics::default());
        let settings = WorkerSettings {
            workers: if config.review_workers == 0 {
                WorkerSettings::default().workers
            } else {
                config.review_workers
            },
            lease_secs: i64::try_from(config.review_lease_secs).unwrap_or(i64::MAX),
            max_attempts: config.review_max_attempts.max(1),
            auto_approve: config.auto_approve_updates,
            ..WorkerSettings::default()
        };
        let reviewer = Reviewer::new(
            portal.store.clone(),
            blobs.clone(),
            Pipeline::new(config.package_limits(), deny_list),
            publisher.clone(),
            clock,
            settings,
        )
        .with_observer(metrics.clone());
        Ok(Self {
            metrics,
            reviewer: Arc::new(reviewer),
            publisher,
            index: IndexService::new(signer, i64::from(config.index_validity_hours) * 3600),
        })
    }
}

impl Started {
    /// Runs until stopped, then checkpoints the databases' WAL.
    pub async fn run(self) -> anyhow::Result<()> {
        self.server.await.context("serving")?;
        // Workers finish their current job; an interrupted one is retried after a restart.
        self.workers.stop();
        for db in [
            self.portal.store.database(),
            self.portal.telemetry.database(),
        ] {
            db.checkpoint()
                .context("checkpointing the WAL at shutdown")?;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Opens the data directory, binds `config.listen` and starts serving (inside an actix
/// system). SIGINT and SIGTERM stop it gracefully.
pub fn start(mut config: Config) -> anyhow::Result<Started> {
    // Bound first, so a `:0` port is known before anything builds a URL from it.
    let listener = std::net::TcpListener::bind(config.listen)
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr().context("the bound address")?;
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{addr}"));
    }
    let portal = Arc::new(Portal::open(&config.data)?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let signer = SessionSigner::new(&portal.keys.session)?;
    let auth = Authenticator::new(portal.store.clone(), clock.clone(), signer).with_session_policy(
        SessionPolicy {
            idle_secs: i64::from(config.session_idle_minutes) * 60,
            absolute_secs: i64::from(config.session_max_hours) * 3600,
        },
    );
    let providers = config
        .providers
        .iter()
        .map(|p| p.resolve())
        .collect::<Result<Vec<_>, _>>()
        .context("the [[providers]] settings")?;
    let sign_in = SignIn::new(portal.store.clone(), clock.clone(), providers)?;
    let bootstrap_url = if portal.store.has_admin()? {
        None
    } else {
        let secret = sign_in.create_bootstrap_link(BOOTSTRAP_LINK_SECS)?;
        Some(format!("{}/setup?token={secret}", config.base_url()))
    };
    let templates = Templates::load()?;
    let blobs = FsBlobStore::open(&config.data.join("packages"))?;
    let review = ReviewServices::build(&config, &portal, &blobs, clock)?;
    let workers =
        WorkerPool::start(review.reviewer.clone()).context("starting the review workers")?;
    let state: State = web::Data::new(AppState::new(
        config.clone(),
        &portal,
        blobs,
        auth,
        sign_in,
        templates,
        review,
    ));
    let http_workers = if config.workers == 0 {
        std::thread::available_parallelism().map_or(2, usize::from)
    } else {
        config.workers
    };
    let bench_routes = config.bench_routes;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(middleware::observe))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Referrer-Policy", "no-referrer"))
                    .add((
                        "Content-Security-Policy",
                        "default-src 'none'; frame-ancestors 'none'",
                    )),
            )
            .route("/healthz", web::get().to(health::healthz))
            .route("/metrics", web::get().to(health::metrics))
            .configure(api::configure)
            .configure(|cfg| {
                if bench_routes {
                    cfg.route("/_bench/apps-table", web::get().to(pages::bench_apps_table));
                }
            })
            .configure(pages::configure)
    })
    .workers(http_workers)
    // SQLite work runs on the blocking pool; as many threads as pooled readers, so
    // requests queue for a thread instead of piling onto the connection pool's lock.
    .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
    .client_request_timeout(Duration::from_secs(config.request_timeout_secs))
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .listen(listener)
    .with_context(|| format!("listening on {addr}"))?;
    Ok(Started {
        addr,
        server: server.run(),
        portal,
        bootstrap_url,
        workers,
    })
}

/// Sets up the request log on stderr (`RUST_LOG`-style level from `MOSIS_LOG`, default
/// `info`).
pub fn init_logging(format: LogFormat) {
    let level = std::env::var("MOSIS_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Serves until SIGINT or SIGTERM: the `portal-server` entry point.
pub fn run(config: Config) -> anyhow::Result<()> {
    init_logging(config.log_format);
    actix_web::rt::System::new().block_on(async move {
        let started = start(config)?;
        // Scripts and the tests read this line to find the port.
        println!("listening on http://{}", started.addr);
        if let Some(url) = &started.bootstrap_url {
            print_bootstrap_banner(url);
        }
        started.run().await
    })
}

/// The first-run banner: the bootstrap link, where nobody can miss it.
pub fn print_bootstrap_banner(url: &str) {
    let rule = "=".repeat(78);
    println!(
        "{rule}\nThis portal has no admin yet. Open this one-time link (valid {} h) to become\nthe first admin:\n\n    bootstrap: {url}\n\nLost it? `portal-server admin bootstrap-link` mints a new one.\n{rule}",
        BOOTSTRAP_LINK_SECS / 3600
    );
}

/// A server running on its own thread (tests, embedding). Dropping it stops the server.
pub struct Background {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The first-run bootstrap link, when the data dir had no admin.
    pub bootstrap_url: Option<String>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl Background {
    /// Starts a server with `config` on a new thread; returns once it listens.
    pub fn spawn(config: Config) -> anyhow::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let started = match start(config) {
                    Ok(started) => started,
                    Err(e) => {
                        let message = format!("{e:#}");
                        let _ = tx.send(Err(e));
                        anyhow::bail!(message);
                    }
                };
                let _ = tx.send(Ok((
                    started.addr,
                    started.bootstrap_url.clone(),
                    started.server.handle(),
                )));
                started.run().await
            })
        });
        let (addr, bootstrap_url, handle) = rx
            .recv()
            .context("the server thread ended before it listened")??;
        Ok(Self {
            addr,
            bootstrap_url,
            handle,
            thread: Some(thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops gracefully and waits; returns what the server returned.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> anyhow::Result<()> {
        drop(self.handle.stop(true));
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("the server thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}
