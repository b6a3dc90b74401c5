//! Verifying an unpacked app directory against its signed file list.

use crate::pack::write_project;
use crate::support::*;
use mosis_domain::{FileList, ProblemCode, verify_directory};

fn list() -> FileList {
    FileList::parse(&list_bytes(&app_files())).unwrap()
}

fn check(edit: impl FnOnce(&std::path::Path), expected: &[(ProblemCode, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), &app_files());
    std::fs::create_dir(dir.path().join("META")).unwrap();
    std::fs::write(dir.path().join("META/files.json"), list_bytes(&app_files())).unwrap();
    edit(dir.path());
    let problems = verify_directory(dir.path(), &list()).unwrap();
    let got: Vec<(ProblemCode, &str)> = problems
        .iter()
        .map(|p| (p.code, p.path.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(got, expected, "{problems:#?}");
}

#[test]
fn an_intact_directory_has_no_problems() {
    check(|_| {}, &[]);
}

#[test]
fn tampered_missing_and_extra_files_are_each_reported() {
    check(
        |d| {
            std::fs::write(d.join("main.js"), b"export function mein() {}\n").unwrap();
            std::fs::remove_file(d.join("icon.png")).unwrap();
            std::fs::write(d.join("assets/extra.js"), b"evil()").unwrap();
            std::fs::write(d.join("manifest.json"), b"{}").unwrap();
        },
        &[
            (ProblemCode::UnlistedFile, "assets/extra.js"),
            (ProblemCode::MissingFile, "icon.png"),
            (ProblemCode::HashMismatch, "main.js"),
            (ProblemCode::SizeMismatch, "manifest.json"),
        ],
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_is_reported() {
    check(
        |d| {
            std::fs::remove_file(d.join("main.js")).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", d.join("main.js")).unwrap();
        },
        &[
            (ProblemCode::Symlink, "main.js"),
            (ProblemCode::MissingFile, "main.js"),
        ],
    );
}
