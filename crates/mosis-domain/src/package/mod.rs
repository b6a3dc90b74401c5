//! The `.mpk` package: a ZIP archive of the app's files, a signed file list, a manifest.

mod eocd;
mod limits;
mod one_file;
mod reader;
mod signature;
mod writer;

pub use limits::Limits;
pub use one_file::{read_entry, read_manifest};
pub use reader::{InvalidPackage, VerifiedPackage, verify_package};
pub use signature::SignatureBlock;
pub use writer::{PackError, PackSummary, pack_directory, pack_to_file};

/// Where the manifest is in a package.
pub const MANIFEST_PATH: &str = "manifest.json";
/// Where the signed file list is in a package.
pub const FILE_LIST_PATH: &str = "META/files.json";
/// Where the signature block is in a package.
pub const SIGNATURE_PATH: &str = "META/signature.json";

/// Size of the buffers files are streamed through, in bytes: large enough that hashing
/// dominates system-call overhead, small enough that memory stays flat.
pub const IO_BUFFER_BYTES: usize = 256 * 1024;
