//! The package itself: every rule of the format (SPEC §3), and the size limits.

use super::{Check, Finding, Subject};
use mosis_domain::{Problem, ProblemCode};

/// Problem codes the limits check reports (the package check leaves them to it).
const LIMIT_CODES: [ProblemCode; 4] = [
    ProblemCode::PackageTooLarge,
    ProblemCode::TooManyEntries,
    ProblemCode::TotalSizeTooLarge,
    ProblemCode::CompressionRatioTooHigh,
];

/// Whether another check reports this problem (limits, icon, permissions).
fn reported_elsewhere(problem: &Problem) -> bool {
    LIMIT_CODES.contains(&problem.code)
        || problem.code == ProblemCode::InvalidIcon
        || problem.field.as_deref() == Some("permissions")
}

/// Every domain validation: archive structure, paths, the signed file list and its
/// signature, each file's size and hash, the manifest's rules.
#[derive(Debug)]
pub struct PackageCheck;

impl Check for PackageCheck {
    fn id(&self) -> &'static str {
        "package"
    }

    fn title(&self) -> &'static str {
        "Package format, signature and manifest"
    }

    fn run(&self, subject: &Subject<'_>) -> Vec<Finding> {
        match subject.package {
            Ok(package) => vec![Finding::passed(format!(
                "intact: {} files, each matching the signed list; signature by key {} holds; the manifest follows every rule",
                package.file_list().files.len(),
                package.key_id()
            ))],
            Err(invalid) => {
                let findings: Vec<Finding> = invalid
                    .problems
                    .iter()
                    .filter(|p| !reported_elsewhere(p))
                    .map(Finding::problem)
                    .collect();
                if findings.is_empty() {
                    vec![Finding::passed(
                        "the archive's structure and signature are sound; see the other checks",
                    )]
                } else {
                    findings
                }
            }
        }
    }
}

/// Package size, entry count, total uncompressed size and compression ratios against the
/// configured limits.
#[derive(Debug)]
pub struct LimitsCheck;

impl Check for LimitsCheck {
    fn id(&self) -> &'static str {
        "limits"
    }

    fn title(&self) -> &'static str {
        "Size and compression limits"
    }

    fn run(&self, subject: &Subject<'_>) -> Vec<Finding> {
        let limits = subject.limits;
        if let Err(invalid) = subject.package {
            let over: Vec<Finding> = invalid
                .problems
                .iter()
                .filter(|p| LIMIT_CODES.contains(&p.code))
                .map(Finding::problem)
                .collect();
            if !over.is_empty() {
                return over;
            }
        }
        let mut findings = vec![Finding::passed(format!(
            "{} bytes of the {} allowed; no entry compressed more than {}:1",
            subject.package_size, limits.max_package_bytes, limits.max_compression_ratio
        ))];
        if let Ok(package) = subject.package {
            let total = package.file_list().total_size();
            findings[0].message = format!(
                "{} bytes of the {} allowed; {} files, {} bytes uncompressed of the {} allowed; no entry compressed more than {}:1",
                subject.package_size,
                limits.max_package_bytes,
                package.file_list().files.len(),
                total,
                limits.max_total_uncompressed_bytes,
                limits.max_compression_ratio
            );
        }
        if subject.package_size.saturating_mul(10) > limits.max_package_bytes.saturating_mul(9) {
            findings.push(Finding::warning(format!(
                "the package is within 10 % of the size limit ({} of {} bytes)",
                subject.package_size, limits.max_package_bytes
            )));
        }
        findings
    }
}
