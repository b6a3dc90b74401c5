//! The review pipeline through the real server: the workers check an upload, a reviewer
//! approves it, it is signed and listed in its channel's signed index (verified against
//! the root key, as a device would); a bad package is rejected with a precise report;
//! risk-based review publishes a safe update and holds a risky one.

use crate::browser::{Browser, csrf_of};
use crate::support::{Body, Portal, call, code, package};
use mosis_domain::{
    Channel, IndexCheck, IndexDocument, PublicKey, Sha256, Signed, TrustError, verify_index,
    verify_release,
};
use mosis_storage::{AuditLog as _, Role, VersionState};
use std::path::Path;

const APP: &str = "com.example.weather";

fn upload(portal: &Portal, token: &str, file: &Path) {
    let (status, body) = call(
        portal,
        "POST",
        &format!("/api/v1/apps/{APP}/versions"),
        Some(token),
        Body::Bytes(std::fs::read(file).unwrap()),
    );
    assert_eq!(status, 201, "{body}");
}

/// A package of APP at `version`, with `edit` applied to its manifest and project.
fn package_edited(
    portal: &Portal,
    version: &str,
    key: &mosis_domain::SigningKey,
    edit: impl FnOnce(&Path, &mut serde_json::Value),
) -> std::path::PathBuf {
    let dir = portal.dir.path().join(format!("edited-{version}"));
    let _ = std::fs::remove_dir_all(&dir);
    mosis_domain::init_project(&dir, &mosis_domain::AppId::parse(APP).unwrap(), "Test App")
        .unwrap();
    let path = dir.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest["version"] = version.into();
    edit(&dir, &mut manifest);
    std::fs::write(&path, manifest.to_string()).unwrap();
    let out = portal.dir.path().join(format!("edited-{version}.mpk"));
    mosis_domain::pack_to_file(&dir, key, &out).unwrap();
    out
}

fn trust_root(portal: &Portal) -> PublicKey {
    let text = std::fs::read_to_string(portal.config.data.join("keys/root.key.pub")).unwrap();
    PublicKey::from_file_text(&text).unwrap()
}

/// `GET /api/v1/index?channel=…`: the document and its ETag.
fn index(portal: &Portal, channel: &str) -> (IndexDocument, String) {
    let response =
        reqwest::blocking::get(format!("{}/api/v1/index?channel={channel}", portal.url())).unwrap();
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    (response.json().unwrap(), etag)
}

fn audit_actions(portal: &Portal) -> Vec<String> {
    portal
        .store()
        .audit_entries(None, None, 200)
        .unwrap()
        .into_iter()
        .map(|e| e.entry.action)
        .collect()
}

