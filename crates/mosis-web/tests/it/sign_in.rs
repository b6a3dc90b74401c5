//! Browser sign-in end to end: a real OpenID Connect provider (npm `oidc-provider`), a
//! GitHub stand-in, the first-run bootstrap link, sessions and CSRF — and every way a
//! sign-in must be refused.

use crate::browser::{Browser, Page, csrf_of, form_action};
use crate::components::{GithubStandIn, OidcProvider};
use crate::support::Portal;
use mosis_auth::{ProviderKind, ProviderSettings};
use mosis_storage::{Accounts as _, Apps as _, AuditLog as _, Sessions as _};

/// A portal whose `oidc` provider is a real OpenID Connect provider.
struct OidcSetup {
    portal: Portal,
    _provider: OidcProvider,
}

fn oidc_setup() -> OidcSetup {
    let port = OidcProvider::reserve();
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("secret");
    std::fs::write(&secret, "secret\n").unwrap();
    let portal = Portal::start_with(|c| {
        c.providers = vec![ProviderSettings {
            id: "oidc".into(),
            kind: ProviderKind::Oidc,
            name: Some("Test IdP".into()),
            issuer: Some(format!("http://127.0.0.1:{port}")),
            client_id: "portal".into(),
            client_secret_env: None,
            client_secret_file: Some(secret.clone()),
            authorize_url: None,
            token_url: None,
            api_url: None,
        }];
    });
    // An admin exists, so the portal is past its first run.
    portal.user("root", &[mosis_storage::Role::Admin]);
    let provider = OidcProvider::start(port, &format!("{}/auth/oidc/callback", portal.url()));
    OidcSetup {
        portal,
        _provider: provider,
    }
}

/// Leaves the portal for the provider, signs in there as `login` (and consents), and
/// returns the callback URL the provider sends the browser to (not yet requested).
fn at_provider(b: &mut Browser, portal: &str, login: &str) -> String {
    let start = b.get(&format!("{portal}/auth/oidc/start?next=/account"));
    assert_eq!(start.status, 303, "{}", start.body);
    assert!(
        b.cookie(portal, "mosis_sign_in").is_some(),
        "the round trip is bound to this browser"
    );
    let callback = format!("{portal}/auth/oidc/callback");
    let mut page: Page = start;
    for _ in 0..30 {
        if let Some(next) = page.location.clone() {
            if next.starts_with(&callback) {
                return next;
            }
            page = b.get(&next);
            continue;
        }
        assert_eq!(page.status, 200, "{}: {}", page.url, page.body);
        let action = url::Url::parse(&page.url)
            .unwrap()
            .join(&form_action(&page.body))
            .unwrap();
        page = if page.body.contains("name=\"login\"") {
            b.post(
                action.as_str(),
                &[("prompt", "login"), ("login", login), ("password", "x")],
            )
        } else {
            b.post(action.as_str(), &[("prompt", "consent")])
        };
    }
    panic!("the provider never sent the browser back");
}

fn refused(page: &Page, words: &str) {
    assert!(
        [400, 401, 403].contains(&page.status),
        "expected a refusal, got {}: {}",
        page.status,
        page.body
    );
    assert!(
        page.body.contains(words),
        "expected {words:?} in {}",
        page.body
    );
}

