//! The malformed-package corpus: one crafted archive per rule, each refused with its own
//! code, within a few MB of memory and well under a second.

use crate::alloc::peak_bytes;
use crate::support::*;
use mosis_domain::{Limits, ProblemCode, SignatureBlock, verify_package};
use std::io::Cursor;
use std::time::{Duration, Instant};

const MAX_PEAK_BYTES: usize = 8 * 1024 * 1024;
const MAX_TIME: Duration = Duration::from_secs(1);

/// Verifies `bytes` and checks that exactly `expected` problem codes come back (in order),
/// within the memory and time bounds.
fn check_with(bytes: Vec<u8>, limits: &Limits, expected: &[ProblemCode]) {
    let started = Instant::now();
    let (result, peak) = peak_bytes(|| verify_package(Cursor::new(&bytes), limits));
    let elapsed = started.elapsed();
    let problems = match result {
        Ok(_) => panic!("accepted, expected {expected:?}"),
        Err(invalid) => invalid.problems,
    };
    let codes: Vec<ProblemCode> = problems.iter().map(|p| p.code).collect();
    assert_eq!(codes, expected, "{problems:#?}");
    for p in &problems {
        assert!(!p.message.is_empty());
    }
    assert!(
        peak < MAX_PEAK_BYTES,
        "allocated {peak} bytes at peak for {expected:?}"
    );
    assert!(elapsed < MAX_TIME, "took {elapsed:?} for {expected:?}");
}

fn check(bytes: Vec<u8>, expected: &[ProblemCode]) {
    check_with(bytes, &Limits::default(), expected);
}

/// The valid app's entries plus `extra` (unlisted unless the case lists it).
fn with_extra(extra: RawEntry) -> Vec<u8> {
    let files = app_files();
    let mut entries = signed_entries(&files, &files, &test_key());
    entries.insert(0, extra);
    build_zip(&entries)
}

/// The valid app's entries after `edit`.
fn edited(edit: impl FnOnce(&mut Vec<RawEntry>)) -> Vec<u8> {
    let files = app_files();
    let mut entries = signed_entries(&files, &files, &test_key());
    edit(&mut entries);
    build_zip(&entries)
}

fn entry<'a>(entries: &'a mut [RawEntry], name: &str) -> &'a mut RawEntry {
    entries
        .iter_mut()
        .find(|e| e.name == name.as_bytes())
        .unwrap()
}

#[test]
fn the_baseline_is_valid() {
    let package = valid_package();
    let (result, peak) = peak_bytes(|| verify_package(Cursor::new(&package), &Limits::default()));
    let verified = result.unwrap();
    assert_eq!(verified.manifest().id.as_str(), APP_ID);
    assert_eq!(verified.key_id(), test_key().key_id());
    assert_eq!(verified.file_list().files.len(), 4);
    assert!(peak < MAX_PEAK_BYTES, "{peak}");
}

#[test]
fn path_traversal() {
    check(
        with_extra(RawEntry::stored("../evil.sh", b"x")),
        &[ProblemCode::PathTraversal],
    );
    check(
        with_extra(RawEntry::stored("assets/../../evil.sh", b"x")),
        &[ProblemCode::PathTraversal],
    );
}

#[test]
fn absolute_path() {
    check(
        with_extra(RawEntry::stored("/etc/passwd", b"x")),
        &[ProblemCode::AbsolutePath],
    );
}

#[test]
fn backslash() {
    check(
        with_extra(RawEntry::stored("..\\evil.sh", b"x")),
        &[ProblemCode::Backslash],
    );
}

#[test]
fn drive_letter() {
    check(
        with_extra(RawEntry::stored("C:/evil.sh", b"x")),
        &[ProblemCode::DriveLetter],
    );
}

#[test]
fn non_utf8_name() {
    check(
        with_extra(RawEntry::stored("x", b"x").renamed(b"caf\xe9.txt")),
        &[ProblemCode::InvalidPath],
    );
}

