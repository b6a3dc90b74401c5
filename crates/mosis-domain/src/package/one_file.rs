//! Reading one file of a package without verifying the rest: the manifest (for a tool
//! that needs the app id before it uploads) and any listed file (for a reviewer's tool).
//! The archive's structure is checked as the verifier checks it; hashes are not.

use super::reader::{Entry, SmallFiles, check_central_directory, open_archive};
use super::{InvalidPackage, Limits, MANIFEST_PATH};
use crate::manifest::Manifest;
use crate::path::PackagePath;
use crate::problem::ProblemCode;
use std::io::{Read, Seek};

/// Reads and validates only the manifest, hashing nothing else: for a tool that needs a
/// package's app id and version before it sends the package to something that verifies
/// it in full (the portal). Not a verification: the files and the signature are unchecked.
pub fn read_manifest<R: Read + Seek>(
    reader: R,
    limits: &Limits,
) -> Result<Manifest, InvalidPackage> {
    let (bytes, mut out) = read_one(
        reader,
        limits,
        MANIFEST_PATH,
        limits.max_manifest_bytes,
        (ProblemCode::MissingManifest, ProblemCode::InvalidManifest),
    )?;
    match bytes.as_deref().map(Manifest::parse) {
        Some(Ok(manifest)) => Ok(manifest),
        Some(Err(problems)) => {
            out.problems.extend(problems);
            Err(out)
        }
        None => Err(out),
    }
}

/// Reads one file of a package whole, if it is at most `max_bytes`: for a reviewer's tool
/// that needs a file of a package it has verified (the icon, say). The file's hash is not
/// checked (verify the package first).
pub fn read_entry<R: Read + Seek>(
    reader: R,
    limits: &Limits,
    path: &PackagePath,
    max_bytes: u64,
) -> Result<Vec<u8>, InvalidPackage> {
    let (bytes, out) = read_one(
        reader,
        limits,
        path.as_str(),
        max_bytes,
        (ProblemCode::MissingFile, ProblemCode::SizeMismatch),
    )?;
    bytes.ok_or(out)
}

/// Opens the archive and reads `path` if it is present and at most `max_bytes` (else
/// reports it with the (missing, too large) codes); returns it with every problem found.
fn read_one<R: Read + Seek>(
    reader: R,
    limits: &Limits,
    path: &str,
    max_bytes: u64,
    codes: (ProblemCode, ProblemCode),
) -> Result<(Option<Vec<u8>>, InvalidPackage), InvalidPackage> {
    let mut archive = open_archive(reader, limits)?;
    let mut out = InvalidPackage::default();
    let (entries, rejected) = check_central_directory(&mut archive, limits, &mut out.problems);
    let (meta, data): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.path.is_meta());
    let small = SmallFiles {
        meta: &meta,
        data: &data,
        rejected: &rejected,
    };
    let bytes = small.read(&mut archive, path, max_bytes, codes, &mut out.problems);
    Ok((bytes, out))
}
