//! Browser session tokens: PASETO v4.public, signed with the portal's Ed25519 session key.
//!
//! The token carries the account and a session id; the session row decides whether it is
//! still valid, so logging out or an admin action ends it at once.

use crate::error::AuthError;
use mosis_domain::SigningKey;
use mosis_storage::{AccountId, UnixTime};
use pasetors::Public;
use pasetors::keys::{AsymmetricPublicKey, AsymmetricSecretKey};
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What a session token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    /// The signed-in account.
    pub account: AccountId,
    /// The session's id (the row that can be revoked).
    pub session_id: String,
    /// When the token expires.
    pub expires_at: UnixTime,
}

/// The PASETO payload: registered claims as RFC 3339 times, plus the session id.
#[derive(Serialize, Deserialize)]
struct Payload {
    sub: String,
    sid: String,
    iat: String,
    exp: String,
}

/// Signs and verifies session tokens.
pub struct SessionSigner {
    secret: AsymmetricSecretKey<V4>,
    public: AsymmetricPublicKey<V4>,
    csrf: ring::hmac::Key,
    /// Tokens whose signature was checked already, by their SHA-256: a token never
    /// changes, so its signature is checked once (Ed25519 costs ~70 µs, more than the
    /// rest of a page). Expiry is still checked on every use, and revocation by the
    /// caller against the session row.
    verified: Mutex<HashMap<[u8; 32], SessionClaims>>,
}

/// Verified tokens remembered at most; the memory is dropped wholesale beyond it.
const VERIFIED_CACHE_ENTRIES: usize = 10_000;

impl std::fmt::Debug for SessionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSigner(secret hidden)")
    }
}

fn rfc3339(at: UnixTime) -> Result<String, AuthError> {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| AuthError::Crypto(format!("time {at} cannot be written as RFC 3339")))
}

fn invalid() -> AuthError {
    AuthError::unauthenticated("the session token is invalid")
}

impl SessionSigner {
    /// A signer using `key` (the portal's `keys/session.key`).
    pub fn new(key: &SigningKey) -> Result<Self, AuthError> {
        let pair = key.keypair_bytes();
        let secret = AsymmetricSecretKey::<V4>::from(pair.as_ref())
            .map_err(|e| AuthError::Crypto(format!("session key: {e}")))?;
        let public = AsymmetricPublicKey::<V4>::from(key.public_key().as_bytes())
            .map_err(|e| AuthError::Crypto(format!("session key: {e}")))?;
        // A separate key for CSRF tokens, derived so that knowing one reveals nothing of
        // the signing key.
        let mut material = zeroize::Zeroizing::new(b"mosis csrf v1".to_vec());
        material.extend_from_slice(&pair[..32]);
        let csrf = ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            mosis_domain::Sha256::of(&material).as_bytes(),
        );
        Ok(Self {
            secret,
            public,
            csrf,
            verified: Mutex::new(HashMap::new()),
        })
    }

    /// The CSRF token of a session: an HMAC of its id, so it needs no storage, differs
    /// per session and ends with it. Forms carry it in `_csrf`, htmx in `X-CSRF-Token`.
    pub fn csrf_token(&self, session_id: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(ring::hmac::sign(&self.csrf, session_id.as_bytes()).as_ref())
    }

    /// Whether `presented` is the session's CSRF token (constant time).
    pub fn csrf_matches(&self, session_id: &str, presented: &str) -> bool {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(presented)
            .is_ok_and(|tag| ring::hmac::verify(&self.csrf, session_id.as_bytes(), &tag).is_ok())
    }

    /// Signs a token for `claims`, issued at `now`.
    pub fn sign(&self, claims: &SessionClaims, now: UnixTime) -> Result<String, AuthError> {
        let payload = Payload {
            sub: claims.account.0.to_string(),
            sid: claims.session_id.clone(),
            iat: rfc3339(now)?,
            exp: rfc3339(claims.expires_at)?,
        };
        let message = serde_json::to_vec(&payload)
            .map_err(|e| AuthError::Crypto(format!("session claims: {e}")))?;
        PublicToken::sign(&self.secret, &message, None, None)
            .map_err(|e| AuthError::Crypto(format!("signing a session: {e}")))
    }

    /// Checks a token's signature and expiry against `now`; the caller then checks that
    /// the session row is live.
    pub fn verify(&self, token: &str, now: UnixTime) -> Result<SessionClaims, AuthError> {
        let digest = *mosis_domain::Sha256::of(token.as_bytes()).as_bytes();
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&digest)
            .cloned();
        let claims = match cached {
            Some(claims) => claims,
            None => {
                let claims = self.verify_signature(token)?;
                let mut verified = self
                    .verified
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if verified.len() >= VERIFIED_CACHE_ENTRIES {
                    verified.clear();
                }
                verified.insert(digest, claims.clone());
                claims
            }
        };
        if claims.expires_at <= now {
            return Err(AuthError::unauthenticated("the session has expired"));
        }
        Ok(claims)
    }

    fn verify_signature(&self, token: &str) -> Result<SessionClaims, AuthError> {
        let untrusted = UntrustedToken::<Public, V4>::try_from(token).map_err(|_| invalid())?;
        let trusted =
            PublicToken::verify(&self.public, &untrusted, None, None).map_err(|_| invalid())?;
        let payload: Payload = serde_json::from_str(trusted.payload()).map_err(|_| invalid())?;
        let expires_at = OffsetDateTime::parse(&payload.exp, &Rfc3339)
            .map_err(|_| invalid())?
            .unix_timestamp();
        Ok(SessionClaims {
            account: AccountId(payload.sub.parse().map_err(|_| invalid())?),
            session_id: payload.sid,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> SessionSigner {
        SessionSigner::new(&SigningKey::from_seed([7; 32]).unwrap()).unwrap()
    }

    fn claims() -> SessionClaims {
        SessionClaims {
            account: AccountId(42),
            session_id: "s1".into(),
            expires_at: 2_000_000_000,
        }
    }

    #[test]
    fn a_signed_session_verifies_until_it_expires() {
        let s = signer();
        let token = s.sign(&claims(), 1_900_000_000).unwrap();
        assert!(token.starts_with("v4.public."));
        assert_eq!(s.verify(&token, 1_999_999_999).unwrap(), claims());
        let err = s.verify(&token, 2_000_000_000).unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
    }

    #[test]
    fn csrf_tokens_are_per_session_and_per_key() {
        let s = signer();
        let token = s.csrf_token("s1");
        assert!(s.csrf_matches("s1", &token));
        assert!(!s.csrf_matches("s2", &token), "another session's token");
        assert!(!s.csrf_matches("s1", ""), "a missing token");
        assert!(!s.csrf_matches("s1", "not base64!"));
        let other = SessionSigner::new(&SigningKey::from_seed([8; 32]).unwrap()).unwrap();
        assert!(!other.csrf_matches("s1", &token), "another portal's token");
    }

    #[test]
    fn a_token_from_another_key_or_altered_is_refused() {
        let token = signer().sign(&claims(), 1_900_000_000).unwrap();
        let other = SessionSigner::new(&SigningKey::from_seed([8; 32]).unwrap()).unwrap();
        assert!(other.verify(&token, 1_900_000_000).is_err());
        let mut altered = token.into_bytes();
        let i = altered.len() - 5;
        altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(signer().verify(&altered, 1_900_000_000).is_err());
        assert!(signer().verify("v4.public.garbage", 1_900_000_000).is_err());
    }
}
