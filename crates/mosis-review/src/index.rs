//! The signed index of each channel, cached: re-signed only when the channel's serial
//! changed or the cached copy nears its expiry, so devices polling it cost a serial read.

use crate::error::ReviewError;
use crate::publish::OnlineSigner;
use mosis_domain::{DocKind, Index, IndexDocument, Sha256, Signed};
use mosis_storage::{Channel, Releases, UnixTime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A signed index document, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIndex {
    /// The channel.
    pub channel: Channel,
    /// Its serial.
    pub serial: u64,
    /// When devices stop accepting it (Unix seconds).
    pub expires: UnixTime,
    /// The [`IndexDocument`] as JSON.
    pub body: String,
    /// A strong ETag of the body (quoted).
    pub etag: String,
}

/// Builds and caches the signed index of each channel.
#[derive(Debug)]
pub struct IndexService {
    signer: Arc<OnlineSigner>,
    validity_secs: i64,
    cache: Mutex<HashMap<Channel, Arc<SignedIndex>>>,
}

impl IndexService {
    /// Indexes valid for `validity_secs` (re-signed once less than a quarter remains).
    pub fn new(signer: Arc<OnlineSigner>, validity_secs: i64) -> Self {
        Self {
            signer,
            validity_secs: validity_secs.max(60),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The current signed index of `channel`: the cached one while its serial is current
    /// and more than a quarter of its validity remains, else a freshly signed one.
    pub fn current<S: Releases + ?Sized>(
        &self,
        store: &S,
        channel: Channel,
        now: UnixTime,
    ) -> Result<Arc<SignedIndex>, ReviewError> {
        let serial = store.index_serial(channel)?;
        let fresh_enough =
            |c: &SignedIndex| c.serial == serial && (c.expires - now) * 4 > self.validity_secs;
        if let Some(cached) = self.lock().get(&channel).filter(|c| fresh_enough(c)) {
            return Ok(cached.clone());
        }
        // Read after the serial: the releases are at least as new as it, and a newer
        // serial makes the next request rebuild.
        let releases = store
            .current_releases(channel)?
            .into_iter()
            .map(|r| {
                Signed::parse(r.statement.as_bytes()).map_err(|e| ReviewError::File {
                    path: format!("the stored release statement of {} {}", r.app_id, r.version),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let expires = now + self.validity_secs;
        let index = Index {
            channel,
            serial,
            expires,
            generated_at: now,
            releases,
        };
        let document = IndexDocument {
            channel,
            serial,
            expires,
            online_keys: self.signer.online_keys().clone(),
            index: self.signer.sign(DocKind::Index, &index),
        };
        let body = serde_json::to_string(&document).unwrap_or_default();
        let etag = format!("\"{}\"", &Sha256::of(body.as_bytes()).to_string()[..32]);
        let signed = Arc::new(SignedIndex {
            channel,
            serial,
            expires,
            body,
            etag,
        });
        self.lock().insert(channel, signed.clone());
        Ok(signed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Channel, Arc<SignedIndex>>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
