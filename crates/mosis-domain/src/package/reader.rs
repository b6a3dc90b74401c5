//! The streaming package verifier: every rule of the format, limits enforced while reading.

use super::{
    FILE_LIST_PATH, IO_BUFFER_BYTES, Limits, MANIFEST_PATH, SIGNATURE_PATH, SignatureBlock, eocd,
};
use crate::digest::{Sha256, Sha256Hasher};
use crate::file_list::FileList;
use crate::icon::{ICON_HEADER_BYTES, check_icon};
use crate::ids::KeyId;
use crate::keys::PublicKey;
use crate::manifest::Manifest;
use crate::path::PackagePath;
use crate::problem::{Problem, ProblemCode};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{BufReader, Read, Seek, SeekFrom};
use zip::{CompressionMethod, ZipArchive};

/// A package whose every check passed: intact, consistent, signed by [`Self::signer`].
/// Whether the signer is *trusted* is the caller's decision ([`Self::require_signer`]).
#[derive(Debug, Clone)]
pub struct VerifiedPackage {
    manifest: Manifest,
    file_list: FileList,
    signature: SignatureBlock,
    signer: PublicKey,
}

impl VerifiedPackage {
    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The signed file list (every file was checked against it).
    pub fn file_list(&self) -> &FileList {
        &self.file_list
    }

    /// The signature block.
    pub fn signature(&self) -> &SignatureBlock {
        &self.signature
    }

    /// The key whose signature over the file list holds.
    pub fn signer(&self) -> &PublicKey {
        &self.signer
    }

    /// The signer's key id.
    pub fn key_id(&self) -> KeyId {
        self.signer.key_id()
    }

    /// Accepts the package only if its signer is one of `trusted` (the server's registered
    /// keys of the owner, or the device's pinned keys).
    pub fn require_signer(&self, trusted: &[PublicKey]) -> Result<(), Problem> {
        if trusted.contains(&self.signer) {
            Ok(())
        } else {
            Err(Problem::at(
                ProblemCode::UntrustedKey,
                SIGNATURE_PATH,
                format!("signed by key {}, which is not trusted here", self.key_id()),
            ))
        }
    }
}

/// A package that was refused, with every problem found and what could be read of it.
#[derive(Debug, Clone, Default)]
pub struct InvalidPackage {
    /// Every problem found; never empty.
    pub problems: Vec<Problem>,
    /// The manifest, if it was readable and valid.
    pub manifest: Option<Box<Manifest>>,
    /// The signer's key id, if the signature block was readable.
    pub key_id: Option<KeyId>,
}

impl fmt::Display for InvalidPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid package ({} problem{})",
            self.problems.len(),
            plural(self.problems.len())
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidPackage {}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One data entry that passed the central-directory checks.
pub(super) struct Entry {
    index: usize,
    pub(super) path: PackagePath,
    size: u64,
    compressed_size: u64,
    method: CompressionMethod,
}

/// What streaming one entry found.
struct Streamed {
    sha256: Sha256,
    size: u64,
    head: Vec<u8>,
}

