//! Property: packing any valid project, then verifying the package, gives back exactly the
//! project's files and manifest.

use crate::pack::write_project;
use crate::support::test_key;
use mosis_domain::{
    AppId, Limits, Manifest, Sha256, pack_directory, placeholder_icon, verify_package,
};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::Cursor;

fn file_tree() -> impl Strategy<Value = BTreeMap<String, Vec<u8>>> {
    let path = "[a-z][a-z0-9_ ]{0,6}(/[a-zA-Z0-9é_-]{1,6}){0,3}\\.(txt|js|bin|dat)";
    let content = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..3000),
        (any::<u8>(), 0usize..20_000).prop_map(|(b, n)| vec![b; n]),
    ];
    proptest::collection::btree_map(path, content, 0..12).prop_map(|mut files| {
        // A name cannot be a file and a directory at once, nor clash when case-folded.
        let names: Vec<String> = files.keys().cloned().collect();
        files.retain(|p, _| {
            !names
                .iter()
                .any(|other| other.starts_with(&format!("{p}/")))
        });
        let mut seen = std::collections::HashSet::new();
        files.retain(|p, _| seen.insert(p.to_lowercase()));
        files
    })
}

fn manifest() -> impl Strategy<Value = serde_json::Value> {
    (
        "[a-z][a-z0-9]{0,8}\\.[a-z][a-z0-9_]{0,8}",
        "[A-Za-z][A-Za-z0-9 ]{0,48}",
        (0u64..100, 0u64..100, 0u64..100),
        proptest::sample::subsequence(vec!["network", "camera", "storage", "location"], 0..4),
        proptest::option::of("[ -~]{0,200}"),
    )
        .prop_map(
            |(id, name, (major, minor, patch), permissions, description)| {
                serde_json::json!({
                    "id": id, "name": name, "version": format!("{major}.{minor}.{patch}"),
                    "min_os_version": "1.0.0", "entry": "main.js", "icon": "icon.png",
                    "permissions": permissions, "description": description,
                })
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn pack_then_verify_returns_the_project(tree in file_tree(), manifest_value in manifest()) {
        let dir = tempfile::tempdir().unwrap();
        let manifest = Manifest::from_value(manifest_value).unwrap();
        let mut files: BTreeMap<String, Vec<u8>> = tree.into_iter().filter(|(p, _)| !p.starts_with("main.js/") && !p.starts_with("icon.png/")).collect();
        files.insert("manifest.json".into(), manifest.to_json_pretty());
        files.insert("icon.png".into(), placeholder_icon(&AppId::parse("com.example.app").unwrap()));
        files.insert("main.js".into(), b"main()".to_vec());
        let listed: Vec<(String, Vec<u8>)> = files.clone().into_iter().collect();
        write_project(dir.path(), &listed);

        let (summary, out) = pack_directory(dir.path(), &test_key(), Cursor::new(Vec::new())).unwrap();
        let package = out.into_inner();
        prop_assert_eq!(summary.package_bytes, package.len() as u64);
        let verified = verify_package(Cursor::new(&package), &Limits::default()).unwrap();
        prop_assert_eq!(verified.manifest(), &manifest);
        let got: Vec<(String, u64, Sha256)> = verified.file_list().files.iter()
            .map(|f| (f.path.to_string(), f.size, f.sha256)).collect();
        let want: Vec<(String, u64, Sha256)> = files.iter()
            .map(|(p, c)| (p.clone(), c.len() as u64, Sha256::of(c))).collect();
        prop_assert_eq!(got, want);

        // The archive's entries hold exactly the project's bytes.
        let mut archive = zip::ZipArchive::new(Cursor::new(&package)).unwrap();
        for (path, content) in &files {
            let mut entry = archive.by_name(path).unwrap();
            let mut read = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut read).unwrap();
            prop_assert_eq!(&read, content);
        }
    }
}
