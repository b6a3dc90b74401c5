//! `GET /api/v1/me`.

use crate::caller::Caller;
use crate::error::{ApiError, reading};
use crate::state::State;
use actix_web::web::Json;
use mosis_auth::{Credential, permissions};
use mosis_client::wire::{AccountView, Me};

/// The caller: account, roles and the scopes this request may use.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = mosis_client::wire::ErrorBody)),
    security(("token" = [])))]
pub async fn show(state: State, caller: Caller) -> Result<Json<Me>, ApiError> {
    let caller = reading(&state, move |state| caller.resolve(state)).await?;
    permissions::view_self(&caller)?;
    let (credential, token_id) = match &caller.credential {
        Credential::Token { id, .. } => ("token", Some(id.0)),
        Credential::Session { .. } => ("session", None),
    };
    Ok(Json(Me {
        account: AccountView {
            id: caller.account.id.0,
            name: caller.account.name.clone(),
        },
        roles: caller
            .account
            .roles
            .iter()
            .map(ToString::to_string)
            .collect(),
        scopes: caller.scopes().iter().map(ToString::to_string).collect(),
        credential: credential.to_owned(),
        token_id,
    }))
}