/// Verifies a package read from `reader` (any `Read + Seek`, typically a `File`).
///
/// Checks, in order and reporting all it can at once: the package size; the declared
/// entry count (before the ZIP parser allocates for it); header consistency (no overlapping
/// entries, no local/central mismatch, no hidden entries); every entry name, type,
/// encryption flag and compression method; total uncompressed size and each entry's
/// compression ratio; the signature block and the signature over `META/files.json`; the
/// file list; the manifest; then streams every file, holding it to its declared size while
/// hashing, and compares size and SHA-256 with the list. Memory use does not grow with the
/// package's size.
pub fn verify_package<R: Read + Seek>(
    reader: R,
    limits: &Limits,
) -> Result<VerifiedPackage, InvalidPackage> {
    let mut archive = open_archive(reader, limits)?;
    let mut out = InvalidPackage::default();
    let (entries, mut rejected) = check_central_directory(&mut archive, limits, &mut out.problems);
    let total = entries
        .iter()
        .fold(0u64, |sum, e| sum.saturating_add(e.size));
    if total > limits.max_total_uncompressed_bytes {
        out.problems.push(Problem::new(
            ProblemCode::TotalSizeTooLarge,
            format!(
                "the entries add up to {total} bytes uncompressed; the limit is {}",
                limits.max_total_uncompressed_bytes
            ),
        ));
        return Err(out);
    }
    let (meta, data): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.path.is_meta());
    for entry in meta
        .iter()
        .filter(|e| ![FILE_LIST_PATH, SIGNATURE_PATH].contains(&e.path.as_str()))
    {
        out.problems.push(Problem::at(
            ProblemCode::ReservedPath,
            entry.path.as_str(),
            "unknown entry in the reserved META/ folder",
        ));
    }

    let small = SmallFiles {
        meta: &meta,
        data: &data,
        rejected: &rejected,
    };
    let list_bytes = small.read(
        &mut archive,
        FILE_LIST_PATH,
        limits.max_file_list_bytes,
        (ProblemCode::MissingFileList, ProblemCode::InvalidFileList),
        &mut out.problems,
    );
    let sig_bytes = small.read(
        &mut archive,
        SIGNATURE_PATH,
        limits.max_signature_bytes,
        (
            ProblemCode::MissingSignature,
            ProblemCode::InvalidSignatureBlock,
        ),
        &mut out.problems,
    );
    let manifest_bytes = small.read(
        &mut archive,
        MANIFEST_PATH,
        limits.max_manifest_bytes,
        (ProblemCode::MissingManifest, ProblemCode::InvalidManifest),
        &mut out.problems,
    );

    let signature = sig_bytes.and_then(|b| {
        SignatureBlock::parse(&b)
            .map_err(|p| out.problems.push(p))
            .ok()
    });
    out.key_id = signature.as_ref().map(|s| s.key_id);
    let signer = match (&signature, &list_bytes) {
        (Some(sig), Some(list)) => sig.verify(list).map_err(|p| out.problems.push(p)).ok(),
        _ => None,
    };
    let file_list =
        list_bytes.and_then(|b| FileList::parse(&b).map_err(|p| out.problems.push(p)).ok());
    let (entry_path, icon_path) = match manifest_bytes.as_deref().map(Manifest::parse) {
        Some(Ok(manifest)) => {
            let paths = (Some(manifest.entry.clone()), Some(manifest.icon.clone()));
            out.manifest = Some(Box::new(manifest));
            paths
        }
        Some(Err(problems)) => {
            out.problems.extend(problems);
            manifest_bytes
                .as_deref()
                .map(Manifest::referenced_paths)
                .unwrap_or_default()
        }
        None => (None, None),
    };

    let streamed = stream_data(
        &mut archive,
        &data,
        file_list.as_ref(),
        icon_path.as_ref(),
        &mut out.problems,
        &mut rejected,
    );
    if let Some(list) = &file_list {
        compare_with_list(list, &streamed, &rejected, &mut out.problems);
    }
    check_referenced_files(
        entry_path.as_ref(),
        icon_path.as_ref(),
        &streamed,
        &rejected,
        &mut out.problems,
    );

    // Every `None` above pushed a problem, so an empty list means all parts are present.
    if let (true, Some(file_list), Some(signature), Some(signer)) =
        (out.problems.is_empty(), file_list, signature, signer)
        && let Some(manifest) = out.manifest.take()
    {
        return Ok(VerifiedPackage {
            manifest: *manifest,
            file_list,
            signature,
            signer,
        });
    }
    Err(out)
}

