//! The conformance suite: behaviour every implementation of the repository traits must
//! show. [`portal_suite`] and [`telemetry_suite`] take a factory for fresh, empty stores
//! and panic with a message naming the broken rule. The SQLite implementation runs them in
//! `tests/it`; a new implementation (say, Postgres) runs them the same way.

use crate::repos::*;
use crate::{StorageError, UnixTime};
use mosis_domain::{AppId, PublicKey, Sha256, SigningKey};

/// Every portal repository at once.
pub trait PortalStore:
    Accounts
    + SigningKeys
    + Apps
    + Versions
    + Releases
    + ReviewQueue
    + Tokens
    + Sessions
    + DeviceAuthorizations
    + AuditLog
{
}

impl<T> PortalStore for T where
    T: Accounts
        + SigningKeys
        + Apps
        + Versions
        + Releases
        + ReviewQueue
        + Tokens
        + Sessions
        + DeviceAuthorizations
        + AuditLog
{
}

const NOW: UnixTime = 1_796_398_245;

/// Runs every portal check, each on a fresh store from `fresh`.
pub fn portal_suite<S: PortalStore>(fresh: impl Fn() -> S) {
    accounts(&fresh());
    signing_keys(&fresh());
    apps(&fresh());
    versions(&fresh());
    releases(&fresh());
    review_queue(&fresh());
    tokens(&fresh());
    sessions(&fresh());
    device_authorizations(&fresh());
    audit_log(&fresh());
}

/// Runs every telemetry check on a fresh store from `fresh`.
pub fn telemetry_suite<S: Telemetry>(fresh: impl Fn() -> S) {
    telemetry(&fresh());
}

fn is_conflict<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(StorageError::Conflict { .. }))
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(StorageError::NotFound { .. }))
}

fn app_id(s: &str) -> AppId {
    AppId::parse(s).expect("valid test app id")
}

fn key(seed: u8) -> PublicKey {
    SigningKey::from_seed([seed; 32])
        .expect("valid seed")
        .public_key()
}

/// An account with a registered key and an app.
fn developer<S: PortalStore>(s: &S, name: &str, app: &str) -> (AccountId, PublicKey, AppId) {
    let account = s
        .create_account(name, None, NOW)
        .expect("create account")
        .id;
    let public = key(name
        .bytes()
        .fold(1u8, |a, b| a.wrapping_mul(31).wrapping_add(b)));
    s.add_key(account, &public, "laptop", NOW).expect("add key");
    let id = app_id(app);
    s.create_app(&id, account, "App", NOW).expect("create app");
    (account, public, id)
}

fn upload<S: PortalStore>(
    s: &S,
    owner: AccountId,
    public: &PublicKey,
    app: &AppId,
    version: &str,
) -> VersionRecord {
    let new = NewVersion {
        app_id: app.clone(),
        version: version.parse().expect("valid version"),
        size: 1234,
        sha256: Sha256::of(version.as_bytes()),
        key_id: public.key_id(),
        manifest_json: format!(r#"{{"id":"{app}","version":"{version}"}}"#),
        uploaded_by: owner,
    };
    s.create_version(&new, NOW).expect("create version")
}

fn accounts<S: Accounts>(s: &S) {
    assert!(
        !s.has_admin().expect("has_admin"),
        "a fresh store has no admin"
    );
    let alice = s
        .create_account("alice", Some("alice@example.com"), NOW)
        .expect("create alice");
    assert_eq!(alice.name, "alice");
    assert_eq!(alice.email.as_deref(), Some("alice@example.com"));
    assert!(!alice.disabled && alice.roles.is_empty());
    assert!(
        is_conflict(s.create_account("alice", None, NOW)),
        "account names are unique"
    );
    assert_eq!(s.account(alice.id).expect("by id"), alice);
    assert_eq!(s.account_by_name("alice").expect("by name"), alice);
    assert!(is_not_found(s.account_by_name("nobody")));
    assert!(is_not_found(s.account(AccountId(9_999))));

    s.link_identity(alice.id, "github", "12345", NOW)
        .expect("link");
    assert_eq!(
        s.account_by_identity("github", "12345")
            .expect("by identity")
            .id,
        alice.id
    );
    assert!(
        is_not_found(s.account_by_identity("google", "12345")),
        "identities are keyed by provider and subject"
    );
    let bob = s.create_account("bob", None, NOW).expect("create bob");
    assert!(
        is_conflict(s.link_identity(bob.id, "github", "12345", NOW)),
        "an identity belongs to one account"
    );
    assert!(is_not_found(s.link_identity(
        AccountId(9_999),
        "google",
        "x",
        NOW
    )));
    assert_eq!(
        s.identities(alice.id).expect("identities"),
        [("github".to_owned(), "12345".to_owned())]
    );

    s.grant_role(alice.id, Role::Admin, NOW).expect("grant");
    s.grant_role(alice.id, Role::Admin, NOW)
        .expect("granting twice is fine");
    s.grant_role(alice.id, Role::Reviewer, NOW)
        .expect("grant reviewer");
    assert_eq!(
        s.account(alice.id).expect("reload").roles,
        [Role::Reviewer, Role::Admin].into_iter().collect()
    );
    assert!(s.has_admin().expect("has_admin"));
    s.set_disabled(alice.id, true).expect("disable");
    assert!(s.account(alice.id).expect("reload").disabled);
    assert!(
        !s.has_admin().expect("has_admin"),
        "a disabled admin does not count"
    );
    s.set_disabled(alice.id, false).expect("enable");
    s.revoke_role(alice.id, Role::Admin).expect("revoke");
    assert_eq!(
        s.account(alice.id).expect("reload").roles,
        [Role::Reviewer].into_iter().collect()
    );
    assert!(is_not_found(s.grant_role(
        AccountId(9_999),
        Role::Admin,
        NOW
    )));
    let names: Vec<String> = s
        .list_accounts()
        .expect("list")
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["alice", "bob"]);
}

