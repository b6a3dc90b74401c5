//! Verifying an unpacked (installed) app directory against its signed file list.

use crate::digest::Sha256;
use crate::error::DomainError;
use crate::file_list::{FileEntry, FileList};
use crate::problem::{Problem, ProblemCode};
use crate::walk::{FoundFile, Skip, walk};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Re-hashes every file under `dir` against `list` and reports each tampered
/// ([`ProblemCode::SizeMismatch`], [`ProblemCode::HashMismatch`]), missing
/// ([`ProblemCode::MissingFile`]) or extra ([`ProblemCode::UnlistedFile`],
/// [`ProblemCode::Symlink`], …) file, sorted by path. An empty list means the directory
/// is exactly what was signed. The top-level `META/` folder (where an installed app keeps
/// its signed file list and signature) is not compared.
///
/// Files are hashed in parallel on up to `available_parallelism` threads, each streaming.
pub fn verify_directory(dir: &Path, list: &FileList) -> Result<Vec<Problem>, DomainError> {
    let walked = walk(
        dir,
        &Skip {
            clutter: false,
            top_meta: true,
            file: None,
        },
    )?;
    let mut problems = walked.problems;
    let found: HashMap<_, &FoundFile> = walked.files.iter().map(|f| (&f.path, f)).collect();
    let mut to_hash: Vec<(&FileEntry, &FoundFile)> = Vec::with_capacity(list.files.len());
    for listed in &list.files {
        match found.get(&listed.path) {
            None => problems.push(Problem::at(
                ProblemCode::MissingFile,
                listed.path.as_str(),
                "is missing",
            )),
            Some(file) if file.size != listed.size => problems.push(Problem::at(
                ProblemCode::SizeMismatch,
                listed.path.as_str(),
                format!(
                    "is {} bytes but was installed with {}",
                    file.size, listed.size
                ),
            )),
            Some(file) => to_hash.push((listed, file)),
        }
    }
    for file in &walked.files {
        if list.get(&file.path).is_none() {
            problems.push(Problem::at(
                ProblemCode::UnlistedFile,
                file.path.as_str(),
                "is not part of the signed package",
            ));
        }
    }
    problems.extend(hash_in_parallel(&to_hash)?);
    problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.code.cmp(&b.code)));
    Ok(problems)
}

fn hash_in_parallel(work: &[(&FileEntry, &FoundFile)]) -> Result<Vec<Problem>, DomainError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(work.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Vec<Result<Vec<Problem>, DomainError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut problems = Vec::new();
                    while let Some((listed, file)) = work.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let opened = std::fs::File::open(&file.fs_path)
                            .map_err(DomainError::io(&file.fs_path))?;
                        let (sha256, size) =
                            Sha256::of_reader(opened).map_err(DomainError::io(&file.fs_path))?;
                        if size != listed.size || sha256 != listed.sha256 {
                            problems.push(Problem::at(
                                ProblemCode::HashMismatch,
                                listed.path.as_str(),
                                "content differs from the signed package (tampered)",
                            ));
                        }
                    }
                    Ok(problems)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut problems = Vec::new();
    for result in results {
        problems.extend(result?);
    }
    Ok(problems)
}
