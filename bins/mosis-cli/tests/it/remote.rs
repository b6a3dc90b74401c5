//! `mosis login | keys | publish | status | apps | logout` against a real portal server
//! on 127.0.0.1:0 with a temp data dir.

use crate::mosis;
use mosis_web::{Background, Config};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

struct Setup {
    dir: tempfile::TempDir,
    config: Config,
    server: Background,
    token: String,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data: dir.path().join("data"),
            listen: "127.0.0.1:0".parse().unwrap(),
            workers: 2,
            ..Config::default()
        };
        let server = Background::spawn(config.clone()).unwrap();
        mosis_web::admin::create_user(&config, "alice", &[]).unwrap();
        let token = mosis_web::admin::create_token(
            &config,
            "alice",
            &["read".into(), "publish".into()],
            None,
        )
        .unwrap()
        .secret
        .expose()
        .to_owned();
        let setup = Self {
            dir,
            config,
            server,
            token,
        };
        setup
            .mosis()
            .args(["keygen", "--out"])
            .arg(setup.path("dev.key"))
            .assert()
            .success();
        setup
            .mosis()
            .args(["init", "--id", "com.example.weather", "--name", "Weather"])
            .arg(setup.path("app"))
            .assert()
            .success();
        setup
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `mosis` with this test's own config folder.
    fn mosis(&self) -> assert_cmd::Command {
        let mut cmd = mosis();
        cmd.env("XDG_CONFIG_HOME", self.path("config"));
        cmd
    }

    fn login(&self) {
        self.mosis()
            .args(["login", "--server", &self.server.url(), "--token-stdin"])
            .write_stdin(format!("{}\n", self.token))
            .assert()
            .success()
            .stderr(
                predicate::str::contains("logged in to").and(predicate::str::contains("as alice")),
            );
    }

    /// Logged in, with `dev.key` registered.
    fn login_with_key(&self) {
        self.login();
        self.mosis()
            .args(["keys", "register"])
            .arg(self.path("dev.key.pub"))
            .assert()
            .success();
    }

    fn set_version(&self, version: &str) {
        let path = self.path("app/manifest.json");
        let mut manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        manifest["version"] = version.into();
        std::fs::write(path, manifest.to_string()).unwrap();
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self
            .mosis()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_developer_logs_in_registers_a_key_publishes_and_sees_it_pending() {
    let s = Setup::new();
    s.login();
    let credentials = s.path("config/mosis/credentials.json");
    assert_eq!(mode(&credentials), 0o600, "credentials are private");
    assert!(
        std::fs::read_to_string(&credentials)
            .unwrap()
            .contains(&s.token)
    );

    s.mosis()
        .args(["keys", "register"])
        .arg(s.path("dev.key.pub"))
        .assert()
        .success()
        .stdout(predicate::str::is_match("^[0-9a-f]{16}\n$").unwrap());

    // A directory is packed with the key, then uploaded; piped, so no progress bar.
    s.mosis()
        .arg("publish")
        .arg(s.path("app"))
        .arg("--key")
        .arg(s.path("dev.key"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("uploaded com.example.weather 0.1.0")
                .and(predicate::str::contains("state: pending")),
        )
        .stderr(predicate::str::contains("uploading").not());

    // A packed file uploads as it is.
    s.set_version("0.2.0");
    s.mosis()
        .arg("pack")
        .arg(s.path("app"))
        .arg("--key")
        .arg(s.path("dev.key"))
        .arg("-o")
        .arg(s.path("w.mpk"))
        .assert()
        .success();
    let uploaded = s.json(&["publish", s.path("w.mpk").to_str().unwrap(), "--json"]);
    assert_eq!(uploaded["version"], "0.2.0");

    // `mosis status` follows the review: pending while the checks run, then in_review.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        let status = s.json(&["status", "com.example.weather", "--json"]);
        assert_eq!(status["app_id"], "com.example.weather");
        let states: Vec<(String, String)> = status["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["version"].as_str().unwrap().to_owned(),
                    v["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            states.iter().map(|(v, _)| v.as_str()).collect::<Vec<_>>(),
            ["0.2.0", "0.1.0"]
        );
        assert!(
            states
                .iter()
                .all(|(_, st)| st == "pending" || st == "in_review"),
            "{states:?}"
        );
        if states.iter().all(|(_, st)| st == "in_review") {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "still {states:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    s.mosis()
        .args(["status", "com.example.weather"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0.1.0").and(predicate::str::contains("in_review")));

    let apps = s.json(&["apps", "list", "--json"]);
    assert_eq!(apps[0]["app_id"], "com.example.weather");
    assert_eq!(apps[0]["latest_version"], "0.2.0");

    // The file really is stored where the layout says.
    let dev_id = status["owner_id"].as_i64().unwrap();
    assert!(
        s.config
            .data
            .join(format!(
                "packages/{dev_id}/com.example.weather/0.2.0/package.mpk"
            ))
            .is_file()
    );

    s.mosis().arg("logout").assert().success();
    assert!(!credentials.exists());
    s.mosis()
        .args(["status", "com.example.weather"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no server"));
}

#[test]
fn server_refusals_are_one_clear_line_and_exit_1() {
    let s = Setup::new();
    s.login();
    // Not registered yet: the key is unknown to the portal.
    s.mosis()
        .arg("publish")
        .arg(s.path("app"))
        .arg("--key")
        .arg(s.path("dev.key"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::is_match(
                "(?m)^error: the server refused: .*not registered.*\\(HTTP 422\\)$",
            )
            .unwrap(),
        );
    s.mosis()
        .args(["keys", "register"])
        .arg(s.path("dev.key.pub"))
        .assert()
        .success();
    s.mosis()
        .args(["keys", "register"])
        .arg(s.path("dev.key.pub"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("registered already"));
    s.mosis()
        .args(["keys", "register"])
        .arg(s.path("dev.key"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("private key"));
    s.mosis()
        .arg("publish")
        .arg(s.path("app"))
        .arg("--key")
        .arg(s.path("dev.key"))
        .assert()
        .success();
    s.mosis()
        .arg("publish")
        .arg(s.path("app"))
        .arg("--key")
        .arg(s.path("dev.key"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("uploaded already").and(predicate::str::contains("HTTP 409")),
        );
    s.mosis()
        .args(["status", "com.example.nothing"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("HTTP 404"));
    s.mosis()
        .args(["status", "Not An Id"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("APP_ID"));
}

#[test]
fn login_checks_the_token_and_the_server() {
    let s = Setup::new();
    s.mosis()
        .args(["login", "--server", &s.server.url(), "--token-stdin"])
        .write_stdin("mosis_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not valid").and(predicate::str::contains("HTTP 401")));
    assert!(
        !s.path("config/mosis/credentials.json").exists(),
        "a refused token is not stored"
    );
    s.mosis()
        .args(["login", "--server", "http://127.0.0.1:1", "--token-stdin"])
        .write_stdin(s.token.clone())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot reach http://127.0.0.1:1"));
    s.mosis()
        .args(["login", "--server", "ftp://x", "--token-stdin"])
        .write_stdin(s.token.clone())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid server URL"));
}

#[test]
fn the_server_comes_from_the_flag_then_the_environment_and_the_token_never_goes_elsewhere() {
    let s = Setup::new();
    s.login();
    // MOSIS_SERVER pointing elsewhere: the stored token is not sent there.
    s.mosis()
        .env("MOSIS_SERVER", "http://127.0.0.1:1")
        .args(["apps", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no token for http://127.0.0.1:1"));
    // MOSIS_TOKEN with --server works without a login (CI).
    s.mosis().arg("logout").assert().success();
    s.mosis()
        .env("MOSIS_TOKEN", &s.token)
        .args(["apps", "list", "--server", &s.server.url()])
        .assert()
        .success()
        .stdout(predicate::str::contains("no apps yet"));
}

/// A dashboard session cookie for `name`, as signing in would give (signed with the
/// portal's session key).
fn dashboard_session(config: &Config, name: &str) -> String {
    use mosis_storage::Accounts as _;
    let store = std::sync::Arc::new(
        mosis_storage::SqlitePortal::open(&config.data.join("portal.db")).unwrap(),
    );
    let account = store.account_by_name(name).unwrap();
    let key = mosis_domain::SigningKey::read_file(&config.data.join("keys/session.key")).unwrap();
    mosis_auth::Authenticator::new(
        store,
        std::sync::Arc::new(mosis_auth::SystemClock),
        mosis_auth::SessionSigner::new(&key).unwrap(),
    )
    .start_session(account.id, &mosis_storage::Origin::default())
    .unwrap()
    .0
}

/// Starts `mosis login --server URL` (no token) and returns it with the user code it shows.
fn start_device_login(s: &Setup) -> (std::process::Child, String, std::thread::JoinHandle<String>) {
    use std::io::{BufRead as _, BufReader};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mosis"))
        .args(["login", "--server", &s.server.url(), "--scope", "publish"])
        .env("XDG_CONFIG_HOME", s.path("config"))
        .env_remove("MOSIS_TOKEN")
        .env_remove("MOSIS_SERVER")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let code = loop {
        let line = lines
            .next()
            .expect("mosis ended before showing a code")
            .unwrap();
        seen.push_str(&line);
        seen.push('\n');
        let t = line.trim();
        if t.len() == 9
            && t.as_bytes()[4] == b'-'
            && t.chars().all(|c| c == '-' || c.is_ascii_uppercase())
        {
            break t.to_owned();
        }
    };
    assert!(seen.contains("/device"), "it says where to approve: {seen}");
    let rest = std::thread::spawn(move || {
        let mut text = seen;
        for line in lines {
            text.push_str(&line.unwrap());
            text.push('\n');
        }
        text
    });
    (child, code, rest)
}

/// Decides a device login through the dashboard, as the signed-in `name` would.
fn decide_in_dashboard(s: &Setup, name: &str, code: &str, decision: &str, scopes: &[&str]) {
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = format!("mosis_session={}", dashboard_session(&s.config, name));
    let page = http
        .get(format!(
            "{}/device?user_code={}",
            s.server.url(),
            code.to_lowercase()
        ))
        .header("Cookie", &cookie)
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().unwrap();
    assert!(body.contains("Only continue if you started this"), "{body}");
    let marker = "name=\"csrf-token\" content=\"";
    let at = body.find(marker).unwrap() + marker.len();
    let csrf = &body[at..at + body[at..].find('"').unwrap()];
    let mut form = vec![("_csrf", csrf), ("user_code", code), ("decision", decision)];
    form.extend(scopes.iter().map(|s| ("scope", *s)));
    let decided = http
        .post(format!("{}/device", s.server.url()))
        .header("Cookie", &cookie)
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(decided.status(), 200, "{}", decided.text().unwrap());
}

#[test]
fn login_without_a_token_is_a_device_login_approved_in_the_dashboard() {
    let s = Setup::new();
    let (mut child, code, output) = start_device_login(&s);
    decide_in_dashboard(&s, "alice", &code, "approve", &["read", "publish"]);
    let status = child.wait().unwrap();
    let output = output.join().unwrap();
    assert!(status.success(), "{output}");
    assert!(
        output.contains("logged in to") && output.contains("as alice"),
        "{output}"
    );
    let stored: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.path("config/mosis/credentials.json")).unwrap(),
    )
    .unwrap();
    assert!(stored["token"].as_str().unwrap().starts_with("mosis_"));
    // The stored token works for the networked commands.
    s.mosis().args(["apps", "list"]).assert().success();
}

#[test]
fn a_denied_device_login_says_so_and_stores_nothing() {
    let s = Setup::new();
    let (mut child, code, output) = start_device_login(&s);
    decide_in_dashboard(&s, "alice", &code, "deny", &[]);
    let status = child.wait().unwrap();
    let output = output.join().unwrap();
    assert!(!status.success());
    assert!(output.contains("denied"), "{output}");
    assert!(!s.path("config/mosis/credentials.json").exists());
}

#[test]
fn status_shows_why_the_review_rejected_a_version() {
    let s = Setup::new();
    s.login_with_key();
    // The header still says 256×256 (so it packs), but the image is cut off.
    let icon = std::fs::read(s.path("app/icon.png")).unwrap();
    std::fs::write(s.path("app/icon.png"), &icon[..icon.len() - 12]).unwrap();
    s.mosis()
        .arg("publish")
        .arg(s.path("app"))
        .arg("--key")
        .arg(s.path("dev.key"))
        .assert()
        .success()
        .stdout(predicate::str::contains("state: pending"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.json(&["status", "com.example.weather", "--json"])["versions"][0]["state"] != "rejected"
    {
        assert!(std::time::Instant::now() < deadline, "never rejected");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    s.mosis()
        .args(["status", "com.example.weather"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("rejected: 1 automated check finding(s) failed").and(
                predicate::str::contains(
                    "failed check: The icon decodes and fits: icon.png: corrupt PNG: no IEND chunk",
                ),
            ),
        );
}

#[test]
fn publish_asks_for_a_channel() {
    let s = Setup::new();
    s.login_with_key();
    s.mosis()
        .args(["publish", "--channel", "nightly"])
        .arg(s.path("app"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nightly").and(predicate::str::contains("beta")));
    s.mosis()
        .args(["publish", "--channel", "beta", "--key"])
        .arg(s.path("dev.key"))
        .arg(s.path("app"))
        .assert()
        .success()
        .stdout(predicate::str::contains("state: pending, asked for beta"));
    let status = s.json(&["status", "com.example.weather", "--json"]);
    assert_eq!(status["versions"][0]["requested_channel"], "beta");
}
