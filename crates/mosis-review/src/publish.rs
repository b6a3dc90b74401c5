//! Publishing: the release statement signed with the portal's online key, stored with the
//! state change and the index serial bump in one transaction, and written as
//! `release.json` beside the package.

use crate::error::ReviewError;
use mosis_domain::{DocKind, KeyId, ReleaseStatement, Signed, SigningKey};
use mosis_storage::{
    AccountId, BlobFile, Channel, FsBlobStore, PendingBlob as _, Releases, UnixTime, VersionRecord,
    VersionState,
};

/// The portal's online key, with the root key's endorsement of the online keys.
pub struct OnlineSigner {
    key: SigningKey,
    online_keys: Signed,
}

impl std::fmt::Debug for OnlineSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OnlineSigner({})", self.key.key_id())
    }
}

impl OnlineSigner {
    /// Signs with `key`; `online_keys` is the root-signed list that endorses it.
    pub fn new(key: SigningKey, online_keys: Signed) -> Self {
        Self { key, online_keys }
    }

    /// The online key's id.
    pub fn key_id(&self) -> KeyId {
        self.key.key_id()
    }

    /// The root-signed online key list, as devices receive it with the index.
    pub fn online_keys(&self) -> &Signed {
        &self.online_keys
    }

    /// Signs `body` as a document of `kind`.
    pub fn sign<T: serde::Serialize>(&self, kind: DocKind, body: &T) -> Signed {
        Signed::sign(kind, body, &self.key)
    }
}

/// How a version is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publication {
    /// The state it must still be in (`in_review`, or `published` for a promotion).
    pub from: VersionState,
    /// The channel.
    pub channel: Channel,
    /// The reviewer who approved it (`None`: the risk-based rule, or a promotion).
    pub approved_by: Option<AccountId>,
}

/// Publishes versions: signs, stores, writes `release.json`.
#[derive(Debug, Clone)]
pub struct Publisher {
    signer: std::sync::Arc<OnlineSigner>,
    blobs: FsBlobStore,
}

impl Publisher {
    /// A publisher signing with `signer`, writing into `blobs`.
    pub fn new(signer: std::sync::Arc<OnlineSigner>, blobs: FsBlobStore) -> Self {
        Self { signer, blobs }
    }

    /// The signer.
    pub fn signer(&self) -> &OnlineSigner {
        &self.signer
    }

    /// Publishes `version` (of an app owned by `owner`) on `how.channel`: signs its
    /// release statement, then in one transaction moves it from `how.from` to `published`
    /// (or, for a promotion, keeps it published), stores the statement and bumps the
    /// channel's index serial; then `release.json` appears beside the package. Returns
    /// the new serial.
    pub fn publish<S: Releases + ?Sized>(
        &self,
        store: &S,
        version: &VersionRecord,
        owner: AccountId,
        how: Publication,
        now: UnixTime,
    ) -> Result<u64, ReviewError> {
        let Publication {
            from,
            channel,
            approved_by,
        } = how;
        let statement = ReleaseStatement {
            app_id: version.app_id.clone(),
            version: version.version.clone(),
            channel,
            sha256: version.sha256,
            size: version.size,
            key_id: version.key_id,
            published_at: now,
        };
        let text = self
            .signer
            .sign(DocKind::Release, &statement)
            .to_json_pretty();
        // Staged first, so the file appears only once the transaction committed.
        let staged = crate::files::stage(&self.blobs, &text)?;
        let serial = store.publish(version.id, from, channel, &text, approved_by, now)?;
        let key = crate::files::key(owner, version, BlobFile::Release);
        if let Err(e) = staged.commit(&key) {
            // The statement is in the database (the index reads it from there); only the
            // copy beside the package is missing.
            tracing::error!(app_id = %version.app_id, version = %version.version, error = %e, "writing release.json");
        }
        Ok(serial)
    }
}
