//! Channels and the release statement (`release.json`): what the portal vouches for when
//! it publishes a version.

use super::TrustError;
use super::envelope::{DocKind, Signed};
use super::index::OnlineKeys;
use crate::digest::Sha256;
use crate::ids::{AppId, KeyId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A release channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// What devices install by default.
    Stable,
    /// Early access.
    Beta,
}

impl Channel {
    /// Every channel.
    pub const ALL: &[Channel] = &[Channel::Stable, Channel::Beta];

    /// The channel's name (`stable`, `beta`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Stable => "stable",
            Channel::Beta => "beta",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel `{s}` (expected stable or beta)"))
    }
}

/// The portal's statement that a package is published: SPEC §4's app id, version,
/// channel, package SHA-256 and size, developer key id and publication time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseStatement {
    /// The app.
    pub app_id: AppId,
    /// The version.
    pub version: semver::Version,
    /// The channel it is published on.
    pub channel: Channel,
    /// The package's SHA-256.
    pub sha256: Sha256,
    /// The package's size in bytes.
    pub size: u64,
    /// The developer key that signed the package.
    pub key_id: KeyId,
    /// When it was published there (Unix seconds).
    pub published_at: i64,
}

impl ReleaseStatement {
    /// Whether a downloaded package is the one this statement vouches for.
    pub fn check_package(&self, sha256: &Sha256, size: u64) -> Result<(), TrustError> {
        let mismatch = |reason: String| TrustError::PackageMismatch {
            app_id: self.app_id.to_string(),
            version: self.version.to_string(),
            reason,
        };
        if size != self.size {
            return Err(mismatch(format!(
                "{size} bytes, the statement says {}",
                self.size
            )));
        }
        if sha256 != &self.sha256 {
            return Err(mismatch(format!(
                "SHA-256 {sha256}, the statement says {}",
                self.sha256
            )));
        }
        Ok(())
    }
}

/// Verifies a release statement (a `release.json`) against the online keys (from a
/// verified index document).
pub fn verify_release(doc: &Signed, keys: &OnlineKeys) -> Result<ReleaseStatement, TrustError> {
    doc.verify(DocKind::Release, &keys.public_keys()?)
}