#[test]
fn duplicate_names() {
    check(
        with_extra(RawEntry::stored("main.js", b"other")),
        &[ProblemCode::DuplicateEntry],
    );
}

#[test]
fn case_insensitive_duplicate() {
    let files = app_files();
    let mut entries = signed_entries(&files, &files, &test_key());
    entries.push(RawEntry::stored("MAIN.JS", b"x"));
    check(
        build_zip(&entries),
        &[ProblemCode::CaseInsensitiveDuplicate],
    );
    // NFC vs NFD spellings of the same name.
    let mut entries = signed_entries(&files, &files, &test_key());
    entries.push(RawEntry::stored("caf\u{e9}.txt", b"x"));
    entries.push(RawEntry::stored("cafe\u{301}.txt", b"x"));
    check(
        build_zip(&entries),
        &[
            ProblemCode::CaseInsensitiveDuplicate,
            ProblemCode::UnlistedFile,
        ],
    );
}

#[test]
fn symlink() {
    let mut link = RawEntry::stored("link", b"/etc/passwd");
    link.external_attr = 0o120777 << 16;
    check(with_extra(link), &[ProblemCode::Symlink]);
}

#[test]
fn directory_entry() {
    check(
        with_extra(RawEntry::stored("assets/", b"")),
        &[ProblemCode::DirectoryEntry],
    );
}

#[test]
fn encrypted_entry() {
    check(
        edited(|e| entry(e, "main.js").flags |= 1),
        &[ProblemCode::Encrypted],
    );
}

#[test]
fn unsupported_compression() {
    check(
        edited(|e| entry(e, "main.js").method = 12),
        &[ProblemCode::UnsupportedCompression],
    );
}

#[test]
fn zip_bomb_by_declared_ratio() {
    let zeros = vec![0u8; 64 * 1024 * 1024];
    check(
        with_extra(RawEntry::deflated("bomb.bin", &zeros)),
        &[ProblemCode::CompressionRatioTooHigh],
    );
}

#[test]
fn zip_bomb_that_lies_about_its_size() {
    // Declares 1000 bytes (no ratio alarm) but inflates to 64 MiB: reading stops at 1000.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let mut files = app_files();
    files.push(("bomb.bin".into(), vec![0u8; 1000]));
    let mut entries = signed_entries(&files, &files, &test_key());
    let bomb = entry(&mut entries, "bomb.bin");
    bomb.data = deflate(&zeros);
    check(build_zip(&entries), &[ProblemCode::SizeMismatch]);
}

#[test]
fn bomb_of_many_entries_over_the_total_limit() {
    let limits = Limits {
        max_total_uncompressed_bytes: 10_000,
        ..Limits::default()
    };
    let mut entries = Vec::new();
    for i in 0..20 {
        entries.push(RawEntry::deflated(&format!("f{i}.bin"), &[0u8; 1000]));
    }
    check_with(
        build_zip(&entries),
        &limits,
        &[ProblemCode::TotalSizeTooLarge],
    );
}

#[test]
fn too_many_entries() {
    let limits = Limits {
        max_entries: 5,
        ..Limits::default()
    };
    check_with(valid_package(), &limits, &[ProblemCode::TooManyEntries]);
    // With the default limits, an archive declaring 65535 entries is refused from its end record.
    let mut bytes = build_zip(&[RawEntry::stored("a", b"a")]);
    let n = bytes.len();
    bytes[n - 12..n - 10].copy_from_slice(&0xfffeu16.to_le_bytes());
    bytes[n - 14..n - 12].copy_from_slice(&0xfffeu16.to_le_bytes());
    check(bytes, &[ProblemCode::TooManyEntries]);
}

#[test]
fn package_too_large() {
    let limits = Limits {
        max_package_bytes: 1000,
        ..Limits::default()
    };
    check_with(valid_package(), &limits, &[ProblemCode::PackageTooLarge]);
}

