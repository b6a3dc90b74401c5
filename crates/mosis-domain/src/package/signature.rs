//! `META/signature.json`: who signed the file list, and the signature itself.

use crate::ids::KeyId;
use crate::keys::{PublicKey, SigningKey};
use crate::problem::{Problem, ProblemCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

/// The signature block. It carries the public key, so a verifier can check integrity on
/// its own and decide trust separately (by key id or by the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureBlock {
    /// Always `ed25519`.
    pub alg: String,
    /// The id of `public_key`.
    pub key_id: KeyId,
    /// The signer's public key, base64.
    pub public_key: String,
    /// The Ed25519 signature over the exact bytes of `META/files.json`, base64.
    pub signature: String,
}

const ALG: &str = "ed25519";

impl SignatureBlock {
    /// Signs `file_list_bytes` with `key`.
    pub fn sign(key: &SigningKey, file_list_bytes: &[u8]) -> Self {
        let public = key.public_key();
        Self {
            alg: ALG.into(),
            key_id: public.key_id(),
            public_key: public.to_base64(),
            signature: BASE64.encode(key.sign(file_list_bytes)),
        }
    }

    /// The block as written to `META/signature.json`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Parses `META/signature.json`.
    pub fn parse(bytes: &[u8]) -> Result<Self, Problem> {
        serde_json::from_slice(bytes).map_err(|e| {
            Problem::at(
                ProblemCode::InvalidSignatureBlock,
                crate::SIGNATURE_PATH,
                e.to_string(),
            )
        })
    }

    /// Checks the block against `file_list_bytes`: the algorithm is known, the key id is
    /// the key's, and the signature holds. Returns the signer's key; trust is the caller's.
    pub fn verify(&self, file_list_bytes: &[u8]) -> Result<PublicKey, Problem> {
        let at = |code, msg: String| Problem::at(code, crate::SIGNATURE_PATH, msg);
        if self.alg != ALG {
            return Err(at(
                ProblemCode::InvalidSignatureBlock,
                format!("unsupported algorithm `{}` (only {ALG})", self.alg),
            ));
        }
        let key = PublicKey::from_base64(&self.public_key)
            .map_err(|e| at(ProblemCode::InvalidSignatureBlock, e))?;
        if key.key_id() != self.key_id {
            return Err(at(
                ProblemCode::KeyIdMismatch,
                format!(
                    "key_id {} is not the id of the public key ({})",
                    self.key_id,
                    key.key_id()
                ),
            ));
        }
        let signature = BASE64.decode(&self.signature).map_err(|_| {
            at(
                ProblemCode::InvalidSignatureBlock,
                "the signature is not valid base64".into(),
            )
        })?;
        if !key.verify(file_list_bytes, &signature) {
            return Err(at(
                ProblemCode::BadSignature,
                format!(
                    "the signature by key {} does not match META/files.json",
                    self.key_id
                ),
            ));
        }
        Ok(key)
    }
}
