//! Package paths: the names of files inside a package, checked once at the boundary.

use crate::problem::ProblemCode;
use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// A file's path inside a package: UTF-8, relative, `/`-separated, with no `.`/`..` or
/// empty segments, no backslashes, no drive letter, no control characters.
///
/// Ordering is byte order of the text, the order `META/files.json` lists files in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PackagePath(String);

/// Why a name is not a valid [`PackagePath`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The name is not UTF-8.
    #[error("the name is not valid UTF-8")]
    NotUtf8,
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name or one of its segments is too long.
    #[error("the name is too long ({len} bytes; at most {max})")]
    TooLong {
        /// Length of the name or segment, in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },
    /// The name starts with `/`.
    #[error("absolute paths are not allowed")]
    Absolute,
    /// The name starts with a drive letter.
    #[error("drive letters are not allowed")]
    DriveLetter,
    /// The name contains `\`.
    #[error("backslashes are not allowed; use `/`")]
    Backslash,
    /// The name contains a `..` segment.
    #[error("`..` segments are not allowed (path traversal)")]
    Traversal,
    /// The name contains an empty or `.` segment.
    #[error("empty and `.` segments are not allowed")]
    BadSegment,
    /// The name contains a control character.
    #[error("control characters are not allowed")]
    ControlCharacter,
}

impl PathError {
    /// The problem code this error is reported under.
    pub fn code(&self) -> ProblemCode {
        match self {
            PathError::Absolute => ProblemCode::AbsolutePath,
            PathError::DriveLetter => ProblemCode::DriveLetter,
            PathError::Backslash => ProblemCode::Backslash,
            PathError::Traversal => ProblemCode::PathTraversal,
            PathError::NotUtf8
            | PathError::Empty
            | PathError::TooLong { .. }
            | PathError::BadSegment
            | PathError::ControlCharacter => ProblemCode::InvalidPath,
        }
    }
}

impl PackagePath {
    /// Longest path accepted, in bytes.
    pub const MAX_LEN: usize = 512;
    /// Longest single segment accepted, in bytes.
    pub const MAX_SEGMENT_LEN: usize = 255;

    /// Parses a path, saying which rule it breaks if it is not valid.
    pub fn parse(s: &str) -> Result<Self, PathError> {
        if s.is_empty() {
            return Err(PathError::Empty);
        }
        if s.contains('\\') {
            return Err(PathError::Backslash);
        }
        if s.starts_with('/') {
            return Err(PathError::Absolute);
        }
        let b = s.as_bytes();
        if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            return Err(PathError::DriveLetter);
        }
        if s.chars().any(char::is_control) {
            return Err(PathError::ControlCharacter);
        }
        if s.len() > Self::MAX_LEN {
            return Err(PathError::TooLong {
                len: s.len(),
                max: Self::MAX_LEN,
            });
        }
        for segment in s.split('/') {
            match segment {
                ".." => return Err(PathError::Traversal),
                "" | "." => return Err(PathError::BadSegment),
                _ if segment.len() > Self::MAX_SEGMENT_LEN => {
                    return Err(PathError::TooLong {
                        len: segment.len(),
                        max: Self::MAX_SEGMENT_LEN,
                    });
                }
                _ => {}
            }
        }
        Ok(Self(s.to_owned()))
    }

    /// Parses a raw ZIP entry name.
    pub fn from_bytes(raw: &[u8]) -> Result<Self, PathError> {
        std::str::from_utf8(raw)
            .map_err(|_| PathError::NotUtf8)
            .and_then(Self::parse)
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key two paths collide under on a case-insensitive or normalising file system:
    /// NFKC normalisation, then lowercase.
    pub fn folded(&self) -> String {
        self.0.nfkc().flat_map(char::to_lowercase).nfkc().collect()
    }

    /// Whether the path is inside the reserved `META/` folder.
    pub fn is_meta(&self) -> bool {
        self.0.starts_with("META/")
    }

    /// The path's segments.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl fmt::Display for PackagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PackagePath {
    type Error = PathError;
    fn try_from(s: String) -> Result<Self, PathError> {
        Self::parse(&s)
    }
}

impl From<PackagePath> for String {
    fn from(p: PackagePath) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<(), PathError>) {
        assert_eq!(PackagePath::parse(input).map(|_| ()), expected, "{input:?}");
    }

    #[test]
    fn paths() {
        check("manifest.json", Ok(()));
        check("assets/img/icon.png", Ok(()));
        check("a b/ünïcode.txt", Ok(()));
        check("..foo/bar..", Ok(()));
        check("", Err(PathError::Empty));
        check("/etc/passwd", Err(PathError::Absolute));
        check("../x", Err(PathError::Traversal));
        check("a/../../x", Err(PathError::Traversal));
        check("a/..", Err(PathError::Traversal));
        check("a\\b", Err(PathError::Backslash));
        check("..\\x", Err(PathError::Backslash));
        check("C:/x", Err(PathError::DriveLetter));
        check("c:x", Err(PathError::DriveLetter));
        check("a//b", Err(PathError::BadSegment));
        check("./a", Err(PathError::BadSegment));
        check("a/", Err(PathError::BadSegment));
        check("a\u{0}b", Err(PathError::ControlCharacter));
        check("a\nb", Err(PathError::ControlCharacter));
        check(
            &"a".repeat(256),
            Err(PathError::TooLong { len: 256, max: 255 }),
        );
        check(&vec!["a".repeat(170); 3].join("/"), Ok(()));
        check(
            &vec!["a".repeat(255); 3].join("/"),
            Err(PathError::TooLong { len: 767, max: 512 }),
        );
    }

    #[test]
    fn non_utf8_is_refused() {
        assert_eq!(PackagePath::from_bytes(b"a\xffb"), Err(PathError::NotUtf8));
    }

    #[test]
    fn folding_catches_case_and_normalisation() {
        let fold = |s: &str| PackagePath::parse(s).unwrap().folded();
        assert_eq!(fold("README.md"), fold("readme.MD"));
        // "é" precomposed vs "e" + combining acute accent.
        assert_eq!(fold("caf\u{e9}.txt"), fold("cafe\u{301}.txt"));
        // Fullwidth letters fold to ASCII under NFKC.
        assert_eq!(fold("\u{ff41}.txt"), fold("a.txt"));
        assert_ne!(fold("a.txt"), fold("b.txt"));
    }
}