#[test]
fn not_a_zip() {
    check(
        b"this is not a zip archive".to_vec(),
        &[ProblemCode::NotAZip],
    );
    check(Vec::new(), &[ProblemCode::NotAZip]);
    let mut truncated = valid_package();
    truncated.truncate(truncated.len() / 2);
    check(truncated, &[ProblemCode::NotAZip]);
}

#[test]
fn inconsistent_local_and_central_names() {
    check(
        edited(|e| entry(e, "main.js").local_name = b"evil.js".to_vec()),
        &[ProblemCode::InconsistentHeaders],
    );
}

#[test]
fn unlisted_entry() {
    check(
        with_extra(RawEntry::stored("extra.txt", b"sneaky")),
        &[ProblemCode::UnlistedFile],
    );
}

#[test]
fn listed_file_missing() {
    let files = app_files();
    let mut listed = files.clone();
    listed.push(("gone.txt".into(), b"gone".to_vec()));
    check(
        build_zip(&signed_entries(&files, &listed, &test_key())),
        &[ProblemCode::MissingFile],
    );
}

#[test]
fn tampered_byte() {
    let files = app_files();
    let mut tampered = files.clone();
    tampered[2].1[0] ^= 0x20;
    check(
        build_zip(&signed_entries(&tampered, &files, &test_key())),
        &[ProblemCode::HashMismatch],
    );
}

#[test]
fn size_differs_from_the_list() {
    let files = app_files();
    let mut longer = files.clone();
    longer[2].1.push(b'\n');
    check(
        build_zip(&signed_entries(&longer, &files, &test_key())),
        &[ProblemCode::SizeMismatch],
    );
}

#[test]
fn stored_entry_with_inconsistent_sizes() {
    // Deflated bytes relabelled as stored: the declared size no longer matches the data.
    check(
        edited(|e| entry(e, "main.js").method = 0),
        &[ProblemCode::SizeMismatch],
    );
    check(
        edited(|e| entry(e, "META/files.json").method = 0),
        &[ProblemCode::SizeMismatch],
    );
}

#[test]
fn corrupt_deflate_stream() {
    check(
        edited(|e| {
            let m = entry(e, "main.js");
            m.data = vec![0xff; m.data.len()];
        }),
        &[ProblemCode::CorruptEntry],
    );
}

fn resign(edit: impl FnOnce(&mut SignatureBlock)) -> Vec<u8> {
    edited(|entries| {
        let list = list_bytes(&app_files());
        let mut block = SignatureBlock::sign(&test_key(), &list);
        edit(&mut block);
        *entry(entries, "META/signature.json") =
            RawEntry::deflated("META/signature.json", &block.to_bytes());
    })
}

#[test]
fn wrong_signature() {
    // A signature by another key, presented under the first key.
    let other = SignatureBlock::sign(&other_key(), &list_bytes(&app_files()));
    check(
        resign(|b| b.signature = other.signature.clone()),
        &[ProblemCode::BadSignature],
    );
    // The files list changed after signing (here: one byte of whitespace).
    check(
        edited(|e| {
            let mut list = list_bytes(&app_files());
            list.push(b' ');
            *entry(e, "META/files.json") = RawEntry::deflated("META/files.json", &list);
        }),
        &[ProblemCode::BadSignature],
    );
}

#[test]
fn key_id_that_is_not_the_keys() {
    check(
        resign(|b| b.key_id = other_key().key_id()),
        &[ProblemCode::KeyIdMismatch],
    );
}

#[test]
fn unknown_signature_algorithm() {
    check(
        resign(|b| b.alg = "rsa".into()),
        &[ProblemCode::InvalidSignatureBlock],
    );
}

#[test]
fn missing_signature() {
    check(
        edited(|e| e.retain(|x| x.name != b"META/signature.json")),
        &[ProblemCode::MissingSignature],
    );
}

#[test]
fn missing_file_list() {
    check(
        edited(|e| e.retain(|x| x.name != b"META/files.json")),
        &[ProblemCode::MissingFileList],
    );
}

