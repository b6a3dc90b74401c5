//! Refused uploads and credentials: each gets its status and code, and nothing is stored.

use crate::support::{Body, Portal, call, code, package, seed};
use mosis_domain::SigningKey;
use std::io::{Read as _, Write as _};

const URL: &str = "/api/v1/apps/com.example.weather/versions";

/// Uploads `body` as `token`, checks the status and code, and that nothing new is stored.
fn refused(
    portal: &Portal,
    token: &str,
    body: Vec<u8>,
    status: u16,
    error: &str,
) -> serde_json::Value {
    let files = portal.package_files();
    let versions = portal.version_count("com.example.weather");
    let (got, response) = call(portal, "POST", URL, Some(token), Body::Bytes(body));
    assert_eq!((got, code(&response)), (status, error), "{response}");
    assert!(
        !response["error"]["message"]
            .as_str()
            .unwrap_or("")
            .is_empty()
    );
    assert_eq!(portal.package_files(), files, "no file is left behind");
    assert_eq!(
        portal.version_count("com.example.weather"),
        versions,
        "no row is left behind"
    );
    response
}

#[test]
fn bad_packages_are_refused_with_their_reason_and_leave_nothing() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let dir = portal.dir.path();
    let good = std::fs::read(package(dir, "com.example.weather", "1.0.0", &dev.key)).unwrap();

    // Garbage instead of a zip.
    refused(
        &portal,
        &dev.token,
        b"this is not a zip file at all".repeat(100),
        422,
        "invalid_package",
    );

    // A tampered package: one byte of a stored file changed (the entry's CRC and hash break).
    let mut tampered = good.clone();
    let at = tampered.windows(4).position(|w| w == b"main").unwrap() + 200;
    tampered[at] ^= 0x55;
    let response = refused(&portal, &dev.token, tampered, 422, "invalid_package");
    assert!(
        response["error"]["problems"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "{response}"
    );

    // Signed by a key nobody registered.
    let stranger = SigningKey::from_seed(seed("stranger")).unwrap();
    let unsigned = std::fs::read(package(dir, "com.example.weather", "1.0.0", &stranger)).unwrap();
    refused(&portal, &dev.token, unsigned, 422, "untrusted_key");

    // The manifest names another app than the URL.
    let other_id = std::fs::read(package(dir, "com.example.radio", "1.0.0", &dev.key)).unwrap();
    refused(&portal, &dev.token, other_id, 422, "app_id_mismatch");

    // Now a good upload, then a duplicate and a lower version.
    let (status, _) = call(
        &portal,
        "POST",
        URL,
        Some(&dev.token),
        Body::Bytes(good.clone()),
    );
    assert_eq!(status, 201);
    // Its review writes report.json; let it finish so the file listings below are stable.
    portal.wait_for_state(
        "com.example.weather",
        "1.0.0",
        mosis_storage::VersionState::InReview,
    );
    refused(&portal, &dev.token, good, 409, "version_exists");
    let lower = std::fs::read(package(dir, "com.example.weather", "0.9.0", &dev.key)).unwrap();
    let response = refused(&portal, &dev.token, lower, 409, "version_not_newer");
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1.0.0")
    );

    // Someone else's app id.
    let bob = portal.developer("bob");
    let bobs = std::fs::read(package(dir, "com.example.weather", "2.0.0", &bob.key)).unwrap();
    refused(&portal, &bob.token, bobs, 403, "forbidden");

    // A revoked key.
    let client = portal.client(&dev.token);
    client.revoke_key(&dev.key.key_id().to_string()).unwrap();
    let revoked = std::fs::read(package(dir, "com.example.weather", "2.0.0", &dev.key)).unwrap();
    refused(&portal, &dev.token, revoked, 422, "revoked_key");
}

#[test]
fn an_oversize_body_is_refused_with_413_declared_or_streamed() {
    let portal = Portal::start_with(|c| c.max_upload_bytes = 64 * 1024);
    let dev = portal.developer("alice");
    refused(
        &portal,
        &dev.token,
        vec![0u8; 100 * 1024],
        413,
        "payload_too_large",
    );

    // Chunked, with no length declared: refused once the limit is passed.
    let chunks = std::iter::repeat_n(vec![1u8; 16 * 1024], 8).map(Ok::<_, std::io::Error>);
    let response = reqwest::blocking::Client::new()
        .post(format!("{}{URL}", portal.url()))
        .bearer_auth(&dev.token)
        .body(reqwest::blocking::Body::new(ChunkReader(
            chunks.flat_map(|c| c.unwrap()).collect(),
            0,
        )))
        .send();
    // The server may answer before reading all of the body, or reset the connection.
    if let Ok(response) = response {
        assert_eq!(response.status(), 413);
    }
    assert!(portal.package_files().is_empty());
}