fn signing_keys<S: PortalStore>(s: &S) {
    let alice = s.create_account("alice", None, NOW).expect("alice").id;
    let bob = s.create_account("bob", None, NOW).expect("bob").id;
    let k = key(1);
    let record = s.add_key(alice, &k, "laptop", NOW).expect("add");
    assert_eq!(
        (record.key_id, record.public_key, record.label.as_str()),
        (k.key_id(), k, "laptop")
    );
    assert_eq!(record.revoked_at, None);
    assert!(
        is_conflict(s.add_key(bob, &k, "stolen", NOW)),
        "a key is registered once"
    );
    assert!(is_not_found(s.add_key(AccountId(9_999), &key(2), "x", NOW)));
    s.add_key(alice, &key(3), "ci", NOW + 1)
        .expect("second key");
    assert_eq!(s.keys_of(alice).expect("keys").len(), 2);
    assert!(s.keys_of(bob).expect("keys").is_empty());
    assert!(
        is_not_found(s.revoke_key(bob, k.key_id(), NOW)),
        "only the owner revokes a key"
    );
    s.revoke_key(alice, k.key_id(), NOW + 5).expect("revoke");
    s.revoke_key(alice, k.key_id(), NOW + 9)
        .expect("revoking twice keeps the first time");
    assert_eq!(s.key(k.key_id()).expect("key").revoked_at, Some(NOW + 5));
    assert!(is_not_found(s.key(key(9).key_id())));
}

fn apps<S: PortalStore>(s: &S) {
    let alice = s.create_account("alice", None, NOW).expect("alice").id;
    let bob = s.create_account("bob", None, NOW).expect("bob").id;
    let id = app_id("com.example.weather");
    let app = s.create_app(&id, alice, "Weather", NOW).expect("create");
    assert_eq!(
        (app.owner_id, app.name.as_str(), app.auto_approve),
        (alice, "Weather", None)
    );
    assert!(
        is_conflict(s.create_app(&id, bob, "Mine now", NOW)),
        "an app id is registered once"
    );
    assert!(is_not_found(s.create_app(
        &app_id("com.example.other"),
        AccountId(9_999),
        "x",
        NOW
    )));
    assert_eq!(
        s.app(&id).expect("app").owner_id,
        alice,
        "a refused claim changes nothing"
    );
    s.create_app(&app_id("com.example.atlas"), alice, "Atlas", NOW)
        .expect("second app");
    let ids: Vec<String> = s
        .apps_of(alice)
        .expect("apps")
        .into_iter()
        .map(|a| a.app_id.to_string())
        .collect();
    assert_eq!(ids, ["com.example.atlas", "com.example.weather"]);
    s.set_app_name(&id, "Weather Pro").expect("rename");
    s.set_auto_approve(&id, Some(false)).expect("override");
    let app = s.app(&id).expect("app");
    assert_eq!(
        (app.name.as_str(), app.auto_approve),
        ("Weather Pro", Some(false))
    );
    assert!(is_not_found(s.app(&app_id("com.example.none"))));
    assert!(is_not_found(
        s.set_app_name(&app_id("com.example.none"), "x")
    ));
}

