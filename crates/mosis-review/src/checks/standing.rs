//! What the store knows about the upload: who owns the app id, which versions exist,
//! which keys the owner registered.

use super::{Check, Finding, Subject};
use mosis_domain::{KeyId, SIGNATURE_PATH};

/// The app id belongs to the uploader, and the manifest names the same app and version
/// as the upload.
#[derive(Debug)]
pub struct OwnershipCheck;

impl Check for OwnershipCheck {
    fn id(&self) -> &'static str {
        "ownership"
    }

    fn title(&self) -> &'static str {
        "The app id belongs to the uploader"
    }

    fn run(&self, subject: &Subject<'_>) -> Vec<Finding> {
        let (app, version) = (subject.app, subject.version);
        let mut findings = Vec::new();
        if app.owner_id != version.uploaded_by {
            findings.push(Finding::failed(format!(
                "{} is registered to account {}, but account {} uploaded this version",
                app.app_id, app.owner_id, version.uploaded_by
            )));
        }
        if let Ok(package) = subject.package
            && package.manifest().id != version.app_id
        {
            findings.push(
                Finding::failed(format!(
                    "the manifest's id is {}, but this is a version of {}",
                    package.manifest().id,
                    version.app_id
                ))
                .at(mosis_domain::MANIFEST_PATH),
            );
        }
        if findings.is_empty() {
            findings.push(Finding::passed(format!(
                "{} is registered to the uploader (account {})",
                app.app_id, app.owner_id
            )));
        }
        findings
    }
}

/// The version is greater than every version of the app uploaded before it, and the
/// manifest says so.
#[derive(Debug)]
pub struct VersionCheck;

impl Check for VersionCheck {
    fn id(&self) -> &'static str {
        "version"
    }

    fn title(&self) -> &'static str {
        "Newer than every earlier version"
    }

    fn run(&self, subject: &Subject<'_>) -> Vec<Finding> {
        let this = &subject.version.version;
        // Versions uploaded before this one (later uploads were checked against it then).
        let newest_other = subject
            .versions
            .iter()
            .filter(|v| v.id < subject.version.id)
            .map(|v| &v.version)
            .max();
        let mut findings = Vec::new();
        if let Some(newest) = newest_other
            && newest >= this
        {
            findings.push(Finding::failed(format!(
                "{this} is not greater than {newest}, already uploaded; bump the version"
            )));
        }
        if let Ok(package) = subject.package
            && &package.manifest().version != this
        {
            findings.push(
                Finding::failed(format!(
                    "the manifest says version {}, but this upload is {this}",
                    package.manifest().version
                ))
                .at(mosis_domain::MANIFEST_PATH),
            );
        }
        if findings.is_empty() {
            findings.push(Finding::passed(match newest_other {
                Some(newest) => format!("{this} is greater than {newest}, the newest before it"),
                None => format!("{this} is the app's first version"),
            }));
        }
        findings
    }
}

/// The package is signed by one of the owner's registered keys, not revoked.
#[derive(Debug)]
pub struct SigningKeyCheck;

impl Check for SigningKeyCheck {
    fn id(&self) -> &'static str {
        "signing_key"
    }

    fn title(&self) -> &'static str {
        "Signed by a registered, unrevoked key of the owner"
    }

    fn run(&self, subject: &Subject<'_>) -> Vec<Finding> {
        let (key_id, signer): (Option<KeyId>, _) = match subject.package {
            Ok(package) => (Some(package.key_id()), Some(*package.signer())),
            Err(invalid) => (invalid.key_id, None),
        };
        let Some(key_id) = key_id else {
            return vec![Finding::failed("the package names no signing key").at(SIGNATURE_PATH)];
        };
        let failed = |message: String| vec![Finding::failed(message).at(SIGNATURE_PATH)];
        match subject.owner_keys.iter().find(|k| k.key_id == key_id) {
            None => failed(format!(
                "signed by key {key_id}, which is not registered to the app's owner"
            )),
            Some(k) if k.revoked_at.is_some() => {
                failed(format!("signed by key {key_id}, which the owner revoked"))
            }
            Some(k) if signer.is_some_and(|s| s != k.public_key) => failed(format!(
                "the signature block names key {key_id} but carries another public key"
            )),
            Some(k) if signer.is_none() => failed(format!(
                "signed by key {key_id} ({}), but the signature could not be verified",
                if k.label.is_empty() {
                    "registered"
                } else {
                    &k.label
                }
            )),
            Some(k) => vec![Finding::passed(format!(
                "signed by key {key_id}{}, registered to the owner and not revoked",
                if k.label.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", k.label)
                }
            ))],
        }
    }
}
