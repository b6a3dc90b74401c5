//! The package blob store: `packages/{dev_id}/{app_id}/{version}/{file}`, crash-safe writes.

use crate::error::StorageError;
use crate::repos::AccountId;
use mosis_domain::{AppId, BackgroundWriter, IO_BUFFER_BYTES, Sha256, Sha256Hasher};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The files kept for a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobFile {
    /// `package.mpk`, the upload.
    Package,
    /// `release.json`, the signed release statement.
    Release,
    /// `report.json`, the review report.
    Report,
}

impl BlobFile {
    fn name(self) -> &'static str {
        match self {
            BlobFile::Package => "package.mpk",
            BlobFile::Release => "release.json",
            BlobFile::Report => "report.json",
        }
    }
}

/// Where a blob lives: a version's file under its developer and app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobKey {
    /// The owner's account id.
    pub dev_id: AccountId,
    /// The app.
    pub app_id: AppId,
    /// The version.
    pub version: semver::Version,
    /// Which file.
    pub file: BlobFile,
}

impl BlobKey {
    /// The path relative to the store's root. Every part is a validated id, so the path
    /// cannot leave the root.
    fn relative(&self) -> PathBuf {
        PathBuf::from(self.dev_id.to_string())
            .join(self.app_id.as_str())
            .join(self.version.to_string())
            .join(self.file.name())
    }
}

/// What a committed write stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    /// The content's SHA-256.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
}

/// A blob being written; nothing is visible until [`PendingBlob::commit`] names its key.
/// Dropping it discards what was written.
///
/// Uploads use all three steps: write while hashing, [`PendingBlob::seal`] and read the
/// staged bytes back to verify them, then commit under the key the content names.
pub trait PendingBlob: Write {
    /// A reader of the staged content.
    type Reader: Read + Seek;
    /// Ends writing; later writes fail. Idempotent. The content is made durable in the
    /// background (so reading it back overlaps the flush); `commit` waits for that.
    fn seal(&mut self) -> Result<BlobInfo, StorageError>;
    /// Reads the sealed content back (sealing first if needed), from the start.
    fn staged(&mut self) -> Result<Self::Reader, StorageError>;
    /// Makes the blob visible under `key`, atomically and durably, replacing what was there.
    fn commit(self, key: &BlobKey) -> Result<BlobInfo, StorageError>;
    /// Bytes written so far.
    fn written(&self) -> u64;
}

/// Storage of package files.
pub trait BlobStore {
    /// The writer type.
    type Pending: PendingBlob;
    /// Starts writing a blob; writing more than `limit` bytes fails with
    /// [`StorageError::TooLarge`] (as soon as the limit is passed, not after).
    fn begin(&self, limit: u64) -> Result<Self::Pending, StorageError>;
    /// Opens `key` for reading `range` (the whole blob when `None`); returns the reader
    /// and the blob's total size. A range past the end is clamped to it.
    fn open(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> Result<(Box<dyn Read + Send>, u64), StorageError>;
    /// Opens `key` as a seekable file (a verifier reads it out of order).
    fn open_file(&self, key: &BlobKey) -> Result<File, StorageError>;
    /// Whether `key` exists.
    fn exists(&self, key: &BlobKey) -> Result<bool, StorageError>;
    /// Removes `key` (no error if it is absent).
    fn delete(&self, key: &BlobKey) -> Result<(), StorageError>;
}

/// Temp files live here, on the same volume as the blobs, so the final rename is atomic.
const INCOMING: &str = ".incoming";

/// The file-system blob store rooted at `{data}/packages`.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// Opens the store at `root` (created if missing) and removes temp files a crash left.
    /// Call it before any writer starts.
    pub fn open(root: &Path) -> Result<Self, StorageError> {
        let incoming = root.join(INCOMING);
        std::fs::create_dir_all(&incoming).map_err(StorageError::io(&incoming))?;
        for entry in std::fs::read_dir(&incoming).map_err(StorageError::io(&incoming))? {
            let path = entry.map_err(StorageError::io(&incoming))?.path();
            std::fs::remove_file(&path).map_err(StorageError::io(&path))?;
        }
        Ok(Self {
            root: root.to_owned(),
        })
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.relative())
    }
}

/// A write in progress under `packages/.incoming/`. Hashing happens on the caller's thread
/// while a background thread writes the previous chunk.
#[derive(Debug)]
pub struct FsPendingBlob {
    // Declared before `temp`: dropped first, so the writer thread stops before the temp
    // file is removed.
    writer: Option<BackgroundWriter>,
    temp: tempfile::NamedTempFile,
    root: PathBuf,
    sealed: Option<BlobInfo>,
    /// The fsync started by `seal`, joined by `commit`.
    syncing: Option<std::thread::JoinHandle<io::Result<()>>>,
    hasher: Sha256Hasher,
    limit: u64,
    exceeded: bool,
}

