//! mosis-auth against a real SQLite store, with a manual clock.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on any unexpected error"
)]

use mosis_auth::{
    AuthError, Authenticator, Credential, ManualClock, Principal, Scope, SessionSigner, permissions,
};
use mosis_domain::{AppId, SigningKey};
use mosis_storage::{Account, Accounts, App, Role, SqlitePortal, Tokens};
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
fn a_session_lives_until_it_is_ended_or_expires() {
    let f = fixture();
    let alice = account(&f, "alice", &[]);
    let (token, record) = f.auth.start_session(alice.id, 3600).unwrap();
    let p = f.auth.authenticate_session(&token).unwrap();
    assert_eq!(p.account.id, alice.id);
    assert_eq!(
        p.credential,
        Credential::Session {
            id: record.id.clone()
        }
    );
    f.auth.end_session(&record.id).unwrap();
    assert!(unauthenticated(f.auth.authenticate_session(&token)).contains("ended"));

    let (token, _) = f.auth.start_session(alice.id, 3600).unwrap();
    f.clock.advance(3600);
    assert!(unauthenticated(f.auth.authenticate_session(&token)).contains("expired"));
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
