//! Problems: rule violations found in a manifest, a project, a package or an installed app.

use serde::Serialize;
use std::fmt;

/// One broken rule. Problems are data, not errors: a check that finds five collects five.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A stable machine-readable code (the JSON output's `code`).
    pub code: ProblemCode,
    /// A human sentence saying what is wrong and, where it helps, what the limit is.
    pub message: String,
    /// The package or project path the problem concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The manifest field the problem concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    /// A problem that concerns no particular file or field.
    pub fn new(code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            path: None,
            field: None,
        }
    }

    /// A problem about one path in a package, project or installed directory.
    pub fn at(code: ProblemCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            path: Some(path.into()),
            field: None,
        }
    }

    /// A problem about one field of `manifest.json`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: ProblemCode::InvalidManifest,
            message: message.into(),
            path: Some(crate::MANIFEST_PATH.to_owned()),
            field: Some(field.into()),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, &self.field) {
            (Some(path), Some(field)) => write!(f, "{path}: field `{field}`: {}", self.message),
            (Some(path), None) => write!(f, "{path}: {}", self.message),
            (None, Some(field)) => write!(f, "field `{field}`: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// A single problem is also an error, for APIs that refuse on one rule (such as
/// [`crate::VerifiedPackage::require_signer`]).
impl std::error::Error for Problem {}

macro_rules! problem_codes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// The stable codes of [`Problem`]s. Scripts match on them: add, never rename.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ProblemCode {
            $($(#[$doc])* $variant,)*
        }

        impl ProblemCode {
            /// Every code, in declaration order.
            pub const ALL: &[ProblemCode] = &[$(ProblemCode::$variant,)*];

            /// The code as it appears in JSON output, e.g. `hash_mismatch`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $code,)*
                }
            }
        }
    };
}

problem_codes! {
    /// The file is not a ZIP archive, or its central directory is unreadable.
    NotAZip => "not_a_zip",
    /// The package file is larger than the package size limit.
    PackageTooLarge => "package_too_large",
    /// The archive has more entries than the entry limit.
    TooManyEntries => "too_many_entries",
    /// The entries' uncompressed sizes add up to more than the limit.
    TotalSizeTooLarge => "total_size_too_large",
    /// An entry's compression ratio is above the limit (a zip bomb).
    CompressionRatioTooHigh => "compression_ratio_too_high",
    /// Local and central headers disagree, entries overlap, or data hides between entries.
    InconsistentHeaders => "inconsistent_headers",
    /// An entry name is not a valid package path (not UTF-8, empty segment, control character, too long).
    InvalidPath => "invalid_path",
    /// An entry name contains a `..` segment.
    PathTraversal => "path_traversal",
    /// An entry name starts with `/`.
    AbsolutePath => "absolute_path",
    /// An entry name contains a backslash.
    Backslash => "backslash_in_path",
    /// An entry name starts with a drive letter such as `C:`.
    DriveLetter => "drive_letter",
    /// Two entries have the same name.
    DuplicateEntry => "duplicate_entry",
    /// Two entries' names differ only by case or Unicode normalisation.
    CaseInsensitiveDuplicate => "case_insensitive_duplicate",
    /// An entry (or a project file) is a symbolic link.
    Symlink => "symlink",
    /// An entry is a directory; packages list files only.
    DirectoryEntry => "directory_entry",
    /// A project holds something that is neither a file nor a directory (socket, device, FIFO).
    SpecialFile => "special_file",
    /// An entry is encrypted.
    Encrypted => "encrypted_entry",
    /// An entry uses a compression method other than stored or deflate.
    UnsupportedCompression => "unsupported_compression",
    /// An entry's data cannot be read or inflated.
    CorruptEntry => "corrupt_entry",
    /// A project uses the reserved `META/` folder, or a package has an unknown `META/` entry.
    ReservedPath => "reserved_path",
    /// `META/files.json` is missing.
    MissingFileList => "missing_file_list",
    /// `META/files.json` is not a valid file list.
    InvalidFileList => "invalid_file_list",
    /// `META/files.json` has a `format` this version does not know.
    UnknownFileListFormat => "unknown_file_list_format",
    /// `META/signature.json` is missing.
    MissingSignature => "missing_signature",
    /// `META/signature.json` is malformed or names an unknown algorithm.
    InvalidSignatureBlock => "invalid_signature_block",
    /// The signature block's `key_id` is not the id of its public key.
    KeyIdMismatch => "key_id_mismatch",
    /// The signature does not verify over `META/files.json`.
    BadSignature => "bad_signature",
    /// The package is signed by a key the verifier does not trust.
    UntrustedKey => "untrusted_key",
    /// A file listed in `META/files.json` is not in the package (or the installed directory).
    MissingFile => "missing_file",
    /// An entry outside `META/` is not listed in `META/files.json` (or an extra installed file).
    UnlistedFile => "unlisted_file",
    /// A file's size differs from its listed (or declared) size.
    SizeMismatch => "size_mismatch",
    /// A file's SHA-256 differs from its listed hash.
    HashMismatch => "hash_mismatch",
    /// `manifest.json` is missing.
    MissingManifest => "missing_manifest",
    /// `manifest.json` breaks a rule; the problem's `field` names which.
    InvalidManifest => "invalid_manifest",
    /// The icon is not a PNG of the required shape and size.
    InvalidIcon => "invalid_icon",
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProblemCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for code in ProblemCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{s} is not snake_case"
            );
        }
    }

    #[test]
    fn display_names_path_and_field() {
        let p = Problem::field("name", "must be 1–50 characters");
        assert_eq!(
            p.to_string(),
            "manifest.json: field `name`: must be 1–50 characters"
        );
        let p = Problem::at(ProblemCode::HashMismatch, "a.txt", "content changed");
        assert_eq!(p.to_string(), "a.txt: content changed");
    }
}
