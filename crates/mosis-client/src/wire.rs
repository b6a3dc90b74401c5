//! The JSON bodies of `/api/v1`. Times are Unix seconds (UTC); sizes are bytes.
//!
//! Field names are a public contract (scripts and devices read them): add, never rename.

use serde::{Deserialize, Serialize};

/// Every error response: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// A stable machine-readable code, such as `invalid_package` or `forbidden`.
    pub code: String,
    /// One human-readable sentence.
    pub message: String,
    /// For a refused package: every problem found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ProblemView>,
}

/// One problem with a package (the same codes as `mosis validate --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemView {
    /// The stable problem code.
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// The entry inside the package, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The manifest field, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `GET /api/v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The account.
    pub account: AccountView,
    /// Its roles beyond developer (`reviewer`, `admin`).
    pub roles: Vec<String>,
    /// The scopes this request may use.
    pub scopes: Vec<String>,
    /// `token` or `session`.
    pub credential: String,
    /// The token's id, when authenticated by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<i64>,
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    /// Its id (the `dev_id` in package paths).
    pub id: i64,
    /// Its unique name.
    pub name: String,
}

/// An app in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppSummary {
    /// The app id (reverse domain).
    pub app_id: String,
    /// The listing name.
    pub name: String,
    /// The owner's account id.
    pub owner_id: i64,
    /// When it was registered.
    pub created_at: i64,
    /// The newest version uploaded, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<String>,
    /// That version's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_state: Option<String>,
}

/// `GET /api/v1/apps/{app_id}`: the app with its versions, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppDetail {
    /// The app.
    #[serde(flatten)]
    pub app: AppSummary,
    /// Its versions, newest (by semantic version) first.
    pub versions: Vec<VersionView>,
}

/// `POST /api/v1/apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApp {
    /// The app id to register.
    pub app_id: String,
    /// The listing name (defaults to the id).
    #[serde(default)]
    pub name: Option<String>,
}

/// One uploaded version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionView {
    /// The app id.
    pub app_id: String,
    /// The semantic version.
    pub version: String,
    /// `pending`, `in_review`, `published`, `rejected` or `suspended`.
    pub state: String,
    /// The channel it is published on, once published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The package's size in bytes.
    pub size: u64,
    /// The package's SHA-256, lower-case hex.
    pub sha256: String,
    /// The id of the developer key that signed it.
    pub key_id: String,
    /// The automated review report, once there is one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub report: Option<serde_json::Value>,
    /// Why it was rejected, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    /// When it was uploaded.
    pub uploaded_at: i64,
    /// When its state last changed.
    pub updated_at: i64,
    /// Whether the risk-based rule published it without a reviewer.
    #[serde(default)]
    pub auto_approved: bool,
    /// The channel the developer asked to publish on (`mosis publish --channel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_channel: Option<String>,
}

/// One entry of `GET /api/v1/reviews`: a version with its app and its review job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewItem {
    /// The version.
    #[serde(flatten)]
    pub version: VersionView,
    /// The app's listing name.
    pub app_name: String,
    /// The owner's account id.
    pub owner_id: i64,
    /// The review job's state: `queued`, `running`, `done` or `errored`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_state: Option<String>,
    /// Why the job last failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_error: Option<String>,
}

/// `POST /api/v1/reviews/{app_id}/{version}/approve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApproveRequest {
    /// `stable` or `beta`.
    pub channel: String,
}

/// `POST /api/v1/reviews/{app_id}/{version}/reject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectRequest {
    /// Why, for the developer (1–2000 characters).
    pub reason: String,
}

/// `PUT /api/v1/apps/{app_id}/auto-approve`: an admin's risk-based review override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoApproveSetting {
    /// `true` or `false` for this app; `null` follows the operator's setting.
    pub auto_approve: Option<bool>,
}

/// A registered signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyView {
    /// The key id packages name in their signature block.
    pub key_id: String,
    /// The Ed25519 public key, base64.
    pub public_key: String,
    /// A label for the owner.
    pub label: String,
    /// When it was registered.
    pub created_at: i64,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

/// `POST /api/v1/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewKey {
    /// The public key: a `.pub` file's text (`mosis-public-key-v1 ed25519 …`) or the bare
    /// base64 key.
    pub public_key: String,
    /// A label, such as the machine it lives on.
    #[serde(default)]
    pub label: Option<String>,
}

/// An API token (never its secret, except once in [`CreatedToken`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its first characters, to recognise it.
    pub prefix: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it was created.
    pub created_at: i64,
    /// When it expires, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// When it was last used (recorded at most once a minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTokenRequest {
    /// A name, such as the CI job it is for.
    pub name: String,
    /// Scopes: `read`, `publish`, `publish:<app-id>`, `review`, `admin`.
    pub scopes: Vec<String>,
    /// Days until it expires; never when absent.
    #[serde(default)]
    pub expires_days: Option<u32>,
}

/// The response to `POST /api/v1/tokens`: the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    /// The token (`mosis_…`). It cannot be shown again.
    pub token: String,
    /// What was stored.
    #[serde(flatten)]
    pub info: TokenView,
}

/// `POST /api/v1/device/code`: a CLI starts a device login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceCodeRequest {
    /// The scopes asked for (the approving user may narrow them).
    pub scopes: Vec<String>,
    /// The client's name and version, shown to the user as self-reported.
    #[serde(default)]
    pub client: Option<String>,
    /// The machine's host name, shown to the user as self-reported.
    #[serde(default)]
    pub host: Option<String>,
}

/// The answer to `POST /api/v1/device/code` (the fields of RFC 8628 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceCode {
    /// The secret the CLI polls with; never shown.
    pub device_code: String,
    /// The code the user types, `XXXX-XXXX`.
    pub user_code: String,
    /// Where the user approves it.
    pub verification_uri: String,
    /// The same, with the code filled in.
    pub verification_uri_complete: String,
    /// Seconds until the codes expire.
    pub expires_in: i64,
    /// Seconds to wait between polls.
    pub interval: u64,
}

/// `POST /api/v1/device/token`: the CLI's poll. Until approval the answer is 400 with
/// code `authorization_pending`; `access_denied` (denied), `expired_token` (expired)
/// end it; on approval, 200 with a [`CreatedToken`], once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceTokenRequest {
    /// The device code from [`DeviceCode`].
    pub device_code: String,
}
