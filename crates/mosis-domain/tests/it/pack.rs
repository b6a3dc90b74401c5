//! The writer: deterministic output, and refusal of projects that break rules.

use crate::support::*;
use mosis_domain::{Limits, PackError, ProblemCode, pack_directory, pack_to_file, verify_package};
use std::io::Cursor;
use std::path::Path;

pub fn write_project(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (path, content) in files {
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, content).unwrap();
    }
}

fn pack_bytes(dir: &Path) -> Vec<u8> {
    pack_directory(dir, &test_key(), Cursor::new(Vec::new()))
        .unwrap()
        .1
        .into_inner()
}

fn refused(dir: &Path) -> Vec<(ProblemCode, Option<String>)> {
    match pack_directory(dir, &test_key(), Cursor::new(Vec::new())) {
        Err(PackError::Refused(problems)) => {
            problems.into_iter().map(|p| (p.code, p.path)).collect()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn packing_is_deterministic_and_verifies() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    write_project(a.path(), &app_files());
    // The same files written in another order, with other timestamps.
    let mut files = app_files();
    files.reverse();
    write_project(b.path(), &files);
    let first = pack_bytes(a.path());
    assert_eq!(first, pack_bytes(a.path()));
    assert_eq!(first, pack_bytes(b.path()));
    let verified = verify_package(Cursor::new(&first), &Limits::default()).unwrap();
    assert_eq!(verified.manifest().id.as_str(), APP_ID);
    assert_eq!(verified.key_id(), test_key().key_id());
    let paths: Vec<&str> = verified
        .file_list()
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["assets/strings.txt", "icon.png", "main.js", "manifest.json"]
    );
}

#[test]
fn pack_to_file_is_atomic_and_skips_its_own_output() {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), &app_files());
    let out = dir.path().join("app.mpk");
    let summary = pack_to_file(dir.path(), &test_key(), &out).unwrap();
    assert_eq!(summary.files, 4);
    // Packing again into the same place must not pack the previous package.
    let again = pack_to_file(dir.path(), &test_key(), &out).unwrap();
    assert_eq!(again.files, 4);
    assert_eq!(again.package_bytes, std::fs::metadata(&out).unwrap().len());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".mosis-pack-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A refused pack leaves the earlier package untouched.
    std::fs::write(dir.path().join("manifest.json"), b"{}").unwrap();
    let before = std::fs::read(&out).unwrap();
    assert!(matches!(
        pack_to_file(dir.path(), &test_key(), &out),
        Err(PackError::Refused(_))
    ));
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

#[test]
fn clutter_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = app_files();
    files.push((".git/HEAD".into(), b"ref: refs/heads/main\n".to_vec()));
    files.push((".DS_Store".into(), b"junk".to_vec()));
    write_project(dir.path(), &files);
    let verified = verify_package(Cursor::new(pack_bytes(dir.path())), &Limits::default()).unwrap();
    assert_eq!(verified.file_list().files.len(), 4);
}

#[test]
fn every_project_problem_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = app_files();
    files[0].1 = String::from_utf8(manifest_json())
        .unwrap()
        .replace("main.js", "app.js")
        .into_bytes();
    files[1].1 = b"not a png".to_vec();
    files.push(("META/keep.txt".into(), b"x".to_vec()));
    files.push(("Assets/Strings.txt".into(), b"x".to_vec()));
    write_project(dir.path(), &files);
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("passwd")).unwrap();
    let mut problems = refused(dir.path());
    problems.sort();
    let mut expected = vec![
        (
            ProblemCode::CaseInsensitiveDuplicate,
            Some("assets/strings.txt".to_owned()),
        ),
        (ProblemCode::ReservedPath, Some("META/keep.txt".to_owned())),
        (
            ProblemCode::InvalidManifest,
            Some("manifest.json".to_owned()),
        ),
        (ProblemCode::InvalidIcon, Some("icon.png".to_owned())),
    ];
    #[cfg(unix)]
    expected.push((ProblemCode::Symlink, Some("passwd".to_owned())));
    expected.sort();
    assert_eq!(problems, expected);
}

#[test]
fn a_project_without_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), &app_files()[1..]);
    assert_eq!(
        refused(dir.path()),
        [(
            ProblemCode::MissingManifest,
            Some("manifest.json".to_owned())
        )]
    );
}

#[test]
fn a_missing_directory_is_an_error_not_a_refusal() {
    let err = pack_directory(
        Path::new("/nonexistent/project"),
        &test_key(),
        Cursor::new(Vec::new()),
    )
    .unwrap_err();
    assert!(matches!(err, PackError::Failed(_)), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/project"), "{err}");
}

#[test]
fn incompressible_files_are_stored_and_text_is_deflated() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = app_files();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    files.push(("noise.bin".into(), noise));
    write_project(dir.path(), &files);
    let bytes = pack_bytes(dir.path());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let method =
        |archive: &mut zip::ZipArchive<_>, name: &str| archive.by_name(name).unwrap().compression();
    assert_eq!(
        method(&mut archive, "noise.bin"),
        zip::CompressionMethod::Stored
    );
    assert_eq!(
        method(&mut archive, "icon.png"),
        zip::CompressionMethod::Stored
    );
    assert_eq!(
        method(&mut archive, "assets/strings.txt"),
        zip::CompressionMethod::Deflated
    );
}
