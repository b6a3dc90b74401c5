//! Ed25519 signing keys (ring) and their text file format (see the crate README).

use crate::error::DomainError;
use crate::ids::KeyId;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

const SECRET_TAG: &str = "mosis-secret-key-v1";
const PUBLIC_TAG: &str = "mosis-public-key-v1";
const ALG: &str = "ed25519";

/// An Ed25519 private key. Its `Debug` shows only the key id; the seed never leaves it
/// except through [`SigningKey::to_file_text`].
pub struct SigningKey {
    seed: zeroize::Zeroizing<[u8; 32]>,
    pair: Ed25519KeyPair,
}

impl Clone for SigningKey {
    /// Another handle on the same key (its own zeroed-on-drop seed copy).
    fn clone(&self) -> Self {
        Self::from_seed(*self.seed).expect("a seed that made a key pair makes it again")
    }
}

impl SigningKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Self, DomainError> {
        use ring::rand::SecureRandom as _;
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        ring::rand::SystemRandom::new()
            .fill(seed.as_mut())
            .map_err(|_| DomainError::Random)?;
        Self::from_seed(*seed).ok_or(DomainError::Random)
    }

    /// The key with this 32-byte seed (the RFC 8032 private key).
    pub fn from_seed(seed: [u8; 32]) -> Option<Self> {
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).ok()?;
        Some(Self {
            seed: zeroize::Zeroizing::new(seed),
            pair,
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(bytes)
    }

    /// The id of the public key.
    pub fn key_id(&self) -> KeyId {
        KeyId::of(&self.public_key())
    }

    /// Signs `message`, returning the 64-byte signature.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }

    /// The 64-byte Ed25519 key pair (seed ‖ public key), the form other Ed25519
    /// implementations take (PASETO v4 signing, for one). Zeroed when dropped.
    pub fn keypair_bytes(&self) -> zeroize::Zeroizing<[u8; 64]> {
        let mut out = zeroize::Zeroizing::new([0u8; 64]);
        out[..32].copy_from_slice(self.seed.as_ref());
        out[32..].copy_from_slice(self.public_key().as_bytes());
        out
    }

    /// The private key file's text (`mosis-secret-key-v1 ed25519 <base64 seed>\n`).
    pub fn to_file_text(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(format!(
            "{SECRET_TAG} {ALG} {}\n",
            BASE64.encode(*self.seed)
        ))
    }

    /// Parses a private key file's text; the error says which part is wrong.
    pub fn from_file_text(text: &str) -> Result<Self, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        match fields.as_slice() {
            [SECRET_TAG, ALG, seed] => {
                let seed = zeroize::Zeroizing::new(decode_32(seed, "seed")?);
                Self::from_seed(*seed).ok_or_else(|| "the seed is not a valid Ed25519 key".into())
            }
            [PUBLIC_TAG, ..] => {
                Err("this is a public key (.pub); signing needs the private key file".into())
            }
            [tag, ..] if *tag != SECRET_TAG => Err(format!("expected `{SECRET_TAG}` first")),
            [_, alg, ..] if *alg != ALG => Err(format!("unsupported algorithm `{alg}`")),
            _ => Err(format!("expected `{SECRET_TAG} {ALG} <base64 seed>`")),
        }
    }

    /// Reads a private key file.
    pub fn read_file(path: &Path) -> Result<Self, DomainError> {
        let text =
            zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(DomainError::io(path))?);
        Self::from_file_text(&text).map_err(|reason| DomainError::InvalidKeyFile {
            path: path.to_owned(),
            reason,
        })
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, secret hidden)", self.key_id())
    }
}

/// An Ed25519 public key (32 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// The key with these 32 bytes. Any 32 bytes are accepted; a malformed point simply
    /// never verifies a signature.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses the base64 form used in signature blocks.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        decode_32(text, "public key").map(Self)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The base64 form used in signature blocks and key files.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// The key's id.
    pub fn key_id(&self) -> KeyId {
        KeyId::of(self)
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(message, signature)
            .is_ok()
    }

    /// The public key file's text (`mosis-public-key-v1 ed25519 <base64> <key id>\n`).
    pub fn to_file_text(&self) -> String {
        format!(
            "{PUBLIC_TAG} {ALG} {} {}\n",
            self.to_base64(),
            self.key_id()
        )
    }

    /// Parses a public key file's text; when the key id is present it must match the key.
    pub fn from_file_text(text: &str) -> Result<Self, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let (key, id) = match fields.as_slice() {
            [PUBLIC_TAG, ALG, key] => (*key, None),
            [PUBLIC_TAG, ALG, key, id] => (*key, Some(*id)),
            [SECRET_TAG, ..] => return Err("this is a private key; give the .pub file".into()),
            _ => {
                return Err(format!(
                    "expected `{PUBLIC_TAG} {ALG} <base64 key> <key id>`"
                ));
            }
        };
        let key = Self::from_base64(key)?;
        if let Some(id) = id
            && id != key.key_id().to_string()
        {
            return Err(format!(
                "key id {id} does not match the key (its id is {})",
                key.key_id()
            ));
        }
        Ok(key)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