/// The checks that must pass before anything inside the archive is trusted: the package
/// size, the entry count its end record declares (before the ZIP parser allocates for it),
/// unique names, and consistent headers (no overlapping or hidden entries, local and central
/// names alike). Any failure here is fatal.
pub(super) fn open_archive<R: Read + Seek>(
    reader: R,
    limits: &Limits,
) -> Result<ZipArchive<BufReader<R>>, InvalidPackage> {
    let fatal = |code: ProblemCode, message: String| InvalidPackage {
        problems: vec![Problem::new(code, message)],
        ..InvalidPackage::default()
    };
    let unreadable = |e: &dyn fmt::Display| {
        fatal(
            ProblemCode::NotAZip,
            format!("cannot read the package: {e}"),
        )
    };
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let len = reader.seek(SeekFrom::End(0)).map_err(|e| unreadable(&e))?;
    if len > limits.max_package_bytes {
        return Err(fatal(
            ProblemCode::PackageTooLarge,
            format!(
                "the package is {len} bytes; the limit is {}",
                limits.max_package_bytes
            ),
        ));
    }
    let declared = eocd::declared_entries(&mut reader, len).map_err(|e| unreadable(&e))?;
    if let Some(n) = declared.filter(|n| *n > limits.max_entries) {
        return Err(fatal(
            ProblemCode::TooManyEntries,
            format!(
                "the archive declares {n} entries; the limit is {}",
                limits.max_entries
            ),
        ));
    }
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| unreadable(&e))?;
    let mut archive = ZipArchive::new(reader).map_err(|e| {
        fatal(
            ProblemCode::NotAZip,
            format!("not a readable ZIP archive: {e}"),
        )
    })?;
    if archive.len() as u64 > limits.max_entries {
        return Err(fatal(
            ProblemCode::TooManyEntries,
            format!(
                "the archive has {} entries; the limit is {}",
                archive.len(),
                limits.max_entries
            ),
        ));
    }
    if archive.has_duplicate_names() {
        return Err(fatal(
            ProblemCode::DuplicateEntry,
            "two or more entries have the same name".into(),
        ));
    }
    archive
        .validate_header_consistency()
        .map_err(|e| fatal(ProblemCode::InconsistentHeaders, e.to_string()))?;
    Ok(archive)
}

/// Where the small files read whole (`META/` entries and the manifest) are found.
pub(super) struct SmallFiles<'a> {
    pub(super) meta: &'a [Entry],
    pub(super) data: &'a [Entry],
    pub(super) rejected: &'a HashSet<PackagePath>,
}

impl SmallFiles<'_> {
    /// Reads `path` whole if it is present and at most `max` bytes; otherwise reports it
    /// missing or too large (with the two codes given) unless it was refused already.
    pub(super) fn read<R: Read + Seek>(
        &self,
        archive: &mut ZipArchive<R>,
        path: &str,
        max: u64,
        (missing, too_large): (ProblemCode, ProblemCode),
        problems: &mut Vec<Problem>,
    ) -> Option<Vec<u8>> {
        let found = self
            .meta
            .iter()
            .chain(self.data)
            .find(|e| e.path.as_str() == path);
        let Some(entry) = found else {
            if !self.rejected.iter().any(|r| r.as_str() == path) {
                problems.push(Problem::at(missing, path, "missing from the package"));
            }
            return None;
        };
        if entry.size > max {
            problems.push(Problem::at(
                too_large,
                path,
                format!("is {} bytes; the limit is {max}", entry.size),
            ));
            return None;
        }
        let mut bytes = Vec::new();
        stream_entry(archive, entry, |chunk| bytes.extend_from_slice(chunk))
            .map_err(|p| problems.push(p))
            .ok()?;
        Some(bytes)
    }
}

