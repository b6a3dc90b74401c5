//! Repository traits in domain terms, and the records they return. [`crate::SqlitePortal`]
//! and [`crate::SqliteTelemetry`] implement them; [`crate::conformance`] checks any
//! implementation.

mod records;

pub use records::*;

use crate::{StorageError, UnixTime};
use mosis_domain::{AppId, KeyId, PublicKey};

/// Shorthand for storage results.
pub type Result<T> = std::result::Result<T, StorageError>;

/// People who sign in, their external identities and roles.
pub trait Accounts {
    /// Creates an account; `Conflict` if the name is taken.
    fn create_account(&self, name: &str, email: Option<&str>, now: UnixTime) -> Result<Account>;
    /// One account by id.
    fn account(&self, id: AccountId) -> Result<Account>;
    /// One account by its unique name.
    fn account_by_name(&self, name: &str) -> Result<Account>;
    /// The account an external identity (provider, subject) signs in as.
    fn account_by_identity(&self, provider: &str, subject: &str) -> Result<Account>;
    /// Links an identity to an account; `Conflict` if it is linked to an account already.
    fn link_identity(
        &self,
        id: AccountId,
        provider: &str,
        subject: &str,
        now: UnixTime,
    ) -> Result<()>;
    /// The identities linked to an account, as (provider, subject).
    fn identities(&self, id: AccountId) -> Result<Vec<(String, String)>>;
    /// Disables or re-enables an account.
    fn set_disabled(&self, id: AccountId, disabled: bool) -> Result<()>;
    /// Grants a role (idempotent).
    fn grant_role(&self, id: AccountId, role: Role, now: UnixTime) -> Result<()>;
    /// Revokes a role (idempotent).
    fn revoke_role(&self, id: AccountId, role: Role) -> Result<()>;
    /// Every account, by id.
    fn list_accounts(&self) -> Result<Vec<Account>>;
    /// Whether any enabled account is an admin (the first-run bootstrap needs to know).
    fn has_admin(&self) -> Result<bool>;
}

/// Developers' registered Ed25519 public keys.
pub trait SigningKeys {
    /// Registers a key for an account; `Conflict` if the key is registered already.
    fn add_key(
        &self,
        account: AccountId,
        key: &PublicKey,
        label: &str,
        now: UnixTime,
    ) -> Result<SigningKeyRecord>;
    /// One key by id.
    fn key(&self, key_id: KeyId) -> Result<SigningKeyRecord>;
    /// An account's keys, revoked ones included, oldest first.
    fn keys_of(&self, account: AccountId) -> Result<Vec<SigningKeyRecord>>;
    /// Revokes one of the account's keys; `NotFound` if it is not theirs.
    fn revoke_key(&self, account: AccountId, key_id: KeyId, now: UnixTime) -> Result<()>;
}

/// Registered app ids and their owners.
pub trait Apps {
    /// Registers an app id to an owner; `Conflict` if it is taken.
    fn create_app(
        &self,
        app_id: &AppId,
        owner: AccountId,
        name: &str,
        now: UnixTime,
    ) -> Result<App>;
    /// One app.
    fn app(&self, app_id: &AppId) -> Result<App>;
    /// The apps an account owns, by id.
    fn apps_of(&self, owner: AccountId) -> Result<Vec<App>>;
    /// Updates the listing name (from the latest upload's manifest).
    fn set_app_name(&self, app_id: &AppId, name: &str) -> Result<()>;
    /// An admin's override of risk-based auto-approval (`None` follows the operator setting).
    fn set_auto_approve(&self, app_id: &AppId, auto_approve: Option<bool>) -> Result<()>;
}

/// Uploaded versions and their review state machine.
pub trait Versions {
    /// Records an upload in state `pending`; `Conflict` if that version exists.
    fn create_version(&self, new: &NewVersion, now: UnixTime) -> Result<VersionRecord>;
    /// Records a verified upload in one transaction, so a failure leaves nothing: when
    /// `claim_as` is given, first registers the (unclaimed) app id to the uploader under
    /// that listing name; then creates the version in `pending` and queues its review job.
    /// `Conflict` if the version exists or the id was claimed meanwhile.
    fn record_upload(
        &self,
        new: &NewVersion,
        claim_as: Option<&str>,
        now: UnixTime,
    ) -> Result<(VersionRecord, JobId)>;
    /// One version of an app.
    fn version(&self, app_id: &AppId, version: &semver::Version) -> Result<VersionRecord>;
    /// One version by id.
    fn version_by_id(&self, id: VersionId) -> Result<VersionRecord>;
    /// An app's versions, newest (by semantic version) first.
    fn versions_of(&self, app_id: &AppId) -> Result<Vec<VersionRecord>>;
    /// The newest version (by semantic version) of each app `owner` owns, in one read;
    /// apps without versions are absent.
    fn newest_versions_of_owner(
        &self,
        owner: AccountId,
    ) -> Result<std::collections::HashMap<AppId, VersionRecord>>;
    /// Every version in a state, oldest upload first (the reviewer queue).
    fn versions_in_state(&self, state: VersionState) -> Result<Vec<VersionRecord>>;
    /// Moves a version from `from` to `to` (with a reason for rejections, and the
    /// reviewer who decided, if a person did); `Conflict` if it is no longer in `from` — a
    /// compare-and-set, so two reviewers cannot both act.
    fn transition(
        &self,
        id: VersionId,
        from: VersionState,
        to: VersionState,
        reason: Option<&str>,
        by: Option<AccountId>,
        now: UnixTime,
    ) -> Result<VersionRecord>;
}

