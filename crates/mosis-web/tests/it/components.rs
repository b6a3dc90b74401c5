//! Real components the sign-in tests start on 127.0.0.1: npm's `oidc-provider` (installed
//! by `cargo xtask tools` into tools/node), and a stand-in for GitHub's three OAuth
//! endpoints. A missing component fails the test loudly, never skips it.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn tools_node() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/node")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running OpenID Connect provider with one client; killed on drop.
pub struct OidcProvider {
    child: Child,
}

impl OidcProvider {
    /// Picks a port for the provider (the portal's config needs the issuer first).
    pub fn reserve() -> u16 {
        free_port()
    }

    /// Starts the provider on `port`, with client `portal` / `secret` and `redirect_uri`.
    pub fn start(port: u16, redirect_uri: &str) -> Self {
        let script = tools_node().join("oidc-provider.mjs");
        assert!(
            script.exists() && tools_node().join("node_modules/oidc-provider").exists(),
            "the OpenID Connect provider is not installed: run `cargo xtask tools` (cargo xtask ci does) to put npm's oidc-provider into tools/node"
        );
        let mut child = Command::new("node")
            .arg(&script)
            .args([&port.to_string(), "portal", "secret", redirect_uri])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node must be on PATH to run the OpenID Connect provider");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("ready") => break,
                Some(Ok(_)) => continue,
                _ => panic!("the OpenID Connect provider did not start"),
            }
        }
        // Keep reading its output, or its next write fails on a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A stand-in for GitHub's OAuth endpoints (authorize, access_token) and its user API,
/// checking what GitHub checks: the client secret, the code, its redirect URI and the
/// PKCE verifier.
pub struct GithubStandIn {
    pub url: String,
    handle: actix_web::dev::ServerHandle,
}

#[derive(Default)]
struct Grants {
    /// code → (code_challenge, redirect_uri)
    codes: std::collections::HashMap<String, (String, String)>,
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

impl GithubStandIn {
    pub fn start() -> Self {
        use actix_web::{App, HttpResponse, HttpServer, web};
        use std::collections::HashMap;
        use std::sync::Mutex;
        let grants = web::Data::new(Mutex::new(Grants::default()));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(grants.clone())
                        .route("/login/oauth/authorize", web::get().to(
                            |q: web::Query<HashMap<String, String>>, g: web::Data<Mutex<Grants>>| async move {
                                assert_eq!(q.get("client_id").map(String::as_str), Some("gh-client"));
                                assert_eq!(q.get("code_challenge_method").map(String::as_str), Some("S256"));
                                let code = format!("code-{}", g.lock().unwrap().codes.len());
                                let redirect = q["redirect_uri"].clone();
                                g.lock().unwrap().codes.insert(code.clone(), (q["code_challenge"].clone(), redirect.clone()));
                                let mut to = url::Url::parse(&redirect).unwrap();
                                to.query_pairs_mut().append_pair("code", &code).append_pair("state", &q["state"]);
                                HttpResponse::Found().insert_header(("Location", to.to_string())).finish()
                            }))
                        .route("/login/oauth/access_token", web::post().to(
                            |f: web::Form<HashMap<String, String>>, g: web::Data<Mutex<Grants>>| async move {
                                let refuse = |e: &str| HttpResponse::Ok().json(serde_json::json!({ "error": e, "error_description": e }));
                                if f.get("client_secret").map(String::as_str) != Some("gh-secret") {
                                    return refuse("incorrect_client_credentials");
                                }
                                let Some((challenge, redirect)) = g.lock().unwrap().codes.remove(&f["code"]) else {
                                    return refuse("bad_verification_code");
                                };
                                let verifier = f.get("code_verifier").cloned().unwrap_or_default();
                                let computed = base64url(mosis_domain::Sha256::of(verifier.as_bytes()).as_bytes());
                                if computed != challenge || f.get("redirect_uri") != Some(&redirect) {
                                    return refuse("bad_verification_code");
                                }
                                HttpResponse::Ok().json(serde_json::json!({ "access_token": "gho_standin", "token_type": "bearer" }))
                            }))
                        .route("/api/user", web::get().to(|req: actix_web::HttpRequest| async move {
                            let auth = req.headers().get("Authorization").and_then(|v| v.to_str().ok());
                            if auth != Some("Bearer gho_standin") {
                                return HttpResponse::Unauthorized().json(serde_json::json!({ "message": "Bad credentials" }));
                            }
                            HttpResponse::Ok().json(serde_json::json!({ "id": 583231, "login": "octocat", "email": null }))
                        }))
                })
                .workers(1)
                .bind("127.0.0.1:0")
                .unwrap();
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).unwrap();
                server.await
            })
        });
        let (addr, handle) = rx.recv().unwrap();
        Self {
            url: format!("http://{addr}"),
            handle,
        }
    }
}

impl Drop for GithubStandIn {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