/// Checks every central-directory entry's name, type, flags and sizes; returns the ones
/// that can be read safely, and the valid paths of those refused (already reported).
pub(super) fn check_central_directory<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    limits: &Limits,
    problems: &mut Vec<Problem>,
) -> (Vec<Entry>, HashSet<PackagePath>) {
    let mut entries = Vec::with_capacity(archive.len());
    let mut rejected = HashSet::new();
    let mut folded: HashMap<String, PackagePath> = HashMap::with_capacity(archive.len());
    for index in 0..archive.len() {
        let Ok(e) = archive.by_index_data(index) else {
            continue;
        };
        let raw = e.name_raw();
        let shown = String::from_utf8_lossy(raw).into_owned();
        if e.is_dir() || raw.ends_with(b"/") {
            problems.push(Problem::at(
                ProblemCode::DirectoryEntry,
                shown,
                "directory entries are not allowed; list files only",
            ));
            continue;
        }
        let path = match PackagePath::from_bytes(raw) {
            Ok(path) => path,
            Err(err) => {
                problems.push(Problem::at(err.code(), shown, err.to_string()));
                continue;
            }
        };
        let refuse = if e.is_symlink() {
            Some((
                ProblemCode::Symlink,
                "symbolic links are not allowed".to_owned(),
            ))
        } else if e.encrypted() {
            Some((
                ProblemCode::Encrypted,
                "encrypted entries are not allowed".to_owned(),
            ))
        } else if !matches!(
            e.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            Some((
                ProblemCode::UnsupportedCompression,
                format!(
                    "compression method {:?} is not allowed; only stored and deflate",
                    e.compression()
                ),
            ))
        } else if limits.ratio_exceeded(e.size(), e.compressed_size()) {
            Some((
                ProblemCode::CompressionRatioTooHigh,
                format!(
                    "declares {} bytes from {} compressed (ratio above the limit of {})",
                    e.size(),
                    e.compressed_size(),
                    limits.max_compression_ratio
                ),
            ))
        } else if e.compression() == CompressionMethod::Stored && e.size() != e.compressed_size() {
            Some((
                ProblemCode::SizeMismatch,
                format!(
                    "stored entry declares {} bytes but holds {}",
                    e.size(),
                    e.compressed_size()
                ),
            ))
        } else {
            None
        };
        if let Some((code, message)) = refuse {
            problems.push(Problem::at(code, path.as_str(), message));
            rejected.insert(path);
            continue;
        }
        if let Some(other) = folded.insert(path.folded(), path.clone()) {
            problems.push(Problem::at(
                ProblemCode::CaseInsensitiveDuplicate,
                path.as_str(),
                format!("differs from `{other}` only by case or Unicode normalisation"),
            ));
            rejected.insert(path);
            continue;
        }
        entries.push(Entry {
            index,
            path,
            size: e.size(),
            compressed_size: e.compressed_size(),
            method: e.compression(),
        });
    }
    (entries, rejected)
}

/// Streams every data entry that the file list knows, hashing it; reports unlisted ones.
fn stream_data<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    data: &[Entry],
    list: Option<&FileList>,
    icon: Option<&PackagePath>,
    problems: &mut Vec<Problem>,
    rejected: &mut HashSet<PackagePath>,
) -> BTreeMap<PackagePath, Streamed> {
    let mut streamed = BTreeMap::new();
    for entry in data {
        if let Some(list) = list
            && list.get(&entry.path).is_none()
        {
            problems.push(Problem::at(
                ProblemCode::UnlistedFile,
                entry.path.as_str(),
                "is in the package but not listed in META/files.json",
            ));
            continue;
        }
        let keep_head = icon == Some(&entry.path);
        let mut hasher = Sha256Hasher::new();
        let mut head = Vec::new();
        let result = stream_entry(archive, entry, |chunk| {
            if keep_head && head.len() < ICON_HEADER_BYTES {
                let take = chunk.len().min(ICON_HEADER_BYTES - head.len());
                head.extend_from_slice(&chunk[..take]);
            }
            hasher.update(chunk);
        });
        match result {
            Ok(size) => {
                streamed.insert(
                    entry.path.clone(),
                    Streamed {
                        sha256: hasher.finish(),
                        size,
                        head,
                    },
                );
            }
            Err(p) => {
                problems.push(p);
                rejected.insert(entry.path.clone());
            }
        }
    }
    streamed
}

