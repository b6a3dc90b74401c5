//! Each check with a package that passes it and one that fails it, through the pipeline
//! on real stored packages; and the report of a rejected package, snapshot-tested.

use crate::support::{NOW, fixture};
use mosis_domain::{InvalidPackage, Limits, Problem, Sha256, SigningKey};
use mosis_review::{Check, DenyList, PermissionsCheck, Report, Reviewed, Status, Subject, Verdict};
use mosis_storage::{Accounts, SigningKeys};

/// The findings of check `id`.
fn of<'a>(reviewed: &'a Reviewed, id: &str) -> Vec<&'a mosis_review::CheckResult> {
    reviewed
        .report
        .checks
        .iter()
        .filter(|c| c.check == id)
        .collect()
}

/// Asserts that check `id` has a finding with `status` whose message contains `needle`
/// (and, when given, is about `path`).
fn check(reviewed: &Reviewed, id: &str, status: Status, needle: &str, path: Option<&str>) {
    let findings = of(reviewed, id);
    assert!(
        findings.iter().any(|f| f.status == status
            && f.message.contains(needle)
            && (path.is_none() || f.path.as_deref() == path)),
        "{id}: no {status:?} finding with {needle:?} at {path:?} in {findings:#?}"
    );
}

fn passed_all(reviewed: &Reviewed) {
    let failed: Vec<_> = reviewed.report.failures().collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(reviewed.report.verdict, Verdict::Passed);
}

#[test]
fn a_good_package_passes_every_check_and_each_says_what_it_checked() {
    let f = fixture();
    let v = f.upload(&f.pack("com.example.weather", "1.0.0"));
    let r = f.review(&v, DenyList::default());
    passed_all(&r);
    check(&r, "package", Status::Passed, "intact: 3 files", None);
    check(&r, "limits", Status::Passed, "bytes of the", None);
    check(
        &r,
        "ownership",
        Status::Passed,
        "registered to the uploader",
        None,
    );
    check(&r, "version", Status::Passed, "first version", None);
    check(
        &r,
        "signing_key",
        Status::Passed,
        "(laptop), registered to the owner",
        None,
    );
    check(
        &r,
        "icon",
        Status::Passed,
        "256×256 px PNG",
        Some("icon.png"),
    );
    check(&r, "permissions", Status::Passed, "", Some("manifest.json"));
    check(
        &r,
        "deny_list",
        Status::Passed,
        "3 file(s) checked against 0",
        None,
    );
    assert!(r.icon_sha256.is_some());
    assert!(
        r.report.changes.is_none(),
        "a first release has nothing to compare with"
    );
}

#[test]
fn a_tampered_package_fails_the_package_check_naming_the_file() {
    let f = fixture();
    let path = f.pack("com.example.weather", "1.0.0");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(4).position(|w| w == b"IDAT").unwrap() + 8;
    bytes[at] ^= 0x55;
    let v = f.upload_bytes(&path, &bytes, f.owner);
    let r = f.review(&v, DenyList::default());
    assert_eq!(r.report.verdict, Verdict::Failed);
    let failure = of(&r, "package")
        .into_iter()
        .find(|c| c.status == Status::Failed)
        .unwrap();
    assert_eq!(
        (failure.path.as_deref(), failure.code.as_deref()),
        (Some("icon.png"), Some("hash_mismatch"))
    );
    check(&r, "deny_list", Status::Warning, "not checked", None);
}

#[test]
fn limits_fail_a_package_over_them() {
    let f = fixture();
    let v = f.upload(&f.pack_with("com.example.weather", "1.0.0", &f.key, |dir| {
        std::fs::write(dir.join("data.bin"), vec![7u8; 300_000]).unwrap();
    }));
    let tight = Limits {
        max_total_uncompressed_bytes: 100_000,
        ..Limits::default()
    };
    let r = f.review_with(&v, tight, DenyList::default());
    check(&r, "limits", Status::Failed, "the limit is 100000", None);
    assert_eq!(
        of(&r, "limits")[0].code.as_deref(),
        Some("total_size_too_large")
    );
    let r = f.review(&v, DenyList::default());
    check(
        &r,
        "limits",
        Status::Passed,
        "301592 bytes uncompressed",
        None,
    );
}

#[test]
fn ownership_fails_when_someone_else_uploaded_to_the_app() {
    let f = fixture();
    f.upload(&f.pack("com.example.weather", "1.0.0"));
    let mallory = f.store.create_account("mallory", None, NOW).unwrap().id;
    let v = f.upload_bytes(
        &f.pack("com.example.weather", "1.1.0"),
        &std::fs::read(f.pack("com.example.weather", "1.1.0")).unwrap(),
        mallory,
    );
    let r = f.review(&v, DenyList::default());
    check(&r, "ownership", Status::Failed, "but account", None);
}

#[test]
fn version_fails_unless_newer_than_every_earlier_upload() {
    let f = fixture();
    let first = f.upload(&f.pack("com.example.weather", "1.0.0"));
    let second = f.upload(&f.pack("com.example.weather", "1.1.0"));
    check(
        &f.review(&second, DenyList::default()),
        "version",
        Status::Passed,
        "greater than 1.0.0",
        None,
    );
    // A later upload does not spoil an earlier one's review…
    check(
        &f.review(&first, DenyList::default()),
        "version",
        Status::Passed,
        "first version",
        None,
    );
    // …but an upload not newer than what came before fails (the server refuses those at
    // upload; the check holds the line should one slip through).
    let stale = f.upload(&f.pack("com.example.weather", "1.0.5"));
    let r = f.review(&stale, DenyList::default());
    check(
        &r,
        "version",
        Status::Failed,
        "1.0.5 is not greater than 1.1.0",
        None,
    );
}

