//! mosis-auth against a real SQLite store, with a manual clock.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on any unexpected error"
)]

use mosis_auth::{
    AuthError, Authenticator, Authorization, Credential, DEVICE_CODE_TTL_SECS, DevicePoll,
    Identity, ManualClock, Principal, Scope, SessionSigner, SignIn, normalize_user_code,
    permissions, safe_next,
};
use mosis_domain::{AppId, SigningKey};
use mosis_storage::{Account, Accounts, App, Origin, Role, SqlitePortal, Tokens};
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<SqlitePortal>,
    clock: Arc<ManualClock>,
    auth: Authenticator<SqlitePortal>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqlitePortal::open(&dir.path().join("portal.db")).unwrap());
    let clock = Arc::new(ManualClock::new(NOW));
    let signer = SessionSigner::new(&SigningKey::from_seed([3; 32]).unwrap()).unwrap();
    let auth = Authenticator::new(store.clone(), clock.clone(), signer);
    Fixture {
        _dir: dir,
        store,
        clock,
        auth,
    }
}

fn account(f: &Fixture, name: &str, roles: &[Role]) -> Account {
    let a = f.store.create_account(name, None, NOW).unwrap();
    for role in roles {
        f.store.grant_role(a.id, *role, NOW).unwrap();
    }
    f.store.account(a.id).unwrap()
}

fn scopes(list: &str) -> Vec<Scope> {
    Scope::parse_list(&[list]).unwrap()
}

fn unauthenticated(result: Result<Principal, AuthError>) -> String {
    match result {
        Err(AuthError::Unauthenticated { reason }) => reason,
        other => panic!("expected 401, got {other:?}"),
    }
}

#[test]
fn a_token_authenticates_until_it_expires_and_is_stored_only_as_a_hash() {
    let f = fixture();
    let alice = account(&f, "alice", &[]);
    let issued = f
        .auth
        .issue_token(&alice, "ci", &scopes("publish"), Some(NOW + 3600), None)
        .unwrap();
    let record = f
        .store
        .token_by_prefix(issued.secret.lookup_prefix())
        .unwrap();
    assert_ne!(record.hash, issued.secret.expose().as_bytes());
    assert_eq!(record.hash, issued.secret.hash().as_bytes());

    let p = f.auth.authenticate_token(issued.secret.expose()).unwrap();
    assert_eq!(p.account.id, alice.id);
    assert!(
        matches!(p.credential, Credential::Token { ref scopes, .. } if scopes == &[Scope::Publish])
    );
    assert_eq!(
        f.store.tokens_of(alice.id).unwrap()[0].last_used_at,
        Some(NOW),
        "the use is recorded"
    );
    f.clock.advance(3600);
    assert!(unauthenticated(f.auth.authenticate_token(issued.secret.expose())).contains("expired"));
}

#[test]
fn last_use_is_written_at_most_once_a_minute() {
    let f = fixture();
    let alice = account(&f, "alice", &[]);
    let t = f
        .auth
        .issue_token(&alice, "cli", &scopes("read"), None, None)
        .unwrap();
    f.auth.authenticate_token(t.secret.expose()).unwrap();
    f.clock.advance(59);
    f.auth.authenticate_token(t.secret.expose()).unwrap();
    assert_eq!(
        f.store.tokens_of(alice.id).unwrap()[0].last_used_at,
        Some(NOW)
    );
    f.clock.advance(1);
    f.auth.authenticate_token(t.secret.expose()).unwrap();
    assert_eq!(
        f.store.tokens_of(alice.id).unwrap()[0].last_used_at,
        Some(NOW + 60)
    );
}

#[test]
fn revoked_unknown_forged_and_disabled_tokens_are_refused() {
    let f = fixture();
    let alice = account(&f, "alice", &[]);
    let t = f
        .auth
        .issue_token(&alice, "cli", &scopes("read"), None, None)
        .unwrap();
    // Same lookup prefix, different secret: found by prefix, refused by the hash.
    let forged = format!(
        "{}{}",
        t.secret.lookup_prefix(),
        "A".repeat(t.secret.expose().len() - t.secret.lookup_prefix().len())
    );
    assert!(unauthenticated(f.auth.authenticate_token(&forged)).contains("not valid"));
    let unknown = mosis_auth::TokenSecret::generate().unwrap();
    assert!(unauthenticated(f.auth.authenticate_token(unknown.expose())).contains("not valid"));
    assert!(unauthenticated(f.auth.authenticate_token("Bearer x")).contains("malformed"));

    f.store.set_disabled(alice.id, true).unwrap();
    assert!(unauthenticated(f.auth.authenticate_token(t.secret.expose())).contains("disabled"));
    f.store.set_disabled(alice.id, false).unwrap();

    f.auth.revoke_token(alice.id, t.record.id, None).unwrap();
    assert!(unauthenticated(f.auth.authenticate_token(t.secret.expose())).contains("revoked"));
}

