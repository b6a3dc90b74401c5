//! The portal's signed statements, verified as a device would: root → online keys →
//! index → release statements, with rollback, freeze and arbitrary-package refusals.

use mosis_domain::{
    AppId, Channel, DocKind, Index, IndexCheck, IndexDocument, KeyId, OnlineKeys, PublicKey,
    ReleaseStatement, Sha256, Signed, SigningKey, TrustError, verify_index, verify_release,
};

const NOW: i64 = 1_800_000_000;

struct Portal {
    root: SigningKey,
    online: SigningKey,
}

fn portal() -> Portal {
    Portal {
        root: SigningKey::from_seed([1; 32]).unwrap(),
        online: SigningKey::from_seed([2; 32]).unwrap(),
    }
}

fn statement(app: &str, channel: Channel) -> ReleaseStatement {
    ReleaseStatement {
        app_id: AppId::parse(app).unwrap(),
        version: "1.2.0".parse().unwrap(),
        channel,
        sha256: Sha256::of(b"the package"),
        size: 11,
        key_id: KeyId::of(&SigningKey::from_seed([9; 32]).unwrap().public_key()),
        published_at: NOW - 60,
    }
}

impl Portal {
    fn keys(&self, online: &[PublicKey]) -> Signed {
        Signed::sign(
            DocKind::OnlineKeys,
            &OnlineKeys::new(online, NOW),
            &self.root,
        )
    }

    fn document(&self, serial: u64, expires: i64, releases: Vec<Signed>) -> IndexDocument {
        let index = Index {
            channel: Channel::Stable,
            serial,
            expires,
            generated_at: NOW,
            releases,
        };
        IndexDocument {
            channel: Channel::Stable,
            serial,
            expires,
            online_keys: self.keys(&[self.online.public_key()]),
            index: Signed::sign(DocKind::Index, &index, &self.online),
        }
    }

    fn release(&self, app: &str, channel: Channel) -> Signed {
        Signed::sign(DocKind::Release, &statement(app, channel), &self.online)
    }
}

fn check(last_serial: Option<u64>, now: i64) -> IndexCheck {
    IndexCheck {
        channel: Channel::Stable,
        last_serial,
        now,
    }
}

#[test]
fn an_index_and_its_statements_verify_against_the_root_key_alone() {
    let p = portal();
    let doc = p.document(
        7,
        NOW + 3600,
        vec![
            p.release("com.example.a", Channel::Stable),
            p.release("com.example.b", Channel::Stable),
        ],
    );
    // Through JSON, as a device receives it.
    let doc: IndexDocument = serde_json::from_str(&serde_json::to_string(&doc).unwrap()).unwrap();
    let verified = verify_index(&doc, &p.root.public_key(), check(Some(7), NOW)).unwrap();
    assert_eq!(verified.serial, 7);
    assert_eq!(verified.releases.len(), 2);
    let a = verified
        .release(&AppId::parse("com.example.a").unwrap())
        .unwrap();
    assert!(a.check_package(&Sha256::of(b"the package"), 11).is_ok());
    assert!(matches!(
        a.check_package(&Sha256::of(b"another package"), 15),
        Err(TrustError::PackageMismatch { .. })
    ));
    // A release.json verifies on its own with the online keys the index carried.
    let file = p.release("com.example.a", Channel::Stable).to_json_pretty();
    let parsed = Signed::parse(file.as_bytes()).unwrap();
    assert_eq!(
        verify_release(&parsed, &verified.online_keys).unwrap(),
        statement("com.example.a", Channel::Stable)
    );
}