/// A reader without a known length (reqwest sends it chunked).
struct ChunkReader(Vec<u8>, usize);

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len() - self.1).min(4096);
        buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
        self.1 += n;
        Ok(n)
    }
}

#[test]
fn a_truncated_upload_leaves_nothing() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let good = std::fs::read(package(
        portal.dir.path(),
        "com.example.weather",
        "1.0.0",
        &dev.key,
    ))
    .unwrap();
    let mut stream = std::net::TcpStream::connect(portal.server.addr).unwrap();
    write!(
        stream,
        "POST {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        dev.token,
        good.len()
    )
    .unwrap();
    stream.write_all(&good[..good.len() / 2]).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    drop(stream);
    // The handler's cleanup runs as the connection closes; give it a moment.
    for _ in 0..50 {
        if portal.package_files().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        portal.package_files().is_empty(),
        "{:?}",
        portal.package_files()
    );
    assert_eq!(portal.version_count("com.example.weather"), 0);
    if !answer.is_empty() {
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
}

#[test]
fn expired_revoked_malformed_and_unknown_tokens_get_401_with_the_reason() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let expired = portal.raw_token(&dev.account, &["read"], Some(1_700_000_100));
    let revoked_token = portal.token("alice", "read");
    let client = portal.client(&revoked_token);
    let id = client.me().unwrap().token_id.unwrap();
    client.revoke_token(id).unwrap();
    let unknown = mosis_auth::TokenSecret::generate()
        .unwrap()
        .expose()
        .to_owned();
    for (token, reason) in [
        (expired.as_str(), "expired"),
        (revoked_token.as_str(), "revoked"),
        ("mosis_short", "malformed"),
        (unknown.as_str(), "not valid"),
    ] {
        let (status, body) = call(&portal, "GET", "/api/v1/me", Some(token), Body::None);
        assert_eq!((status, code(&body)), (401, "unauthenticated"), "{reason}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{message}");
        assert!(!message.contains(token), "the token is never echoed");
    }
}

#[test]
fn malformed_requests_name_the_problem() {
    let portal = Portal::start();
    let dev = portal.developer("alice");
    let cases: Vec<(&str, String, Body, u16, &str)> = vec![
        (
            "POST",
            "/api/v1/keys".into(),
            Body::Json(serde_json::json!({"public_key": "nope"})),
            400,
            "invalid_key",
        ),
        (
            "POST",
            "/api/v1/keys".into(),
            Body::Bytes(b"{not json".to_vec()),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/api/v1/apps".into(),
            Body::Json(serde_json::json!({"app_id": "Not An Id"})),
            400,
            "invalid_app_id",
        ),
        (
            "GET",
            "/api/v1/apps/com.example.x/versions/one".into(),
            Body::None,
            400,
            "invalid_version",
        ),
        (
            "GET",
            "/api/v1/apps/com.example.none".into(),
            Body::None,
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/tokens".into(),
            Body::Json(serde_json::json!({"name": "x", "scopes": ["write"]})),
            400,
            "invalid_scope",
        ),
        (
            "POST",
            "/api/v1/tokens".into(),
            Body::Json(serde_json::json!({"name": "x", "scopes": ["admin"]})),
            403,
            "forbidden",
        ),
        (
            "POST",
            "/api/v1/tokens".into(),
            Body::Json(serde_json::json!({"name": "x", "scopes": ["read"], "expires_days": 0})),
            400,
            "invalid_expiry",
        ),
        (
            "DELETE",
            "/api/v1/keys/zz".into(),
            Body::None,
            400,
            "invalid_key_id",
        ),
        (
            "DELETE",
            "/api/v1/tokens/12345".into(),
            Body::None,
            404,
            "not_found",
        ),
    ];
    for (method, path, body, status, error) in cases {
        let (got, response) = call(&portal, method, &path, Some(&dev.token), body);
        assert_eq!(
            (got, code(&response)),
            (status, error),
            "{method} {path}: {response}"
        );
    }
}
