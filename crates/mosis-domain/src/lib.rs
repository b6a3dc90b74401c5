#![doc = include_str!("../README.md")]

mod background;
mod digest;
mod error;
mod file_list;
mod icon;
mod ids;
mod installed;
mod keys;
mod manifest;
mod package;
mod path;
mod problem;
mod project;
mod trust;
mod walk;

pub use background::BackgroundWriter;
pub use digest::{Sha256, Sha256Hasher};
pub use error::DomainError;
pub use file_list::{FILE_LIST_FORMAT, FileEntry, FileList};
pub use icon::{
    ICON_HEADER_BYTES, IconSize, MAX_ICON_BYTES, MAX_ICON_PX, MIN_ICON_PX, check_icon, decode_icon,
};
pub use ids::{AppId, IdError, KeyId};
pub use installed::verify_directory;
pub use keys::{PublicKey, SigningKey, write_new_key_pair};
pub use manifest::{Manifest, Permission};
pub use package::{
    FILE_LIST_PATH, IO_BUFFER_BYTES, InvalidPackage, Limits, MANIFEST_PATH, PackError, PackSummary,
    SIGNATURE_PATH, SignatureBlock, VerifiedPackage, pack_directory, pack_to_file, read_entry,
    read_manifest, verify_package,
};
pub use path::{PackagePath, PathError};
pub use problem::{Problem, ProblemCode};
pub use project::{ENTRY_FILE, ICON_FILE, init_project, placeholder_icon};
pub use trust::{
    Channel, DocKind, Index, IndexCheck, IndexDocument, OnlineKey, OnlineKeys, ReleaseStatement,
    Signature, Signed, TrustError, VerifiedIndex, verify_index, verify_online_keys, verify_release,
};
