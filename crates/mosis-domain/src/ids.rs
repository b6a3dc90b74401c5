//! Typed identifiers that can only be built by parsing.

use crate::keys::PublicKey;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(String);

/// A reverse-DNS app id such as `com.example.weather`: 2–8 dot-separated labels of
/// `[a-z0-9_]`, each starting with a letter, at most 128 characters in all.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppId(String);

impl AppId {
    /// Longest id accepted, in bytes (ids are ASCII).
    pub const MAX_LEN: usize = 128;

    /// Parses an app id, saying which rule it breaks if it is not one.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError("must not be empty".into()));
        }
        if s.len() > Self::MAX_LEN {
            return Err(IdError(format!(
                "must be at most {} characters (is {})",
                Self::MAX_LEN,
                s.chars().count()
            )));
        }
        let labels: Vec<&str> = s.split('.').collect();
        if !(2..=8).contains(&labels.len()) {
            return Err(IdError(format!(
                "must have 2–8 dot-separated labels, like com.example.app (has {})",
                labels.len()
            )));
        }
        for label in labels {
            let mut chars = label.chars();
            match chars.next() {
                None => {
                    return Err(IdError(
                        "labels must not be empty (two dots in a row?)".into(),
                    ));
                }
                Some(c) if !c.is_ascii_lowercase() => {
                    return Err(IdError(format!(
                        "each label must start with a lowercase letter; `{label}` does not"
                    )));
                }
                Some(_) => {}
            }
            if let Some(bad) =
                chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
            {
                return Err(IdError(format!(
                    "labels may hold only a–z, 0–9 and _; `{label}` holds {bad:?}"
                )));
            }
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The id of an Ed25519 public key: the first 16 lowercase hex digits of the SHA-256 of
/// its 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// Derives the id of a public key.
    pub fn of(key: &PublicKey) -> Self {
        let digest = crate::Sha256::of(key.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest.as_bytes()[..8]);
        Self(id)
    }

    /// Parses 16 lowercase hex digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let bytes = crate::digest::hex_decode::<8>(s)
            .ok_or_else(|| IdError(format!("a key id is 16 lowercase hex digits, not `{s}`")))?;
        Ok(Self(bytes))
    }
}

macro_rules! string_id_impls {
    ($ty:ty) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&String::from(self.clone()))
            }
        }
        impl FromStr for $ty {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $ty {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }
    };
}
string_id_impls!(AppId);
string_id_impls!(KeyId);

impl From<AppId> for String {
    fn from(id: AppId) -> String {
        id.0
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> String {
        crate::digest::hex_encode(&id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, ok: bool) {
        assert_eq!(
            AppId::parse(input).is_ok(),
            ok,
            "{input}: {:?}",
            AppId::parse(input)
        );
    }

    #[test]
    fn app_ids() {
        check("com.example", true);
        check("com.example.weather", true);
        check("a1.b_2.c", true);
        check("a.b.c.d.e.f.g.h", true);
        check("a.b.c.d.e.f.g.h.i", false);
        check("com", false);
        check("", false);
        check("com..example", false);
        check("com.Example", false);
        check("com.1example", false);
        check("com._x", false);
        check("com.ex-ample", false);
        check("com.exämple", false);
        check(".com.example", false);
        check("com.example.", false);
        check(&format!("com.{}", "a".repeat(124)), true);
        check(&format!("com.{}", "a".repeat(125)), false);
    }

    #[test]
    fn app_id_errors_say_the_rule() {
        let err = AppId::parse("com.Example").unwrap_err().to_string();
        assert!(err.contains("lowercase letter"), "{err}");
        let err = AppId::parse("single").unwrap_err().to_string();
        assert!(err.contains("2–8"), "{err}");
    }

    #[test]
    fn key_id_round_trips_and_rejects_bad_text() {
        let id = KeyId::parse("0123456789abcdef").unwrap();
        assert_eq!(id.to_string(), "0123456789abcdef");
        assert!(KeyId::parse("0123456789ABCDEF").is_err());
        assert!(KeyId::parse("0123").is_err());
        assert!(KeyId::parse("0123456789abcdeg").is_err());
    }

    #[test]
    fn serde_parses() {
        let id: AppId = serde_json::from_str("\"com.example.app\"").unwrap();
        assert_eq!(id.as_str(), "com.example.app");
        assert!(serde_json::from_str::<AppId>("\"Com.example\"").is_err());
    }
}