fn versions<S: PortalStore>(s: &S) {
    let (owner, public, app) = developer(s, "alice", "com.example.weather");
    let v1 = upload(s, owner, &public, &app, "1.0.0");
    assert_eq!(
        (v1.state, v1.channel, v1.size),
        (VersionState::Pending, None, 1234)
    );
    assert!(is_conflict(s.create_version(
        &NewVersion {
            app_id: app.clone(),
            version: "1.0.0".parse().expect("version"),
            size: 1,
            sha256: Sha256::of(b"x"),
            key_id: public.key_id(),
            manifest_json: "{}".into(),
            uploaded_by: owner,
        },
        NOW
    )));
    upload(s, owner, &public, &app, "1.10.0");
    upload(s, owner, &public, &app, "1.9.0");
    let order: Vec<String> = s
        .versions_of(&app)
        .expect("versions")
        .into_iter()
        .map(|v| v.version.to_string())
        .collect();
    assert_eq!(
        order,
        ["1.10.0", "1.9.0", "1.0.0"],
        "newest by semantic version first"
    );
    assert_eq!(
        s.version(&app, &"1.0.0".parse().expect("v"))
            .expect("version")
            .id,
        v1.id
    );

    let moved = s
        .transition(
            v1.id,
            VersionState::Pending,
            VersionState::InReview,
            None,
            NOW + 1,
        )
        .expect("to review");
    assert_eq!(
        (moved.state, moved.updated_at),
        (VersionState::InReview, NOW + 1)
    );
    assert!(
        is_conflict(s.transition(
            v1.id,
            VersionState::Pending,
            VersionState::Rejected,
            None,
            NOW
        )),
        "a transition is a compare-and-set"
    );
    let rejected = s
        .transition(
            v1.id,
            VersionState::InReview,
            VersionState::Rejected,
            Some("crashes on start"),
            NOW + 2,
        )
        .expect("reject");
    assert_eq!(rejected.reject_reason.as_deref(), Some("crashes on start"));
    s.set_report(v1.id, r#"{"checks":[]}"#, NOW + 3)
        .expect("report");
    assert_eq!(
        s.version_by_id(v1.id)
            .expect("version")
            .report_json
            .as_deref(),
        Some(r#"{"checks":[]}"#)
    );
    assert_eq!(
        s.versions_in_state(VersionState::Pending)
            .expect("pending")
            .len(),
        2
    );
    assert!(is_not_found(s.version_by_id(VersionId(9_999))));
}

fn releases<S: PortalStore>(s: &S) {
    let (owner, public, app) = developer(s, "alice", "com.example.weather");
    assert_eq!(s.index_serial(Channel::Stable).expect("serial"), 0);
    let v1 = upload(s, owner, &public, &app, "1.0.0");
    assert!(
        is_conflict(s.publish(v1.id, VersionState::InReview, Channel::Stable, "{}", NOW)),
        "only from the stated state"
    );
    s.transition(
        v1.id,
        VersionState::Pending,
        VersionState::InReview,
        None,
        NOW,
    )
    .expect("review");
    assert_eq!(
        s.publish(v1.id, VersionState::InReview, Channel::Beta, "beta-1", NOW)
            .expect("publish"),
        1
    );
    assert_eq!(
        s.version_by_id(v1.id).expect("v1").channel,
        Some(Channel::Beta)
    );
    assert!(
        s.current_releases(Channel::Stable)
            .expect("stable")
            .is_empty()
    );
    assert_eq!(
        s.current_releases(Channel::Beta).expect("beta")[0].statement,
        "beta-1"
    );
    // Promotion: publish the published version on stable, no re-upload.
    assert_eq!(
        s.publish(
            v1.id,
            VersionState::Published,
            Channel::Stable,
            "stable-1",
            NOW + 1
        )
        .expect("promote"),
        1
    );
    assert_eq!(
        s.version_by_id(v1.id).expect("v1").channel,
        Some(Channel::Stable)
    );
    let v2 = upload(s, owner, &public, &app, "1.10.0");
    s.transition(
        v2.id,
        VersionState::Pending,
        VersionState::InReview,
        None,
        NOW,
    )
    .expect("review");
    assert_eq!(
        s.publish(
            v2.id,
            VersionState::InReview,
            Channel::Stable,
            "stable-2",
            NOW + 2
        )
        .expect("publish"),
        2
    );
    let current = s.current_releases(Channel::Stable).expect("stable");
    assert_eq!(
        (current.len(), current[0].version.to_string()),
        (1, "1.10.0".to_owned()),
        "the newest release per app"
    );
    s.suspend(v2.id, NOW + 3).expect("suspend");
    assert_eq!(
        s.index_serial(Channel::Stable).expect("serial"),
        3,
        "suspending changes the index"
    );
    assert_eq!(
        s.current_releases(Channel::Stable).expect("stable")[0]
            .version
            .to_string(),
        "1.0.0"
    );
    assert!(
        is_conflict(s.suspend(v2.id, NOW)),
        "suspending twice is refused"
    );
    assert_eq!(s.index_serial(Channel::Beta).expect("serial"), 1);
}

fn review_queue<S: PortalStore>(s: &S) {
    let (owner, public, app) = developer(s, "alice", "com.example.weather");
    let v1 = upload(s, owner, &public, &app, "1.0.0");
    let v2 = upload(s, owner, &public, &app, "1.1.0");
    let j1 = s.enqueue(v1.id, NOW).expect("enqueue");
    let j2 = s.enqueue(v2.id, NOW).expect("enqueue");
    assert!(is_conflict(s.enqueue(v1.id, NOW)), "one job per version");
    assert_eq!(s.queue_depth().expect("depth"), 2);

    let claimed = s.claim("w1", 60, 3, NOW).expect("claim").expect("a job");
    assert_eq!(
        (claimed.id, claimed.state, claimed.attempts),
        (j1, JobState::Running, 1),
        "oldest first"
    );
    let other = s.claim("w2", 60, 3, NOW).expect("claim").expect("a job");
    assert_eq!(other.id, j2, "a leased job is not handed out twice");
    assert_eq!(s.claim("w3", 60, 3, NOW).expect("claim"), None);
    s.finish_job(j2, "w2", NOW).expect("finish");
    assert!(
        is_conflict(s.finish_job(j2, "w2", NOW)),
        "a finished job cannot finish again"
    );

    // w1 dies: after the lease expires another worker retries the job.
    let retried = s
        .claim("w3", 60, 3, NOW + 61)
        .expect("claim")
        .expect("expired lease");
    assert_eq!(
        (retried.id, retried.attempts, retried.lease_owner.as_deref()),
        (j1, 2, Some("w3"))
    );
    assert!(
        is_conflict(s.finish_job(j1, "w1", NOW + 62)),
        "the old worker lost its lease"
    );
    assert_eq!(
        s.fail_job(j1, "w3", "check panicked", 3, NOW + 62)
            .expect("fail"),
        JobState::Queued
    );
    let third = s
        .claim("w4", 60, 3, NOW + 63)
        .expect("claim")
        .expect("requeued");
    assert_eq!(third.attempts, 3);
    assert_eq!(third.last_error.as_deref(), Some("check panicked"));
    // The third attempt's worker dies too: the job goes to a human.
    assert_eq!(s.claim("w5", 60, 3, NOW + 200).expect("claim"), None);
    assert_eq!(s.job(j1).expect("job").state, JobState::Errored);
    assert_eq!(s.queue_depth().expect("depth"), 0);
}

fn tokens<S: PortalStore>(s: &S) {
    let alice = s.create_account("alice", None, NOW).expect("alice").id;
    let bob = s.create_account("bob", None, NOW).expect("bob").id;
    let new = NewToken {
        account_id: alice,
        name: "ci".into(),
        prefix: "mosis_abcd1234".into(),
        hash: vec![1, 2, 3],
        scopes: vec!["publish:com.example.weather".into(), "read".into()],
        expires_at: Some(NOW + 86_400),
    };
    let token = s.create_token(&new, NOW).expect("create");
    assert_eq!(
        (token.scopes.clone(), token.hash.clone(), token.last_used_at),
        (new.scopes.clone(), vec![1, 2, 3], None)
    );
    assert!(
        is_conflict(s.create_token(&new, NOW)),
        "prefixes are unique"
    );
    assert_eq!(
        s.token_by_prefix("mosis_abcd1234").expect("by prefix").id,
        token.id
    );
    assert!(is_not_found(s.token_by_prefix("mosis_nope")));
    s.touch_token(token.id, NOW + 10).expect("touch");
    assert_eq!(
        s.token_by_prefix("mosis_abcd1234")
            .expect("by prefix")
            .last_used_at,
        Some(NOW + 10)
    );
    assert!(
        is_not_found(s.revoke_token(bob, token.id, NOW)),
        "only the owner revokes a token"
    );
    s.revoke_token(alice, token.id, NOW + 20).expect("revoke");
    assert_eq!(
        s.tokens_of(alice).expect("tokens")[0].revoked_at,
        Some(NOW + 20)
    );
    assert!(s.tokens_of(bob).expect("tokens").is_empty());
    assert!(
        !format!("{token:?}").contains("[1, 2, 3]"),
        "Debug hides the hash"
    );
}

fn sessions<S: PortalStore>(s: &S) {
    let alice = s.create_account("alice", None, NOW).expect("alice").id;
    let session = s
        .create_session("sess-1", alice, NOW + 3600, NOW)
        .expect("create");
    assert_eq!(
        (session.last_seen_at, session.expires_at, session.revoked_at),
        (NOW, NOW + 3600, None)
    );
    assert!(is_conflict(s.create_session(
        "sess-1",
        alice,
        NOW + 3600,
        NOW
    )));
    s.touch_session("sess-1", NOW + 60).expect("touch");
    assert_eq!(s.session("sess-1").expect("session").last_seen_at, NOW + 60);
    s.create_session("sess-2", alice, NOW + 3600, NOW)
        .expect("second");
    s.revoke_session("sess-1", NOW + 70).expect("logout");
    assert_eq!(
        s.session("sess-1").expect("session").revoked_at,
        Some(NOW + 70)
    );
    assert_eq!(
        s.revoke_sessions_of(alice, NOW + 80).expect("revoke all"),
        1,
        "only live sessions are counted"
    );
    assert!(s.session("sess-2").expect("session").revoked_at.is_some());
    assert!(is_not_found(s.session("nope")));
}

fn device_authorizations<S: PortalStore>(s: &S) {
    let alice = s.create_account("alice", None, NOW).expect("alice").id;
    let start = |code: &[u8], user: &str| NewDeviceAuth {
        code_hash: code.to_vec(),
        user_code: user.into(),
        scopes: vec!["publish".into()],
        expires_at: NOW + 600,
    };
    let auth = s
        .start_device_auth(&start(b"h1", "ABCD-EFGH"), NOW)
        .expect("start");
    assert_eq!(
        (auth.state, auth.account_id),
        (DeviceAuthState::Pending, None)
    );
    assert!(is_conflict(
        s.start_device_auth(&start(b"h1", "ZZZZ-ZZZZ"), NOW)
    ));
    assert!(
        is_conflict(s.consume_device_auth(b"h1", NOW)),
        "a pending authorisation yields no token"
    );
    let approved = s
        .decide_device_auth("ABCD-EFGH", Some(alice), &["read".into()], NOW + 5)
        .expect("approve");
    assert_eq!(
        (approved.state, approved.account_id, approved.scopes.clone()),
        (
            DeviceAuthState::Approved,
            Some(alice),
            vec!["read".to_owned()]
        )
    );
    assert!(
        is_conflict(s.decide_device_auth("ABCD-EFGH", None, &[], NOW + 6)),
        "decided once"
    );
    assert_eq!(
        s.consume_device_auth(b"h1", NOW + 7)
            .expect("consume")
            .state,
        DeviceAuthState::Consumed
    );
    assert!(
        is_conflict(s.consume_device_auth(b"h1", NOW + 8)),
        "one token per code"
    );
    s.start_device_auth(&start(b"h2", "DENY-MEEE"), NOW)
        .expect("start");
    assert_eq!(
        s.decide_device_auth("DENY-MEEE", None, &[], NOW + 1)
            .expect("deny")
            .state,
        DeviceAuthState::Denied
    );
    s.start_device_auth(&start(b"h3", "LATE-LATE"), NOW)
        .expect("start");
    assert!(
        is_conflict(s.decide_device_auth("LATE-LATE", Some(alice), &[], NOW + 600)),
        "expired codes cannot be approved"
    );
    assert_eq!(
        s.device_auth_by_code_hash(b"h3").expect("lookup").user_code,
        "LATE-LATE"
    );
    assert!(is_not_found(s.device_auth_by_user_code("NOPE-NOPE")));
}

fn audit_log<S: PortalStore>(s: &S) {
    let alice = s.create_account("alice", None, NOW).expect("alice").id;
    let entry = |actor, action: &str| AuditEntry {
        actor,
        action: action.into(),
        target: "com.example.weather".into(),
        detail: serde_json::json!({"scopes": ["read"]}),
        ip: Some("127.0.0.1".into()),
    };
    let first = s
        .record_audit(&entry(Some(alice), "token.created"), NOW)
        .expect("record");
    s.record_audit(&entry(None, "login.failed"), NOW + 1)
        .expect("record");
    let third = s
        .record_audit(&entry(Some(alice), "key.added"), NOW + 2)
        .expect("record");
    let all = s.audit_entries(None, None, 10).expect("list");
    assert_eq!(
        all.iter()
            .map(|r| r.entry.action.as_str())
            .collect::<Vec<_>>(),
        ["key.added", "login.failed", "token.created"]
    );
    assert_eq!(all[2].entry, entry(Some(alice), "token.created"));
    let mine = s.audit_entries(Some(alice), None, 10).expect("mine");
    assert_eq!(
        mine.iter().map(|r| r.id).collect::<Vec<_>>(),
        [third, first]
    );
    let page = s.audit_entries(None, Some(third), 1).expect("page");
    assert_eq!(
        (page.len(), page[0].entry.action.as_str()),
        (1, "login.failed")
    );
}

fn telemetry<S: Telemetry>(s: &S) {
    let app = app_id("com.example.weather");
    let event = |kind, at| TelemetryEvent {
        app_id: app.clone(),
        version: "1.0.0".into(),
        install_id: "i-1".into(),
        kind,
        at,
        stack: (kind == EventKind::Crash).then(|| "at main.js:1".to_owned()),
        signature: (kind == EventKind::Crash).then(|| "main.js:1".to_owned()),
    };
    let batch = [
        event(EventKind::Install, NOW),
        event(EventKind::Launch, NOW + 10),
        event(EventKind::Crash, NOW + 20),
    ];
    assert_eq!(s.insert_events(&batch, NOW + 30).expect("insert"), 3);
    assert_eq!(
        s.events_between(&app, NOW, NOW + 21).expect("events"),
        batch
    );
    assert_eq!(
        s.events_between(&app, NOW + 5, NOW + 15)
            .expect("events")
            .len(),
        1
    );
    assert_eq!(s.delete_events_before(NOW + 10).expect("retention"), 1);
    assert_eq!(
        s.events_between(&app, 0, i64::MAX).expect("events").len(),
        2
    );

    let mut rollup = DailyRollup {
        app_id: app.clone(),
        version: "1.0.0".into(),
        day: 20_791,
        installs: 1,
        uninstalls: 0,
        updates: 0,
        launches: 1,
        crashes: 1,
        active_installs: 1,
    };
    s.upsert_rollup(&rollup).expect("rollup");
    rollup.launches = 5;
    s.upsert_rollup(&rollup).expect("replace");
    assert_eq!(s.rollups(&app).expect("rollups"), [rollup]);

    s.record_crash(&app, "main.js:1", "at main.js:1", NOW + 20)
        .expect("crash");
    s.record_crash(&app, "main.js:1", "at main.js:1 (again)", NOW + 5)
        .expect("crash");
    s.record_crash(&app, "lib.js:9", "at lib.js:9", NOW)
        .expect("crash");
    let groups = s.crash_groups(&app).expect("groups");
    assert_eq!(groups.len(), 2);
    assert_eq!(
        (groups[0].signature.as_str(), groups[0].occurrences),
        ("main.js:1", 2)
    );
    assert_eq!(
        (groups[0].first_seen, groups[0].last_seen),
        (NOW + 5, NOW + 20)
    );
    assert_eq!(
        groups[0].sample_stack, "at main.js:1",
        "the first stack is kept as the sample"
    );
}
