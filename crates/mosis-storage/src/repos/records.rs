//! The records repositories store and return.

use crate::UnixTime;
use mosis_domain::{AppId, KeyId, PublicKey, Sha256};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

row_id!(
    /// An account's id (also the `dev_id` in blob paths).
    AccountId
);
row_id!(
    /// A version's row id.
    VersionId
);
row_id!(
    /// A review job's id.
    JobId
);
row_id!(
    /// An API token's row id.
    TokenId
);

/// Text enums stored as their `as_str` form.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value.
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            /// The stored and displayed text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| format!("unknown {} `{s}`", stringify!($name)))
            }
        }
    };
}

text_enum!(
    /// Rights beyond developing one's own apps.
    Role {
        /// Reviews other people's uploads.
        Reviewer => "reviewer",
        /// Manages users, roles and the portal.
        Admin => "admin",
    }
);

text_enum!(
    /// Where a version is in review.
    VersionState {
        /// Uploaded, waiting for the automated checks.
        Pending => "pending",
        /// Passed the checks, waiting for a human reviewer.
        InReview => "in_review",
        /// Approved and on a channel.
        Published => "published",
        /// Failed the checks or was rejected by a reviewer.
        Rejected => "rejected",
        /// Taken off the index after publication.
        Suspended => "suspended",
    }
);

/// A release channel (the domain's: release statements and the index name it).
pub use mosis_domain::Channel;

text_enum!(
    /// A review job's state.
    JobState {
        /// Waiting for a worker.
        Queued => "queued",
        /// Claimed by a worker under a lease.
        Running => "running",
        /// Finished (the outcome is on the version).
        Done => "done",
        /// Gave up after too many attempts; needs a human.
        Errored => "errored",
    }
);

text_enum!(
    /// Where a device authorisation is.
    DeviceAuthState {
        /// Waiting for the user.
        Pending => "pending",
        /// Approved; the CLI may collect its token once.
        Approved => "approved",
        /// Denied by the user.
        Denied => "denied",
        /// The token was issued.
        Consumed => "consumed",
    }
);

text_enum!(
    /// A telemetry event's kind.
    EventKind {
        /// The app was installed.
        Install => "install",
        /// The app was removed.
        Uninstall => "uninstall",
        /// The app was updated.
        Update => "update",
        /// The app was started.
        Launch => "launch",
        /// The app crashed.
        Crash => "crash",
    }
);

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Its unique name.
    pub name: String,
    /// Its email, if known.
    pub email: Option<String>,
    /// Disabled accounts cannot sign in or use tokens.
    pub disabled: bool,
    /// Its roles.
    pub roles: BTreeSet<Role>,
    /// When it was created.
    pub created_at: UnixTime,
}

/// A registered developer key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// The key's id.
    pub key_id: KeyId,
    /// Its owner.
    pub account_id: AccountId,
    /// The key.
    pub public_key: PublicKey,
    /// The owner's label for it.
    pub label: String,
    /// When it was added.
    pub created_at: UnixTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

/// A registered app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Its id.
    pub app_id: AppId,
    /// Its owner.
    pub owner_id: AccountId,
    /// The listing name.
    pub name: String,
    /// An admin's auto-approval override, if any.
    pub auto_approve: Option<bool>,
    /// When it was registered.
    pub created_at: UnixTime,
}

/// An upload to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    /// The app.
    pub app_id: AppId,
    /// The version.
    pub version: semver::Version,
    /// The package's size in bytes.
    pub size: u64,
    /// The package's SHA-256.
    pub sha256: Sha256,
    /// The key that signed it.
    pub key_id: KeyId,
    /// The manifest, as JSON.
    pub manifest_json: String,
    /// Who uploaded it.
    pub uploaded_by: AccountId,
    /// The channel the developer asked to publish on (the reviewer decides).
    pub requested_channel: Option<Channel>,
}

/// A stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    /// Its id.
    pub id: VersionId,
    /// The app.
    pub app_id: AppId,
    /// The version.
    pub version: semver::Version,
    /// Where it is in review.
    pub state: VersionState,
    /// The channel it is published on, once published.
    pub channel: Option<Channel>,
    /// Package size in bytes.
    pub size: u64,
    /// Package SHA-256.
    pub sha256: Sha256,
    /// Signing key.
    pub key_id: KeyId,
    /// The manifest, as JSON.
    pub manifest_json: String,
    /// The automated review report, as JSON, once there is one.
    pub report_json: Option<String>,
    /// Why it was rejected, if it was.
    pub reject_reason: Option<String>,
    /// Who uploaded it.
    pub uploaded_by: AccountId,
    /// The reviewer who approved or rejected it, if a person did.
    pub reviewed_by: Option<AccountId>,
    /// Whether the risk-based rule published it without a reviewer.
    pub auto_approved: bool,
    /// The SHA-256 of its icon file, once the automated review has read it.
    pub icon_sha256: Option<Sha256>,
    /// The channel the developer asked to publish on, if any.
    pub requested_channel: Option<Channel>,
    /// When it was uploaded.
    pub created_at: UnixTime,
    /// When it last changed.
    pub updated_at: UnixTime,
}

/// What an automated review found, recorded with [`crate::ReviewQueue::complete_review`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewOutcome {
    /// The report, as JSON.
    pub report_json: String,
    /// The icon's SHA-256, when the package could be read.
    pub icon_sha256: Option<Sha256>,
    /// `InReview` (the checks passed) or `Rejected` (one failed).
    pub next: VersionState,
    /// The rejection's reason, for `Rejected`.
    pub reason: Option<String>,
}