#[test]
fn oidc_sign_in_follows_the_real_redirects_and_lands_on_the_dashboard_with_a_session() {
    let s = oidc_setup();
    let portal = s.portal.url();
    let mut b = Browser::new();
    let login_page = b.get(&format!("{portal}/login"));
    assert!(login_page.body.contains("Continue with Test IdP"));
    let callback = at_provider(&mut b, &portal, "alice");
    let landed = b.get(&callback);
    assert_eq!(landed.status, 303, "{}", landed.body);
    assert_eq!(
        landed.location.as_deref(),
        Some(format!("{portal}/account").as_str()),
        "back to `next`"
    );
    let cookie = b
        .cookie(&portal, "mosis_session")
        .expect("a session cookie");
    assert!(cookie.starts_with("v4.public."), "a PASETO v4.public token");
    assert!(landed.headers.get_all("set-cookie").iter().any(|c| {
        let c = c.to_str().unwrap();
        c.starts_with("mosis_session=") && c.contains("HttpOnly") && c.contains("SameSite=Lax")
    }));
    let account = b.get(&format!("{portal}/account"));
    assert_eq!(account.status, 200);
    assert!(
        account.body.contains("alice") && account.body.contains("oidc: alice"),
        "{}",
        account.body
    );

    // The rows: an account keyed by (provider, subject), a live session, audit entries.
    let store = s.portal.store();
    let alice = store.account_by_identity("oidc", "alice").unwrap();
    assert_eq!(alice.email.as_deref(), Some("alice@example.test"));
    assert_eq!(
        store.sessions_of(alice.id, i64::MAX / 2).unwrap().len(),
        0,
        "sessions expire"
    );
    assert_eq!(store.sessions_of(alice.id, 0).unwrap().len(), 1);
    let actions: Vec<String> = store
        .audit_entries(Some(alice.id), None, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    assert!(
        actions.contains(&"account.created".into()) && actions.contains(&"login".into()),
        "{actions:?}"
    );

    // A second sign-in finds the same account.
    let mut again = Browser::new();
    let callback = at_provider(&mut again, &portal, "alice");
    again.get(&callback);
    assert_eq!(
        store
            .list_accounts()
            .unwrap()
            .iter()
            .filter(|a| a.name.starts_with("alice"))
            .count(),
        1
    );
}

#[test]
fn a_callback_with_the_wrong_state_is_refused() {
    let s = oidc_setup();
    let portal = s.portal.url();
    let mut b = Browser::new();
    let callback = at_provider(&mut b, &portal, "mallory");
    let mut tampered = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = tampered
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "forged".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    refused(&b.get(tampered.as_str()), "did not start in this browser");
    assert!(b.cookie(&portal, "mosis_session").is_none());
    // A browser that never started the flow (login CSRF) is refused as well.
    refused(
        &Browser::new().get(&callback),
        "did not start in this browser",
    );
}

#[test]
fn a_replayed_code_is_refused() {
    let s = oidc_setup();
    let portal = s.portal.url();
    let mut b = Browser::new();
    let callback = at_provider(&mut b, &portal, "alice");
    let bound = b.cookie(&portal, "mosis_sign_in").unwrap();
    assert_eq!(b.get(&callback).status, 303);
    // The same callback again, even with the binding cookie put back.
    let mut replay = Browser::new();
    replay.set_cookie(&portal, "mosis_sign_in", Some(&bound));
    refused(&replay.get(&callback), "expired or did not start");
    assert!(replay.cookie(&portal, "mosis_session").is_none());
}

#[test]
fn an_id_token_with_a_bad_nonce_or_for_another_audience_is_refused() {
    let s = oidc_setup();
    let portal = s.portal.url();
    for (login, why) in [("bad-nonce", "nonce"), ("other-audience", "audience")] {
        let mut b = Browser::new();
        let callback = at_provider(&mut b, &portal, login);
        let page = b.get(&callback);
        refused(&page, "could not confirm who you are");
        assert!(
            page.body.to_lowercase().contains(why),
            "{why}: {}",
            page.body
        );
        assert!(b.cookie(&portal, "mosis_session").is_none());
        assert!(
            s.portal.store().account_by_identity("oidc", login).is_err(),
            "no account made"
        );
    }
    let failures = s
        .portal
        .store()
        .audit_entries(None, None, 50)
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.action == "login.failed")
        .count();
    assert_eq!(failures, 2, "failed sign-ins are audited");
}

#[test]
fn github_sign_in_works_against_a_stand_in_of_its_endpoints() {
    let github = GithubStandIn::start();
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("gh");
    std::fs::write(&secret, "gh-secret").unwrap();
    let portal = Portal::start_with(|c| {
        c.providers = vec![ProviderSettings {
            id: "github".into(),
            kind: ProviderKind::Github,
            name: None,
            issuer: None,
            client_id: "gh-client".into(),
            client_secret_env: None,
            client_secret_file: Some(secret.clone()),
            authorize_url: Some(format!("{}/login/oauth/authorize", github.url)),
            token_url: Some(format!("{}/login/oauth/access_token", github.url)),
            api_url: Some(format!("{}/api", github.url)),
        }];
    });
    portal.user("root", &[mosis_storage::Role::Admin]);
    let url = portal.url();
    let mut b = Browser::new();
    let login = b.get(&format!("{url}/login"));
    assert!(
        login.body.contains("Continue with GitHub"),
        "{} {}",
        login.status,
        login.body
    );
    let start = b.get(&format!("{url}/auth/github/start"));
    let callback = b.follow_until(start, &format!("{url}/auth/github/callback"));
    let landed = b.get(&callback);
    assert_eq!(landed.status, 303, "{}", landed.body);
    assert_eq!(b.get(&format!("{url}/apps")).status, 200);
    let account = portal
        .store()
        .account_by_identity("github", "583231")
        .unwrap();
    assert_eq!(
        account.name, "octocat",
        "keyed by GitHub's numeric id, named by its login"
    );
    // The provider said no.
    let mut b = Browser::new();
    let start = b.get(&format!("{url}/auth/github/start"));
    assert_eq!(start.status, 303);
    refused(
        &b.get(&format!(
            "{url}/auth/github/callback?error=access_denied&state=x"
        )),
        "You cancelled at GitHub",
    );
}

/// Signs in through the first-run bootstrap link; returns the browser.
pub fn bootstrap_admin(portal: &Portal) -> Browser {
    let link = portal
        .server
        .bootstrap_url
        .clone()
        .expect("a fresh portal prints a bootstrap link");
    let mut b = Browser::new();
    let page = b.get(&link);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Claim this instance"));
    let token = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned();
    let claimed = b.post(
        &format!("{}/setup", portal.url()),
        &[("token", &token), ("name", "admin")],
    );
    assert_eq!(claimed.status, 303, "{}", claimed.body);
    b
}

