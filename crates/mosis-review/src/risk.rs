//! Risk-based review: what an update changes against the last published version, and the
//! rule that approves a low-risk update without a reviewer when the operator enabled it.

use crate::report::AutoApproval;
use mosis_domain::{KeyId, Manifest, Permission, Sha256};
use mosis_storage::{VersionRecord, VersionState};
use serde::{Deserialize, Serialize};

/// A value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    /// In the last published version.
    pub from: String,
    /// In this version.
    pub to: String,
}

impl Diff {
    fn of(from: impl ToString, to: impl ToString) -> Option<Self> {
        let (from, to) = (from.to_string(), to.to_string());
        (from != to).then_some(Self { from, to })
    }
}

/// An update's permission and listing changes against the last published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    /// The version compared with: the newest published one older than this.
    pub against: String,
    /// Permissions this version asks for that the last did not.
    pub permissions_added: Vec<Permission>,
    /// Permissions it no longer asks for.
    pub permissions_removed: Vec<Permission>,
    /// The added permissions that are sensitive (camera, microphone, location, contacts,
    /// bluetooth).
    pub sensitive_permissions_added: Vec<Permission>,
    /// The listing name, when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Diff>,
    /// Whether the icon's content changes (`null` when the earlier icon's hash is unknown).
    pub icon_changed: Option<bool>,
    /// Whether the store description changes.
    pub description_changed: bool,
    /// The lowest platform version, when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_os_version: Option<Diff>,
    /// The developer key, when this version is signed by another one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<Diff>,
}

/// The newest published version of `versions` older than `version`: the one an update is
/// compared with.
pub fn last_published<'a>(
    versions: &'a [VersionRecord],
    version: &semver::Version,
) -> Option<&'a VersionRecord> {
    versions
        .iter()
        .filter(|v| v.state == VersionState::Published && &v.version < version)
        .max_by(|a, b| a.version.cmp(&b.version))
}

/// What `new` (signed by `new_key`, icon `new_icon`) changes against `base`. `None` when
/// `base`'s stored manifest cannot be read (then nothing is assumed unchanged).
pub fn changes(
    base: &VersionRecord,
    new: &Manifest,
    new_key: KeyId,
    new_icon: Option<Sha256>,
) -> Option<Changes> {
    let old: Manifest = serde_json::from_str(&base.manifest_json).ok()?;
    let added: Vec<Permission> = new
        .permissions
        .difference(&old.permissions)
        .copied()
        .collect();
    Some(Changes {
        against: base.version.to_string(),
        sensitive_permissions_added: added.iter().copied().filter(|p| p.is_sensitive()).collect(),
        permissions_added: added,
        permissions_removed: old
            .permissions
            .difference(&new.permissions)
            .copied()
            .collect(),
        name: Diff::of(&old.name, &new.name),
        icon_changed: base.icon_sha256.zip(new_icon).map(|(a, b)| a != b),
        description_changed: old.description != new.description,
        min_os_version: Diff::of(&old.min_os_version, &new.min_os_version),
        signing_key: Diff::of(base.key_id, new_key),
    })
}

/// The rule's name, as the report states it.
pub const RULE: &str = "risk-based: an update signed by the same key as a reviewer-approved \
                        published version, adding no sensitive permission, keeping name and icon";

/// Decides whether the risk-based rule approves an update. `enabled` is the operator's
/// setting after the app's override; `versions` are the app's versions; `changes` the
/// update's diff against the last published version (`None` for a first release).
pub fn auto_approval(
    enabled: bool,
    versions: &[VersionRecord],
    changes: Option<&Changes>,
    key: KeyId,
) -> AutoApproval {
    let mut reasons = Vec::new();
    if !enabled {
        reasons.push("risk-based review is off for this app".to_owned());
    }
    match changes {
        None => reasons.push("a first release (or one without a readable published version) always goes to a reviewer".into()),
        Some(c) => {
            let anchored = versions.iter().any(|v| {
                v.state == VersionState::Published && v.reviewed_by.is_some() && v.key_id == key
            });
            if !anchored {
                reasons.push(format!(
                    "no published version signed by key {key} was approved by a reviewer"
                ));
            }
            if let Some(k) = &c.signing_key {
                reasons.push(format!("signed by key {}, not {} as {} was", k.to, k.from, c.against));
            }
            if !c.sensitive_permissions_added.is_empty() {
                let names: Vec<&str> =
                    c.sensitive_permissions_added.iter().map(|p| p.as_str()).collect();
                reasons.push(format!("adds sensitive permission(s): {}", names.join(", ")));
            }
            if let Some(n) = &c.name {
                reasons.push(format!("the name changes from “{}” to “{}”", n.from, n.to));
            }
            match c.icon_changed {
                Some(false) => {}
                Some(true) => reasons.push("the icon changes".into()),
                None => reasons.push(format!("the icon of {} is not known", c.against)),
            }
        }
    }
    AutoApproval {
        applied: reasons.is_empty(),
        rule: reasons.is_empty().then(|| RULE.to_owned()),
        reasons,
    }
}