/// A current release on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The version.
    pub version_id: VersionId,
    /// The app.
    pub app_id: AppId,
    /// The version number.
    pub version: semver::Version,
    /// The channel.
    pub channel: Channel,
    /// The signed release statement (`release.json`).
    pub statement: String,
    /// When it was published there.
    pub published_at: UnixTime,
}

/// A review job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewJob {
    /// Its id.
    pub id: JobId,
    /// The version to review.
    pub version_id: VersionId,
    /// Its state.
    pub state: JobState,
    /// How many times it was claimed.
    pub attempts: u32,
    /// The worker holding it.
    pub lease_owner: Option<String>,
    /// When the lease ends.
    pub lease_expires_at: Option<UnixTime>,
    /// The last failure.
    pub last_error: Option<String>,
}

/// A token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// Its owner.
    pub account_id: AccountId,
    /// The owner's name for it.
    pub name: String,
    /// The non-secret prefix that finds it.
    pub prefix: String,
    /// The hash of the secret.
    pub hash: Vec<u8>,
    /// Its scopes, e.g. `publish:com.example.app`.
    pub scopes: Vec<String>,
    /// When it expires, if ever.
    pub expires_at: Option<UnixTime>,
}

/// A stored token.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Its id.
    pub id: TokenId,
    /// Its owner.
    pub account_id: AccountId,
    /// The owner's name for it.
    pub name: String,
    /// The non-secret prefix.
    pub prefix: String,
    /// The hash of the secret.
    pub hash: Vec<u8>,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it was created.
    pub created_at: UnixTime,
    /// When it expires, if ever.
    pub expires_at: Option<UnixTime>,
    /// When it was last used.
    pub last_used_at: Option<UnixTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

impl fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRecord")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("prefix", &self.prefix)
            .field("hash", &"<hidden>")
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// A browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Its id (carried in the signed cookie).
    pub id: String,
    /// Whose it is.
    pub account_id: AccountId,
    /// When it started.
    pub created_at: UnixTime,
    /// Last activity.
    pub last_seen_at: UnixTime,
    /// Absolute expiry.
    pub expires_at: UnixTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
    /// Where it was started from.
    pub origin: Origin,
}

/// Where a session or device login came from, as shown to the account's owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The client's address.
    pub ip: Option<String>,
    /// The browser's `User-Agent`, or the CLI's self-reported name and version.
    pub client: String,
}

/// A device authorisation to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeviceAuth {
    /// The hash of the device code (the code itself is never stored).
    pub code_hash: Vec<u8>,
    /// The short code the user types.
    pub user_code: String,
    /// The scopes the CLI asks for.
    pub scopes: Vec<String>,
    /// When the codes expire.
    pub expires_at: UnixTime,
    /// The requesting client and address (`client` is self-reported).
    pub origin: Origin,
    /// The machine's self-reported host name.
    pub host: String,
}

/// A stored device authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    /// The short code the user types.
    pub user_code: String,
    /// The scopes asked for, or granted once approved.
    pub scopes: Vec<String>,
    /// Its state.
    pub state: DeviceAuthState,
    /// Who approved it.
    pub account_id: Option<AccountId>,
    /// When it started.
    pub created_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
    /// When it was approved or denied.
    pub decided_at: Option<UnixTime>,
    /// The requesting client and address (`client` is self-reported).
    pub origin: Origin,
    /// The machine's self-reported host name.
    pub host: String,
}

/// A browser's round trip to a sign-in provider, kept server-side until it comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFlow {
    /// SHA-256 of the `state` parameter (the state itself stays with the browser).
    pub state_hash: Vec<u8>,
    /// The configured provider's id.
    pub provider: String,
    /// The OpenID Connect nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// Where to go after signing in (a same-origin path).
    pub next: String,
    /// When the flow stops being accepted.
    pub expires_at: UnixTime,
}

/// An audit entry to record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Who acted (none for anonymous or system actions).
    pub actor: Option<AccountId>,
    /// What happened, e.g. `token.created`.
    pub action: String,
    /// What it happened to, e.g. an app id.
    pub target: String,
    /// Details (never secrets).
    pub detail: serde_json::Value,
    /// The client's address.
    pub ip: Option<String>,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Its id (increasing).
    pub id: i64,
    /// When.
    pub at: UnixTime,
    /// The entry.
    pub entry: AuditEntry,
}

/// One device event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryEvent {
    /// The app.
    pub app_id: AppId,
    /// Its version.
    pub version: String,
    /// The anonymous install id.
    pub install_id: String,
    /// What happened.
    pub kind: EventKind,
    /// When, on the device.
    pub at: UnixTime,
    /// The stack trace, for crashes.
    pub stack: Option<String>,
    /// The normalised crash signature, for crashes.
    pub signature: Option<String>,
}

/// One app version's counts for one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyRollup {
    /// The app.
    pub app_id: AppId,
    /// Its version.
    pub version: String,
    /// Days since the Unix epoch.
    pub day: i64,
    /// Installs that day.
    pub installs: u64,
    /// Uninstalls that day.
    pub uninstalls: u64,
    /// Updates that day.
    pub updates: u64,
    /// Launches that day.
    pub launches: u64,
    /// Crashes that day.
    pub crashes: u64,
    /// Installs active that day.
    pub active_installs: u64,
}

/// Crashes that share a normalised stack signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashGroup {
    /// The app.
    pub app_id: AppId,
    /// The normalised signature.
    pub signature: String,
    /// First occurrence.
    pub first_seen: UnixTime,
    /// Latest occurrence.
    pub last_seen: UnixTime,
    /// How many.
    pub occurrences: u64,
    /// One stack trace of the group.
    pub sample_stack: String,
}