#[test]
fn the_bootstrap_link_makes_one_admin_once() {
    let portal = Portal::start();
    let mut b = bootstrap_admin(&portal);
    let done = b.get(&format!("{}/setup", portal.url()));
    assert!(done.body.contains("You are the admin"), "{}", done.body);
    let admin = portal.store().account_by_name("admin").unwrap();
    assert!(admin.roles.contains(&mosis_storage::Role::Admin));
    // The link is spent: a second visitor gets "already set up" and 409, never an admin.
    let link = portal.server.bootstrap_url.clone().unwrap();
    let mut other = Browser::new();
    let page = other.get(&link);
    assert_eq!(page.status, 409);
    assert!(page.body.contains("already set up"));
    let token = link.split("token=").nth(1).unwrap();
    let again = other.post(
        &format!("{}/setup", portal.url()),
        &[("token", token), ("name", "evil")],
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again.body.contains("bootstrap-link"),
        "names the command that mints a new link"
    );
    assert!(portal.store().account_by_name("evil").is_err());
    assert!(other.cookie(&portal.url(), "mosis_session").is_none());
    // A restart with an admin prints no link.
    let Portal {
        dir: _dir,
        config,
        server,
    } = portal;
    server.stop().unwrap();
    let again = mosis_web::Background::spawn(config).unwrap();
    assert!(again.bootstrap_url.is_none());
}

#[test]
fn logout_admin_revocation_and_expiry_end_a_session_at_once() {
    let portal = Portal::start();
    let url = portal.url();
    let mut b = bootstrap_admin(&portal);
    let apps = format!("{url}/apps");
    let signed_out = |page: &Page| {
        assert_eq!(page.status, 303, "{}", page.body);
        assert!(
            page.location.as_deref().unwrap().contains("/login?next="),
            "{:?}",
            page.location
        );
    };

    // Logout: the old cookie is worthless afterwards.
    let cookie = b.cookie(&url, "mosis_session").unwrap();
    let csrf = csrf_of(&b.get(&apps).body);
    assert_eq!(
        b.post(&format!("{url}/logout"), &[("_csrf", &csrf)]).status,
        303
    );
    assert!(
        b.cookie(&url, "mosis_session").is_none(),
        "the cookie is cleared"
    );
    let mut stale = Browser::new();
    stale.set_cookie(&url, "mosis_session", Some(&cookie));
    signed_out(&stale.get(&apps));

    // An admin signs a user out everywhere: their session ends at once.
    let admin_id = portal.store().account_by_name("admin").unwrap().id;
    let mut admin = Browser::new();
    admin.set_cookie(&url, "mosis_session", Some(&portal.session(admin_id)));
    assert_eq!(admin.get(&apps).status, 200);
    let dev = portal.user("dev", &[]);
    let mut dev_browser = Browser::new();
    dev_browser.set_cookie(&url, "mosis_session", Some(&portal.session(dev.id)));
    assert_eq!(dev_browser.get(&apps).status, 200);
    let csrf = csrf_of(&admin.get(&format!("{url}/admin/users")).body);
    let revoke = admin.post(
        &format!("{url}/admin/users/{}/sessions/revoke", dev.id.0),
        &[("_csrf", &csrf)],
    );
    assert_eq!(revoke.status, 303, "{}", revoke.body);
    signed_out(&dev_browser.get(&apps));

    // Expiry: the row says the session is over (as the clock would, days later).
    assert_eq!(admin.get(&apps).status, 200);
    let db = rusqlite_path(&portal);
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute("UPDATE sessions SET expires_at = 1", [])
        .unwrap();
    signed_out(&admin.get(&apps));
}

fn rusqlite_path(portal: &Portal) -> std::path::PathBuf {
    portal.config.data.join("portal.db")
}

#[test]
fn a_state_changing_request_without_the_csrf_token_is_refused() {
    let portal = Portal::start();
    let url = portal.url();
    let mut b = bootstrap_admin(&portal);
    for (path, form) in [
        ("/apps", vec![("app_id", "com.example.csrf"), ("name", "x")]),
        (
            "/tokens",
            vec![("name", "t"), ("scope", "read"), ("expires_days", "7")],
        ),
        ("/logout", vec![]),
    ] {
        let mut with_wrong = form.clone();
        with_wrong.push(("_csrf", "forged"));
        for body in [form, with_wrong] {
            let page = b.post(&format!("{url}{path}"), &body);
            assert_eq!(page.status, 403, "{path}: {}", page.body);
            assert!(page.body.contains("reload the page"), "{}", page.body);
        }
    }
    assert!(
        portal
            .store()
            .app(&mosis_domain::AppId::parse("com.example.csrf").unwrap())
            .is_err()
    );
    assert_eq!(
        b.get(&format!("{url}/apps")).status,
        200,
        "still signed in: logout was refused too"
    );
}
