//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of every route above.

use actix_web::web::Json;
use mosis_client::wire;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Mosis Developer Portal API", description = "Publish and manage apps for the Mosis device platform. Authenticate with `Authorization: Bearer mosis_…` (an API token)."),
    paths(
        super::me::show,
        super::apps::list, super::apps::register, super::apps::show,
        super::versions::upload, super::versions::show, super::versions::download,
        super::keys::list, super::keys::register, super::keys::revoke,
        super::tokens::list, super::tokens::create, super::tokens::revoke,
        super::device::start, super::device::poll,
        super::apps::set_auto_approve,
        super::reviews::list, super::reviews::approve, super::reviews::reject,
        super::reviews::promote, super::reviews::suspend,
        super::index::show,
        document,
    ),
    components(schemas(
        wire::ErrorBody, wire::ErrorDetail, wire::ProblemView, wire::Me, wire::AccountView,
        wire::AppSummary, wire::AppDetail, wire::NewApp, wire::VersionView, wire::KeyView,
        wire::NewKey, wire::TokenView, wire::NewTokenRequest, wire::CreatedToken,
        wire::DeviceCodeRequest, wire::DeviceCode, wire::DeviceTokenRequest,
        wire::ReviewItem, wire::ApproveRequest, wire::RejectRequest, wire::AutoApproveSetting,
    )),
    modifiers(&BearerToken),
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mosis_…")
                    .build(),
            ),
        );
    }
}

/// This document (no authentication needed).
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
