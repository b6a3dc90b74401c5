//! Rate limits per token and per IP address.

use crate::support::{Body, Portal, call, code};

#[test]
fn a_token_over_its_rate_gets_429_with_retry_after() {
    let portal = Portal::start_with(|c| c.rate_limit_per_token = 5);
    let dev = portal.developer("alice");
    // `developer` used the token once to register the key.
    let statuses: Vec<u16> = (0..5)
        .map(|_| call(&portal, "GET", "/api/v1/me", Some(&dev.token), Body::None).0)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 200, 429]);
    let response = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/me", portal.url()))
        .bearer_auth(&dev.token)
        .send()
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let other = portal.token("alice", "read");
    assert_eq!(
        call(&portal, "GET", "/api/v1/me", Some(&other), Body::None).0,
        200,
        "another token has its own budget"
    );
}

#[test]
fn an_address_over_its_rate_gets_429_even_without_a_token() {
    let portal = Portal::start_with(|c| c.rate_limit_per_ip = 3);
    let statuses: Vec<u16> = (0..4)
        .map(|_| call(&portal, "GET", "/healthz", None, Body::None).0)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
    let (_, body) = call(&portal, "GET", "/api/v1/me", None, Body::None);
    assert_eq!(code(&body), "rate_limited");
}
