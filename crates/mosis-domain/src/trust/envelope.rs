//! The signed envelope every portal statement travels in: the exact JSON text that was
//! signed (`payload`), its kind, and Ed25519 signatures over both. Signing the text as
//! sent (not a re-serialisation) means no canonical JSON is needed, and signing the kind
//! with it means a statement of one kind can never pass as another.

use super::TrustError;
use crate::ids::KeyId;
use crate::keys::{PublicKey, SigningKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The kinds of signed documents, each signed by its own key (root or online).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// The list of online keys, signed by the root key.
    OnlineKeys,
    /// A release statement, signed by an online key.
    Release,
    /// A channel's index, signed by an online key.
    Index,
}

impl DocKind {
    /// The `payload_type` text.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::OnlineKeys => "mosis.online-keys.v1",
            DocKind::Release => "mosis.release.v1",
            DocKind::Index => "mosis.index.v1",
        }
    }

    fn what(self) -> &'static str {
        match self {
            DocKind::OnlineKeys => "the online key list",
            DocKind::Release => "the release statement",
            DocKind::Index => "the index",
        }
    }
}

/// One signature of a [`Signed`] document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// The signing key's id.
    pub key_id: KeyId,
    /// The Ed25519 signature, base64.
    pub sig: String,
}

/// A signed document: `{"payload_type", "payload", "signatures": [{"key_id", "sig"}]}`.
/// Each signature covers `mosis-signed-v1\n{payload_type}\n{payload}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    /// What the payload is (`mosis.release.v1`, …).
    pub payload_type: String,
    /// The signed JSON text, exactly as signed.
    pub payload: String,
    /// Signatures over the kind and the payload.
    pub signatures: Vec<Signature>,
}

fn signed_message(payload_type: &str, payload: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(payload_type.len() + payload.len() + 17);
    message.extend_from_slice(b"mosis-signed-v1\n");
    message.extend_from_slice(payload_type.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(payload.as_bytes());
    message
}

impl Signed {
    /// Serialises `body` and signs it as a document of `kind` with `key`.
    pub fn sign<T: Serialize>(kind: DocKind, body: &T, key: &SigningKey) -> Self {
        // Serialising plain data structs (strings, numbers, lists) cannot fail.
        let payload = serde_json::to_string(body).unwrap_or_default();
        let sig = key.sign(&signed_message(kind.as_str(), &payload));
        Self {
            payload_type: kind.as_str().to_owned(),
            payload,
            signatures: vec![Signature {
                key_id: key.key_id(),
                sig: BASE64.encode(sig),
            }],
        }
    }

    /// Parses a document from its JSON text (a `release.json` file, say).
    pub fn parse(bytes: &[u8]) -> Result<Self, TrustError> {
        serde_json::from_slice(bytes).map_err(|e| TrustError::Malformed {
            what: "the signed document",
            reason: e.to_string(),
        })
    }

    /// The document as pretty JSON text, newline-terminated (what `release.json` holds).
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Checks that this is a `kind` document with a valid signature by one of `trusted`,
    /// then parses its payload. Signatures by other keys are ignored; one by a trusted key
    /// that does not verify fails (the document was altered).
    pub fn verify<T: DeserializeOwned>(
        &self,
        kind: DocKind,
        trusted: &[PublicKey],
    ) -> Result<T, TrustError> {
        if self.payload_type != kind.as_str() {
            return Err(TrustError::WrongKind {
                expected: kind.as_str(),
                found: self.payload_type.clone(),
            });
        }
        let message = signed_message(&self.payload_type, &self.payload);
        let by_trusted = self.signatures.iter().find_map(|s| {
            trusted
                .iter()
                .find(|k| k.key_id() == s.key_id)
                .map(|k| (s, k))
        });
        let Some((signature, key)) = by_trusted else {
            let signers: Vec<String> = self
                .signatures
                .iter()
                .map(|s| s.key_id.to_string())
                .collect();
            return Err(TrustError::UntrustedSigner {
                what: kind.what(),
                signers: if signers.is_empty() {
                    "nobody".into()
                } else {
                    signers.join(", ")
                },
            });
        };
        let valid = BASE64
            .decode(&signature.sig)
            .is_ok_and(|sig| key.verify(&message, &sig));
        if !valid {
            return Err(TrustError::BadSignature {
                what: kind.what(),
                key_id: signature.key_id,
            });
        }
        serde_json::from_str(&self.payload).map_err(|e| TrustError::Malformed {
            what: kind.what(),
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Body {
        n: u32,
    }

    fn key() -> SigningKey {
        SigningKey::from_seed([7; 32]).expect("a valid seed")
    }

    #[test]
    fn a_signed_document_verifies_and_round_trips_through_json() {
        let doc = Signed::sign(DocKind::Release, &Body { n: 3 }, &key());
        let parsed = Signed::parse(doc.to_json_pretty().as_bytes()).unwrap();
        let body: Body = parsed
            .verify(DocKind::Release, &[key().public_key()])
            .unwrap();
        assert_eq!(body, Body { n: 3 });
    }

    #[test]
    fn a_changed_payload_kind_or_key_is_refused() {
        let doc = Signed::sign(DocKind::Release, &Body { n: 3 }, &key());
        let mut altered = doc.clone();
        altered.payload = altered.payload.replace('3', "4");
        assert!(matches!(
            altered.verify::<Body>(DocKind::Release, &[key().public_key()]),
            Err(TrustError::BadSignature { .. })
        ));
        assert!(matches!(
            doc.verify::<Body>(DocKind::Index, &[key().public_key()]),
            Err(TrustError::WrongKind { .. })
        ));
        let mut relabelled = doc.clone();
        relabelled.payload_type = DocKind::Index.as_str().into();
        assert!(matches!(
            relabelled.verify::<Body>(DocKind::Index, &[key().public_key()]),
            Err(TrustError::BadSignature { .. })
        ));
        let other = SigningKey::from_seed([8; 32]).unwrap();
        assert!(matches!(
            doc.verify::<Body>(DocKind::Release, &[other.public_key()]),
            Err(TrustError::UntrustedSigner { .. })
        ));
    }
}