#[test]
fn every_changed_byte_of_a_signed_part_is_refused() {
    let p = portal();
    let doc = p.document(
        3,
        NOW + 3600,
        vec![p.release("com.example.a", Channel::Stable)],
    );
    let root = p.root.public_key();
    for part in ["online_keys", "index"] {
        let json = serde_json::to_value(&doc).unwrap();
        let payload = json[part]["payload"].as_str().unwrap().to_owned();
        for at in (0..payload.len()).step_by(7) {
            let mut bytes = payload.clone().into_bytes();
            bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
            let Ok(altered) = String::from_utf8(bytes) else {
                continue;
            };
            let mut json = json.clone();
            json[part]["payload"] = altered.into();
            let altered: IndexDocument = serde_json::from_value(json).unwrap();
            let err = verify_index(&altered, &root, check(None, NOW)).unwrap_err();
            assert!(
                matches!(err, TrustError::BadSignature { .. }),
                "{part} byte {at}: {err}"
            );
        }
    }
    // A statement altered inside the index breaks the index's own signature first; one
    // re-signed by a key the root never endorsed is refused as untrusted.
    let rogue = SigningKey::from_seed([5; 32]).unwrap();
    let forged = Signed::sign(
        DocKind::Release,
        &statement("com.example.a", Channel::Stable),
        &rogue,
    );
    let index = Index {
        channel: Channel::Stable,
        serial: 4,
        expires: NOW + 60,
        generated_at: NOW,
        releases: vec![forged],
    };
    let doc = IndexDocument {
        index: Signed::sign(DocKind::Index, &index, &p.online),
        serial: 4,
        expires: NOW + 60,
        ..doc
    };
    assert!(matches!(
        verify_index(&doc, &root, check(None, NOW)),
        Err(TrustError::UntrustedSigner { .. })
    ));
}

#[test]
fn a_lower_serial_is_a_rollback_and_a_past_expiry_a_freeze() {
    let p = portal();
    let root = p.root.public_key();
    let doc = p.document(5, NOW + 10, vec![]);
    assert_eq!(
        verify_index(&doc, &root, check(Some(6), NOW)).unwrap_err(),
        TrustError::Rollback { seen: 6, found: 5 }
    );
    assert!(
        verify_index(&doc, &root, check(Some(5), NOW)).is_ok(),
        "the same serial is fine"
    );
    assert_eq!(
        verify_index(&doc, &root, check(None, NOW + 11)).unwrap_err(),
        TrustError::Expired {
            expires: NOW + 10,
            now: NOW + 11
        }
    );
    let message = verify_index(&doc, &root, check(Some(9), NOW))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("rollback") && message.contains('9'),
        "{message}"
    );
}

#[test]
fn an_index_signed_by_the_wrong_key_or_for_another_channel_is_refused() {
    let p = portal();
    let root = p.root.public_key();
    // The online key list signed by the online key instead of the root.
    let mut doc = p.document(1, NOW + 60, vec![]);
    doc.online_keys = Signed::sign(
        DocKind::OnlineKeys,
        &OnlineKeys::new(&[p.online.public_key()], NOW),
        &p.online,
    );
    assert!(matches!(
        verify_index(&doc, &root, check(None, NOW)),
        Err(TrustError::UntrustedSigner { .. })
    ));
    // A beta statement in the stable index.
    let doc = p.document(1, NOW + 60, vec![p.release("com.example.a", Channel::Beta)]);
    assert!(matches!(
        verify_index(&doc, &root, check(None, NOW)),
        Err(TrustError::WrongChannel { .. })
    ));
    // Asking for beta, receiving stable.
    let doc = p.document(1, NOW + 60, vec![]);
    let beta = IndexCheck {
        channel: Channel::Beta,
        last_serial: None,
        now: NOW,
    };
    assert!(matches!(
        verify_index(&doc, &root, beta),
        Err(TrustError::WrongChannel { .. })
    ));
    // Unsigned copies that disagree with the signed index.
    let mut doc = p.document(2, NOW + 60, vec![]);
    doc.serial = 99;
    assert!(matches!(
        verify_index(&doc, &root, check(None, NOW)),
        Err(TrustError::Malformed { .. })
    ));
}

#[test]
fn after_a_rotation_statements_signed_by_the_old_key_still_verify() {
    let p = portal();
    let new_online = SigningKey::from_seed([3; 32]).unwrap();
    let old_statement = p.release("com.example.a", Channel::Stable);
    let index = Index {
        channel: Channel::Stable,
        serial: 9,
        expires: NOW + 60,
        generated_at: NOW,
        releases: vec![old_statement],
    };
    let doc = IndexDocument {
        channel: Channel::Stable,
        serial: 9,
        expires: NOW + 60,
        online_keys: p.keys(&[p.online.public_key(), new_online.public_key()]),
        index: Signed::sign(DocKind::Index, &index, &new_online),
    };
    let verified = verify_index(&doc, &p.root.public_key(), check(Some(8), NOW)).unwrap();
    assert_eq!(verified.releases.len(), 1);
}
