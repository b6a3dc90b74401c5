//! The online key list (signed by the root key) and a channel's signed index, with the
//! checks a device makes before it believes either.

use super::TrustError;
use super::envelope::{DocKind, Signed};
use super::release::{Channel, ReleaseStatement, verify_release};
use crate::ids::{AppId, KeyId};
use crate::keys::PublicKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One online signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineKey {
    /// The key's id.
    pub key_id: KeyId,
    /// The Ed25519 public key, base64.
    pub public_key: String,
}

/// The keys that may sign release statements and indexes, as endorsed by the root key.
/// Rotation adds the new key and keeps the old ones, so statements signed before a
/// rotation still verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineKeys {
    /// The endorsed keys; the last is the one signing now.
    pub keys: Vec<OnlineKey>,
    /// When the root key signed this list (Unix seconds).
    pub issued_at: i64,
}

impl OnlineKeys {
    /// A list endorsing `keys` (oldest first).
    pub fn new(keys: &[PublicKey], issued_at: i64) -> Self {
        Self {
            keys: keys
                .iter()
                .map(|k| OnlineKey {
                    key_id: k.key_id(),
                    public_key: k.to_base64(),
                })
                .collect(),
            issued_at,
        }
    }

    /// The endorsed keys, each checked against its id.
    pub fn public_keys(&self) -> Result<Vec<PublicKey>, TrustError> {
        self.keys
            .iter()
            .map(|k| {
                let key = PublicKey::from_base64(&k.public_key).map_err(|reason| {
                    TrustError::Malformed {
                        what: "the online key list",
                        reason,
                    }
                })?;
                if key.key_id() != k.key_id {
                    return Err(TrustError::Malformed {
                        what: "the online key list",
                        reason: format!("key {} is listed under id {}", key.key_id(), k.key_id),
                    });
                }
                Ok(key)
            })
            .collect()
    }
}

/// A channel's index: the current release of every app on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// The channel.
    pub channel: Channel,
    /// Grows with every change of the channel's releases; devices refuse a lower one.
    pub serial: u64,
    /// After this (Unix seconds) devices refuse the index; the portal re-signs before.
    pub expires: i64,
    /// When it was signed (Unix seconds).
    pub generated_at: i64,
    /// The signed release statement of each app's current release, by app id.
    pub releases: Vec<Signed>,
}

/// What `GET /api/v1/index` returns: the root-signed online keys and the signed index.
/// `channel`, `serial` and `expires` repeat the signed index's, for people and for a
/// cheap look; the verifier refuses a document where they differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexDocument {
    /// The channel (a copy of the signed one).
    pub channel: Channel,
    /// The serial (a copy of the signed one).
    pub serial: u64,
    /// The expiry (a copy of the signed one).
    pub expires: i64,
    /// [`OnlineKeys`], signed by the root key.
    pub online_keys: Signed,
    /// [`Index`], signed by an online key.
    pub index: Signed,
}

/// What a device knows when it checks an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexCheck {
    /// The channel it asked for.
    pub channel: Channel,
    /// The highest serial it accepted before, if any (rollback protection).
    pub last_serial: Option<u64>,
    /// Its time (Unix seconds; freeze protection).
    pub now: i64,
}

/// An index whose whole chain verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIndex {
    /// The channel.
    pub channel: Channel,
    /// Its serial (remember it: the next index must not be lower).
    pub serial: u64,
    /// When it expires.
    pub expires: i64,
    /// Every current release, verified.
    pub releases: Vec<ReleaseStatement>,
    /// The online keys, for verifying a `release.json` on its own.
    pub online_keys: OnlineKeys,
}

impl VerifiedIndex {
    /// The current release of `app_id`, if it is on this channel.
    pub fn release(&self, app_id: &AppId) -> Option<&ReleaseStatement> {
        self.releases.iter().find(|r| &r.app_id == app_id)
    }
}

/// Verifies the online key list against the root key (a device's trust root).
pub fn verify_online_keys(doc: &Signed, root: &PublicKey) -> Result<OnlineKeys, TrustError> {
    let keys: OnlineKeys = doc.verify(DocKind::OnlineKeys, std::slice::from_ref(root))?;
    keys.public_keys()?;
    Ok(keys)
}

/// Verifies an index document: the online keys against `root`, the index against them,
/// each release statement likewise; then refuses it for another channel, a serial lower
/// than `check.last_serial` (rollback) or an `expires` before `check.now` (freeze).
pub fn verify_index(
    doc: &IndexDocument,
    root: &PublicKey,
    check: IndexCheck,
) -> Result<VerifiedIndex, TrustError> {
    let online_keys = verify_online_keys(&doc.online_keys, root)?;
    let index: Index = doc
        .index
        .verify(DocKind::Index, &online_keys.public_keys()?)?;
    if (doc.channel, doc.serial, doc.expires) != (index.channel, index.serial, index.expires) {
        return Err(TrustError::Malformed {
            what: "the index document",
            reason: "its channel, serial or expires differ from the signed index".into(),
        });
    }
    if index.channel != check.channel {
        return Err(TrustError::WrongChannel {
            what: "the index",
            expected: check.channel,
            found: index.channel,
        });
    }
    if let Some(seen) = check.last_serial
        && index.serial < seen
    {
        return Err(TrustError::Rollback {
            seen,
            found: index.serial,
        });
    }
    if check.now > index.expires {
        return Err(TrustError::Expired {
            expires: index.expires,
            now: check.now,
        });
    }
    let mut apps = BTreeSet::new();
    let mut releases = Vec::with_capacity(index.releases.len());
    for signed in &index.releases {
        let release = verify_release(signed, &online_keys)?;
        if release.channel != index.channel {
            return Err(TrustError::WrongChannel {
                what: "a release statement in the index",
                expected: index.channel,
                found: release.channel,
            });
        }
        if !apps.insert(release.app_id.clone()) {
            return Err(TrustError::Malformed {
                what: "the index",
                reason: format!("{} is listed twice", release.app_id),
            });
        }
        releases.push(release);
    }
    Ok(VerifiedIndex {
        channel: index.channel,
        serial: index.serial,
        expires: index.expires,
        releases,
        online_keys,
    })
}