fn decode_32(text: &str, what: &str) -> Result<[u8; 32], String> {
    let bytes = zeroize::Zeroizing::new(
        BASE64
            .decode(text)
            .map_err(|_| format!("the {what} is not valid base64"))?,
    );
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("the {what} must be 32 bytes (is {})", bytes.len()))
}

/// Generates a key pair and writes the private key to `path` (mode 0600) and the public
/// key to `path.pub`. Refuses when either file exists; nothing is left behind on failure.
pub fn write_new_key_pair(path: &Path) -> Result<SigningKey, DomainError> {
    let public_path = public_key_path(path);
    for existing in [path, public_path.as_path()] {
        if existing.symlink_metadata().is_ok() {
            return Err(DomainError::AlreadyExists {
                path: existing.to_owned(),
            });
        }
    }
    let key = SigningKey::generate()?;
    write_new_file(path, key.to_file_text().as_bytes(), 0o600)?;
    if let Err(e) = write_new_file(
        &public_path,
        key.public_key().to_file_text().as_bytes(),
        0o644,
    ) {
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(key)
}

/// The public key file that belongs to a private key file: the same name plus `.pub`.
fn public_key_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// Creates `path` (never overwriting), writes `contents`, and syncs it to disk.
fn write_new_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), DomainError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => DomainError::AlreadyExists {
            path: path.to_owned(),
        },
        _ => DomainError::Io {
            path: path.to_owned(),
            source: e,
        },
    })?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if let Err(source) = written {
        let _ = std::fs::remove_file(path);
        return Err(DomainError::Io {
            path: path.to_owned(),
            source,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = SigningKey::generate().unwrap();
        let sig = key.sign(b"hello");
        assert!(key.public_key().verify(b"hello", &sig));
        assert!(!key.public_key().verify(b"hellO", &sig));
        let other = SigningKey::generate().unwrap();
        assert!(!other.public_key().verify(b"hello", &sig));
    }

    #[test]
    fn file_texts_round_trip() {
        let key = SigningKey::generate().unwrap();
        let again = SigningKey::from_file_text(&key.to_file_text()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let public = PublicKey::from_file_text(&key.public_key().to_file_text()).unwrap();
        assert_eq!(public, key.public_key());
    }

    #[test]
    fn malformed_key_files_say_what_is_wrong() {
        let key = SigningKey::generate().unwrap();
        let err = SigningKey::from_file_text(&key.public_key().to_file_text()).unwrap_err();
        assert!(err.contains("public key"), "{err}");
        let err = SigningKey::from_file_text("mosis-secret-key-v1 rsa AAAA").unwrap_err();
        assert!(err.contains("rsa"), "{err}");
        let err = SigningKey::from_file_text("mosis-secret-key-v1 ed25519 AAAA").unwrap_err();
        assert!(err.contains("32 bytes"), "{err}");
        let text = key
            .public_key()
            .to_file_text()
            .replace(&key.key_id().to_string(), "0000000000000000");
        let err = PublicKey::from_file_text(&text).unwrap_err();
        assert!(err.contains("does not match"), "{err}");
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = SigningKey::generate().unwrap();
        let text = key.to_file_text();
        let seed = text.split_whitespace().nth(2).unwrap();
        assert!(!format!("{key:?}").contains(seed));
    }

    #[cfg(unix)]
    #[test]
    fn key_pair_files_are_private_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev.key");
        let key = write_new_key_pair(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let public = std::fs::read_to_string(dir.path().join("dev.key.pub")).unwrap();
        assert_eq!(
            PublicKey::from_file_text(&public).unwrap(),
            key.public_key()
        );
        assert_eq!(SigningKey::read_file(&path).unwrap().key_id(), key.key_id());
        let err = write_new_key_pair(&path).unwrap_err();
        assert!(matches!(err, DomainError::AlreadyExists { .. }), "{err}");
        assert_eq!(SigningKey::read_file(&path).unwrap().key_id(), key.key_id());
    }
}