#[test]
fn unknown_file_list_format() {
    let files = app_files();
    let list = String::from_utf8(list_bytes(&files))
        .unwrap()
        .replace("\"format\": 1", "\"format\": 2");
    let sig = SignatureBlock::sign(&test_key(), list.as_bytes()).to_bytes();
    let mut entries: Vec<RawEntry> = files
        .iter()
        .map(|(p, c)| RawEntry::deflated(p, c))
        .collect();
    entries.push(RawEntry::deflated("META/files.json", list.as_bytes()));
    entries.push(RawEntry::deflated("META/signature.json", &sig));
    check(build_zip(&entries), &[ProblemCode::UnknownFileListFormat]);
}

#[test]
fn unknown_meta_entry() {
    check(
        with_extra(RawEntry::stored("META/extra.json", b"{}")),
        &[ProblemCode::ReservedPath],
    );
}

/// Replaces `manifest.json` (listed and signed as replaced).
fn with_manifest(manifest: &[u8]) -> Vec<u8> {
    let mut files = app_files();
    files[0].1 = manifest.to_vec();
    build_zip(&signed_entries(&files, &files, &test_key()))
}

#[test]
fn broken_manifest() {
    check(with_manifest(b"{\"id\": "), &[ProblemCode::InvalidManifest]);
    let bad = String::from_utf8(manifest_json())
        .unwrap()
        .replace(APP_ID, "Weather")
        .replace("1.0.0\",\"entry", "one\",\"entry");
    check(
        with_manifest(bad.as_bytes()),
        &[ProblemCode::InvalidManifest, ProblemCode::InvalidManifest],
    );
}

#[test]
fn manifest_naming_files_that_are_absent() {
    let bad = String::from_utf8(manifest_json())
        .unwrap()
        .replace("main.js", "app.js")
        .replace("icon.png", "logo.png");
    check(
        with_manifest(bad.as_bytes()),
        &[ProblemCode::InvalidManifest, ProblemCode::InvalidManifest],
    );
}

#[test]
fn missing_manifest() {
    let files: Vec<_> = app_files().into_iter().skip(1).collect();
    check(
        build_zip(&signed_entries(&files, &files, &test_key())),
        &[ProblemCode::MissingManifest],
    );
}

#[test]
fn bad_icon() {
    let mut files = app_files();
    files[1].1 = b"GIF89a not a png".to_vec();
    check(
        build_zip(&signed_entries(&files, &files, &test_key())),
        &[ProblemCode::InvalidIcon],
    );
}

#[test]
fn several_problems_are_reported_together() {
    let files = app_files();
    let mut tampered = files.clone();
    tampered[3].1[0] ^= 1;
    let mut entries = signed_entries(&tampered, &files, &test_key());
    entries.push(RawEntry::stored("extra.txt", b"x"));
    entries.push(RawEntry::stored("../up", b"x"));
    check(
        build_zip(&entries),
        &[
            ProblemCode::PathTraversal,
            ProblemCode::UnlistedFile,
            ProblemCode::HashMismatch,
        ],
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

    /// Corrupting any bytes of a valid package never panics, stays within the memory
    /// bound, and never yields a package whose signed content differs from the original.
    #[test]
    fn corrupted_packages_never_panic_or_pass_altered(
        edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 1u8..=255), 1..8)
    ) {
        let original = valid_package();
        let expected = verify_package(Cursor::new(&original), &Limits::default()).unwrap();
        let mut bytes = original.clone();
        for (at, flip) in &edits {
            let i = at.index(bytes.len());
            bytes[i] ^= flip;
        }
        let (result, peak) = peak_bytes(|| verify_package(Cursor::new(&bytes), &Limits::default()));
        proptest::prop_assert!(peak < MAX_PEAK_BYTES, "allocated {} bytes", peak);
        match result {
            Ok(verified) => {
                proptest::prop_assert_eq!(verified.file_list(), expected.file_list());
                proptest::prop_assert_eq!(verified.manifest(), expected.manifest());
            }
            Err(invalid) => proptest::prop_assert!(!invalid.problems.is_empty()),
        }
    }
}
