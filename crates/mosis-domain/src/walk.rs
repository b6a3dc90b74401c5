//! Listing a directory tree as package paths: the one walker behind packing a project and
//! verifying an installed app.

use crate::error::DomainError;
use crate::path::PackagePath;
use crate::problem::{Problem, ProblemCode};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A regular file found by [`walk`].
#[derive(Debug, Clone)]
pub(crate) struct FoundFile {
    /// Its path relative to the walked root.
    pub path: PackagePath,
    /// Where it is on disk.
    pub fs_path: PathBuf,
    /// Its size when listed, in bytes.
    pub size: u64,
}

/// What [`walk`] should leave out.
#[derive(Debug, Default)]
pub(crate) struct Skip<'a> {
    /// Version-control and desktop clutter: `.git/`, `.hg/`, `.svn/` and `.DS_Store`.
    pub clutter: bool,
    /// The top-level `META/` folder (an installed app keeps its signed lists there).
    pub top_meta: bool,
    /// One file to leave out (the package being written into the project).
    pub file: Option<&'a Path>,
}

/// The result of a walk: the files, sorted by path, and every problem found on the way
/// (symlinks, special files, names that are not package paths, case-insensitive clashes).
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub files: Vec<FoundFile>,
    pub problems: Vec<Problem>,
}

/// Lists every regular file under `root`, never following symbolic links.
pub(crate) fn walk(root: &Path, skip: &Skip<'_>) -> Result<Walk, DomainError> {
    let mut out = Walk::default();
    let skip_file = skip.file.and_then(|f| f.canonicalize().ok());
    let mut pending: Vec<(PathBuf, String)> = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(DomainError::io(&dir))?;
        for entry in entries {
            let entry = entry.map_err(DomainError::io(&dir))?;
            let fs_path = entry.path();
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                out.problems.push(Problem::at(
                    ProblemCode::InvalidPath,
                    format!("{prefix}{}", name.to_string_lossy()),
                    "the name is not valid UTF-8",
                ));
                continue;
            };
            let rel = format!("{prefix}{name}");
            let meta = entry.metadata().map_err(DomainError::io(&fs_path))?;
            let kind = meta.file_type();
            if skip.clutter && is_clutter(name, kind.is_dir()) {
                continue;
            }
            if skip.top_meta && prefix.is_empty() && name == "META" && kind.is_dir() {
                continue;
            }
            if kind.is_symlink() {
                out.problems.push(Problem::at(
                    ProblemCode::Symlink,
                    rel,
                    "symbolic links are not allowed in a package",
                ));
            } else if kind.is_dir() {
                pending.push((fs_path, format!("{rel}/")));
            } else if !kind.is_file() {
                out.problems.push(Problem::at(
                    ProblemCode::SpecialFile,
                    rel,
                    "only regular files and directories are allowed",
                ));
            } else if skip_file.is_some() && fs_path.canonicalize().ok() == skip_file {
                continue;
            } else {
                match PackagePath::parse(&rel) {
                    Ok(path) => out.files.push(FoundFile {
                        path,
                        fs_path,
                        size: meta.len(),
                    }),
                    Err(e) => out.problems.push(Problem::at(e.code(), rel, e.to_string())),
                }
            }
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut folded: HashMap<String, &PackagePath> = HashMap::new();
    for file in &out.files {
        if let Some(other) = folded.insert(file.path.folded(), &file.path) {
            out.problems.push(Problem::at(
                ProblemCode::CaseInsensitiveDuplicate,
                file.path.as_str(),
                format!("differs from `{other}` only by case or Unicode normalisation"),
            ));
        }
    }
    Ok(out)
}

fn is_clutter(name: &str, is_dir: bool) -> bool {
    if is_dir {
        matches!(name, ".git" | ".hg" | ".svn")
    } else {
        name == ".DS_Store"
    }
}
