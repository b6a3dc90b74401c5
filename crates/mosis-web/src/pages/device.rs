//! Approving a `mosis login` from the dashboard: enter the code, confirm with the
//! requesting device's context, authorize (choosing scopes) or deny.

use super::{FormData, Reply, context, render, scope_choices, show as show_page, submit, when};
use crate::actions;
use crate::browser::SessionCookie;
use crate::error::ApiError;
use crate::state::State;
use actix_web::http::StatusCode;
use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse};
use mosis_auth::permissions;
use mosis_storage::DeviceAuthState;
use serde::Deserialize;

/// `?user_code=`
#[derive(Debug, Deserialize)]
pub struct CodeQuery {
    user_code: Option<String>,
}

/// `GET /device[?user_code=…]`: the code form, or the confirmation for a known code.
/// Never approves by itself.
pub async fn show(
    state: State,
    cookie: SessionCookie,
    query: Query<CodeQuery>,
) -> Result<HttpResponse, ApiError> {
    let typed = query.user_code.clone().unwrap_or_default();
    show_page(&state, cookie, move |state, me| {
        permissions::approve_device(&me.principal)?;
        let mut ctx = context(state, Some(me), "device");
        ctx.insert("typed", &typed);
        if typed.trim().is_empty() {
            ctx.insert("step", "enter");
            return Ok(Reply::ok(render(state, "pages/device.html", &ctx)?));
        }
        let now = state.auth.clock().now();
        let (step, status) = match state.auth.device_auth(&typed) {
            Err(e) => {
                ctx.insert("page_error", &true);
                ctx.insert("errors", &serde_json::json!({ "user_code": e.to_string() }));
                ("enter", StatusCode::NOT_FOUND)
            }
            Ok(auth) if auth.state != DeviceAuthState::Pending => {
                ctx.insert("title", "This code was used already");
                ctx.insert("message", "It was approved or denied before.");
                ("problem", StatusCode::CONFLICT)
            }
            Ok(auth) if auth.expires_at <= now => {
                ctx.insert("title", "This code has expired");
                ctx.insert("message", "Codes last 10 minutes.");
                ("problem", StatusCode::GONE)
            }
            Ok(auth) => {
                ctx.insert(
                    "auth",
                    &serde_json::json!({
                        "user_code": auth.user_code,
                        "client": auth.origin.client,
                        "host": auth.host,
                        "ip": auth.origin.ip.unwrap_or_else(|| "unknown".into()),
                        "created": when(auth.created_at, now),
                        "expires": when(auth.expires_at, now),
                    }),
                );
                ctx.insert(
                    "scope_choices",
                    &scope_choices(&me.principal.account, &auth.scopes),
                );
                ("confirm", StatusCode::OK)
            }
        };
        ctx.insert("step", step);
        Ok(Reply::Html(
            status,
            render(state, "pages/device.html", &ctx)?,
        ))
    })
    .await
}

/// `POST /device`: authorize (with the ticked scopes) or deny.
pub async fn decide(
    state: State,
    cookie: SessionCookie,
    form: FormData,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    submit(state, cookie, form, &req, |state, me, form, ip| {
        permissions::approve_device(&me.principal)?;
        let approve = match form.get("decision") {
            Some("approve") => true,
            Some("deny") => false,
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_form",
                    "decision: choose Authorize or Deny",
                ));
            }
        };
        let scopes = if approve {
            actions::parse_scopes(&form.all("scope"))?
        } else {
            Vec::new()
        };
        state.auth.decide_device_auth(
            &me.principal,
            &form.text("user_code"),
            approve,
            &scopes,
            ip,
        )?;
        let mut ctx = context(state, Some(me), "device");
        ctx.insert("step", if approve { "approved" } else { "denied" });
        Ok(Reply::ok(render(state, "pages/device.html", &ctx)?))
    })
    .await
}
