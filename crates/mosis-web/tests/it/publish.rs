//! The publish path end to end: register a key, upload, see it pending, download it.

use crate::support::{Body, Portal, call, code, package, package_with};
use mosis_domain::Sha256;
use mosis_storage::{ReviewQueue, VersionState, Versions};

#[test]
fn an_upload_is_verified_stored_and_listed_as_pending_with_a_review_job() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let client = portal.client(&dev.token);
    let file = package(portal.dir.path(), "com.example.weather", "1.2.0", &dev.key);
    let bytes = std::fs::read(&file).unwrap();

    let view = client
        .upload(
            "com.example.weather",
            std::fs::File::open(&file).unwrap(),
            bytes.len() as u64,
        )
        .unwrap();
    assert_eq!(
        (
            view.app_id.as_str(),
            view.version.as_str(),
            view.state.as_str()
        ),
        ("com.example.weather", "1.2.0", "pending")
    );
    assert_eq!(view.size, bytes.len() as u64);
    assert_eq!(view.sha256, Sha256::of(&bytes).to_string());
    assert_eq!(view.key_id, dev.key.key_id().to_string());

    // The review workers check it and move it on; its report lands beside the package.
    let reviewed = portal.wait_for_state("com.example.weather", "1.2.0", VersionState::InReview);

    // The file is in place under packages/{dev_id}/{app_id}/{version}/, nothing staged.
    let stored = format!("{}/com.example.weather/1.2.0/package.mpk", dev.account.id);
    let report = format!("{}/com.example.weather/1.2.0/report.json", dev.account.id);
    assert_eq!(portal.package_files(), vec![stored.clone(), report]);
    assert_eq!(
        std::fs::read(portal.config.data.join("packages").join(&stored)).unwrap(),
        bytes
    );

    // The row, the claimed app and the queued review job.
    let store = portal.store();
    let app_id = mosis_domain::AppId::parse("com.example.weather").unwrap();
    let record = store.version(&app_id, &"1.2.0".parse().unwrap()).unwrap();
    assert_eq!(record, reviewed);
    assert_eq!(record.uploaded_by, dev.account.id);
    assert_eq!(
        store.job_of_version(record.id).unwrap().state,
        mosis_storage::JobState::Done
    );
    assert_eq!(store.queue_depth().unwrap(), 0);

    let detail = client.app("com.example.weather").unwrap();
    assert_eq!(detail.app.owner_id, dev.account.id.0);
    assert_eq!(
        detail.app.name, "Test App",
        "the listing name comes from the manifest"
    );
    let now = client.version("com.example.weather", "1.2.0").unwrap();
    assert_eq!(detail.versions, vec![now.clone()]);
    assert_eq!(
        (
            now.state.as_str(),
            &now.sha256,
            now.report.as_ref().map(|r| r["verdict"].clone())
        ),
        ("in_review", &view.sha256, Some(serde_json::json!("passed")))
    );
    let apps = client.apps().unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].latest_state.as_deref(), Some("in_review"));

    let mut downloaded = Vec::new();
    let size = client
        .download("com.example.weather", "1.2.0", &mut downloaded)
        .unwrap();
    assert_eq!((size, downloaded), (bytes.len() as u64, bytes));

    let metrics = reqwest::blocking::get(format!("{}/metrics", portal.url()))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("mosis_uploads_total{result=\"accepted\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("mosis_review_queue_depth 0"), "{metrics}");
    assert!(
        metrics.contains("mosis_review_job_duration_seconds_count{outcome=\"in_review\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"/api/v1/apps/{app_id}/versions\""),
        "{metrics}"
    );
}

