//! Around every request: the per-IP rate limit, the request timeout, the request log
//! and the metrics.

use crate::error::ApiError;
use crate::state::State;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use std::time::{Duration, Instant};

/// Whether a request streams a body in or out: it is bounded by the upload idle timeout
/// (uploads) or by the client reading (downloads), not by the request timeout.
fn is_streaming(req: &ServiceRequest) -> bool {
    let path = req.path();
    (req.method() == Method::POST && (path.ends_with("/versions") || path.ends_with("/upload")))
        || (req.method() == Method::GET && path.ends_with("/package"))
}

/// The middleware function (`actix_web::middleware::from_fn(observe)`).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<State>().cloned();
    let ip = req.peer_addr().map(|a| a.ip().to_string());
    let method = req.method().to_string();
    let path = req.path().to_owned();

    let limited = match (&state, &ip) {
        (Some(state), Some(ip)) => state.ip_limit.check(ip, started).err(),
        _ => None,
    };
    let response = if let Some(secs) = limited {
        let (http_req, _) = req.into_parts();
        ServiceResponse::new(
            http_req,
            ApiError::rate_limited("from this address", secs).error_response(),
        )
    } else if is_streaming(&req) {
        next.call(req).await?.map_into_boxed_body()
    } else {
        let limit =
            Duration::from_secs(state.as_ref().map_or(30, |s| s.config.request_timeout_secs));
        match tokio::time::timeout(limit, next.call(req)).await {
            Ok(response) => response?.map_into_boxed_body(),
            Err(_) => {
                // The request moved into the handler that was dropped; the error becomes
                // the response.
                let error = ApiError::new(
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    format!("the request took longer than {} s", limit.as_secs()),
                );
                if let Some(state) = &state {
                    state
                        .metrics
                        .record_request("timeout", &method, 503, started.elapsed());
                }
                tracing::warn!(method = %method, path = %path, "request timed out");
                return Err(error.into());
            }
        }
    };

    let took = started.elapsed();
    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(state) = &state {
        state.metrics.record_request(&route, &method, status, took);
    }
    // Never the query string, headers or body: they can carry secrets.
    tracing::info!(
        method = %method,
        path = %path,
        route = %route,
        status,
        duration_ms = took.as_micros() as f64 / 1000.0,
        ip = ip.as_deref().unwrap_or("-"),
        "request"
    );
    Ok(response)
}
