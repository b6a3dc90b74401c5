//! The deterministic package writer: the same directory always packs to the same bytes.

use super::{
    FILE_LIST_PATH, IO_BUFFER_BYTES, Limits, MANIFEST_PATH, SIGNATURE_PATH, SignatureBlock,
};
use crate::background::BackgroundWriter;
use crate::digest::{Sha256, Sha256Hasher};
use crate::error::DomainError;
use crate::file_list::{FileEntry, FileList};
use crate::icon::{ICON_HEADER_BYTES, check_icon};
use crate::ids::KeyId;
use crate::keys::SigningKey;
use crate::manifest::Manifest;
use crate::path::PackagePath;
use crate::problem::{Problem, ProblemCode};
use crate::walk::{FoundFile, Skip, walk};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// What a successful pack produced.
#[derive(Debug, Clone)]
pub struct PackSummary {
    /// The project's manifest.
    pub manifest: Manifest,
    /// The id of the key that signed the package.
    pub key_id: KeyId,
    /// How many files (outside `META/`) the package holds.
    pub files: usize,
    /// Their total size, in bytes.
    pub content_bytes: u64,
    /// The package's size, in bytes.
    pub package_bytes: u64,
}

/// Why a project could not be packed.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The project breaks rules; every problem is listed.
    #[error("the project breaks {} rule{}", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Refused(Vec<Problem>),
    /// Reading the project or writing the package failed.
    #[error(transparent)]
    Failed(#[from] DomainError),
}

/// A project that passed every check and can be written.
struct Prepared {
    manifest: Manifest,
    files: Vec<FoundFile>,
}

/// Packs the project in `dir` into `out`, signed with `key`, and returns the writer.
///
/// Refuses, listing every problem, a project whose manifest breaks a rule, whose `entry` or
/// `icon` is missing, whose icon is not a valid PNG, that holds symlinks, special files,
/// names that are not package paths, a `META/` folder, or more than the default
/// [`Limits`] allow. `.git/`, `.hg/`, `.svn/` and `.DS_Store` are left out.
///
/// The output is deterministic: entries sorted by path, fixed timestamps (1980-01-01) and
/// permissions (0644), and a compression method chosen from the content alone.
pub fn pack_directory<W: Write + Seek>(
    dir: &Path,
    key: &SigningKey,
    out: W,
) -> Result<(PackSummary, W), PackError> {
    let prepared = prepare(dir, None)?;
    write_package(prepared, key, out)
}

/// Packs `dir` into the file `out`, atomically: the package is written to a temporary file
/// beside `out` (on a second thread, so hashing and writing overlap), synced, then renamed
/// over it, so `out` is never half-written. When `out`
/// is inside `dir`, an earlier package there is not packed into the new one.
pub fn pack_to_file(dir: &Path, key: &SigningKey, out: &Path) -> Result<PackSummary, PackError> {
    let prepared = prepare(dir, Some(out))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".mosis-pack-")
        .tempfile_in(parent)
        .map_err(DomainError::io(parent))?;
    let file = temp.as_file().try_clone().map_err(DomainError::io(out))?;
    let background = BackgroundWriter::new(file, IO_BUFFER_BYTES);
    let (summary, background) = write_package(prepared, key, background)?;
    background.finish().map_err(DomainError::io(out))?;
    temp.as_file().sync_all().map_err(DomainError::io(out))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(DomainError::io(out))?;
    }
    temp.persist(out).map_err(|e| DomainError::Io {
        path: out.to_owned(),
        source: e.error,
    })?;
    Ok(summary)
}

