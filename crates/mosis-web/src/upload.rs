//! Receiving a package (an API request's body, or a dashboard form's file field): stream it to a staged blob while hashing (never holding it
//! whole), verify it with the domain crate, and only then move it into place and record
//! the version, so a refused or abandoned upload leaves no row and no file.

use crate::error::{ApiError, blocking, on_own_thread};
use crate::state::AppState;
use crate::views;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt as _};
use mosis_domain::{AppId, verify_package};
use mosis_storage::{
    Account, App, BlobFile, BlobKey, BlobStore as _, Channel, FsPendingBlob, NewVersion,
    PendingBlob as _, SigningKeys, StorageError, VersionRecord, Versions,
};
use std::io::{BufReader, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Chunks in flight between the network and the writer thread: bounds memory per upload.
const CHANNEL_CHUNKS: usize = 16;

/// Receives the body into a sealed, staged blob. Errors: 413 past `limit`, 408 when the
/// client stalls, 400 when the body ends early.
async fn receive<E: std::fmt::Display>(
    state: &Arc<AppState>,
    mut payload: impl Stream<Item = Result<Bytes, E>> + Unpin,
    declared_len: Option<u64>,
) -> Result<(FsPendingBlob, u64), ApiError> {
    let limit = state.config.max_upload_bytes;
    if declared_len.is_some_and(|len| len > limit) {
        return Err(ApiError::too_large(limit));
    }
    let idle = Duration::from_secs(state.config.upload_idle_timeout_secs);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
    let complete = Arc::new(AtomicBool::new(false));
    let writer_complete = complete.clone();
    let blobs = state.blobs.clone();
    // The writer owns the pending blob. Unless the whole body arrived, it returns without
    // sealing, and dropping the blob removes its temp file.
    let writer = on_own_thread("upload", move || -> Result<FsPendingBlob, ApiError> {
        let mut pending = blobs.begin(limit)?;
        while let Some(chunk) = rx.blocking_recv() {
            pending.write_all(&chunk).map_err(|e| match e.kind() {
                std::io::ErrorKind::FileTooLarge => ApiError::too_large(limit),
                _ => ApiError::internal(format!("writing the upload: {e}")),
            })?;
        }
        if !writer_complete.load(Ordering::Acquire) {
            return Err(ApiError::bad_request(
                "incomplete_body",
                "the upload was abandoned",
            ));
        }
        pending.seal()?;
        Ok(pending)
    })?;
    let received = pump(&mut payload, &tx, idle, limit, declared_len).await;
    if received.is_ok() {
        complete.store(true, Ordering::Release);
    }
    drop(tx);
    // Wait for the writer even on failure, so its temp file is gone before we answer.
    let written = writer.await;
    let received = received?;
    Ok((written?, received))
}

/// Moves the body's chunks to the writer; returns the byte count.
async fn pump<E: std::fmt::Display>(
    payload: &mut (impl Stream<Item = Result<Bytes, E>> + Unpin),
    tx: &tokio::sync::mpsc::Sender<Bytes>,
    idle: Duration,
    limit: u64,
    declared_len: Option<u64>,
) -> Result<u64, ApiError> {
    let mut received = 0u64;
    loop {
        let chunk = match tokio::time::timeout(idle, payload.next()).await {
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "upload_stalled",
                    format!("the upload sent nothing for {} s", idle.as_secs()),
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(ApiError::bad_request(
                    "incomplete_body",
                    format!("the upload broke off after {received} bytes: {e}"),
                ));
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        received += chunk.len() as u64;
        if received > limit {
            return Err(ApiError::too_large(limit));
        }
        if tx.send(chunk).await.is_err() {
            // The writer failed; the caller returns its error.
            return Ok(received);
        }
    }
    match declared_len {
        Some(len) if len != received => Err(ApiError::bad_request(
            "incomplete_body",
            format!("the upload ended after {received} of {len} bytes"),
        )),
        _ => Ok(received),
    }
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

/// Receives an authorised upload's body and then verifies and records it, counting it
/// in the metrics and the log: what the API and the dashboard both run once they have
/// authorised the upload. `existing` is the app as it was then (`None`: unclaimed);
/// `channel` the one the developer asks to publish on (the reviewer decides).
pub async fn store<E: std::fmt::Display>(
    state: &Arc<AppState>,
    uploader: Account,
    (app_id, channel): (AppId, Option<Channel>),
    existing: Option<App>,
    body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    declared_len: Option<u64>,
) -> Result<VersionRecord, ApiError> {
    let (pending, bytes) = match receive(state, body, declared_len).await {
        Ok(ok) => ok,
        Err(e) => {
            state.metrics.record_upload(false, 0);
            return Err(e);
        }
    };
    let shared = state.clone();
    let accepted = blocking(move || {
        accept(
            &shared,
            &uploader,
            (&app_id, channel),
            existing.as_ref(),
            pending,
        )
    })
    .await;
    state.metrics.record_upload(accepted.is_ok(), bytes);
    let record = accepted?;
    tracing::info!(app_id = %record.app_id, version = %record.version, size_bytes = record.size, "version uploaded");
    Ok(record)
}

/// Verifies a staged upload and records it (blocking: call through `web::block`).
fn accept(
    state: &AppState,
    uploader: &Account,
    (app_id, channel): (&AppId, Option<Channel>),
    existing: Option<&App>,
    mut pending: FsPendingBlob,
) -> Result<VersionRecord, ApiError> {
    let limits = state.config.package_limits();
    let staged = BufReader::new(pending.staged()?);
    let package = verify_package(staged, &limits).map_err(|invalid| {
        let count = invalid.problems.len();
        let first = invalid
            .problems
            .first()
            .map_or_else(String::new, |p| p.message.clone());
        unprocessable(
            "invalid_package",
            format!("the package is not valid ({count} problem(s)): {first}"),
        )
        .with_problems(invalid.problems.iter().map(views::problem).collect())
    })?;
    let manifest = package.manifest();
    if &manifest.id != app_id {
        return Err(unprocessable(
            "app_id_mismatch",
            format!(
                "the manifest's id is {}, but this upload is for {app_id}",
                manifest.id
            ),
        ));
    }
    let owner = existing.map_or(uploader.id, |app| app.owner_id);
    let keys = state.store.keys_of(owner)?;
    let key_id = package.key_id();
    match keys.iter().find(|k| k.key_id == key_id) {
        None => {
            return Err(unprocessable(
                "untrusted_key",
                format!(
                    "the package is signed by key {key_id}, which is not registered to this account: run `mosis keys register KEY.pub` first"
                ),
            ));
        }
        Some(k) if k.revoked_at.is_some() => {
            return Err(unprocessable(
                "revoked_key",
                format!("the package is signed by key {key_id}, which was revoked"),
            ));
        }
        Some(k) => package
            .require_signer(std::slice::from_ref(&k.public_key))
            .map_err(|p| unprocessable("untrusted_key", p.message))?,
    }
    let manifest_json = serde_json::to_string(manifest)
        .map_err(|e| ApiError::internal(format!("serialising the manifest: {e}")))?;
    let version = manifest.version.clone();

    let _one_at_a_time = state
        .publish_lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let earlier = state.store.versions_of(app_id)?;
    if earlier.iter().any(|v| v.version == version) {
        return Err(conflict(
            "version_exists",
            format!("version {version} of {app_id} was uploaded already; bump the version"),
        ));
    }
    if let Some(newest) = earlier.iter().map(|v| &v.version).max()
        && &version < newest
    {
        return Err(conflict(
            "version_not_newer",
            format!("version {version} is not greater than {newest}, the newest uploaded"),
        ));
    }
    let key = BlobKey {
        dev_id: owner,
        app_id: app_id.clone(),
        version: version.clone(),
        file: BlobFile::Package,
    };
    let info = pending.commit(&key)?;
    let new = NewVersion {
        app_id: app_id.clone(),
        version,
        size: info.size,
        sha256: info.sha256,
        key_id,
        manifest_json,
        uploaded_by: uploader.id,
        requested_channel: channel,
    };
    let claim_as = existing.is_none().then_some(manifest.name.as_str());
    let now = state.auth.clock().now();
    match state.store.record_upload(&new, claim_as, now) {
        Ok((record, _job)) => {
            state.reviewer.wake();
            Ok(record)
        }
        Err(e) => {
            // Nothing may stay visible without its row.
            if let Err(cleanup) = state.blobs.delete(&key) {
                tracing::error!(error = %cleanup, "removing the package of a failed upload");
            }
            Err(match e {
                StorageError::Conflict { what } => conflict("conflict", what),
                other => other.into(),
            })
        }
    }
}
