//! API token secrets: their format, generation and hashing.
//!
//! A token is `mosis_` followed by 43 base64url characters (256 random bits). The first
//! [`LOOKUP_CHARS`] characters find the row; only the SHA-256 of the whole token is stored.

use crate::error::AuthError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mosis_domain::Sha256;
use ring::rand::SecureRandom as _;
use std::fmt;
use zeroize::Zeroizing;

/// Every token starts with this, so secret scanners can find leaked ones.
pub const TOKEN_PREFIX: &str = "mosis_";

/// How many leading characters (prefix included) identify a token's row.
const LOOKUP_CHARS: usize = TOKEN_PREFIX.len() + 10;
const SECRET_BYTES: usize = 32;
const ENCODED_LEN: usize = TOKEN_PREFIX.len() + 43;

/// A token's secret text. Its `Debug` shows only the lookup prefix.
#[derive(Clone)]
pub struct TokenSecret(Zeroizing<String>);

impl TokenSecret {
    /// A new random token.
    pub fn generate() -> Result<Self, AuthError> {
        let bytes = random_bytes::<SECRET_BYTES>()?;
        Ok(Self(Zeroizing::new(format!(
            "{TOKEN_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(bytes.as_ref())
        ))))
    }

    /// Checks the shape of a presented token (never echoing it in the error).
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        let well_formed = text.len() == ENCODED_LEN
            && text.starts_with(TOKEN_PREFIX)
            && text[TOKEN_PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            Ok(Self(Zeroizing::new(text.to_owned())))
        } else {
            Err(AuthError::unauthenticated(format!(
                "the token is malformed: expected `{TOKEN_PREFIX}` and 43 more characters"
            )))
        }
    }

    /// The token's text, to show once or send.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The leading characters that find its row; not secret (shown in token lists).
    pub fn lookup_prefix(&self) -> &str {
        &self.0[..LOOKUP_CHARS]
    }

    /// The SHA-256 that is stored instead of the token.
    pub fn hash(&self) -> Sha256 {
        Sha256::of(self.0.as_bytes())
    }

    /// Whether `stored` is this token's hash, in time independent of where they differ.
    pub fn matches(&self, stored: &[u8]) -> bool {
        constant_time_eq(self.hash().as_bytes(), stored)
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenSecret({}…)", self.lookup_prefix())
    }
}

/// `N` bytes from the operating system's generator, zeroed when dropped.
pub(crate) fn random_bytes<const N: usize>() -> Result<Zeroizing<[u8; N]>, AuthError> {
    let mut bytes = Zeroizing::new([0u8; N]);
    ring::rand::SystemRandom::new()
        .fill(bytes.as_mut())
        .map_err(|_| AuthError::Crypto("the random generator failed".into()))?;
    Ok(bytes)
}

/// `N` random bytes as base64url text (for state, nonces, codes and links).
pub(crate) fn random_text<const N: usize>() -> Result<String, AuthError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<N>()?.as_ref()))
}

/// The SHA-256 under which a secret (a sign-in state, a bootstrap link, a device code) is
/// stored instead of the secret itself.
pub(crate) fn stored_hash(secret: &str) -> Vec<u8> {
    Sha256::of(secret.as_bytes()).as_bytes().to_vec()
}

/// Compares two byte strings without an early exit on the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_match_only_their_own_hash() {
        let a = TokenSecret::generate().unwrap();
        let b = TokenSecret::generate().unwrap();
        assert!(a.expose().starts_with("mosis_") && a.expose().len() == ENCODED_LEN);
        assert_ne!(a.expose(), b.expose());
        let parsed = TokenSecret::parse(a.expose()).unwrap();
        assert!(parsed.matches(a.hash().as_bytes()));
        assert!(!parsed.matches(b.hash().as_bytes()));
        assert!(
            !parsed.matches(&[0u8; 31]),
            "a wrong-length hash never matches"
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = TokenSecret::generate().unwrap();
        let shown = format!("{token:?}");
        assert!(shown.contains(token.lookup_prefix()));
        assert!(!shown.contains(token.expose()));
    }

    #[test]
    fn malformed_tokens_are_refused_without_echoing_them() {
        let good = TokenSecret::generate().unwrap();
        let long = format!("{}x", good.expose());
        let wrong_prefix = good.expose().replacen("mosis_", "mosix_", 1);
        let bad_char = format!("{}!", &good.expose()[..ENCODED_LEN - 1]);
        for bad in [
            "",
            "mosis_",
            long.as_str(),
            wrong_prefix.as_str(),
            bad_char.as_str(),
        ] {
            let err = TokenSecret::parse(bad).unwrap_err().to_string();
            assert!(bad.len() < 8 || !err.contains(bad), "{err}");
        }
    }
}