/// Published releases and the index serial, changed together.
pub trait Releases {
    /// Publishes a version on a channel, in one transaction: moves it from `from` to
    /// `published` (recording `approved_by`, or an automatic approval when `None`),
    /// stores the signed statement, and bumps the channel's index serial, which it
    /// returns. Promoting beta → stable is publishing a published version on `stable`
    /// (`from` = `Published`; the approval stays as it was).
    fn publish(
        &self,
        id: VersionId,
        from: VersionState,
        channel: Channel,
        statement: &str,
        approved_by: Option<AccountId>,
        now: UnixTime,
    ) -> Result<u64>;
    /// Suspends a published version, removing it from every channel's index (bumping
    /// their serials).
    fn suspend(&self, id: VersionId, now: UnixTime) -> Result<()>;
    /// The current release of every app on a channel: its newest published version there.
    fn current_releases(&self, channel: Channel) -> Result<Vec<Release>>;
    /// A channel's index serial (0 before anything was published).
    fn index_serial(&self, channel: Channel) -> Result<u64>;
}

/// The queue of automated review jobs, claimed with leases.
pub trait ReviewQueue {
    /// Queues a job for a version; `Conflict` if it has one.
    fn enqueue(&self, version: VersionId, now: UnixTime) -> Result<JobId>;
    /// Claims the oldest claimable job (queued, or running with an expired lease) for
    /// `lease_secs`. A job whose lease expired after `max_attempts` claims is marked
    /// errored instead, for a human.
    fn claim(
        &self,
        worker: &str,
        lease_secs: i64,
        max_attempts: u32,
        now: UnixTime,
    ) -> Result<Option<ReviewJob>>;
    /// Marks a claimed job done; `Conflict` if the worker no longer holds its lease.
    fn finish_job(&self, job: JobId, worker: &str, now: UnixTime) -> Result<()>;
    /// Records a failed attempt: back to the queue, or errored after `max_attempts`.
    fn fail_job(
        &self,
        job: JobId,
        worker: &str,
        error: &str,
        max_attempts: u32,
        now: UnixTime,
    ) -> Result<JobState>;
    /// Records a finished automated review in one transaction, if `worker` still holds
    /// the job's lease (`Conflict` otherwise): stores the report and icon hash, moves the
    /// version from `pending` to `outcome.next` — unless someone already moved it (a
    /// reviewer's early rejection stands) — and marks the job done. Returns the version.
    fn complete_review(
        &self,
        job: JobId,
        worker: &str,
        outcome: &ReviewOutcome,
        now: UnixTime,
    ) -> Result<VersionRecord>;
    /// Puts an errored job back in the queue with its attempts reset (a person's retry);
    /// `Conflict` unless it is errored.
    fn retry_job(&self, job: JobId, now: UnixTime) -> Result<()>;
    /// One job.
    fn job(&self, job: JobId) -> Result<ReviewJob>;
    /// A version's job.
    fn job_of_version(&self, version: VersionId) -> Result<ReviewJob>;
    /// Every job in a state, oldest first.
    fn jobs_in_state(&self, state: JobState) -> Result<Vec<ReviewJob>>;
    /// Jobs waiting or running.
    fn queue_depth(&self) -> Result<u64>;
}

/// API tokens (stored as hashes).
pub trait Tokens {
    /// Stores a new token; `Conflict` if the prefix is taken.
    fn create_token(&self, new: &NewToken, now: UnixTime) -> Result<TokenRecord>;
    /// The token with this prefix (the caller compares the hash in constant time).
    fn token_by_prefix(&self, prefix: &str) -> Result<TokenRecord>;
    /// An account's tokens, newest first.
    fn tokens_of(&self, account: AccountId) -> Result<Vec<TokenRecord>>;
    /// Revokes one of the account's tokens; `NotFound` if it is not theirs.
    fn revoke_token(&self, account: AccountId, id: TokenId, now: UnixTime) -> Result<()>;
    /// Records a use.
    fn touch_token(&self, id: TokenId, now: UnixTime) -> Result<()>;
}