#[test]
fn downloads_answer_ranges_etags_and_if_none_match() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let file = package(portal.dir.path(), "com.example.weather", "1.0.0", &dev.key);
    let bytes = std::fs::read(&file).unwrap();
    let (status, _) = call(
        &portal,
        "POST",
        "/api/v1/apps/com.example.weather/versions",
        Some(&dev.token),
        Body::Bytes(bytes.clone()),
    );
    assert_eq!(status, 201);
    let url = format!(
        "{}/api/v1/apps/com.example.weather/versions/1.0.0/package",
        portal.url()
    );
    let http = reqwest::blocking::Client::new();
    let get = |headers: &[(&str, &str)]| {
        let mut r = http.get(&url).bearer_auth(&dev.token);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.send().unwrap()
    };

    let full = get(&[]);
    assert_eq!(full.status(), 200);
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", Sha256::of(&bytes)));
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert_eq!(full.bytes().unwrap().as_ref(), bytes.as_slice());

    let part = get(&[("Range", "bytes=10-19")]);
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"].to_str().unwrap(),
        format!("bytes 10-19/{}", bytes.len())
    );
    assert_eq!(part.bytes().unwrap().as_ref(), &bytes[10..20]);

    let tail = get(&[("Range", "bytes=-5")]);
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().unwrap().as_ref(), &bytes[bytes.len() - 5..]);

    let past = get(&[("Range", &format!("bytes={}-", bytes.len()))]);
    assert_eq!(past.status(), 416);
    assert_eq!(
        past.headers()["content-range"].to_str().unwrap(),
        format!("bytes */{}", bytes.len())
    );

    let cached = get(&[("If-None-Match", &etag)]);
    assert_eq!(cached.status(), 304);
    assert!(cached.bytes().unwrap().is_empty());
    assert_eq!(get(&[("If-None-Match", "\"other\"")]).status(), 200);
}

#[test]
fn later_versions_are_accepted_and_an_explicitly_registered_app_can_be_uploaded_to() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let (status, body) = call(
        &portal,
        "POST",
        "/api/v1/apps",
        Some(&dev.token),
        Body::Json(serde_json::json!({"app_id": "com.example.notes", "name": "Notes"})),
    );
    assert_eq!((status, body["name"].as_str()), (201, Some("Notes")));
    let (status, body) = call(
        &portal,
        "POST",
        "/api/v1/apps",
        Some(&dev.token),
        Body::Json(serde_json::json!({"app_id": "com.example.notes"})),
    );
    assert_eq!((status, code(&body)), (409, "app_exists"));
    for version in ["1.0.0", "1.0.1", "2.0.0-beta.1", "2.0.0"] {
        let file = package(portal.dir.path(), "com.example.notes", version, &dev.key);
        let (status, body) = call(
            &portal,
            "POST",
            "/api/v1/apps/com.example.notes/versions",
            Some(&dev.token),
            Body::Bytes(std::fs::read(file).unwrap()),
        );
        assert_eq!(status, 201, "{version}: {body}");
    }
    let detail = portal.client(&dev.token).app("com.example.notes").unwrap();
    let versions: Vec<&str> = detail.versions.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(versions, ["2.0.0", "2.0.0-beta.1", "1.0.1", "1.0.0"]);
    assert_eq!(detail.app.name, "Notes", "a registered name is kept");
}

#[test]
fn the_openapi_document_describes_every_route() {
    let portal = Portal::start();
    let (status, doc) = call(&portal, "GET", "/api/v1/openapi.json", None, Body::None);
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/me", "get"),
        ("/api/v1/apps", "get"),
        ("/api/v1/apps", "post"),
        ("/api/v1/apps/{app_id}", "get"),
        ("/api/v1/apps/{app_id}/versions", "post"),
        ("/api/v1/apps/{app_id}/versions/{version}", "get"),
        ("/api/v1/apps/{app_id}/versions/{version}/package", "get"),
        ("/api/v1/keys", "get"),
        ("/api/v1/keys", "post"),
        ("/api/v1/keys/{key_id}", "delete"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{id}", "delete"),
        ("/api/v1/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is missing"
        );
    }
    assert!(doc["components"]["schemas"]["VersionView"]["properties"]["sha256"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
}

#[test]
fn a_large_upload_streams_through_many_chunks_from_the_client() {
    // Many times the server's in-flight chunk budget: a regression test for a writer that
    // never started while the network side waited for it.
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let file = package_with(
        portal.dir.path(),
        "com.example.big",
        "1.0.0",
        &dev.key,
        24 << 20,
    );
    let bytes = std::fs::read(&file).unwrap();
    let view = portal
        .client(&dev.token)
        .upload(
            "com.example.big",
            std::fs::File::open(&file).unwrap(),
            bytes.len() as u64,
        )
        .unwrap();
    assert_eq!(view.sha256, Sha256::of(&bytes).to_string());
    assert!(view.size > 24 << 20);
}
