//! The REST API under `/api/v1`: one module per resource, all routes registered in
//! [`configure`].

mod apps;
mod device;
mod index;
mod keys;
mod me;
mod openapi;
mod reviews;
mod tokens;
mod versions;

use crate::error::ApiError;
use actix_web::web;
use mosis_domain::AppId;

pub use openapi::ApiDoc;

/// Registers every `/api/v1` route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|e, _| {
                        ApiError::bad_request("invalid_json", e.to_string()).into()
                    }),
            )
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/me", web::get().to(me::show))
            .route("/apps", web::get().to(apps::list))
            .route("/apps", web::post().to(apps::register))
            .route("/apps/{app_id}", web::get().to(apps::show))
            .route("/apps/{app_id}/versions", web::post().to(versions::upload))
            .route(
                "/apps/{app_id}/versions/{version}",
                web::get().to(versions::show),
            )
            .route(
                "/apps/{app_id}/versions/{version}/package",
                web::get().to(versions::download),
            )
            .route(
                "/apps/{app_id}/versions/{version}/promote",
                web::post().to(reviews::promote),
            )
            .route(
                "/apps/{app_id}/versions/{version}/suspend",
                web::post().to(reviews::suspend),
            )
            .route(
                "/apps/{app_id}/auto-approve",
                web::put().to(apps::set_auto_approve),
            )
            .route("/reviews", web::get().to(reviews::list))
            .route(
                "/reviews/{app_id}/{version}/approve",
                web::post().to(reviews::approve),
            )
            .route(
                "/reviews/{app_id}/{version}/reject",
                web::post().to(reviews::reject),
            )
            .route("/index", web::get().to(index::show))
            .route("/keys", web::get().to(keys::list))
            .route("/keys", web::post().to(keys::register))
            .route("/keys/{key_id}", web::delete().to(keys::revoke))
            .route("/tokens", web::get().to(tokens::list))
            .route("/tokens", web::post().to(tokens::create))
            .route("/tokens/{id}", web::delete().to(tokens::revoke))
            .route("/device/code", web::post().to(device::start))
            .route("/device/token", web::post().to(device::poll))
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(ApiError::not_found("no such API route"))
            })),
    );
}

/// Parses the `{app_id}` of a path.
fn app_id(text: &str) -> Result<AppId, ApiError> {
    crate::actions::parse_app_id(text)
}

/// Parses the `{version}` of a path.
fn version(text: &str) -> Result<semver::Version, ApiError> {
    text.parse()
        .map_err(|e| ApiError::bad_request("invalid_version", format!("version `{text}`: {e}")))
}

/// The caller's IP address, for the audit log.
pub(crate) fn client_ip(req: &actix_web::HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}
