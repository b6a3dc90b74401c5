//! New projects for `mosis init`: a manifest, an icon and an entry file that pack as they are.

use crate::error::DomainError;
use crate::icon::{MIN_ICON_PX, PNG_SIGNATURE, push_png_chunk};
use crate::ids::AppId;
use crate::manifest::{Manifest, check_name};
use crate::path::PackagePath;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The entry file a new project starts with.
pub const ENTRY_FILE: &str = "main.js";
/// The icon a new project starts with.
pub const ICON_FILE: &str = "icon.png";

/// Creates a project in `dir` (created if missing; it must be empty if it exists):
/// `manifest.json` at version 0.1.0, a 256×256 PNG `icon.png`, and `main.js`.
/// Returns the files written. The name is checked against the manifest's `name` rule.
pub fn init_project(dir: &Path, id: &AppId, name: &str) -> Result<Vec<PathBuf>, DomainError> {
    check_name(name).map_err(|reason| DomainError::InvalidInput {
        field: "name",
        reason,
    })?;
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(DomainError::io(dir))?;
        if entries.next().is_some() {
            return Err(DomainError::DirectoryNotEmpty {
                path: dir.to_owned(),
            });
        }
    }
    std::fs::create_dir_all(dir).map_err(DomainError::io(dir))?;
    let manifest = Manifest {
        id: id.clone(),
        name: name.to_owned(),
        version: semver::Version::new(0, 1, 0),
        min_os_version: semver::Version::new(1, 0, 0),
        entry: fixed_path(ENTRY_FILE),
        permissions: BTreeSet::new(),
        icon: fixed_path(ICON_FILE),
        description: None,
        changelog: None,
    };
    let entry = format!(
        "// {name}: the entry point the Mosis platform starts.\nexport function main() {{\n  console.log(\"Hello from {id}\");\n}}\n",
        name = name.replace('\n', " "),
    );
    let files = [
        (crate::MANIFEST_PATH, manifest.to_json_pretty()),
        (ICON_FILE, placeholder_icon(id)),
        (ENTRY_FILE, entry.into_bytes()),
    ];
    let mut written = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&bytes))
            .map_err(DomainError::io(&path))?;
        written.push(path);
    }
    Ok(written)
}

fn fixed_path(s: &str) -> PackagePath {
    PackagePath::parse(s).expect("the scaffold's file names are valid package paths")
}

/// A 256×256 RGB PNG: a rounded tile in a colour derived from the app id, so each new
/// project starts with a distinct, valid icon.
pub fn placeholder_icon(id: &AppId) -> Vec<u8> {
    let side = MIN_ICON_PX;
    let seed = crate::Sha256::of(id.as_str().as_bytes());
    let [r, g, b] =
        [seed.as_bytes()[0], seed.as_bytes()[1], seed.as_bytes()[2]].map(|c| 64 + c / 2);
    let mut raw = Vec::with_capacity((side as usize * 3 + 1) * side as usize);
    let radius = 48i64;
    let last = i64::from(side) - 1;
    for y in 0..i64::from(side) {
        raw.push(0); // filter type: none
        for x in 0..i64::from(side) {
            let dx = (radius - x).max(x - (last - radius)).max(0);
            let dy = (radius - y).max(y - (last - radius)).max(0);
            let inside = dx * dx + dy * dy <= radius * radius;
            let shade = |c: u8| u8::try_from(i64::from(c) * (512 - y) / 512).unwrap_or(c);
            if inside {
                raw.extend_from_slice(&[shade(r), shade(g), shade(b)]);
            } else {
                raw.extend_from_slice(&[255, 255, 255]);
            }
        }
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let idat = encoder
        .write_all(&raw)
        .and_then(|()| encoder.finish())
        .unwrap_or_default();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, adaptive filter, no interlace
    let mut png = PNG_SIGNATURE.to_vec();
    push_png_chunk(&mut png, b"IHDR", &ihdr);
    push_png_chunk(&mut png, b"IDAT", &idat);
    push_png_chunk(&mut png, b"IEND", &[]);
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_icon_passes_the_icon_check() {
        let png = placeholder_icon(&AppId::parse("com.example.app").unwrap());
        let size = crate::check_icon(&png).unwrap();
        assert_eq!((size.width, size.height), (256, 256));
        assert!(png.len() < 16 * 1024, "{} bytes", png.len());
    }

    #[test]
    fn refuses_a_non_empty_directory_and_a_bad_name() {
        let dir = tempfile::tempdir().unwrap();
        let id = AppId::parse("com.example.app").unwrap();
        std::fs::write(dir.path().join("x"), b"x").unwrap();
        assert!(matches!(
            init_project(dir.path(), &id, "App"),
            Err(DomainError::DirectoryNotEmpty { .. })
        ));
        let err = init_project(&dir.path().join("new"), &id, "").unwrap_err();
        assert!(err.to_string().contains("name: must be 1–50"), "{err}");
        assert!(!dir.path().join("new").exists());
    }
}
