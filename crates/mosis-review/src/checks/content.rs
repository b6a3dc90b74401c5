//! What the package contains: its icon, its permissions, known-bad files.

use super::{Check, Finding, Subject};
use mosis_domain::{MANIFEST_PATH, decode_icon};

/// The icon decodes as a PNG (every chunk, the image data) and is a square of 256–1024 px.
#[derive(Debug)]
pub struct IconCheck;

impl Check for IconCheck {
    fn id(&self) -> &'static str {
        "icon"
    }

    fn title(&self) -> &'static str {
        "The icon decodes and fits"
    }

    fn run(&self, subject: &Subject<'_>) -> Vec<Finding> {
        let path = match subject.package {
            Ok(package) => package.manifest().icon.to_string(),
            Err(invalid) => {
                let found: Vec<Finding> = invalid
                    .problems
                    .iter()
                    .filter(|p| p.code == mosis_domain::ProblemCode::InvalidIcon)
                    .map(Finding::problem)
                    .collect();
                return if found.is_empty() {
                    vec![Finding::warning(
                        "not checked: the package could not be read",
                    )]
                } else {
                    found
                };
            }
        };
        match subject.icon {
            None => vec![Finding::warning("not checked: the icon was not read").at(path)],
            Some(Err(reason)) => vec![Finding::failed(reason.clone()).at(path)],
            Some(Ok(bytes)) => match decode_icon(bytes) {
                Ok(size) => vec![
                    Finding::passed(format!(
                        "a {}×{} px PNG that decodes completely",
                        size.width, size.height
                    ))
                    .at(path),
                ],
                Err(reason) => vec![Finding::failed(reason).at(path)],
            },
        }
    }
}

/// Every permission is one the platform knows; sensitive ones are pointed out.
#[derive(Debug)]
pub struct PermissionsCheck;

impl Check for PermissionsCheck {
    fn id(&self) -> &'static str {
        "permissions"
    }

    fn title(&self) -> &'static str {
        "Permissions are known"
    }

    fn run(&self, subject: &Subject<'_>) -> Vec<Finding> {
        let manifest = match subject.package {
            Ok(package) => package.manifest(),
            Err(invalid) => {
                let unknown: Vec<Finding> = invalid
                    .problems
                    .iter()
                    .filter(|p| p.field.as_deref() == Some("permissions"))
                    .map(Finding::problem)
                    .collect();
                return match (unknown.is_empty(), invalid.manifest.as_deref()) {
                    (false, _) => unknown,
                    (true, Some(manifest)) => describe(&manifest.permissions),
                    (true, None) => vec![Finding::warning(
                        "not checked: the manifest could not be read",
                    )],
                };
            }
        };
        describe(&manifest.permissions)
    }
}

fn describe(permissions: &std::collections::BTreeSet<mosis_domain::Permission>) -> Vec<Finding> {
    let names = |sensitive: bool| -> Vec<&str> {
        permissions
            .iter()
            .filter(|p| p.is_sensitive() == sensitive)
            .map(|p| p.as_str())
            .collect()
    };
    let mut findings = vec![
        Finding::passed(if permissions.is_empty() {
            "asks for no permissions".to_owned()
        } else {
            format!(
                "every permission is known: {}",
                permissions
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .at(MANIFEST_PATH),
    ];
    let sensitive = names(true);
    if !sensitive.is_empty() {
        findings.push(
            Finding::warning(format!(
                "asks for sensitive permission(s) {}: the listing should say why",
                sensitive.join(", ")
            ))
            .at(MANIFEST_PATH),
        );
    }
    findings
}

/// No file's SHA-256 is on the operator's deny-list.
#[derive(Debug)]
pub struct DenyListCheck;

impl Check for DenyListCheck {
    fn id(&self) -> &'static str {
        "deny_list"
    }

    fn title(&self) -> &'static str {
        "No known-bad files"
    }

    fn run(&self, subject: &Subject<'_>) -> Vec<Finding> {
        let Ok(package) = subject.package else {
            return vec![Finding::warning(
                "not checked: the package's file list could not be trusted",
            )];
        };
        let files = &package.file_list().files;
        let denied: Vec<Finding> = files
            .iter()
            .filter_map(|f| {
                subject.deny_list.denies(&f.sha256).map(|note| {
                    let why = if note.is_empty() {
                        String::new()
                    } else {
                        format!(" ({note})")
                    };
                    Finding::failed(format!(
                        "matches a known-bad file{why}: SHA-256 {}",
                        f.sha256
                    ))
                    .at(f.path.as_str())
                })
            })
            .collect();
        if denied.is_empty() {
            vec![Finding::passed(format!(
                "{} file(s) checked against {} known-bad hash(es)",
                files.len(),
                subject.deny_list.len()
            ))]
        } else {
            denied
        }
    }
}