fn prepare(dir: &Path, skip_file: Option<&Path>) -> Result<Prepared, PackError> {
    if !dir.is_dir() {
        return Err(DomainError::Io {
            path: dir.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        }
        .into());
    }
    let skip = Skip {
        clutter: true,
        top_meta: false,
        file: skip_file,
    };
    let walked = walk(dir, &skip)?;
    let mut problems = walked.problems;
    let (meta, files): (Vec<FoundFile>, Vec<FoundFile>) =
        walked.files.into_iter().partition(|f| f.path.is_meta());
    for f in &meta {
        problems.push(Problem::at(
            ProblemCode::ReservedPath,
            f.path.as_str(),
            "META/ is reserved for the package's signed file list; rename this folder",
        ));
    }
    let limits = Limits::default();
    if files.len() as u64 + 2 > limits.max_entries {
        problems.push(Problem::new(
            ProblemCode::TooManyEntries,
            format!(
                "the project has {} files; a package holds at most {}",
                files.len(),
                limits.max_entries - 2
            ),
        ));
    }
    let total: u64 = files.iter().map(|f| f.size).sum();
    if total > limits.max_total_uncompressed_bytes {
        problems.push(Problem::new(
            ProblemCode::TotalSizeTooLarge,
            format!(
                "the files add up to {total} bytes; the limit is {}",
                limits.max_total_uncompressed_bytes
            ),
        ));
    }
    let manifest = match read_manifest(&files, &limits, &mut problems)? {
        Some(bytes) => {
            let parsed = Manifest::parse(&bytes).map_err(|p| problems.extend(p)).ok();
            let (entry, icon) = match &parsed {
                Some(m) => (Some(m.entry.clone()), Some(m.icon.clone())),
                None => Manifest::referenced_paths(&bytes),
            };
            check_referenced_files(entry.as_ref(), icon.as_ref(), &files, &mut problems)?;
            parsed
        }
        None => None,
    };
    match manifest {
        Some(manifest) if problems.is_empty() => Ok(Prepared { manifest, files }),
        _ => Err(PackError::Refused(problems)),
    }
}

fn find<'a>(files: &'a [FoundFile], path: &PackagePath) -> Option<&'a FoundFile> {
    files
        .binary_search_by(|f| f.path.cmp(path))
        .ok()
        .map(|i| &files[i])
}

/// The bytes of the project's `manifest.json`, if it exists and is within the size limit.
fn read_manifest(
    files: &[FoundFile],
    limits: &Limits,
    problems: &mut Vec<Problem>,
) -> Result<Option<Vec<u8>>, DomainError> {
    let Some(file) = files.iter().find(|f| f.path.as_str() == MANIFEST_PATH) else {
        problems.push(Problem::at(
            ProblemCode::MissingManifest,
            MANIFEST_PATH,
            "the project has no manifest.json at its root",
        ));
        return Ok(None);
    };
    if file.size > limits.max_manifest_bytes {
        problems.push(Problem::at(
            ProblemCode::InvalidManifest,
            MANIFEST_PATH,
            format!(
                "is {} bytes; the limit is {}",
                file.size, limits.max_manifest_bytes
            ),
        ));
        return Ok(None);
    }
    std::fs::read(&file.fs_path)
        .map(Some)
        .map_err(DomainError::io(&file.fs_path))
}

/// The manifest's `entry` and `icon` (where readable) must be files of the project, and
/// the icon a valid PNG.
fn check_referenced_files(
    entry: Option<&PackagePath>,
    icon: Option<&PackagePath>,
    files: &[FoundFile],
    problems: &mut Vec<Problem>,
) -> Result<(), DomainError> {
    if let Some(entry) = entry
        && find(files, entry).is_none()
    {
        problems.push(Problem::field(
            "entry",
            format!("`{entry}` is not a file of the project"),
        ));
    }
    let Some(icon_path) = icon else { return Ok(()) };
    let Some(icon) = find(files, icon_path) else {
        problems.push(Problem::field(
            "icon",
            format!("`{icon_path}` is not a file of the project"),
        ));
        return Ok(());
    };
    let mut head = Vec::with_capacity(ICON_HEADER_BYTES);
    File::open(&icon.fs_path)
        .and_then(|f| f.take(ICON_HEADER_BYTES as u64).read_to_end(&mut head))
        .map_err(DomainError::io(&icon.fs_path))?;
    if let Err(reason) = check_icon(&head) {
        problems.push(Problem::at(
            ProblemCode::InvalidIcon,
            icon.path.as_str(),
            reason,
        ));
    }
    Ok(())
}

