//! The real `portal-server` binary: first run, admin commands, signals, backups.
#![expect(
    clippy::unwrap_used,
    reason = "tests fail loudly on any unexpected error"
)]

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt as _;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

fn portal(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("portal-server").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("--data")
        .arg(data);
    cmd
}

/// Starts the server on a random port; returns it and its URL.
fn serve(data: &Path) -> (Child, String) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("portal-server"));
    cmd.env_clear()
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, url)
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap()
}

#[test]
fn a_fresh_run_creates_the_data_layout_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut child, url) = serve(&data);
    for part in ["portal.db", "telemetry.db", "packages", "backups", "keys"] {
        assert!(data.join(part).exists(), "{part} is created");
    }
    for key in ["root", "online", "session"] {
        assert_eq!(
            mode(&data.join(format!("keys/{key}.key"))),
            0o600,
            "{key}.key is private"
        );
    }
    assert_eq!(mode(&data.join("keys")), 0o700);
    let health = reqwest::blocking::get(format!("{url}/healthz")).unwrap();
    assert_eq!(health.status(), 200);
    let status = terminate(&mut child);
    assert!(status.success(), "{status}");
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(
        log.contains("path=/healthz") && log.contains("status=200"),
        "{log}"
    );
    assert!(log.contains("stopped"), "{log}");
    assert!(
        !data.join("portal.db-wal").exists()
            || std::fs::metadata(data.join("portal.db-wal")).unwrap().len() == 0,
        "the WAL is checkpointed at shutdown"
    );
}

