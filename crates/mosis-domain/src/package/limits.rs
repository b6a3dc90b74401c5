//! The limits a package reader enforces while it reads.

/// Limits on what a package may hold. The reader enforces each one before trusting the
/// sizes an archive declares, and holds every entry's data to its declared size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest package file, in bytes.
    pub max_package_bytes: u64,
    /// Most entries in the archive (files plus `META/` entries).
    pub max_entries: u64,
    /// Largest sum of the entries' uncompressed sizes, in bytes.
    pub max_total_uncompressed_bytes: u64,
    /// Highest uncompressed/compressed ratio of one entry larger than
    /// [`Limits::ratio_floor_bytes`].
    pub max_compression_ratio: u64,
    /// Entries up to this uncompressed size, in bytes, are exempt from the ratio limit
    /// (a small file of zeros is not a bomb).
    pub ratio_floor_bytes: u64,
    /// Largest `manifest.json`, in bytes.
    pub max_manifest_bytes: u64,
    /// Largest `META/files.json`, in bytes.
    pub max_file_list_bytes: u64,
    /// Largest `META/signature.json`, in bytes.
    pub max_signature_bytes: u64,
}

impl Default for Limits {
    /// The limits the portal and the device use unless configured otherwise.
    fn default() -> Self {
        Self {
            max_package_bytes: 1024 * 1024 * 1024,
            max_entries: 10_000,
            max_total_uncompressed_bytes: 2 * 1024 * 1024 * 1024,
            max_compression_ratio: 200,
            ratio_floor_bytes: 1024 * 1024,
            max_manifest_bytes: 64 * 1024,
            max_file_list_bytes: 4 * 1024 * 1024,
            max_signature_bytes: 4 * 1024,
        }
    }
}

impl Limits {
    /// Whether an entry of these sizes breaks the ratio limit.
    pub fn ratio_exceeded(&self, uncompressed: u64, compressed: u64) -> bool {
        uncompressed > self.ratio_floor_bytes
            && uncompressed > compressed.saturating_mul(self.max_compression_ratio)
    }
}