impl Write for FsPendingBlob {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.exceeded || self.hasher.len().saturating_add(buf.len() as u64) > self.limit {
            self.exceeded = true;
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!("over the limit of {} bytes", self.limit),
            ));
        }
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| io::Error::other("the blob was already sealed"))?;
        let n = writer.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl PendingBlob for FsPendingBlob {
    type Reader = File;

    fn seal(&mut self) -> Result<BlobInfo, StorageError> {
        if self.exceeded {
            return Err(StorageError::TooLarge { limit: self.limit });
        }
        if let Some(info) = self.sealed {
            return Ok(info);
        }
        let temp = self.temp.path().to_owned();
        if let Some(writer) = self.writer.take() {
            writer.finish().map_err(StorageError::io(&temp))?;
        }
        let file = self
            .temp
            .as_file()
            .try_clone()
            .map_err(StorageError::io(&temp))?;
        self.syncing = Some(std::thread::spawn(move || file.sync_all()));
        let info = BlobInfo {
            size: self.hasher.len(),
            sha256: self.hasher.clone().finish(),
        };
        self.sealed = Some(info);
        Ok(info)
    }

    fn staged(&mut self) -> Result<File, StorageError> {
        self.seal()?;
        let temp = self.temp.path();
        File::open(temp).map_err(StorageError::io(temp))
    }

    fn commit(mut self, key: &BlobKey) -> Result<BlobInfo, StorageError> {
        let info = self.seal()?;
        if let Some(syncing) = self.syncing.take() {
            let temp = self.temp.path();
            syncing
                .join()
                .map_err(|_| StorageError::Io {
                    path: temp.to_owned(),
                    source: io::Error::other("the fsync thread panicked"),
                })?
                .map_err(StorageError::io(temp))?;
        }
        let target = self.root.join(key.relative());
        let dir = target.parent().map(Path::to_owned).unwrap_or_default();
        std::fs::create_dir_all(&dir).map_err(StorageError::io(&dir))?;
        self.temp.persist(&target).map_err(|e| StorageError::Io {
            path: target.clone(),
            source: e.error,
        })?;
        sync_dir(&dir)?;
        Ok(info)
    }

    fn written(&self) -> u64 {
        self.hasher.len()
    }
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StorageError::io(dir))
}

impl BlobStore for FsBlobStore {
    type Pending = FsPendingBlob;

    fn begin(&self, limit: u64) -> Result<FsPendingBlob, StorageError> {
        let incoming = self.root.join(INCOMING);
        let temp = tempfile::Builder::new()
            .prefix("blob-")
            .tempfile_in(&incoming)
            .map_err(StorageError::io(&incoming))?;
        let file = temp
            .as_file()
            .try_clone()
            .map_err(StorageError::io(temp.path()))?;
        Ok(FsPendingBlob {
            writer: Some(BackgroundWriter::new(file, IO_BUFFER_BYTES)),
            temp,
            root: self.root.clone(),
            sealed: None,
            syncing: None,
            hasher: Sha256Hasher::new(),
            limit,
            exceeded: false,
        })
    }

    fn open(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> Result<(Box<dyn Read + Send>, u64), StorageError> {
        let path = self.path(key);
        let mut file = self.open_file(key)?;
        let total = file.metadata().map_err(StorageError::io(&path))?.len();
        let Some(range) = range else {
            return Ok((Box::new(file), total));
        };
        let start = range.start.min(total);
        let end = range.end.clamp(start, total);
        file.seek(SeekFrom::Start(start))
            .map_err(StorageError::io(&path))?;
        Ok((Box::new(file.take(end - start)), total))
    }

    fn open_file(&self, key: &BlobKey) -> Result<File, StorageError> {
        let path = self.path(key);
        File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StorageError::not_found(format!(
                "{} of {} {}",
                key.file.name(),
                key.app_id,
                key.version
            )),
            _ => StorageError::Io {
                path: path.clone(),
                source: e,
            },
        })
    }

    fn exists(&self, key: &BlobKey) -> Result<bool, StorageError> {
        let path = self.path(key);
        path.try_exists().map_err(StorageError::io(&path))
    }

    fn delete(&self, key: &BlobKey) -> Result<(), StorageError> {
        let path = self.path(key);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(StorageError::Io { path, source: e })
            }
            _ => Ok(()),
        }
    }
}
