//! The deny-list of known-bad files: SHA-256 hashes an operator keeps in
//! `{data}/review/denylist.txt`, one per line (`# comments` and a note after the hash
//! allowed). A package containing any such file fails review.

use crate::error::ReviewError;
use mosis_domain::Sha256;
use std::collections::HashMap;
use std::path::Path;

/// Where the deny-list lives under the data directory.
pub const DENY_LIST_FILE: &str = "review/denylist.txt";

/// Known-bad file hashes, each with the operator's note.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DenyList {
    entries: HashMap<Sha256, String>,
}

impl DenyList {
    /// Parses the file's text. Errors name the line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (hash, note) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let sha = Sha256::parse(&hash.to_ascii_lowercase()).ok_or_else(|| {
                format!("line {}: `{hash}` is not a SHA-256 (64 hex digits)", n + 1)
            })?;
            entries.insert(sha, note.trim().trim_start_matches('#').trim().to_owned());
        }
        Ok(Self { entries })
    }

    /// Loads `path`; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<Self, ReviewError> {
        let bad = |reason: String| ReviewError::File {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(bad),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(bad(e.to_string())),
        }
    }

    /// The operator's note for a denied hash (`Some("")` when it has none).
    pub fn denies(&self, sha256: &Sha256) -> Option<&str> {
        self.entries.get(sha256).map(String::as_str)
    }

    /// How many hashes it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_hold_a_hash_and_an_optional_note() {
        let bad = Sha256::of(b"malware");
        let text = format!(
            "# known bad\n\n{}  # dropper v2\n{}\n",
            bad,
            Sha256::of(b"x").to_string().to_uppercase()
        );
        let list = DenyList::parse(&text).expect("valid");
        assert_eq!(list.len(), 2);
        assert_eq!(list.denies(&bad), Some("dropper v2"));
        assert_eq!(list.denies(&Sha256::of(b"x")), Some(""));
        assert_eq!(list.denies(&Sha256::of(b"fine")), None);
        let err = DenyList::parse("abc\n").unwrap_err();
        assert!(err.contains("line 1") && err.contains("abc"), "{err}");
    }
}