/// Reads one entry's data through `sink`, inflating if needed and holding it to its
/// declared size: reading stops with a problem as soon as it yields more. Returns the size.
fn stream_entry<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    entry: &Entry,
    mut sink: impl FnMut(&[u8]),
) -> Result<u64, Problem> {
    let corrupt = |e: &dyn fmt::Display| {
        Problem::at(
            ProblemCode::CorruptEntry,
            entry.path.as_str(),
            format!("cannot read the entry: {e}"),
        )
    };
    let raw = archive.by_index_raw(entry.index).map_err(|e| corrupt(&e))?;
    let mut source: Box<dyn Read + '_> = match entry.method {
        CompressionMethod::Deflated => Box::new(flate2::read::DeflateDecoder::new(raw)),
        _ => Box::new(raw),
    };
    let mut buf = vec![
        0u8;
        IO_BUFFER_BYTES
            .min(usize::try_from(entry.size.max(1)).unwrap_or(IO_BUFFER_BYTES))
    ];
    let mut total = 0u64;
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(corrupt(&e)),
        };
        total += n as u64;
        if total > entry.size {
            return Err(Problem::at(
                ProblemCode::SizeMismatch,
                entry.path.as_str(),
                format!(
                    "yields more than its declared {} bytes (from {} compressed); refused as a possible zip bomb",
                    entry.size, entry.compressed_size
                ),
            ));
        }
        sink(&buf[..n]);
    }
    if total != entry.size {
        return Err(Problem::at(
            ProblemCode::SizeMismatch,
            entry.path.as_str(),
            format!("yields {total} bytes but declares {}", entry.size),
        ));
    }
    Ok(total)
}

/// Every listed file must be present with its listed size and hash. Files refused earlier
/// (`rejected`) were reported then and are not reported again as missing.
fn compare_with_list(
    list: &FileList,
    streamed: &BTreeMap<PackagePath, Streamed>,
    rejected: &HashSet<PackagePath>,
    problems: &mut Vec<Problem>,
) {
    for listed in list.files.iter().filter(|f| !rejected.contains(&f.path)) {
        let Some(found) = streamed.get(&listed.path) else {
            problems.push(Problem::at(
                ProblemCode::MissingFile,
                listed.path.as_str(),
                "is listed in META/files.json but missing from the package",
            ));
            continue;
        };
        if found.size != listed.size {
            problems.push(Problem::at(
                ProblemCode::SizeMismatch,
                listed.path.as_str(),
                format!(
                    "is {} bytes but META/files.json lists {}",
                    found.size, listed.size
                ),
            ));
        } else if found.sha256 != listed.sha256 {
            problems.push(Problem::at(
                ProblemCode::HashMismatch,
                listed.path.as_str(),
                "content does not match its SHA-256 in META/files.json (tampered?)",
            ));
        }
    }
}

/// The manifest's `entry` and `icon` (where readable) must be files of the package, and
/// the icon a valid PNG.
fn check_referenced_files(
    entry: Option<&PackagePath>,
    icon: Option<&PackagePath>,
    streamed: &BTreeMap<PackagePath, Streamed>,
    rejected: &HashSet<PackagePath>,
    problems: &mut Vec<Problem>,
) {
    let present = |p: &PackagePath| streamed.contains_key(p) || rejected.contains(p);
    if let Some(entry) = entry
        && !present(entry)
    {
        problems.push(Problem::field(
            "entry",
            format!("`{entry}` is not a file in the package"),
        ));
    }
    let Some(icon) = icon else { return };
    match streamed.get(icon) {
        None if !present(icon) => {
            problems.push(Problem::field(
                "icon",
                format!("`{icon}` is not a file in the package"),
            ));
        }
        None => {}
        Some(found) => {
            if let Err(reason) = check_icon(&found.head) {
                problems.push(Problem::at(ProblemCode::InvalidIcon, icon.as_str(), reason));
            }
        }
    }
}
