//! A portal on a random port with a temp data dir, accounts, tokens and packages.

use mosis_auth::TokenSecret;
use mosis_client::Client;
use mosis_client::wire::NewKey;
use mosis_domain::{AppId, SigningKey};
use mosis_storage::{
    Account, NewToken, Role, SqlitePortal, Tokens, VersionRecord, VersionState, Versions,
};
use mosis_web::{Background, Config};
use std::path::{Path, PathBuf};

/// A running portal.
pub struct Portal {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub server: Background,
}

impl Portal {
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    pub fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data: dir.path().join("data"),
            listen: "127.0.0.1:0".parse().unwrap(),
            rate_limit_per_ip: 0,
            rate_limit_per_token: 0,
            workers: 2,
            ..Config::default()
        };
        adjust(&mut config);
        let server = Background::spawn(config.clone()).unwrap();
        Self {
            dir,
            config,
            server,
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The database, opened beside the server (as an admin command would).
    pub fn store(&self) -> SqlitePortal {
        SqlitePortal::open(&self.config.data.join("portal.db")).unwrap()
    }

    pub fn user(&self, name: &str, roles: &[Role]) -> Account {
        mosis_web::admin::create_user(&self.config, name, roles).unwrap()
    }

    /// A token for `user` with space-separated `scopes`.
    pub fn token(&self, user: &str, scopes: &str) -> String {
        let scopes: Vec<String> = scopes.split(' ').map(str::to_owned).collect();
        let issued = mosis_web::admin::create_token(&self.config, user, &scopes, None).unwrap();
        issued.secret.expose().to_owned()
    }

    /// A token row written straight to the store, e.g. one that expired already.
    pub fn raw_token(&self, account: &Account, scopes: &[&str], expires_at: Option<i64>) -> String {
        let secret = TokenSecret::generate().unwrap();
        self.store()
            .create_token(
                &NewToken {
                    account_id: account.id,
                    name: "raw".into(),
                    prefix: secret.lookup_prefix().to_owned(),
                    hash: secret.hash().as_bytes().to_vec(),
                    scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                    expires_at,
                },
                1_700_000_000,
            )
            .unwrap();
        secret.expose().to_owned()
    }

    /// A dashboard session for `account`, started beside the server (as another
    /// browser's sign-in would), signed with the portal's session key.
    pub fn session(&self, account: mosis_storage::AccountId) -> String {
        let key = SigningKey::read_file(&self.config.data.join("keys/session.key")).unwrap();
        mosis_auth::Authenticator::new(
            std::sync::Arc::new(self.store()),
            std::sync::Arc::new(mosis_auth::SystemClock),
            mosis_auth::SessionSigner::new(&key).unwrap(),
        )
        .start_session(account, &mosis_storage::Origin::default())
        .unwrap()
        .0
    }

    pub fn client(&self, token: &str) -> Client {
        Client::new(&self.url(), Some(token.to_owned())).unwrap()
    }

    /// A developer with a token (`read publish`) and a registered key.
    pub fn developer(&self, name: &str) -> Developer {
        let account = self.user(name, &[]);
        let token = self.token(name, "read publish");
        let key = SigningKey::from_seed(seed(name)).unwrap();
        self.client(&token)
            .add_key(&NewKey {
                public_key: key.public_key().to_file_text(),
                label: Some("test".into()),
            })
            .unwrap();
        Developer {
            account,
            token,
            key,
        }
    }

    /// Every file under `packages/` (the staging folder included), relative.
    pub fn package_files(&self) -> Vec<String> {
        let root = self.config.data.join("packages");
        let mut out = Vec::new();
        walk(&root, &root, &mut out);
        out.sort();
        out
    }

    /// Waits (up to a minute) until the review workers move `app` `version` to `state`.
    pub fn wait_for_state(&self, app: &str, version: &str, state: VersionState) -> VersionRecord {
        let (id, version) = (AppId::parse(app).unwrap(), version.parse().unwrap());
        let store = self.store();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let record = store.version(&id, &version).unwrap();
            if record.state == state {
                return record;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{app} {version} stayed {} (report: {:?})",
                record.state,
                record.report_json
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn version_count(&self, app: &str) -> usize {
        self.store()
            .versions_of(&AppId::parse(app).unwrap())
            .unwrap()
            .len()
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            out.push(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
}

/// A deterministic seed per name, so each developer has their own key.
pub fn seed(name: &str) -> [u8; 32] {
    let mut seed = [7u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    seed
}

pub struct Developer {
    pub account: Account,
    pub token: String,
    pub key: SigningKey,
}

/// Packs a valid package of `app` at `version`, signed by `key`, into `dir`.
pub fn package(dir: &Path, app: &str, version: &str, key: &SigningKey) -> PathBuf {
    package_with(dir, app, version, key, 0)
}

/// Like [`package`], with an extra file of `extra_bytes` incompressible bytes.
pub fn package_with(
    dir: &Path,
    app: &str,
    version: &str,
    key: &SigningKey,
    extra_bytes: usize,
) -> PathBuf {
    let project = dir.join(format!("{app}-{version}-{}", key.key_id()));
    let _ = std::fs::remove_dir_all(&project);
    mosis_domain::init_project(&project, &AppId::parse(app).unwrap(), "Test App").unwrap();
    let manifest_path = project.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["version"] = version.into();
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    if extra_bytes > 0 {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let data: Vec<u8> = (0..extra_bytes)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        std::fs::write(project.join("data.bin"), data).unwrap();
    }
    let out = dir.join(format!("{app}-{version}-{}.mpk", key.key_id()));
    mosis_domain::pack_to_file(&project, key, &out).unwrap();
    out
}

/// A raw HTTP call: method, path, token, body → (status, JSON body or Null).
pub fn call(
    portal: &Portal,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Body,
) -> (u16, serde_json::Value) {
    let http = reqwest::blocking::Client::new();
    let url = format!("{}{path}", portal.url());
    let mut request = http.request(method.parse().unwrap(), &url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request = match body {
        Body::None => request,
        Body::Json(value) => request.json(&value),
        Body::Bytes(bytes) => request
            .header("content-type", "application/octet-stream")
            .body(bytes),
    };
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// A request body.
pub enum Body {
    None,
    Json(serde_json::Value),
    Bytes(Vec<u8>),
}

/// The error code of an error response.
pub fn code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("(no error code)")
}
