//! Accounts, signing keys, tokens, sessions, device authorisations and the audit log.

use super::*;

pub(super) fn accounts<S: Accounts>(s: &S) {
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

pub(super) fn signing_keys<S: PortalStore>(s: &S) {
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

pub(super) fn tokens<S: PortalStore>(s: &S) {
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

pub(super) fn sessions<S: PortalStore>(s: &S) {
    let alice = s.create_account("alice", None, NOW).expect("alice").id;
    let origin = Origin {
        ip: Some("192.0.2.7".into()),
        client: "Firefox".into(),
    };
    let session = s
        .create_session("sess-1", alice, NOW + 3600, &origin, NOW)
        .expect("create");
    assert_eq!(
        (session.last_seen_at, session.expires_at, session.revoked_at),
        (NOW, NOW + 3600, None)
    );
    assert_eq!(session.origin, origin, "the origin is kept");
    assert!(is_conflict(s.create_session(
        "sess-1",
        alice,
        NOW + 3600,
        &origin,
        NOW
    )));
    s.touch_session("sess-1", NOW + 60).expect("touch");
    assert_eq!(s.session("sess-1").expect("session").last_seen_at, NOW + 60);
    s.create_session("sess-2", alice, NOW + 3600, &Origin::default(), NOW + 1)
        .expect("second");
    s.create_session("sess-old", alice, NOW + 10, &Origin::default(), NOW)
        .expect("short");
    assert_eq!(
        s.sessions_of(alice, NOW + 20)
            .expect("live")
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        ["sess-2", "sess-1"],
        "live sessions, newest first; expired ones are left out"
    );
    s.revoke_session("sess-1", NOW + 70).expect("logout");
    assert_eq!(s.sessions_of(alice, NOW + 70).expect("live").len(), 1);
    assert_eq!(
        s.session("sess-1").expect("session").revoked_at,
        Some(NOW + 70)
    );
    assert_eq!(
        s.revoke_sessions_of(alice, NOW + 80).expect("revoke all"),
        2,
        "only unrevoked sessions are counted"
    );
    assert!(s.session("sess-2").expect("session").revoked_at.is_some());
    assert!(is_not_found(s.session("nope")));
}

pub(super) fn device_authorizations<S: PortalStore>(s: &S) {
    let alice = s.create_account("alice", None, NOW).expect("alice").id;
    let start = |code: &[u8], user: &str| NewDeviceAuth {
        code_hash: code.to_vec(),
        user_code: user.into(),
        scopes: vec!["publish".into()],
        expires_at: NOW + 600,
        origin: Origin {
            ip: Some("192.0.2.8".into()),
            client: "mosis 0.1.0".into(),
        },
        host: "build-box".into(),
    };
    let auth = s
        .start_device_auth(&start(b"h1", "ABCD-EFGH"), NOW)
        .expect("start");
    assert_eq!(
        (auth.state, auth.account_id),
        (DeviceAuthState::Pending, None)
    );
    assert_eq!(
        (
            auth.origin.client.as_str(),
            auth.host.as_str(),
            auth.origin.ip.as_deref()
        ),
        ("mosis 0.1.0", "build-box", Some("192.0.2.8")),
        "the requesting client is kept for the approval page"
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

pub(super) fn audit_log<S: PortalStore>(s: &S) {
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

pub(super) fn sign_ins<S: PortalStore>(s: &S) {
    let flow = SignInFlow {
        state_hash: b"state-1".to_vec(),
        provider: "oidc".into(),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        next: "/device?user_code=ABCD-EFGH".into(),
        expires_at: NOW + 600,
    };
    s.start_sign_in(&flow, NOW).expect("start");
    assert!(
        is_conflict(s.start_sign_in(&flow, NOW)),
        "states are unique"
    );
    assert_eq!(s.take_sign_in(b"state-1", NOW + 1).expect("take"), flow);
    assert!(
        is_not_found(s.take_sign_in(b"state-1", NOW + 2)),
        "a flow is taken once (a replayed callback finds nothing)"
    );
    s.start_sign_in(
        &SignInFlow {
            state_hash: b"state-2".to_vec(),
            ..flow.clone()
        },
        NOW,
    )
    .expect("start");
    assert!(
        is_not_found(s.take_sign_in(b"state-2", NOW + 600)),
        "an expired flow is refused"
    );
    assert!(is_not_found(s.take_sign_in(b"unknown", NOW)));

    s.create_bootstrap_link(b"link-1", NOW + 3600, NOW)
        .expect("link");
    s.create_bootstrap_link(b"link-2", NOW + 3600, NOW)
        .expect("second link");
    s.create_bootstrap_link(b"late", NOW + 10, NOW)
        .expect("short link");
    assert!(is_not_found(s.claim_with_bootstrap(b"nope", "admin", NOW)));
    assert!(
        is_conflict(s.claim_with_bootstrap(b"late", "admin", NOW + 10)),
        "an expired link is refused"
    );
    let admin = s
        .claim_with_bootstrap(b"link-1", "admin", NOW + 1)
        .expect("claim");
    assert!(admin.roles.contains(&Role::Admin));
    assert!(s.has_admin().expect("has_admin"));
    assert!(
        is_conflict(s.claim_with_bootstrap(b"link-1", "admin2", NOW + 2)),
        "a link is used once"
    );
    assert!(
        is_conflict(s.claim_with_bootstrap(b"link-2", "admin3", NOW + 2)),
        "once an admin exists no link makes another"
    );
    assert_eq!(s.list_accounts().expect("accounts").len(), 1);
}