#[test]
fn the_signing_key_must_be_the_owners_registered_and_unrevoked() {
    let f = fixture();
    let v = f.upload(&f.pack("com.example.weather", "1.0.0"));
    f.store.revoke_key(f.owner, f.key.key_id(), NOW).unwrap();
    let r = f.review(&v, DenyList::default());
    check(
        &r,
        "signing_key",
        Status::Failed,
        "which the owner revoked",
        Some("META/signature.json"),
    );

    // A key registered to someone else does not sign the owner's packages.
    let bob = f.store.create_account("bob", None, NOW).unwrap().id;
    let stranger = SigningKey::from_seed([99; 32]).unwrap();
    f.store
        .add_key(bob, &stranger.public_key(), "", NOW)
        .unwrap();
    let v = f.upload(&f.pack_with("com.example.other", "1.0.0", &stranger, |_| {}));
    let r = f.review(&v, DenyList::default());
    check(
        &r,
        "signing_key",
        Status::Failed,
        "not registered to the app's owner",
        None,
    );
}

#[test]
fn an_icon_that_does_not_decode_fails_with_its_path() {
    let f = fixture();
    let v = f.upload(&f.pack_with("com.example.weather", "1.0.0", &f.key, |dir| {
        let icon = std::fs::read(dir.join("icon.png")).unwrap();
        // The header still says 256×256 (packing accepts it); the image ends early.
        std::fs::write(dir.join("icon.png"), &icon[..icon.len() - 12]).unwrap();
    }));
    let r = f.review(&v, DenyList::default());
    check(
        &r,
        "icon",
        Status::Failed,
        "no IEND chunk",
        Some("icon.png"),
    );
    assert_eq!(r.report.verdict, Verdict::Failed);
}

#[test]
fn permissions_are_listed_sensitive_ones_flagged_and_unknown_ones_fail() {
    let f = fixture();
    let v = f.upload(&f.pack_with("com.example.weather", "1.0.0", &f.key, |dir| {
        let path = dir.join("manifest.json");
        let mut m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        m["permissions"] = serde_json::json!(["network", "camera"]);
        std::fs::write(&path, m.to_string()).unwrap();
    }));
    let r = f.review(&v, DenyList::default());
    check(
        &r,
        "permissions",
        Status::Passed,
        "every permission is known: network, camera",
        None,
    );
    check(
        &r,
        "permissions",
        Status::Warning,
        "sensitive permission(s) camera",
        None,
    );
    assert_eq!(
        r.report.verdict,
        Verdict::Passed,
        "a warning does not reject"
    );

    // An unknown permission never makes it into a verified package; the check reports the
    // manifest's problem when the package is refused.
    let app = mosis_storage::Apps::app(&*f.store, &v.app_id).unwrap();
    let refused: Result<mosis_domain::VerifiedPackage, InvalidPackage> = Err(InvalidPackage {
        problems: vec![Problem::field(
            "permissions",
            "unknown permission `teleport`",
        )],
        ..InvalidPackage::default()
    });
    let subject = Subject {
        version: &v,
        app: &app,
        package: &refused,
        package_size: 1,
        icon: None,
        owner_keys: &[],
        versions: &[],
        limits: &Limits::default(),
        deny_list: &DenyList::default(),
    };
    let findings = PermissionsCheck.run(&subject);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].status, Status::Failed);
    assert!(findings[0].message.contains("teleport"), "{findings:?}");
}

#[test]
fn a_file_on_the_deny_list_fails_with_its_path_and_the_operators_note() {
    let f = fixture();
    let v = f.upload(&f.pack_with("com.example.weather", "1.0.0", &f.key, |dir| {
        std::fs::write(dir.join("payload.bin"), b"known dropper bytes").unwrap();
    }));
    let deny = DenyList::parse(&format!(
        "{}  # dropper v2\n",
        Sha256::of(b"known dropper bytes")
    ))
    .unwrap();
    let r = f.review(&v, deny);
    check(
        &r,
        "deny_list",
        Status::Failed,
        "known-bad file (dropper v2)",
        Some("payload.bin"),
    );
    assert_eq!(r.report.verdict, Verdict::Failed);
    assert!(
        r.report
            .rejection_summary()
            .unwrap()
            .contains("payload.bin")
    );
}

/// The report of a rejected package, compared with `tests/snapshots/report_rejected.json`
/// (run with `UPDATE_SNAPSHOTS=1` to accept a deliberate change, then review the diff).
#[test]
fn the_report_of_a_rejected_package_is_stable() {
    let f = fixture();
    let v = f.upload(&f.pack_with("com.example.weather", "1.0.0", &f.key, |dir| {
        std::fs::write(dir.join("payload.bin"), b"known dropper bytes").unwrap();
        let icon = std::fs::read(dir.join("icon.png")).unwrap();
        std::fs::write(dir.join("icon.png"), &icon[..icon.len() - 12]).unwrap();
    }));
    let deny = DenyList::parse(&format!(
        "{}  # dropper v2\n",
        Sha256::of(b"known dropper bytes")
    ))
    .unwrap();
    let report: Report = f.review(&v, deny).report;
    let actual = serde_json::to_string_pretty(&report).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/report_rejected.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "the report differs from {}; rerun with UPDATE_SNAPSHOTS=1 if intended",
        path.display()
    );
    // And it reads back as the same report (the stored JSON is the contract).
    assert_eq!(serde_json::from_str::<Report>(&actual).unwrap(), report);
}
