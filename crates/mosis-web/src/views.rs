//! Wire views built from storage records (the API's JSON is `mosis_client::wire`).

use mosis_client::wire::{AppSummary, KeyView, ProblemView, TokenView, VersionView};
use mosis_domain::Problem;
use mosis_storage::{App, SigningKeyRecord, TokenRecord, VersionRecord};

/// An app, with its newest version when known.
pub fn app_summary(app: &App, latest: Option<&VersionRecord>) -> AppSummary {
    AppSummary {
        app_id: app.app_id.to_string(),
        name: app.name.clone(),
        owner_id: app.owner_id.0,
        created_at: app.created_at,
        latest_version: latest.map(|v| v.version.to_string()),
        latest_state: latest.map(|v| v.state.to_string()),
    }
}

/// A version.
pub fn version(v: &VersionRecord) -> VersionView {
    VersionView {
        app_id: v.app_id.to_string(),
        version: v.version.to_string(),
        state: v.state.to_string(),
        channel: v.channel.map(|c| c.to_string()),
        size: v.size,
        sha256: v.sha256.to_string(),
        key_id: v.key_id.to_string(),
        report: v
            .report_json
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok()),
        reject_reason: v.reject_reason.clone(),
        uploaded_at: v.created_at,
        updated_at: v.updated_at,
        auto_approved: v.auto_approved,
        requested_channel: v.requested_channel.map(|c| c.to_string()),
    }
}

/// A signing key.
pub fn key(k: &SigningKeyRecord) -> KeyView {
    KeyView {
        key_id: k.key_id.to_string(),
        public_key: k.public_key.to_base64(),
        label: k.label.clone(),
        created_at: k.created_at,
        revoked_at: k.revoked_at,
    }
}

/// A token, without its secret (which is not stored).
pub fn token(t: &TokenRecord) -> TokenView {
    TokenView {
        id: t.id.0,
        name: t.name.clone(),
        prefix: t.prefix.clone(),
        scopes: t.scopes.clone(),
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        revoked_at: t.revoked_at,
    }
}

/// A package problem.
pub fn problem(p: &Problem) -> ProblemView {
    ProblemView {
        code: p.code.as_str().to_owned(),
        message: p.message.clone(),
        path: p.path.clone(),
        field: p.field.clone(),
    }
}
