//! The files the review keeps beside a version's package (`report.json`, `release.json`)
//! and where each lives.

use crate::error::ReviewError;
use mosis_storage::{
    AccountId, BlobFile, BlobKey, BlobStore as _, FsBlobStore, FsPendingBlob, PendingBlob as _,
    VersionRecord,
};
use std::io::Write as _;

/// Where `file` of `version` (of an app owned by `owner`) lives.
pub(crate) fn key(owner: AccountId, version: &VersionRecord, file: BlobFile) -> BlobKey {
    BlobKey {
        dev_id: owner,
        app_id: version.app_id.clone(),
        version: version.version.clone(),
        file,
    }
}

/// Writes `text` to a sealed blob, not yet visible: commit it under its key.
pub(crate) fn stage(blobs: &FsBlobStore, text: &str) -> Result<FsPendingBlob, ReviewError> {
    let mut staged = blobs.begin(text.len() as u64)?;
    staged
        .write_all(text.as_bytes())
        .map_err(|e| ReviewError::File {
            path: "a review file".into(),
            reason: e.to_string(),
        })?;
    staged.seal()?;
    Ok(staged)
}