#[test]
fn admin_commands_bootstrap_a_user_and_a_token_that_the_server_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    portal(&data)
        .args([
            "admin",
            "create-user",
            "--name",
            "alice",
            "--role",
            "reviewer",
            "--role",
            "developer",
        ])
        .assert()
        .success()
        .stdout(
            predicates::str::contains("created user alice")
                .and(predicates::str::contains("reviewer")),
        );
    portal(&data)
        .args(["admin", "create-user", "--name", "alice"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("exists already"));
    portal(&data)
        .args(["admin", "create-user", "--name", "bob", "--role", "owner"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("unknown role `owner`"));

    let (mut child, url) = serve(&data);
    // `--data` after the subcommand works too, and the server may be running.
    let out = Command::cargo_bin("portal-server")
        .unwrap()
        .args([
            "admin",
            "create-token",
            "--user",
            "alice",
            "--scope",
            "read",
            "--scope",
            "review",
            "--expires-days",
            "30",
            "--data",
        ])
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let token = out.lines().last().unwrap();
    assert!(
        token.starts_with("mosis_") && !token.contains(' '),
        "the token is alone on the last line: {out}"
    );
    let me: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{url}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(me["account"]["name"], "alice");
    assert_eq!(me["scopes"], serde_json::json!(["read", "review"]));
    portal(&data)
        .args([
            "admin",
            "create-token",
            "--user",
            "nobody",
            "--scope",
            "read",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no user named nobody"));
    portal(&data)
        .args([
            "admin",
            "create-token",
            "--user",
            "alice",
            "--scope",
            "write",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("unknown scope `write`"));
    assert!(terminate(&mut child).success());

    let root = portal(&data)
        .args(["admin", "trust-root"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(root).unwrap(),
        std::fs::read_to_string(data.join("keys/root.key.pub")).unwrap()
    );
}

#[test]
fn settings_come_from_the_config_file_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("from-env");
    let config = dir.path().join("portal.toml");
    std::fs::write(&config, "backup_keep = 2\nlog_format = \"json\"\n").unwrap();
    let mut cmd = Command::cargo_bin("portal-server").unwrap();
    cmd.env_clear()
        .env("MOSIS_DATA", &data)
        .args(["backup", "--config"])
        .arg(&config);
    cmd.assert()
        .success()
        .stdout(predicates::str::contains("backed up to"));
    assert!(
        data.join("portal.db").exists(),
        "MOSIS_DATA chose the data dir"
    );
    std::fs::write(&config, "listen = 5\n").unwrap();
    Command::cargo_bin("portal-server")
        .unwrap()
        .env_clear()
        .args(["backup", "--config"])
        .arg(&config)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("portal.toml"));
}

#[test]
fn backup_and_restore_bring_back_the_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    portal(&data)
        .args(["admin", "create-user", "--name", "alice"])
        .assert()
        .success();
    let out = portal(&data)
        .arg("backup")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let backup = String::from_utf8(out)
        .unwrap()
        .trim()
        .strip_prefix("backed up to ")
        .unwrap()
        .to_owned();
    portal(&data)
        .args(["admin", "create-user", "--name", "bob"])
        .assert()
        .success();
    portal(&data)
        .arg("restore")
        .arg(&backup)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "restored portal.db, telemetry.db",
        ));
    portal(&data)
        .args(["admin", "create-user", "--name", "bob"])
        .assert()
        .success();
    portal(&data)
        .args(["admin", "create-user", "--name", "alice"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("exists already"));
    portal(&data)
        .args(["restore", "/nonexistent/backup"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("does not exist"));
}

/// The last line of a command's stdout (where admin commands print what scripts need).
fn last_line(output: &[u8]) -> String {
    String::from_utf8_lossy(output)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned()
}

/// The stable index from a running server, verified against `root` as a device would.
fn verified_index(
    url: &str,
    root: &mosis_domain::PublicKey,
) -> (mosis_domain::IndexDocument, mosis_domain::VerifiedIndex) {
    let client = mosis_client::Client::new(url, None).unwrap();
    let doc = client.index(mosis_domain::Channel::Stable).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let check = mosis_domain::IndexCheck {
        channel: mosis_domain::Channel::Stable,
        last_serial: None,
        now,
    };
    let verified = mosis_domain::verify_index(&doc, root, check).unwrap();
    (doc, verified)
}

#[test]
fn rotating_the_online_key_leaves_devices_working() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (name, role) in [("alice", "developer"), ("rita", "reviewer")] {
        portal(&data)
            .args(["admin", "create-user", "--name", name, "--role", role])
            .assert()
            .success();
    }
    let token = |user: &str, scopes: &[&str]| {
        let mut cmd = portal(&data);
        cmd.args(["admin", "create-token", "--user", user]);
        for s in scopes {
            cmd.args(["--scope", s]);
        }
        last_line(&cmd.assert().success().get_output().stdout)
    };
    let (alice, rita) = (
        token("alice", &["publish"]),
        token("rita", &["read", "review"]),
    );
    let root_text = last_line(
        &portal(&data)
            .args(["admin", "trust-root"])
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    let root = mosis_domain::PublicKey::from_file_text(&root_text).unwrap();

    // A published release, signed by the first online key.
    let (mut child, url) = serve(&data);
    let key = mosis_domain::SigningKey::from_seed([4; 32]).unwrap();
    let developer = mosis_client::Client::new(&url, Some(alice)).unwrap();
    developer
        .add_key(&mosis_client::wire::NewKey {
            public_key: key.public_key().to_file_text(),
            label: None,
        })
        .unwrap();
    let project = dir.path().join("app");
    mosis_domain::init_project(
        &project,
        &mosis_domain::AppId::parse("com.example.rot").unwrap(),
        "Rot",
    )
    .unwrap();
    let package = dir.path().join("rot.mpk");
    mosis_domain::pack_to_file(&project, &key, &package).unwrap();
    let len = std::fs::metadata(&package).unwrap().len();
    developer
        .upload(
            "com.example.rot",
            std::fs::File::open(&package).unwrap(),
            len,
        )
        .unwrap();
    let reviewer = mosis_client::Client::new(&url, Some(rita)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while developer.version("com.example.rot", "0.1.0").unwrap().state != "in_review" {
        assert!(
            std::time::Instant::now() < deadline,
            "the review never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    reviewer
        .approve("com.example.rot", "0.1.0", "stable")
        .unwrap();
    let (before, verified_before) = verified_index(&url, &root);
    assert!(terminate(&mut child).success());

    portal(&data)
        .args(["admin", "rotate-online-key"])
        .assert()
        .success()
        .stdout(predicates::str::contains("rotated the online key"));

    // After a restart the index is signed by the new key; the release statement signed
    // by the old one still verifies, with the same trust root.
    let (mut child, url) = serve(&data);
    let (after, verified_after) = verified_index(&url, &root);
    assert_ne!(
        before.index.signatures[0].key_id,
        after.index.signatures[0].key_id
    );
    assert_eq!(verified_after.online_keys.keys.len(), 2);
    assert_eq!(verified_after.releases, verified_before.releases);
    assert!(after.serial >= before.serial);
    assert!(terminate(&mut child).success());
}