/// Browser sessions, revocable by id.
pub trait Sessions {
    /// Starts a session.
    fn create_session(
        &self,
        id: &str,
        account: AccountId,
        expires_at: UnixTime,
        origin: &Origin,
        now: UnixTime,
    ) -> Result<SessionRecord>;
    /// One session.
    fn session(&self, id: &str) -> Result<SessionRecord>;
    /// An account's live (unrevoked, unexpired at `now`) sessions, newest first.
    fn sessions_of(&self, account: AccountId, now: UnixTime) -> Result<Vec<SessionRecord>>;
    /// Records activity (for idle expiry).
    fn touch_session(&self, id: &str, now: UnixTime) -> Result<()>;
    /// Ends a session (logout).
    fn revoke_session(&self, id: &str, now: UnixTime) -> Result<()>;
    /// Ends every session of an account (admin action); returns how many.
    fn revoke_sessions_of(&self, account: AccountId, now: UnixTime) -> Result<u64>;
}

/// `mosis login` device authorisations.
pub trait DeviceAuthorizations {
    /// Starts one; the device code is stored only as a hash. `Conflict` on a reused code.
    fn start_device_auth(&self, new: &NewDeviceAuth, now: UnixTime) -> Result<DeviceAuth>;
    /// Looks one up by the code the user types.
    ///
    /// Codes are stored as the caller gives them; callers normalise what users type.
    fn device_auth_by_user_code(&self, user_code: &str) -> Result<DeviceAuth>;
    /// Looks one up by the hash of the device's code.
    fn device_auth_by_code_hash(&self, code_hash: &[u8]) -> Result<DeviceAuth>;
    /// Approves (`Some(account)`, with the scopes granted) or denies (`None`) a pending,
    /// unexpired authorisation; `Conflict` otherwise.
    fn decide_device_auth(
        &self,
        user_code: &str,
        approver: Option<AccountId>,
        scopes: &[String],
        now: UnixTime,
    ) -> Result<DeviceAuth>;
    /// Marks an approved authorisation consumed (its token was issued); `Conflict` if it
    /// is not approved, so a code yields one token only.
    fn consume_device_auth(&self, code_hash: &[u8], now: UnixTime) -> Result<DeviceAuth>;
}

/// Browser sign-in round trips and the first-run bootstrap links.
pub trait SignIns {
    /// Remembers a flow until its browser comes back. `Conflict` on a reused state.
    fn start_sign_in(&self, flow: &SignInFlow, now: UnixTime) -> Result<()>;
    /// Takes (deletes) the flow with this state hash, so a callback works once;
    /// `NotFound` if there is none or it expired. Expired flows are swept on the way.
    fn take_sign_in(&self, state_hash: &[u8], now: UnixTime) -> Result<SignInFlow>;
    /// Stores a bootstrap link's hash, valid until `expires_at`.
    fn create_bootstrap_link(&self, hash: &[u8], expires_at: UnixTime, now: UnixTime)
    -> Result<()>;
    /// Claims the instance with a bootstrap link, in one transaction: the link must be
    /// known (`NotFound`), unused and unexpired, and no enabled admin may exist
    /// (`Conflict` otherwise); then creates the account `name` with the admin role and
    /// marks the link used. Never makes a second admin.
    fn claim_with_bootstrap(&self, hash: &[u8], name: &str, now: UnixTime) -> Result<Account>;
}

/// The audit log of security-relevant events.
pub trait AuditLog {
    /// Appends an entry; returns its id.
    fn record_audit(&self, entry: &AuditEntry, now: UnixTime) -> Result<i64>;
    /// Entries newest first, optionally one actor's, before an id (for paging).
    fn audit_entries(
        &self,
        actor: Option<AccountId>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>>;
}

/// Device telemetry in `telemetry.db`.
pub trait Telemetry {
    /// Stores a batch of events in one transaction; returns how many.
    fn insert_events(&self, events: &[TelemetryEvent], received_at: UnixTime) -> Result<usize>;
    /// Events of an app in `[from, to)`, oldest first.
    fn events_between(
        &self,
        app_id: &AppId,
        from: UnixTime,
        to: UnixTime,
    ) -> Result<Vec<TelemetryEvent>>;
    /// Deletes raw events older than `before` (retention); returns how many.
    fn delete_events_before(&self, before: UnixTime) -> Result<u64>;
    /// Writes (replaces) one day's roll-up.
    fn upsert_rollup(&self, rollup: &DailyRollup) -> Result<()>;
    /// An app's roll-ups, by version and day.
    fn rollups(&self, app_id: &AppId) -> Result<Vec<DailyRollup>>;
    /// Counts one crash into its group (creating the group on first sight).
    fn record_crash(
        &self,
        app_id: &AppId,
        signature: &str,
        stack: &str,
        at: UnixTime,
    ) -> Result<()>;
    /// An app's crash groups, most frequent first.
    fn crash_groups(&self, app_id: &AppId) -> Result<Vec<CrashGroup>>;
}