#[test]
fn scopes_beyond_the_accounts_roles_cannot_be_issued_or_used() {
    let f = fixture();
    let dev = account(&f, "dev", &[]);
    let reviewer = account(&f, "rita", &[Role::Reviewer]);
    assert!(matches!(
        f.auth.issue_token(&dev, "x", &scopes("review"), None, None),
        Err(AuthError::Forbidden { .. })
    ));
    let t = f
        .auth
        .issue_token(&reviewer, "x", &scopes("review"), None, None)
        .unwrap();
    f.store.revoke_role(reviewer.id, Role::Reviewer).unwrap();
    let p = f.auth.authenticate_token(t.secret.expose()).unwrap();
    assert!(
        !p.allows(&Scope::Review),
        "a lost role takes the scope with it"
    );
    assert!(p.scopes().is_empty());
    assert!(matches!(
        f.auth
            .issue_token(&dev, "x", &scopes("read"), Some(NOW), None),
        Err(AuthError::Invalid { .. })
    ));
    assert!(matches!(
        f.auth.issue_token(&dev, " ", &scopes("read"), None, None),
        Err(AuthError::Invalid { .. })
    ));
}

#[test]
fn a_session_lives_until_it_is_ended_idles_out_or_reaches_its_absolute_expiry() {
    let f = fixture();
    let policy = f.auth.session_policy();
    let alice = account(&f, "alice", &[]);
    let origin = Origin {
        ip: Some("192.0.2.1".into()),
        client: "Firefox".into(),
    };
    let (token, record) = f.auth.start_session(alice.id, &origin).unwrap();
    assert_eq!(record.expires_at, NOW + policy.absolute_secs);
    let p = f.auth.authenticate_session(&token).unwrap();
    assert_eq!(p.account.id, alice.id);
    assert_eq!(
        p.credential,
        Credential::Session {
            id: record.id.clone()
        }
    );
    f.auth.end_session(alice.id, &record.id, None).unwrap();
    assert!(unauthenticated(f.auth.authenticate_session(&token)).contains("ended"));

    // Idle: unused for the idle limit ends it.
    let (token, _) = f.auth.start_session(alice.id, &origin).unwrap();
    f.clock.advance(policy.idle_secs);
    assert!(unauthenticated(f.auth.authenticate_session(&token)).contains("expired"));

    // Used now and then, it lives until the absolute expiry, and no longer.
    let (token, _) = f.auth.start_session(alice.id, &origin).unwrap();
    let step = policy.idle_secs / 2;
    let mut lived = 0;
    while lived + step < policy.absolute_secs {
        f.clock.advance(step);
        lived += step;
        f.auth.authenticate_session(&token).unwrap();
    }
    f.clock.advance(policy.absolute_secs - lived);
    assert!(unauthenticated(f.auth.authenticate_session(&token)).contains("expired"));
}

#[test]
fn ending_every_session_of_an_account_takes_effect_at_once() {
    let f = fixture();
    let admin = account(&f, "root", &[Role::Admin]);
    let alice = account(&f, "alice", &[]);
    let (a, _) = f.auth.start_session(alice.id, &Origin::default()).unwrap();
    let (b, _) = f.auth.start_session(alice.id, &Origin::default()).unwrap();
    assert_eq!(f.auth.end_sessions_of(admin.id, alice.id, None).unwrap(), 2);
    for token in [a, b] {
        assert!(unauthenticated(f.auth.authenticate_session(&token)).contains("ended"));
    }
}

