//! The blob store: streamed, size-limited, atomic writes; ranged reads; crash leftovers swept.

use mosis_domain::{AppId, Sha256};
use mosis_storage::{
    AccountId, BlobFile, BlobKey, BlobStore, FsBlobStore, PendingBlob, StorageError,
};
use std::io::{Read, Write};

fn key(version: &str) -> BlobKey {
    BlobKey {
        dev_id: AccountId(7),
        app_id: AppId::parse("com.example.weather").unwrap(),
        version: version.parse().unwrap(),
        file: BlobFile::Package,
    }
}

fn read_all(
    store: &FsBlobStore,
    key: &BlobKey,
    range: Option<std::ops::Range<u64>>,
) -> (Vec<u8>, u64) {
    let (mut reader, total) = store.open(key, range).unwrap();
    let mut out = Vec::new();
    reader.read_to_end(&mut out).unwrap();
    (out, total)
}

#[test]
fn a_committed_blob_is_stored_under_its_layout_with_hash_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(&dir.path().join("packages")).unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let mut pending = store.begin(1 << 20).unwrap();
    for chunk in data.chunks(7_000) {
        pending.write_all(chunk).unwrap();
    }
    assert_eq!(pending.written(), data.len() as u64);
    assert!(
        !store.exists(&key("1.0.0")).unwrap(),
        "nothing is visible before commit"
    );
    let info = pending.commit(&key("1.0.0")).unwrap();
    assert_eq!(
        (info.size, info.sha256),
        (data.len() as u64, Sha256::of(&data))
    );
    let on_disk = dir
        .path()
        .join("packages/7/com.example.weather/1.0.0/package.mpk");
    assert_eq!(std::fs::read(on_disk).unwrap(), data);
    assert_eq!(
        read_all(&store, &key("1.0.0"), None),
        (data.clone(), data.len() as u64)
    );
    assert_eq!(
        read_all(&store, &key("1.0.0"), Some(10..20)).0,
        &data[10..20]
    );
    assert_eq!(
        read_all(&store, &key("1.0.0"), Some(299_990..400_000)).0,
        &data[299_990..],
        "a range is clamped"
    );
    assert!(
        read_all(&store, &key("1.0.0"), Some(500_000..600_000))
            .0
            .is_empty()
    );
}

#[test]
fn going_over_the_limit_fails_at_once_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(&dir.path().join("packages")).unwrap();
    let mut pending = store.begin(1000).unwrap();
    pending.write_all(&[0u8; 1000]).unwrap();
    assert!(
        pending.write_all(&[0u8; 1]).is_err(),
        "the byte past the limit is refused"
    );
    assert!(matches!(
        pending.commit(&key("1.0.0")),
        Err(StorageError::TooLarge { limit: 1000 })
    ));
    assert!(!store.exists(&key("1.0.0")).unwrap());
    assert_eq!(
        std::fs::read_dir(dir.path().join("packages/.incoming"))
            .unwrap()
            .count(),
        0,
        "the temp file is gone"
    );
}

#[test]
fn an_abandoned_write_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(&dir.path().join("packages")).unwrap();
    let mut pending = store.begin(1 << 20).unwrap();
    pending.write_all(b"half an upload").unwrap();
    drop(pending);
    assert!(!store.exists(&key("1.0.0")).unwrap());
    assert_eq!(
        std::fs::read_dir(dir.path().join("packages/.incoming"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn temp_files_left_by_a_crash_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let incoming = dir.path().join("packages/.incoming");
    std::fs::create_dir_all(&incoming).unwrap();
    std::fs::write(incoming.join("blob-crashed"), b"partial").unwrap();
    FsBlobStore::open(&dir.path().join("packages")).unwrap();
    assert_eq!(std::fs::read_dir(&incoming).unwrap().count(), 0);
}

#[test]
fn missing_blobs_are_not_found_and_deleting_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(&dir.path().join("packages")).unwrap();
    assert!(matches!(
        store.open(&key("9.9.9"), None),
        Err(StorageError::NotFound { .. })
    ));
    let mut pending = store.begin(100).unwrap();
    pending.write_all(b"x").unwrap();
    pending.commit(&key("1.0.0")).unwrap();
    store.delete(&key("1.0.0")).unwrap();
    store.delete(&key("1.0.0")).unwrap();
    assert!(!store.exists(&key("1.0.0")).unwrap());
}

#[test]
fn a_sealed_blob_reads_back_before_it_is_committed_under_the_key_its_content_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(&dir.path().join("packages")).unwrap();
    let mut pending = store.begin(1 << 20).unwrap();
    pending.write_all(b"staged bytes").unwrap();
    let sealed = pending.seal().unwrap();
    assert_eq!(sealed.size, 12);
    assert!(
        pending.write_all(b"more").is_err(),
        "a sealed blob takes no more bytes"
    );
    let mut back = Vec::new();
    pending.staged().unwrap().read_to_end(&mut back).unwrap();
    assert_eq!(back, b"staged bytes");
    assert!(
        !store.exists(&key("2.0.0")).unwrap(),
        "staging shows nothing"
    );
    assert_eq!(pending.commit(&key("2.0.0")).unwrap(), sealed);
    assert_eq!(read_all(&store, &key("2.0.0"), None).0, b"staged bytes");
}
