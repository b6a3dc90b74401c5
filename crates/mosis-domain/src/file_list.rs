//! `META/files.json`: the signed list of every file in a package.

use crate::digest::Sha256;
use crate::path::PackagePath;
use crate::problem::{Problem, ProblemCode};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The only `format` this version reads and writes.
pub const FILE_LIST_FORMAT: u32 = 1;

/// The file list: every entry outside `META/`, sorted by path, with size and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileList {
    /// Format version; always [`FILE_LIST_FORMAT`] for a list this crate accepted.
    pub format: u32,
    /// The files, strictly ascending by path.
    pub files: Vec<FileEntry>,
}

/// One listed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Where the file is in the package.
    pub path: PackagePath,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its content.
    pub sha256: Sha256,
}

impl FileList {
    /// A list of `files` in the current format, sorted by path.
    pub fn new(mut files: Vec<FileEntry>) -> Self {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Self {
            format: FILE_LIST_FORMAT,
            files,
        }
    }

    /// The exact bytes written to `META/files.json` (and signed): pretty JSON and a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Parses `META/files.json`. An unknown `format` is refused before anything else is
    /// looked at, so a newer format gets a clear message rather than a field error.
    pub fn parse(bytes: &[u8]) -> Result<Self, Problem> {
        let invalid =
            |msg: String| Problem::at(ProblemCode::InvalidFileList, crate::FILE_LIST_PATH, msg);
        #[derive(Deserialize)]
        struct FormatOnly {
            format: Option<serde_json::Value>,
        }
        let probe: FormatOnly =
            serde_json::from_slice(bytes).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
        match probe.format {
            Some(serde_json::Value::Number(n))
                if n.as_u64() == Some(u64::from(FILE_LIST_FORMAT)) => {}
            Some(other) => {
                return Err(Problem::at(
                    ProblemCode::UnknownFileListFormat,
                    crate::FILE_LIST_PATH,
                    format!(
                        "unknown format {other}; this version reads format {FILE_LIST_FORMAT} \
                         (a newer mosis may read it)"
                    ),
                ));
            }
            None => return Err(invalid("missing field `format`".into())),
        }
        let list: FileList = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        let mut folded: HashMap<String, &PackagePath> = HashMap::with_capacity(list.files.len());
        for (i, entry) in list.files.iter().enumerate() {
            if entry.path.is_meta() {
                return Err(invalid(format!(
                    "lists `{}`, inside the reserved META/ folder",
                    entry.path
                )));
            }
            if i > 0 && list.files[i - 1].path >= entry.path {
                return Err(invalid(format!(
                    "not sorted by path, or lists a path twice: `{}` after `{}`",
                    entry.path,
                    list.files[i - 1].path
                )));
            }
            if let Some(other) = folded.insert(entry.path.folded(), &entry.path) {
                return Err(invalid(format!(
                    "`{}` and `{other}` differ only by case or Unicode normalisation",
                    entry.path
                )));
            }
        }
        Ok(list)
    }

    /// The entry for `path`, if listed.
    pub fn get(&self, path: &PackagePath) -> Option<&FileEntry> {
        self.files
            .binary_search_by(|e| e.path.cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// The sum of the listed sizes, in bytes (saturating: the sizes are untrusted input
    /// until a package is verified).
    pub fn total_size(&self) -> u64 {
        self.files
            .iter()
            .fold(0u64, |sum, f| sum.saturating_add(f.size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> FileEntry {
        FileEntry {
            path: PackagePath::parse(path).unwrap(),
            size: 1,
            sha256: Sha256::of(path.as_bytes()),
        }
    }

    #[test]
    fn round_trip_and_lookup() {
        let list = FileList::new(vec![entry("b.txt"), entry("a.txt"), entry("A.md")]);
        let parsed = FileList::parse(&list.to_bytes()).unwrap();
        assert_eq!(parsed, list);
        let paths: Vec<&str> = parsed.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["A.md", "a.txt", "b.txt"]);
        assert!(parsed.get(&PackagePath::parse("a.txt").unwrap()).is_some());
        assert!(parsed.get(&PackagePath::parse("c.txt").unwrap()).is_none());
    }

    fn check(json: &str, code: ProblemCode, needle: &str) {
        let problem = FileList::parse(json.as_bytes()).unwrap_err();
        assert_eq!(problem.code, code, "{problem:?}");
        assert!(
            problem.message.contains(needle),
            "{problem:?} lacks {needle:?}"
        );
    }

    #[test]
    fn malformed_lists() {
        let h = Sha256::of(b"").to_string();
        check(
            r#"{"format": 2, "files": []}"#,
            ProblemCode::UnknownFileListFormat,
            "unknown format 2",
        );
        check(
            r#"{"format": "1", "files": []}"#,
            ProblemCode::UnknownFileListFormat,
            "unknown format",
        );
        check(r#"{"files": []}"#, ProblemCode::InvalidFileList, "format");
        check("{", ProblemCode::InvalidFileList, "JSON");
        check(
            r#"{"format": 1, "files": [], "x": 1}"#,
            ProblemCode::InvalidFileList,
            "unknown field",
        );
        check(
            &format!(
                r#"{{"format":1,"files":[{{"path":"b","size":1,"sha256":"{h}"}},{{"path":"a","size":1,"sha256":"{h}"}}]}}"#
            ),
            ProblemCode::InvalidFileList,
            "not sorted",
        );
        check(
            &format!(
                r#"{{"format":1,"files":[{{"path":"A","size":1,"sha256":"{h}"}},{{"path":"a","size":1,"sha256":"{h}"}}]}}"#
            ),
            ProblemCode::InvalidFileList,
            "differ only by case",
        );
        check(
            &format!(r#"{{"format":1,"files":[{{"path":"META/x","size":1,"sha256":"{h}"}}]}}"#),
            ProblemCode::InvalidFileList,
            "reserved",
        );
        check(
            &format!(r#"{{"format":1,"files":[{{"path":"../x","size":1,"sha256":"{h}"}}]}}"#),
            ProblemCode::InvalidFileList,
            "traversal",
        );
        check(
            r#"{"format":1,"files":[{"path":"x","size":1,"sha256":"zz"}]}"#,
            ProblemCode::InvalidFileList,
            "SHA-256",
        );
    }
}