#[test]
fn a_device_login_yields_one_token_with_the_approved_scopes() {
    let f = fixture();
    let alice = account(&f, "alice", &[]);
    let start = f
        .auth
        .start_device_auth(
            &scopes("publish"),
            "mosis 0.1.0",
            "ci-box",
            Some("192.0.2.9"),
        )
        .unwrap();
    assert!(normalize_user_code(&start.user_code).is_some());
    assert!(matches!(
        f.auth.poll_device_auth(&start.device_code).unwrap(),
        DevicePoll::Pending
    ));
    let typed = start.user_code.to_lowercase().replace('-', " ");
    let shown = f.auth.device_auth(&typed).unwrap();
    assert_eq!(
        (shown.host.as_str(), shown.origin.client.as_str()),
        ("ci-box", "mosis 0.1.0")
    );
    let me = principal(&alice, None);
    assert!(
        matches!(
            f.auth
                .decide_device_auth(&me, &typed, true, &scopes("admin"), None),
            Err(AuthError::Forbidden { .. })
        ),
        "a developer cannot grant admin"
    );
    f.auth
        .decide_device_auth(&me, &typed, true, &scopes("read"), None)
        .unwrap();
    let DevicePoll::Approved(issued) = f.auth.poll_device_auth(&start.device_code).unwrap() else {
        panic!("approved");
    };
    let p = f.auth.authenticate_token(issued.secret.expose()).unwrap();
    assert_eq!(
        p.scopes(),
        scopes("read"),
        "the approved scopes, not the asked ones"
    );
    assert!(issued.record.name.contains("ci-box"));
    assert!(
        matches!(
            f.auth.poll_device_auth(&start.device_code),
            Err(AuthError::Invalid { .. })
        ),
        "a code yields one token"
    );
    assert!(
        matches!(
            f.auth.decide_device_auth(&me, &typed, false, &[], None),
            Err(AuthError::Invalid { .. })
        ),
        "a decided code cannot be decided again"
    );
}

#[test]
fn denied_expired_and_unknown_device_logins_say_so() {
    let f = fixture();
    let alice = account(&f, "alice", &[]);
    let me = principal(&alice, None);
    let denied = f
        .auth
        .start_device_auth(&scopes("read"), "mosis", "h", None)
        .unwrap();
    f.auth
        .decide_device_auth(&me, &denied.user_code, false, &[], None)
        .unwrap();
    assert!(matches!(
        f.auth.poll_device_auth(&denied.device_code).unwrap(),
        DevicePoll::Denied
    ));
    let late = f
        .auth
        .start_device_auth(&scopes("read"), "mosis", "h", None)
        .unwrap();
    f.clock.advance(DEVICE_CODE_TTL_SECS);
    assert!(matches!(
        f.auth.poll_device_auth(&late.device_code).unwrap(),
        DevicePoll::Expired
    ));
    let err = f
        .auth
        .decide_device_auth(&me, &late.user_code, true, &scopes("read"), None)
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(f.auth.poll_device_auth("no-such-code").is_err());
    assert!(f.auth.device_auth("BCDF-GHJK").is_err());
}

fn sign_in(f: &Fixture) -> SignIn<SqlitePortal> {
    SignIn::new(f.store.clone(), f.clock.clone(), Vec::new()).unwrap()
}

fn authorization(state: &str) -> Authorization {
    Authorization {
        url: "https://idp.example/authorize".parse().unwrap(),
        state: state.into(),
        nonce: "nonce".into(),
        pkce_verifier: "verifier".into(),
    }
}

#[test]
fn a_sign_in_callback_must_come_back_to_the_browser_that_left_and_works_once() {
    let f = fixture();
    let s = sign_in(&f);
    s.remember(
        "oidc",
        &authorization("st-1"),
        "/device?user_code=BCDF-GHJK",
    )
    .unwrap();
    assert!(unauthenticated_err(s.take("oidc", "st-1", None)).contains("state mismatch"));
    assert!(unauthenticated_err(s.take("oidc", "st-1", Some("st-2"))).contains("state mismatch"));
    let flow = s.take("oidc", "st-1", Some("st-1")).unwrap();
    assert_eq!(flow.next, "/device?user_code=BCDF-GHJK");
    assert!(
        unauthenticated_err(s.take("oidc", "st-1", Some("st-1"))).contains("already used"),
        "a replayed callback is refused"
    );
    s.remember("oidc", &authorization("st-3"), "/apps").unwrap();
    assert!(unauthenticated_err(s.take("github", "st-3", Some("st-3"))).contains("expired"));
    s.remember("oidc", &authorization("st-4"), "/apps").unwrap();
    f.clock.advance(601);
    assert!(unauthenticated_err(s.take("oidc", "st-4", Some("st-4"))).contains("expired"));
}

fn unauthenticated_err<T: std::fmt::Debug>(result: Result<T, AuthError>) -> String {
    match result {
        Err(AuthError::Unauthenticated { reason }) => reason,
        other => panic!("expected 401, got {other:?}"),
    }
}