#[test]
fn a_version_is_checked_approved_signed_and_listed_in_its_channels_signed_index() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    portal.user("rita", &[Role::Reviewer]);
    let rita = portal.client(&portal.token("rita", "read review"));
    let owner = portal.client(&dev.token);
    let file = package(portal.dir.path(), APP, "1.0.0", &dev.key);
    upload(&portal, &dev.token, &file);
    portal.wait_for_state(APP, "1.0.0", VersionState::InReview);

    // The queue shows it with its passed report and finished job.
    let queue = rita.reviews("in_review").unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(
        (
            queue[0].version.version.as_str(),
            queue[0].job_state.as_deref()
        ),
        ("1.0.0", Some("done"))
    );
    assert_eq!(
        queue[0].version.report.as_ref().unwrap()["verdict"],
        "passed"
    );
    // Nobody reviews their own app.
    let refused = owner
        .approve(APP, "1.0.0", "stable")
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("nobody reviews their own app"),
        "{refused}"
    );

    let approved = rita.approve(APP, "1.0.0", "beta").unwrap();
    assert_eq!(
        (approved.state.as_str(), approved.channel.as_deref()),
        ("published", Some("beta"))
    );

    // release.json beside the package, and the beta index, verify against the root key.
    let root = trust_root(&portal);
    let (beta, etag) = index(&portal, "beta");
    let check = |channel, last_serial| IndexCheck {
        channel,
        last_serial,
        now: time_now(),
    };
    let verified = verify_index(&beta, &root, check(Channel::Beta, None)).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let release = verified
        .release(&mosis_domain::AppId::parse(APP).unwrap())
        .unwrap();
    release
        .check_package(&Sha256::of(&bytes), bytes.len() as u64)
        .unwrap();
    let release_json = portal.config.data.join(format!(
        "packages/{}/{APP}/1.0.0/release.json",
        dev.account.id
    ));
    let statement = verify_release(
        &Signed::parse(&std::fs::read(release_json).unwrap()).unwrap(),
        &verified.online_keys,
    )
    .unwrap();
    assert_eq!(&statement, release);
    // Polling with the ETag costs nothing.
    let again = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/index?channel=beta", portal.url()))
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    let (stable, _) = index(&portal, "stable");
    assert!(
        verify_index(&stable, &root, check(Channel::Stable, None))
            .unwrap()
            .releases
            .is_empty()
    );

    // The owner promotes beta → stable without a new upload.
    let promoted = owner.promote(APP, "1.0.0").unwrap();
    assert_eq!(promoted.channel.as_deref(), Some("stable"));
    let (stable, _) = index(&portal, "stable");
    let on_stable = verify_index(&stable, &root, check(Channel::Stable, Some(0))).unwrap();
    assert_eq!(on_stable.releases.len(), 1);

    // A reviewer suspends it: off the index at once; the older index is now a rollback.
    assert_eq!(rita.suspend(APP, "1.0.0").unwrap().state, "suspended");
    let (after, _) = index(&portal, "stable");
    let emptied = verify_index(
        &after,
        &root,
        check(Channel::Stable, Some(on_stable.serial)),
    )
    .unwrap();
    assert!(emptied.releases.is_empty() && emptied.serial > on_stable.serial);
    assert!(matches!(
        verify_index(&stable, &root, check(Channel::Stable, Some(emptied.serial))),
        Err(TrustError::Rollback { .. })
    ));

    let actions = audit_actions(&portal);
    for action in ["version.approved", "version.promoted", "version.suspended"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} missing from {actions:?}"
        );
    }
    let metrics = reqwest::blocking::get(format!("{}/metrics", portal.url()))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("mosis_review_job_duration_seconds_count{outcome=\"in_review\"} 1"),
        "{metrics}"
    );
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn a_bad_package_is_rejected_with_a_precise_report_the_developer_sees() {
    let payload = b"a known dropper";
    let portal = Portal::start_with(|config| {
        let list = config.data.join("review/denylist.txt");
        std::fs::create_dir_all(list.parent().unwrap()).unwrap();
        std::fs::write(
            list,
            format!(
                "# from the incident of May\n{}  dropper v2\n",
                Sha256::of(payload)
            ),
        )
        .unwrap();
    });
    let dev = portal.developer("alice");
    let file = package_edited(&portal, "1.0.0", &dev.key, |dir, _| {
        std::fs::write(dir.join("payload.bin"), payload).unwrap();
    });
    upload(&portal, &dev.token, &file);
    let rejected = portal.wait_for_state(APP, "1.0.0", VersionState::Rejected);
    let reason = rejected.reject_reason.unwrap();
    assert!(
        reason.contains("No known-bad files") && reason.contains("payload.bin"),
        "{reason}"
    );

    let view = portal.client(&dev.token).version(APP, "1.0.0").unwrap();
    let report = view.report.unwrap();
    assert_eq!(report["verdict"], "failed");
    let failed: Vec<&serde_json::Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{report:#}");
    assert_eq!(
        (failed[0]["check"].as_str(), failed[0]["path"].as_str()),
        (Some("deny_list"), Some("payload.bin"))
    );
    assert!(
        failed[0]["message"]
            .as_str()
            .unwrap()
            .contains("dropper v2")
    );
    assert!(
        audit_actions(&portal)
            .iter()
            .any(|a| a == "version.rejected")
    );

    // The developer's page shows the failed check beside the file.
    let mut browser = Browser::new();
    let url = portal.url();
    browser.set_cookie(&url, "mosis_session", Some(&portal.session(dev.account.id)));
    let page = browser.get(&format!("{url}/apps/{APP}/versions/1.0.0"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("payload.bin")
            && page.body.contains("No known-bad files")
            && page.body.contains("Rejected")
    );
}

#[test]
fn risk_based_review_publishes_a_safe_update_and_holds_a_risky_one() {
    let portal = Portal::start_with(|config| config.auto_approve_updates = true);
    let dev = portal.developer("alice");
    portal.user("rita", &[Role::Reviewer]);
    portal.user("ada", &[Role::Admin]);
    let rita = portal.client(&portal.token("rita", "read review"));
    upload(
        &portal,
        &dev.token,
        &package(portal.dir.path(), APP, "1.0.0", &dev.key),
    );
    portal.wait_for_state(APP, "1.0.0", VersionState::InReview);
    let first = portal.client(&dev.token).version(APP, "1.0.0").unwrap();
    let reasons = first.report.unwrap()["auto_approval"]["reasons"].to_string();
    assert!(reasons.contains("first release"), "{reasons}");
    rita.approve(APP, "1.0.0", "stable").unwrap();

    // Same key, name and icon, no new sensitive permission: published by the rule, on the
    // channel the developer asked for.
    let safe = package(portal.dir.path(), APP, "1.1.0", &dev.key);
    let (status, body) = call(
        &portal,
        "POST",
        &format!("/api/v1/apps/{APP}/versions?channel=beta"),
        Some(&dev.token),
        Body::Bytes(std::fs::read(safe).unwrap()),
    );
    assert_eq!(
        (status, body["requested_channel"].as_str()),
        (201, Some("beta")),
        "{body}"
    );
    let auto = portal.wait_for_state(APP, "1.1.0", VersionState::Published);
    assert!(auto.auto_approved && auto.reviewed_by.is_none());
    assert_eq!(auto.channel, Some(Channel::Beta));
    let report: serde_json::Value =
        serde_json::from_str(auto.report_json.as_deref().unwrap()).unwrap();
    assert_eq!(report["auto_approval"]["applied"], true);
    assert!(
        report["auto_approval"]["rule"]
            .as_str()
            .unwrap()
            .contains("same key")
    );
    assert_eq!(report["changes"]["against"], "1.0.0");
    let (beta, _) = index(&portal, "beta");
    let check = IndexCheck {
        channel: Channel::Beta,
        last_serial: None,
        now: time_now(),
    };
    let verified = verify_index(&beta, &trust_root(&portal), check).unwrap();
    assert_eq!(verified.releases[0].version.to_string(), "1.1.0");
    assert!(
        audit_actions(&portal)
            .iter()
            .any(|a| a == "version.auto_approved")
    );
    // An unknown channel is refused before anything is stored.
    let (status, body) = call(
        &portal,
        "POST",
        &format!("/api/v1/apps/{APP}/versions?channel=nightly"),
        Some(&dev.token),
        Body::Bytes(b"irrelevant".to_vec()),
    );
    assert_eq!((status, code(&body)), (400, "invalid_channel"));

    // Adding the camera: a reviewer decides, and sees the diff.
    let risky = package_edited(&portal, "1.2.0", &dev.key, |_, m| {
        m["permissions"] = serde_json::json!(["camera"])
    });
    upload(&portal, &dev.token, &risky);
    let held = portal.wait_for_state(APP, "1.2.0", VersionState::InReview);
    let report: serde_json::Value =
        serde_json::from_str(held.report_json.as_deref().unwrap()).unwrap();
    assert_eq!(
        report["changes"]["sensitive_permissions_added"],
        serde_json::json!(["camera"])
    );
    assert!(
        report["auto_approval"]["reasons"]
            .to_string()
            .contains("camera"),
        "{report:#}"
    );

    // An admin turns it off for this app: even a safe update waits for a reviewer.
    let (status, body) = call(
        &portal,
        "PUT",
        &format!("/api/v1/apps/{APP}/auto-approve"),
        Some(&portal.token("ada", "read admin")),
        Body::Json(serde_json::json!({"auto_approve": false})),
    );
    assert_eq!(
        (status, &body["auto_approve"]),
        (200, &serde_json::json!(false)),
        "{body}"
    );
    upload(
        &portal,
        &dev.token,
        &package(portal.dir.path(), APP, "1.3.0", &dev.key),
    );
    let off = portal.wait_for_state(APP, "1.3.0", VersionState::InReview);
    assert!(off.report_json.unwrap().contains("off for this app"));
}

#[test]
fn review_actions_refuse_the_wrong_people_states_and_input_with_clear_errors() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let olga = portal.user("olga", &[Role::Reviewer]);
    let olga_token = portal.token("olga", "read publish review");
    let olga_key = mosis_domain::SigningKey::from_seed(crate::support::seed("olga")).unwrap();
    portal
        .client(&olga_token)
        .add_key(&mosis_client::wire::NewKey {
            public_key: olga_key.public_key().to_file_text(),
            label: None,
        })
        .unwrap();
    portal.user("rita", &[Role::Reviewer]);
    let rita = portal.token("rita", "read review");
    upload(
        &portal,
        &dev.token,
        &package(portal.dir.path(), APP, "1.0.0", &dev.key),
    );
    portal.wait_for_state(APP, "1.0.0", VersionState::InReview);
    let post = |token: &str, path: &str, body: serde_json::Value| {
        call(&portal, "POST", path, Some(token), Body::Json(body))
    };
    let review = |action: &str| format!("/api/v1/reviews/{APP}/1.0.0/{action}");

    // A reviewer's own app: still nobody reviews their own app.
    let theirs = package(portal.dir.path(), "com.example.olga", "1.0.0", &olga_key);
    let (status, _) = call(
        &portal,
        "POST",
        "/api/v1/apps/com.example.olga/versions",
        Some(&olga_token),
        Body::Bytes(std::fs::read(theirs).unwrap()),
    );
    assert_eq!(status, 201);
    portal.wait_for_state("com.example.olga", "1.0.0", VersionState::InReview);
    let (status, body) = post(
        &olga_token,
        "/api/v1/reviews/com.example.olga/1.0.0/approve",
        serde_json::json!({"channel": "stable"}),
    );
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    assert!(olga.id.0 > 0);

    let cases = [
        (
            post(
                &rita,
                &review("approve"),
                serde_json::json!({"channel": "nightly"}),
            ),
            400,
            "invalid_channel",
        ),
        (
            post(
                &rita,
                &review("reject"),
                serde_json::json!({"reason": "   "}),
            ),
            400,
            "invalid_reason",
        ),
        (
            post(&rita, &review("approve"), serde_json::json!({})),
            400,
            "invalid_json",
        ),
        (
            post(
                &dev.token,
                &review("reject"),
                serde_json::json!({"reason": "mine"}),
            ),
            403,
            "forbidden",
        ),
        (
            post(
                &rita,
                &format!("/api/v1/apps/{APP}/versions/1.0.0/promote"),
                serde_json::json!({}),
            ),
            409,
            "wrong_state",
        ),
        (
            post(
                &rita,
                &format!("/api/v1/apps/{APP}/versions/1.0.0/suspend"),
                serde_json::json!({}),
            ),
            409,
            "wrong_state",
        ),
        (
            post(
                &rita,
                "/api/v1/reviews/com.example.none/1.0.0/approve",
                serde_json::json!({"channel": "stable"}),
            ),
            404,
            "not_found",
        ),
        (
            call(
                &portal,
                "GET",
                "/api/v1/reviews?state=bogus",
                Some(&rita),
                Body::None,
            ),
            400,
            "invalid_state",
        ),
        (
            call(
                &portal,
                "GET",
                "/api/v1/index?channel=nightly",
                None,
                Body::None,
            ),
            400,
            "invalid_channel",
        ),
    ];
    for (i, ((status, body), want_status, want_code)) in cases.into_iter().enumerate() {
        assert_eq!(
            (status, code(&body)),
            (want_status, want_code),
            "case {i}: {body}"
        );
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }

    // Rejected with a reason, then every further decision is a 409 that says why.
    let (status, body) = post(
        &rita,
        &review("reject"),
        serde_json::json!({"reason": "Crashes on start (see log)."}),
    );
    assert_eq!(
        (
            status,
            body["state"].as_str(),
            body["reject_reason"].as_str()
        ),
        (200, Some("rejected"), Some("Crashes on start (see log)."))
    );
    let (status, body) = post(
        &rita,
        &review("approve"),
        serde_json::json!({"channel": "stable"}),
    );
    assert_eq!((status, code(&body)), (409, "wrong_state"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rejected"),
        "{body}"
    );
}

#[test]
fn a_reviewer_decides_in_the_browser() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let rita = portal.user("rita", &[Role::Reviewer]);
    upload(
        &portal,
        &dev.token,
        &package(portal.dir.path(), APP, "1.0.0", &dev.key),
    );
    portal.wait_for_state(APP, "1.0.0", VersionState::InReview);
    let url = portal.url();
    let mut browser = Browser::new();
    browser.set_cookie(&url, "mosis_session", Some(&portal.session(rita.id)));
    let queue = browser.get(&format!("{url}/review"));
    assert!(
        queue.body.contains(&format!("/review/{APP}/1.0.0")),
        "{}",
        queue.body
    );
    let page = browser.get(&format!("{url}/review/{APP}/1.0.0"));
    for shown in [
        "All checks passed",
        "icon.png",
        "main.js",
        "Approve and publish",
        "Reject",
        "min_os_version",
    ] {
        assert!(page.body.contains(shown), "the review page lacks {shown}");
    }
    let csrf = csrf_of(&page.body);
    // A rejection without a reason shows the form again with the error beside the field.
    let empty = browser.post(
        &format!("{url}/review/{APP}/1.0.0/reject"),
        &[("_csrf", &csrf), ("reason", " ")],
    );
    assert_eq!(empty.status, 400);
    assert!(empty.body.contains("aria-invalid=\"true\"") && empty.body.contains("reason-error"));
    // Without the CSRF token nothing happens.
    let forged = browser.post(
        &format!("{url}/review/{APP}/1.0.0/approve"),
        &[("channel", "stable")],
    );
    assert_eq!(forged.status, 403);
    let approved = browser.post(
        &format!("{url}/review/{APP}/1.0.0/approve"),
        &[("_csrf", &csrf), ("channel", "stable")],
    );
    assert_eq!(approved.status, 303);
    let after = browser.get(&format!("{url}/review/{APP}/1.0.0"));
    assert!(after.body.contains("Published") && after.body.contains("stable"));
    assert_eq!(
        portal
            .wait_for_state(APP, "1.0.0", VersionState::Published)
            .reviewed_by,
        Some(rita.id)
    );
}