fn write_package<W: Write + Seek>(
    prepared: Prepared,
    key: &SigningKey,
    out: W,
) -> Result<(PackSummary, W), PackError> {
    let Prepared { manifest, files } = prepared;
    let mut zip = ZipWriter::new(out);
    let mut listed = Vec::with_capacity(files.len());
    let mut buf = vec![0u8; IO_BUFFER_BYTES];
    for file in &files {
        let (size, sha256) =
            write_entry(&mut zip, file, &mut buf).map_err(DomainError::io(&file.fs_path))?;
        if size != file.size {
            return Err(DomainError::Io {
                path: file.fs_path.clone(),
                source: std::io::Error::other("the file changed while it was being packed"),
            }
            .into());
        }
        listed.push(FileEntry {
            path: file.path.clone(),
            size,
            sha256,
        });
    }
    let list = FileList::new(listed);
    let list_bytes = list.to_bytes();
    let signature = SignatureBlock::sign(key, &list_bytes);
    for (path, bytes) in [
        (FILE_LIST_PATH, list_bytes),
        (SIGNATURE_PATH, signature.to_bytes()),
    ] {
        zip.start_file(
            path,
            options(CompressionMethod::Deflated, bytes.len() as u64),
        )
        .and_then(|()| zip.write_all(&bytes).map_err(Into::into))
        .map_err(|e| zip_error(Path::new(path), e))?;
    }
    let mut out = zip
        .finish()
        .map_err(|e| zip_error(Path::new("package"), e))?;
    let package_bytes = out.stream_position().map_err(DomainError::io("package"))?;
    let summary = PackSummary {
        key_id: key.key_id(),
        files: list.files.len(),
        content_bytes: list.total_size(),
        package_bytes,
        manifest,
    };
    Ok((summary, out))
}

/// Streams one project file into the archive through `buf`, hashing it on the way;
/// returns its size and SHA-256.
fn write_entry<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    file: &FoundFile,
    buf: &mut [u8],
) -> std::io::Result<(u64, Sha256)> {
    let mut source = File::open(&file.fs_path)?;
    let mut n = read_full(&mut source, buf)?;
    let method = choose_method(&file.path, &buf[..n]);
    zip.start_file(file.path.as_str(), options(method, file.size))
        .map_err(std::io::Error::other)?;
    let mut hasher = Sha256Hasher::new();
    while n > 0 {
        hasher.update(&buf[..n]);
        zip.write_all(&buf[..n])?;
        n = read_full(&mut source, buf)?;
    }
    Ok((hasher.len(), hasher.finish()))
}

fn options(method: CompressionMethod, size: u64) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
        .large_file(size >= u64::from(u32::MAX))
}

/// Files that are already compressed gain nothing from deflate.
const COMPRESSED_EXTENSIONS: [&str; 16] = [
    "png", "jpg", "jpeg", "gif", "webp", "avif", "mp3", "mp4", "m4a", "ogg", "opus", "webm", "zip",
    "gz", "woff2", "mpk",
];

/// Stored for empty and already-compressed files (by extension, or when deflating the
/// first 16 KiB saves under 10 %), deflate otherwise. Depends only on the content, so
/// packing stays deterministic.
fn choose_method(path: &PackagePath, head: &[u8]) -> CompressionMethod {
    let extension = path
        .as_str()
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    if head.is_empty() || extension.is_some_and(|e| COMPRESSED_EXTENSIONS.contains(&e.as_str())) {
        return CompressionMethod::Stored;
    }
    let probe = &head[..head.len().min(4 * 1024)];
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    let compressed = encoder
        .write_all(probe)
        .and_then(|()| encoder.finish())
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if compressed.saturating_mul(10) >= probe.len().saturating_mul(9) {
        CompressionMethod::Stored
    } else {
        CompressionMethod::Deflated
    }
}

/// Fills `buf` as far as the source allows; returns how much was read (0 at end of file).
fn read_full(source: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn zip_error(path: &Path, e: zip::result::ZipError) -> DomainError {
    DomainError::Io {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    }
}