#[test]
fn the_first_sign_in_creates_an_account_and_later_ones_find_it() {
    let f = fixture();
    let s = sign_in(&f);
    account(&f, "octocat", &[]);
    let identity = Identity {
        provider: "github".into(),
        subject: "583231".into(),
        username: Some("OctoCat".into()),
        email: None,
    };
    let created = s.account_for(&identity, None).unwrap();
    assert_eq!(created.name, "octocat-2", "a taken name gets a suffix");
    assert_eq!(s.account_for(&identity, None).unwrap().id, created.id);
    let other = Identity {
        provider: "google".into(),
        ..identity.clone()
    };
    assert_ne!(
        s.account_for(&other, None).unwrap().id,
        created.id,
        "accounts are keyed by (provider, subject), not by name"
    );
    f.store.set_disabled(created.id, true).unwrap();
    assert!(matches!(
        s.account_for(&identity, None),
        Err(AuthError::Forbidden { .. })
    ));
    let actions: Vec<String> = mosis_storage::AuditLog::audit_entries(&*f.store, None, None, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    assert!(
        actions.contains(&"account.created".to_owned())
            && actions.contains(&"login".to_owned())
            && actions.contains(&"login.refused".to_owned()),
        "{actions:?}"
    );
}

#[test]
fn a_bootstrap_link_makes_one_admin_once() {
    let f = fixture();
    let s = sign_in(&f);
    let link = s.create_bootstrap_link(3600).unwrap();
    assert!(unauthenticated_err(s.claim("wrong", "admin", None)).contains("not valid"));
    let admin = s.claim(&link, "admin", None).unwrap();
    assert!(admin.roles.contains(&Role::Admin));
    assert!(matches!(
        s.claim(&link, "admin2", None),
        Err(AuthError::Storage(_))
    ));
    let late = s.create_bootstrap_link(10).unwrap();
    f.clock.advance(10);
    assert!(s.claim(&late, "admin3", None).is_err());
}

#[test]
fn next_redirects_stay_on_this_site() {
    for (next, expected) in [
        (
            Some("/device?user_code=BCDF-GHJK"),
            "/device?user_code=BCDF-GHJK",
        ),
        (Some("/apps/com.example.x"), "/apps/com.example.x"),
        (Some("//evil.example/"), "/apps"),
        (Some("/\\evil.example"), "/apps"),
        (Some("https://evil.example/"), "/apps"),
        (Some("/ok\nSet-Cookie: x"), "/apps"),
        (None, "/apps"),
    ] {
        assert_eq!(safe_next(next), expected, "{next:?}");
    }
}

fn principal(account: &Account, token_scopes: Option<&str>) -> Principal {
    Principal {
        account: account.clone(),
        credential: match token_scopes {
            Some(list) => Credential::Token {
                id: mosis_storage::TokenId(1),
                scopes: scopes(list),
                expires_at: Some(NOW + 100),
            },
            None => Credential::Session { id: "s".into() },
        },
    }
}

#[test]
fn permissions_follow_scopes_roles_and_ownership() {
    let f = fixture();
    let owner = account(&f, "owner", &[]);
    let other = account(&f, "other", &[]);
    let reviewer = account(&f, "rita", &[Role::Reviewer]);
    let id = AppId::parse("com.example.app").unwrap();
    let app = App {
        app_id: id.clone(),
        owner_id: owner.id,
        name: "App".into(),
        auto_approve: None,
        created_at: NOW,
    };
    let ok = |r: Result<(), AuthError>| r.is_ok();
    // (who, check, expected)
    let cases: Vec<(&str, bool, bool)> = vec![
        (
            "owner session views",
            ok(permissions::view_app(&principal(&owner, None), &app)),
            true,
        ),
        (
            "owner read token views",
            ok(permissions::view_app(
                &principal(&owner, Some("read")),
                &app,
            )),
            true,
        ),
        (
            "owner app token views its app",
            ok(permissions::view_app(
                &principal(&owner, Some("publish:com.example.app")),
                &app,
            )),
            true,
        ),
        (
            "owner other-app token cannot view",
            ok(permissions::view_app(
                &principal(&owner, Some("publish:com.example.other")),
                &app,
            )),
            false,
        ),
        (
            "another developer cannot view",
            ok(permissions::view_app(&principal(&other, None), &app)),
            false,
        ),
        (
            "reviewer session views",
            ok(permissions::view_app(&principal(&reviewer, None), &app)),
            true,
        ),
        (
            "reviewer read token cannot view others'",
            ok(permissions::view_app(
                &principal(&reviewer, Some("read")),
                &app,
            )),
            false,
        ),
        (
            "owner publish uploads",
            ok(permissions::upload_version(
                &principal(&owner, Some("publish")),
                &id,
                Some(owner.id),
            )),
            true,
        ),
        (
            "read token cannot upload",
            ok(permissions::upload_version(
                &principal(&owner, Some("read")),
                &id,
                Some(owner.id),
            )),
            false,
        ),
        (
            "anyone may claim an unclaimed id",
            ok(permissions::upload_version(
                &principal(&other, Some("publish")),
                &id,
                None,
            )),
            true,
        ),
        (
            "another developer cannot upload",
            ok(permissions::upload_version(
                &principal(&other, Some("publish")),
                &id,
                Some(owner.id),
            )),
            false,
        ),
        (
            "app token cannot manage keys",
            ok(permissions::manage_keys(&principal(
                &owner,
                Some("publish:com.example.app"),
            ))),
            false,
        ),
        (
            "publish token manages keys",
            ok(permissions::manage_keys(&principal(
                &owner,
                Some("publish"),
            ))),
            true,
        ),
        (
            "read token lists apps",
            ok(permissions::list_apps(&principal(&owner, Some("read")))),
            true,
        ),
        (
            "app token cannot list apps",
            ok(permissions::list_apps(&principal(
                &owner,
                Some("publish:com.example.app"),
            ))),
            false,
        ),
        (
            "a token grants only its own scopes",
            ok(permissions::create_token(
                &principal(&owner, Some("read")),
                &scopes("publish"),
                Some(NOW + 10),
            )),
            false,
        ),
        (
            "a token cannot outlive its creator",
            ok(permissions::create_token(
                &principal(&owner, Some("publish")),
                &scopes("read"),
                None,
            )),
            false,
        ),
        (
            "a subset that expires in time is fine",
            ok(permissions::create_token(
                &principal(&owner, Some("publish")),
                &scopes("read"),
                Some(NOW + 100),
            )),
            true,
        ),
        (
            "a session grants what the account may",
            ok(permissions::create_token(
                &principal(&owner, None),
                &scopes("publish"),
                None,
            )),
            true,
        ),
    ];
    let wrong: Vec<&str> = cases
        .iter()
        .filter(|(_, got, want)| got != want)
        .map(|(name, ..)| *name)
        .collect();
    assert!(wrong.is_empty(), "wrong decisions: {wrong:?}");
}

#[test]
fn who_may_act_on_a_release_owner_reviewer_or_nobody() {
    use permissions::ReleaseRole::{Owner, Reviewer};
    let f = fixture();
    let owner = account(&f, "owner", &[]);
    let reviewing_owner = account(&f, "rev-owner", &[Role::Reviewer]);
    let other = account(&f, "other", &[]);
    let reviewer = account(&f, "rita", &[Role::Reviewer]);
    let admin = account(&f, "ada", &[Role::Admin]);
    let app_of = |owner: &Account| App {
        app_id: AppId::parse("com.example.app").unwrap(),
        owner_id: owner.id,
        name: "App".into(),
        auto_approve: None,
        created_at: NOW,
    };
    let role = |p: Principal, app: &App| permissions::act_on_release(&p, app).ok();
    let app = app_of(&owner);
    let cases = [
        (
            "owner session",
            role(principal(&owner, None), &app),
            Some(Owner),
        ),
        (
            "owner publish token",
            role(principal(&owner, Some("publish")), &app),
            Some(Owner),
        ),
        (
            "owner app token",
            role(principal(&owner, Some("publish:com.example.app")), &app),
            Some(Owner),
        ),
        (
            "owner read token",
            role(principal(&owner, Some("read")), &app),
            None,
        ),
        (
            "another developer",
            role(principal(&other, None), &app),
            None,
        ),
        (
            "reviewer session",
            role(principal(&reviewer, None), &app),
            Some(Reviewer),
        ),
        (
            "reviewer review token",
            role(principal(&reviewer, Some("review")), &app),
            Some(Reviewer),
        ),
        (
            "reviewer publish token",
            role(principal(&reviewer, Some("publish")), &app),
            None,
        ),
        (
            "admin session",
            role(principal(&admin, None), &app),
            Some(Reviewer),
        ),
        (
            "a reviewer owning the app is its owner, never its reviewer",
            role(principal(&reviewing_owner, None), &app_of(&reviewing_owner)),
            Some(Owner),
        ),
    ];
    for (name, got, want) in cases {
        assert_eq!(got, want, "{name}");
    }
    assert!(permissions::review_queue(&principal(&reviewer, Some("review"))).is_ok());
    assert!(permissions::review_queue(&principal(&other, None)).is_err());
    assert!(permissions::set_auto_approve(&principal(&admin, None)).is_ok());
    assert!(permissions::set_auto_approve(&principal(&reviewer, None)).is_err());
}
