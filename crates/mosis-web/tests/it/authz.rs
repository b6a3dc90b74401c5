//! The authorization matrix: every route × every kind of caller → the expected status.

use crate::support::{Body, Portal, call, package, seed};
use mosis_client::wire::NewKey;
use mosis_domain::SigningKey;
use mosis_storage::Role;

/// Callers, in the order each route is exercised (the owner last, since some of its
/// calls change state: a revoked key, an uploaded version).
const WHO: [&str; 6] = [
    "anonymous",
    "no scope",
    "other developer",
    "reviewer",
    "admin",
    "owner",
];

struct Ctx {
    tokens: [Option<String>; 6],
    upload: Vec<u8>,
    spare_key: String,
    spare_token: i64,
}

type Request = (&'static str, String, Body);

struct Route {
    name: &'static str,
    request: fn(&Ctx, usize) -> Request,
    expected: [u16; 6],
}

const APP: &str = "/api/v1/apps/com.example.owned";

fn routes() -> Vec<Route> {
    vec![
        Route {
            name: "GET /me",
            request: |_, _| ("GET", "/api/v1/me".into(), Body::None),
            expected: [401, 200, 200, 200, 200, 200],
        },
        Route {
            name: "GET /apps",
            request: |_, _| ("GET", "/api/v1/apps".into(), Body::None),
            expected: [401, 403, 200, 200, 200, 200],
        },
        Route {
            name: "POST /apps",
            request: |_, who| {
                (
                    "POST",
                    "/api/v1/apps".into(),
                    Body::Json(serde_json::json!({"app_id": format!("com.example.reg{who}")})),
                )
            },
            expected: [401, 403, 201, 201, 201, 201],
        },
        Route {
            name: "GET /apps/{id}",
            request: |_, _| ("GET", APP.into(), Body::None),
            expected: [401, 403, 403, 200, 200, 200],
        },
        Route {
            name: "POST /apps/{id}/versions",
            request: |ctx, _| {
                (
                    "POST",
                    format!("{APP}/versions"),
                    Body::Bytes(ctx.upload.clone()),
                )
            },
            expected: [401, 403, 403, 403, 403, 201],
        },
        Route {
            name: "GET /apps/{id}/versions/{v}",
            request: |_, _| ("GET", format!("{APP}/versions/1.0.0"), Body::None),
            expected: [401, 403, 403, 200, 200, 200],
        },
        Route {
            name: "GET /apps/{id}/versions/{v}/package",
            request: |_, _| ("GET", format!("{APP}/versions/1.0.0/package"), Body::None),
            expected: [401, 403, 403, 200, 200, 200],
        },
        Route {
            name: "GET /keys",
            request: |_, _| ("GET", "/api/v1/keys".into(), Body::None),
            expected: [401, 403, 200, 200, 200, 200],
        },
        Route {
            name: "POST /keys",
            request: |_, who| {
                let key = SigningKey::from_seed(seed(&format!("fresh{who}"))).unwrap();
                (
                    "POST",
                    "/api/v1/keys".into(),
                    Body::Json(serde_json::json!({"public_key": key.public_key().to_base64()})),
                )
            },
            expected: [401, 403, 201, 201, 201, 201],
        },
        Route {
            name: "DELETE /keys/{id}",
            request: |ctx, _| {
                (
                    "DELETE",
                    format!("/api/v1/keys/{}", ctx.spare_key),
                    Body::None,
                )
            },
            expected: [401, 403, 404, 404, 404, 204],
        },
        Route {
            name: "GET /tokens",
            request: |_, _| ("GET", "/api/v1/tokens".into(), Body::None),
            expected: [401, 403, 200, 200, 200, 200],
        },
        Route {
            name: "POST /tokens",
            request: |_, _| {
                (
                    "POST",
                    "/api/v1/tokens".into(),
                    Body::Json(
                        serde_json::json!({"name": "ci", "scopes": ["read"], "expires_days": 1}),
                    ),
                )
            },
            expected: [401, 403, 201, 201, 201, 201],
        },
        Route {
            name: "DELETE /tokens/{id}",
            request: |ctx, _| {
                (
                    "DELETE",
                    format!("/api/v1/tokens/{}", ctx.spare_token),
                    Body::None,
                )
            },
            expected: [401, 404, 404, 404, 404, 204],
        },
        Route {
            name: "GET /reviews",
            request: |_, _| ("GET", "/api/v1/reviews".into(), Body::None),
            expected: [401, 403, 403, 200, 200, 403],
        },
        // 1.0.0 is in review. The reviewer acts first; the admin then finds it moved on.
        Route {
            name: "POST /reviews/{id}/{v}/approve",
            request: |_, _| {
                (
                    "POST",
                    "/api/v1/reviews/com.example.owned/1.0.0/approve".into(),
                    Body::Json(serde_json::json!({"channel": "beta"})),
                )
            },
            expected: [401, 403, 403, 200, 409, 403],
        },
        Route {
            name: "POST /apps/{id}/versions/{v}/promote",
            request: |_, _| {
                (
                    "POST",
                    format!("{APP}/versions/1.0.0/promote"),
                    Body::Json(serde_json::json!({})),
                )
            },
            expected: [401, 403, 403, 200, 409, 409],
        },
        Route {
            name: "POST /apps/{id}/versions/{v}/suspend",
            request: |_, _| {
                (
                    "POST",
                    format!("{APP}/versions/1.0.0/suspend"),
                    Body::Json(serde_json::json!({})),
                )
            },
            expected: [401, 403, 403, 200, 409, 409],
        },
        Route {
            name: "POST /reviews/{id}/{v}/reject",
            request: |_, _| {
                (
                    "POST",
                    "/api/v1/reviews/com.example.owned/1.0.0/reject".into(),
                    Body::Json(serde_json::json!({"reason": "no"})),
                )
            },
            expected: [401, 403, 403, 409, 409, 403],
        },
        Route {
            name: "PUT /apps/{id}/auto-approve",
            request: |_, _| {
                (
                    "PUT",
                    format!("{APP}/auto-approve"),
                    Body::Json(serde_json::json!({"auto_approve": true})),
                )
            },
            expected: [401, 403, 403, 403, 200, 403],
        },
        Route {
            name: "GET /index",
            request: |_, _| ("GET", "/api/v1/index?channel=stable".into(), Body::None),
            expected: [200; 6],
        },
        Route {
            name: "GET /openapi.json",
            request: |_, _| ("GET", "/api/v1/openapi.json".into(), Body::None),
            expected: [200; 6],
        },
        Route {
            name: "GET /healthz",
            request: |_, _| ("GET", "/healthz".into(), Body::None),
            expected: [200; 6],
        },
        Route {
            name: "GET /metrics",
            request: |_, _| ("GET", "/metrics".into(), Body::None),
            expected: [200; 6],
        },
        Route {
            name: "GET /api/v1/nothing",
            request: |_, _| ("GET", "/api/v1/nothing".into(), Body::None),
            expected: [404; 6],
        },
    ]
}

#[test]
fn every_route_answers_every_kind_of_caller_as_specified() {
    let portal = Portal::start();
    let owner = portal.developer("owner");
    let first = package(portal.dir.path(), "com.example.owned", "1.0.0", &owner.key);
    let (status, _) = call(
        &portal,
        "POST",
        &format!("{APP}/versions"),
        Some(&owner.token),
        Body::Bytes(std::fs::read(first).unwrap()),
    );
    assert_eq!(status, 201);
    portal.wait_for_state(
        "com.example.owned",
        "1.0.0",
        mosis_storage::VersionState::InReview,
    );
    let spare = SigningKey::from_seed(seed("spare")).unwrap();
    let owner_client = portal.client(&owner.token);
    let spare_key = owner_client
        .add_key(&NewKey {
            public_key: spare.public_key().to_base64(),
            label: None,
        })
        .unwrap()
        .key_id;
    let spare_token = owner_client
        .create_token(&mosis_client::wire::NewTokenRequest {
            name: "spare".into(),
            scopes: vec!["read".into()],
            expires_days: None,
        })
        .unwrap()
        .info
        .id;

    portal.user("nosy", &[]);
    let other = portal.developer("other");
    portal.user("rita", &[Role::Reviewer]);
    portal.user("ada", &[Role::Admin]);
    let ctx = Ctx {
        tokens: [
            None,
            Some(portal.token("nosy", "publish:com.example.unrelated")),
            Some(other.token),
            Some(portal.token("rita", "read publish review")),
            Some(portal.token("ada", "read publish review admin")),
            Some(owner.token.clone()),
        ],
        upload: std::fs::read(package(
            portal.dir.path(),
            "com.example.owned",
            "1.1.0",
            &owner.key,
        ))
        .unwrap(),
        spare_key,
        spare_token,
    };

    let mut wrong = Vec::new();
    for route in routes() {
        for (who, want) in route.expected.iter().enumerate() {
            let (method, path, body) = (route.request)(&ctx, who);
            let (got, response) = call(&portal, method, &path, ctx.tokens[who].as_deref(), body);
            if got != *want {
                wrong.push(format!(
                    "{} as {}: got {got}, want {want} ({response})",
                    route.name, WHO[who]
                ));
            }
            if got >= 400 {
                assert!(
                    response["error"]["code"].is_string(),
                    "{} as {}: no JSON error",
                    route.name,
                    WHO[who]
                );
            }
        }
    }
    assert!(wrong.is_empty(), "wrong answers:\n{}", wrong.join("\n"));
}
