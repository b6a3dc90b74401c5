//! Publishing signs a release statement (`release.json`) and bumps the channel's serial;
//! the index service serves the signed index, cached until the serial changes or expiry
//! nears. Everything verifies with the domain crate's verifier against the root key.

use crate::support::{NOW, fixture, settings};
use mosis_domain::{
    Channel, IndexCheck, IndexDocument, Limits, Signed, TrustError, verify_index, verify_release,
};
use mosis_review::{DenyList, IndexService, Pipeline, Publication};
use mosis_storage::{BlobFile, BlobKey, BlobStore, Releases as _, VersionState, Versions};
use std::io::Read as _;

fn document(
    index: &IndexService,
    store: &mosis_storage::SqlitePortal,
    channel: Channel,
    now: i64,
) -> (IndexDocument, String) {
    let signed = index.current(store, channel, now).unwrap();
    (
        serde_json::from_str(&signed.body).unwrap(),
        signed.etag.clone(),
    )
}

#[test]
fn approval_signs_release_json_and_the_index_lists_it_until_suspended() {
    let f = fixture();
    let v = f.upload(&f.pack("com.example.weather", "1.0.0"));
    let reviewer = f.reviewer(
        Pipeline::new(Limits::default(), DenyList::default()),
        settings(1),
    );
    reviewer.run_once("w1").unwrap();
    let v = f.store.version_by_id(v.id).unwrap();
    assert_eq!(v.state, VersionState::InReview);
    let rita = mosis_storage::Accounts::create_account(&*f.store, "rita", None, NOW)
        .unwrap()
        .id;

    let publisher = f.publisher();
    let how = Publication {
        from: VersionState::InReview,
        channel: Channel::Beta,
        approved_by: Some(rita),
    };
    assert_eq!(
        publisher.publish(&*f.store, &v, f.owner, how, NOW).unwrap(),
        1
    );
    let published = f.store.version_by_id(v.id).unwrap();
    assert_eq!(
        (published.state, published.channel, published.reviewed_by),
        (VersionState::Published, Some(Channel::Beta), Some(rita))
    );

    // release.json, beside the package, verifies with the online keys the index carries.
    let key = BlobKey {
        dev_id: f.owner,
        app_id: v.app_id.clone(),
        version: v.version.clone(),
        file: BlobFile::Release,
    };
    let (mut reader, _) = f.blobs.open(&key, None).unwrap();
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    let index = IndexService::new(f.signer.clone(), 3600);
    let (doc, etag) = document(&index, &f.store, Channel::Beta, NOW);
    let root = f.root.public_key();
    let verified = verify_index(
        &doc,
        &root,
        IndexCheck {
            channel: Channel::Beta,
            last_serial: None,
            now: NOW,
        },
    )
    .unwrap();
    let statement = verify_release(
        &Signed::parse(text.as_bytes()).unwrap(),
        &verified.online_keys,
    )
    .unwrap();
    assert_eq!(
        (
            statement.channel,
            statement.sha256,
            statement.size,
            statement.key_id,
            statement.published_at
        ),
        (Channel::Beta, v.sha256, v.size, v.key_id, NOW)
    );
    assert_eq!(verified.releases, vec![statement.clone()]);
    statement.check_package(&v.sha256, v.size).unwrap();
    // A changed byte of release.json fails.
    let altered = text.replacen("1.0.0", "1.0.1", 1);
    assert!(matches!(
        verify_release(
            &Signed::parse(altered.as_bytes()).unwrap(),
            &verified.online_keys
        ),
        Err(TrustError::BadSignature { .. })
    ));

    // Unchanged: the cached document (same ETag) — until the serial changes.
    assert_eq!(document(&index, &f.store, Channel::Beta, NOW + 10).1, etag);
    let (stable, _) = document(&index, &f.store, Channel::Stable, NOW);
    assert_eq!(
        (
            stable.serial,
            verify_index(
                &stable,
                &root,
                IndexCheck {
                    channel: Channel::Stable,
                    last_serial: None,
                    now: NOW
                }
            )
            .unwrap()
            .releases
            .len()
        ),
        (0, 0)
    );

    // Promotion: the same version on stable, no re-upload.
    let promote = Publication {
        from: VersionState::Published,
        channel: Channel::Stable,
        approved_by: None,
    };
    assert_eq!(
        publisher
            .publish(&*f.store, &published, f.owner, promote, NOW + 20)
            .unwrap(),
        1
    );
    let (stable, _) = document(&index, &f.store, Channel::Stable, NOW + 20);
    let on_stable = verify_index(
        &stable,
        &root,
        IndexCheck {
            channel: Channel::Stable,
            last_serial: Some(0),
            now: NOW + 20,
        },
    )
    .unwrap();
    assert_eq!(on_stable.releases[0].channel, Channel::Stable);
    assert_eq!(
        f.store.version_by_id(v.id).unwrap().reviewed_by,
        Some(rita),
        "promotion keeps the approver"
    );

    // Suspension takes it off every index; the old index is now a rollback.
    f.store.suspend(v.id, NOW + 30).unwrap();
    let (after, new_etag) = document(&index, &f.store, Channel::Stable, NOW + 30);
    assert_ne!(new_etag, etag);
    let check = IndexCheck {
        channel: Channel::Stable,
        last_serial: Some(on_stable.serial),
        now: NOW + 30,
    };
    let now_empty = verify_index(&after, &root, check).unwrap();
    assert!(now_empty.releases.is_empty());
    assert_eq!(
        verify_index(
            &stable,
            &root,
            IndexCheck {
                last_serial: Some(now_empty.serial),
                ..check
            }
        )
        .unwrap_err(),
        TrustError::Rollback {
            seen: now_empty.serial,
            found: on_stable.serial
        }
    );
    let (beta, _) = document(&index, &f.store, Channel::Beta, NOW + 30);
    assert!(
        verify_index(
            &beta,
            &root,
            IndexCheck {
                channel: Channel::Beta,
                last_serial: None,
                now: NOW + 30
            }
        )
        .unwrap()
        .releases
        .is_empty()
    );
}

#[test]
fn the_index_is_re_signed_before_it_expires_and_refused_after() {
    let f = fixture();
    let index = IndexService::new(f.signer.clone(), 3600);
    let root = f.root.public_key();
    let (first, etag) = document(&index, &f.store, Channel::Stable, NOW);
    assert_eq!(first.expires, NOW + 3600);
    // With more than a quarter of its validity left, the cached copy is served.
    assert_eq!(
        document(&index, &f.store, Channel::Stable, NOW + 2000).1,
        etag
    );
    // Less than a quarter left: re-signed with a new expiry, the same serial.
    let (second, new_etag) = document(&index, &f.store, Channel::Stable, NOW + 2800);
    assert_ne!(new_etag, etag);
    assert_eq!(
        (second.serial, second.expires),
        (first.serial, NOW + 2800 + 3600)
    );
    // A device holding only the first one, an hour later, is told it expired.
    let check = IndexCheck {
        channel: Channel::Stable,
        last_serial: None,
        now: NOW + 3601,
    };
    assert_eq!(
        verify_index(&first, &root, check).unwrap_err(),
        TrustError::Expired {
            expires: NOW + 3600,
            now: NOW + 3601
        }
    );
    assert!(verify_index(&second, &root, check).is_ok());
}
