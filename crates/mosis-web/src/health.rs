//! `/healthz` (liveness, no IO) and `/metrics` (Prometheus text).

use crate::error::{ApiError, blocking};
use crate::state::State;
use actix_web::HttpResponse;
use mosis_storage::ReviewQueue;

/// Answers `ok` while the server runs; it touches nothing, so it also serves as the
/// benchmark's hello-world peer.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

/// The Prometheus exposition: requests, latencies, uploads, review queue depth.
pub async fn metrics(state: State) -> Result<HttpResponse, ApiError> {
    let store = state.clone();
    let depth = blocking(move || Ok(store.store.queue_depth()?)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(depth)))
}
