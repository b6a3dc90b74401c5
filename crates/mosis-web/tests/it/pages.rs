//! The dashboard's pages over HTTP: each renders for the people allowed to see it (and
//! only them), with strict security headers, and shows untrusted names inert.

use crate::browser::{Browser, csrf_of};
use crate::support::{Portal, package};
use mosis_storage::Role;

const EVIL: &str = "<script>alert(1)</script>";

struct Site {
    portal: Portal,
    owner: Browser,
    other: Browser,
    admin: Browser,
}

/// Alice owns `com.example.evil` (named like a script) with one uploaded version.
fn site() -> Site {
    let portal = Portal::start();
    let alice = portal.developer("alice");
    let bob = portal.user("bob", &[]);
    let root = portal.user("root", &[Role::Admin]);
    let url = portal.url();
    let mut owner = Browser::new();
    owner.set_cookie(
        &url,
        "mosis_session",
        Some(&portal.session(alice.account.id)),
    );
    let csrf = csrf_of(&owner.get(&format!("{url}/apps")).body);
    let made = owner.post(
        &format!("{url}/apps"),
        &[
            ("_csrf", &csrf),
            ("app_id", "com.example.evil"),
            ("name", EVIL),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let file = package(portal.dir.path(), "com.example.evil", "1.0.0", &alice.key);
    portal
        .client(&alice.token)
        .upload(
            "com.example.evil",
            std::fs::File::open(&file).unwrap(),
            std::fs::metadata(&file).unwrap().len(),
        )
        .unwrap();
    let mut other = Browser::new();
    other.set_cookie(&url, "mosis_session", Some(&portal.session(bob.id)));
    let mut admin = Browser::new();
    admin.set_cookie(&url, "mosis_session", Some(&portal.session(root.id)));
    Site {
        portal,
        owner,
        other,
        admin,
    }
}

const APP: &str = "/apps/com.example.evil";

/// (path, owner, another developer, admin): the status each gets. Anonymous visitors are
/// always sent to sign in.
const PAGES: &[(&str, u16, u16, u16)] = &[
    ("/apps", 200, 200, 200),
    ("/apps/new", 200, 200, 200),
    (APP, 200, 404, 200),
    ("/apps/com.example.evil/versions", 200, 404, 200),
    ("/apps/com.example.evil/upload", 200, 404, 403),
    ("/apps/com.example.evil/versions/1.0.0", 200, 404, 200),
    ("/apps/com.example.evil/versions/1.0.0/state", 200, 404, 200),
    (
        "/apps/com.example.evil/versions/1.0.0/package",
        200,
        404,
        200,
    ),
    ("/keys", 200, 200, 200),
    ("/tokens", 200, 200, 200),
    ("/device", 200, 200, 200),
    ("/account", 200, 200, 200),
    ("/review", 403, 403, 200),
    ("/review?state=errored", 403, 403, 200),
    ("/review/com.example.evil/1.0.0", 403, 403, 200),
    ("/admin/users", 403, 403, 200),
    ("/admin/audit", 403, 403, 200),
];

#[test]
fn every_page_answers_each_kind_of_visitor_as_the_rules_say() {
    let mut s = site();
    let url = s.portal.url();
    let mut anonymous = Browser::new();
    for &(path, owner, other, admin) in PAGES {
        let page = anonymous.get(&format!("{url}{path}"));
        assert_eq!(page.status, 303, "anonymous {path}");
        let to = page.location.unwrap();
        assert!(to.contains("/login?next="), "anonymous {path} → {to}");
        for (who, browser, expected) in [
            ("owner", &mut s.owner, owner),
            ("other developer", &mut s.other, other),
            ("admin", &mut s.admin, admin),
        ] {
            let page = browser.get(&format!("{url}{path}"));
            assert_eq!(page.status, expected, "{who} {path}: {}", page.body);
        }
    }
    // State-changing routes send anonymous visitors to sign in too, changing nothing.
    for path in [
        "/apps",
        "/keys",
        "/tokens",
        "/device",
        "/logout",
        "/account/sessions/revoke",
        "/admin/users/1/roles",
        "/review/com.example.evil/1.0.0/approve",
        "/apps/com.example.evil/versions/1.0.0/suspend",
    ] {
        let page = anonymous.post(&format!("{url}{path}"), &[("_csrf", "x")]);
        assert_eq!(page.status, 303, "anonymous POST {path}");
        assert!(page.location.unwrap().contains("/login"), "{path}");
    }
}

#[test]
fn pages_carry_a_strict_csp_and_show_untrusted_names_inert() {
    let mut s = site();
    let url = s.portal.url();
    for &(path, ..) in PAGES {
        if path.ends_with("/package") {
            continue;
        }
        let page = s.admin.get(&format!("{url}{path}"));
        let header = |name: &str| {
            page.headers
                .get(name)
                .unwrap_or_else(|| panic!("{path} lacks {name}"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{path}: {csp}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "no-referrer");
        assert_eq!(header("cache-control"), "no-store", "{path}");
        assert!(
            !page.body.contains("<script>alert"),
            "{path} renders the name raw"
        );
    }
    let app = s.owner.get(&format!("{url}{APP}"));
    assert!(
        app.body.contains("&lt;script&gt;alert(1)&lt;"),
        "{}",
        app.body
    );
    let audit = s.admin.get(&format!("{url}/admin/audit"));
    assert!(
        audit.body.contains("app.registered"),
        "registering is audited"
    );
}

#[test]
fn the_versions_fragment_keeps_polling_only_while_a_version_is_in_flight() {
    let mut s = site();
    let url = s.portal.url();
    let fragment = s
        .owner
        .get(&format!("{url}/apps/com.example.evil/versions"));
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");
    assert!(
        fragment.body.contains("hx-trigger=\"every 5s\""),
        "in flight: keep polling"
    );
    let store = s.portal.store();
    // The workers move it to in_review; a reviewer then rejects it.
    let v = s.portal.wait_for_state(
        "com.example.evil",
        "1.0.0",
        mosis_storage::VersionState::InReview,
    );
    mosis_storage::Versions::transition(
        &store,
        v.id,
        v.state,
        mosis_storage::VersionState::Rejected,
        Some("icon is blank"),
        None,
        1,
    )
    .unwrap();
    let fragment = s
        .owner
        .get(&format!("{url}/apps/com.example.evil/versions"));
    assert!(
        !fragment.body.contains("hx-trigger"),
        "a terminal state stops the polling"
    );
    let page = s.owner.get(&format!("{url}{APP}/versions/1.0.0"));
    assert!(
        page.body.contains("icon is blank"),
        "the rejection reason is quoted"
    );
}

#[test]
fn forms_show_errors_next_to_their_field_and_keep_the_input() {
    let mut s = site();
    let url = s.portal.url();
    let csrf = csrf_of(&s.owner.get(&format!("{url}/apps/new")).body);
    let page = s.owner.post(
        &format!("{url}/apps"),
        &[("_csrf", &csrf), ("app_id", "not an id"), ("name", "Kept")],
    );
    assert_eq!(page.status, 400);
    assert!(page.body.contains("<title>Error: "), "the title says so");
    assert!(
        page.body.contains("id=\"app_id-error\"") && page.body.contains("aria-invalid=\"true\"")
    );
    assert!(page.body.contains("value=\"Kept\""), "input is kept");
    let taken = s.owner.post(
        &format!("{url}/apps"),
        &[
            ("_csrf", &csrf),
            ("app_id", "com.example.evil"),
            ("name", "x"),
        ],
    );
    assert_eq!(taken.status, 400);
    assert!(taken.body.contains("is registered already"));
    let key = s.owner.post(
        &format!("{url}/keys"),
        &[("_csrf", &csrf), ("public_key", "garbage"), ("label", "l")],
    );
    assert_eq!(key.status, 400);
    assert!(key.body.contains("id=\"public_key-error\""), "{}", key.body);
    let token = s.owner.post(
        &format!("{url}/tokens"),
        &[("_csrf", &csrf), ("name", "ci"), ("expires_days", "30")],
    );
    assert_eq!(token.status, 400);
    assert!(token.body.contains("choose at least one scope"));
}

#[test]
fn a_token_made_on_the_page_is_shown_once_and_works_until_revoked() {
    let mut s = site();
    let url = s.portal.url();
    let csrf = csrf_of(&s.owner.get(&format!("{url}/tokens")).body);
    let page = s.owner.post(
        &format!("{url}/tokens"),
        &[
            ("_csrf", &csrf),
            ("name", "release CI"),
            ("scope", "read"),
            ("app_scope", "com.example.evil"),
            ("expires_days", "30"),
        ],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find("value=\"mosis_").unwrap() + 7;
    let token = &page.body[at..at + page.body[at..].find('"').unwrap()];
    assert!(page.body.contains("you will not see it again"));
    let me = s.portal.client(token).me().unwrap();
    assert_eq!(me.scopes, ["read", "publish:com.example.evil"]);
    let list = s.owner.get(&format!("{url}/tokens"));
    assert!(
        !list.body.contains(token),
        "the secret is never shown again"
    );
    let id = s
        .portal
        .client(token)
        .tokens()
        .unwrap()
        .iter()
        .find(|t| t.name == "release CI")
        .unwrap()
        .id;
    let revoked = s
        .owner
        .post(&format!("{url}/tokens/{id}/revoke"), &[("_csrf", &csrf)]);
    assert_eq!(revoked.status, 303);
    assert!(s.portal.client(token).me().is_err(), "revoked at once");
}

/// A multipart form body as a browser without JavaScript sends it.
fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----mosisboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, filename, content) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn a_plain_form_upload_without_javascript_stores_the_version_and_redirects_to_it() {
    let mut s = site();
    let url = s.portal.url();
    let alice = s.portal.store();
    let session = s.owner.cookie(&url, "mosis_session").unwrap();
    let key = mosis_domain::SigningKey::from_seed(crate::support::seed("alice")).unwrap();
    let file = package(s.portal.dir.path(), "com.example.evil", "1.1.0", &key);
    let bytes = std::fs::read(&file).unwrap();
    let csrf = csrf_of(
        &s.owner
            .get(&format!("{url}/apps/com.example.evil/upload"))
            .body,
    );
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |fields: &[(&str, Option<&str>, &[u8])]| {
        let (content_type, body) = multipart(fields);
        http.post(format!("{url}/apps/com.example.evil/upload"))
            .header("Cookie", format!("mosis_session={session}"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .unwrap()
    };
    // The file before the CSRF token, or no token: refused, nothing stored.
    let refused = post(&[
        ("package", Some("p.mpk"), &bytes),
        ("_csrf", None, csrf.as_bytes()),
    ]);
    assert_eq!(refused.status(), 403);
    let refused = post(&[
        ("_csrf", None, b"forged"),
        ("package", Some("p.mpk"), &bytes),
    ]);
    assert_eq!(refused.status(), 403);
    assert_eq!(s.portal.version_count("com.example.evil"), 1);
    // A tampered package: the page explains, nothing stored.
    let mut bad = bytes.clone();
    let at = bad.len() / 2;
    bad[at] ^= 0xff;
    let invalid = post(&[
        ("_csrf", None, csrf.as_bytes()),
        ("package", Some("p.mpk"), &bad),
    ]);
    assert_eq!(invalid.status(), 422);
    assert!(invalid.text().unwrap().contains("not valid"));
    assert_eq!(s.portal.version_count("com.example.evil"), 1);
    assert!(
        s.portal
            .package_files()
            .iter()
            .all(|f| !f.starts_with(".incoming/") || f == ".incoming")
    );
    // Other fields are bounded: a form stuffed with 100 KiB of them is refused.
    let stuffing = vec![b'x'; 100 * 1024];
    let stuffed = post(&[
        ("_csrf", None, csrf.as_bytes()),
        ("notes", None, &stuffing),
        ("package", Some("p.mpk"), &bytes),
    ]);
    assert_eq!(stuffed.status(), 413);
    assert_eq!(s.portal.version_count("com.example.evil"), 1);
    // The real thing.
    let stored = post(&[
        ("_csrf", None, csrf.as_bytes()),
        ("package", Some("p.mpk"), &bytes),
    ]);
    assert_eq!(stored.status(), 303);
    assert_eq!(
        stored.headers()["location"].to_str().unwrap(),
        "/apps/com.example.evil/versions/1.1.0"
    );
    let id = mosis_domain::AppId::parse("com.example.evil").unwrap();
    let v = mosis_storage::Versions::version(&alice, &id, &"1.1.0".parse().unwrap()).unwrap();
    assert_eq!(
        v.size,
        bytes.len() as u64,
        "the package, without the form's framing"
    );
}
