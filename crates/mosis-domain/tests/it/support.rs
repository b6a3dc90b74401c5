//! Test support: a raw ZIP builder for crafting malformed packages, and a valid baseline.

use mosis_domain::{
    AppId, FileEntry, FileList, PackagePath, Sha256, SignatureBlock, SigningKey, placeholder_icon,
};
use std::io::Write as _;

/// One entry of a hand-built ZIP, with every header field under the test's control.
#[derive(Clone, Debug)]
pub struct RawEntry {
    pub name: Vec<u8>,
    /// The name written in the local header (normally the same as `name`).
    pub local_name: Vec<u8>,
    /// The bytes as stored in the archive (compressed for method 8).
    pub data: Vec<u8>,
    pub method: u16,
    pub flags: u16,
    pub crc: u32,
    /// Declared uncompressed size.
    pub size: u32,
    pub external_attr: u32,
    pub made_by: u16,
}

impl RawEntry {
    /// A stored entry holding `content`.
    pub fn stored(name: &str, content: &[u8]) -> Self {
        Self {
            name: name.as_bytes().to_vec(),
            local_name: name.as_bytes().to_vec(),
            data: content.to_vec(),
            method: 0,
            flags: 0,
            crc: crc32fast::hash(content),
            size: content.len() as u32,
            external_attr: 0o100644 << 16,
            made_by: 3 << 8 | 20,
        }
    }

    /// A deflated entry holding `content`.
    pub fn deflated(name: &str, content: &[u8]) -> Self {
        Self {
            data: deflate(content),
            method: 8,
            ..Self::stored(name, content)
        }
    }

    /// The same entry under raw name bytes (for non-UTF-8 names).
    pub fn renamed(mut self, name: &[u8]) -> Self {
        self.name = name.to_vec();
        self.local_name = name.to_vec();
        self
    }
}

pub fn deflate(content: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(content).unwrap();
    e.finish().unwrap()
}

/// Serialises entries as a ZIP archive: local headers and data, central directory, end record.
pub fn build_zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, e.flags, e.method, 0, 0x21] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [e.crc, e.data.len() as u32, e.size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(e.local_name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&e.local_name);
        out.extend_from_slice(&e.data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [e.made_by, 20, e.flags, e.method, 0, 0x21] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [e.crc, e.data.len() as u32, e.size] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [e.name.len() as u16, 0, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&e.external_attr.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&e.name);
    }
    let cd_offset = out.len() as u32;
    let cd_len = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, entries.len() as u16, entries.len() as u16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

pub const APP_ID: &str = "com.example.weather";

pub fn manifest_json() -> Vec<u8> {
    format!(
        r#"{{"id":"{APP_ID}","name":"Weather","version":"1.0.0","min_os_version":"1.0.0","entry":"main.js","icon":"icon.png","permissions":["network"]}}"#
    )
    .into_bytes()
}

/// The files of a valid app: manifest, icon, entry and an asset.
pub fn app_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("manifest.json".into(), manifest_json()),
        (
            "icon.png".into(),
            placeholder_icon(&AppId::parse(APP_ID).unwrap()),
        ),
        ("main.js".into(), b"export function main() {}\n".to_vec()),
        (
            "assets/strings.txt".into(),
            "hello world\n".repeat(100).into_bytes(),
        ),
    ]
}

/// The exact `META/files.json` bytes listing `files`.
pub fn list_bytes(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    FileList::new(
        files
            .iter()
            .map(|(p, c)| FileEntry {
                path: PackagePath::parse(p).unwrap(),
                size: c.len() as u64,
                sha256: Sha256::of(c),
            })
            .collect(),
    )
    .to_bytes()
}

/// A package's entries: `files` as data entries, plus `META/files.json` listing `listed`
/// and a signature by `key` over those exact bytes.
pub fn signed_entries(
    files: &[(String, Vec<u8>)],
    listed: &[(String, Vec<u8>)],
    key: &SigningKey,
) -> Vec<RawEntry> {
    let list = list_bytes(listed);
    let sig = SignatureBlock::sign(key, &list).to_bytes();
    let mut entries: Vec<RawEntry> = files
        .iter()
        .map(|(p, c)| RawEntry::deflated(p, c))
        .collect();
    entries.push(RawEntry::deflated("META/files.json", &list));
    entries.push(RawEntry::deflated("META/signature.json", &sig));
    entries
}

/// A fixed key, so test output is stable.
pub fn test_key() -> SigningKey {
    SigningKey::from_seed([7; 32]).unwrap()
}

pub fn other_key() -> SigningKey {
    SigningKey::from_seed([9; 32]).unwrap()
}

/// A valid package built by hand.
pub fn valid_package() -> Vec<u8> {
    let files = app_files();
    build_zip(&signed_entries(&files, &files, &test_key()))
}
