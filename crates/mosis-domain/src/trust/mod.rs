//! The portal's signed statements (SPEC §4) and their verifier: the online keys the root
//! key endorses, a release statement per published version and channel, and the signed
//! index of a channel. Devices check the chain root → online keys → index → statements,
//! and refuse an index older than one already seen (rollback) or past its `expires`
//! (freeze), and a package whose hash differs from its statement.

mod envelope;
mod index;
mod release;

pub use envelope::{DocKind, Signature, Signed};
pub use index::{
    Index, IndexCheck, IndexDocument, OnlineKey, OnlineKeys, VerifiedIndex, verify_index,
    verify_online_keys,
};
pub use release::{Channel, ReleaseStatement, verify_release};

use crate::ids::KeyId;

/// Why a signed document was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// The document is not in the documented format.
    #[error("{what} is malformed: {reason}")]
    Malformed {
        /// Which document or field.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A document of one kind was offered as another (a release statement as an index).
    #[error("expected a {expected} document, found `{found}`")]
    WrongKind {
        /// The kind the verifier wanted.
        expected: &'static str,
        /// The kind the document says it is.
        found: String,
    },
    /// No signature is by a key the verifier trusts for this kind of document.
    #[error("{what} is not signed by a trusted key (signed by {signers})")]
    UntrustedSigner {
        /// Which document.
        what: &'static str,
        /// The key ids it names, comma-separated (or "nobody").
        signers: String,
    },
    /// A signature by a trusted key does not verify: the document was changed.
    #[error("the signature of {what} by key {key_id} does not verify: the document was altered")]
    BadSignature {
        /// Which document.
        what: &'static str,
        /// The key whose signature failed.
        key_id: KeyId,
    },
    /// The index is older than one already seen: a rollback attack, or a stale mirror.
    #[error("index serial {found} is lower than serial {seen}, already seen (rollback)")]
    Rollback {
        /// The highest serial seen before.
        seen: u64,
        /// The serial offered.
        found: u64,
    },
    /// The index is past its expiry: a freeze attack, or a portal that stopped re-signing.
    #[error("the index expired at {expires} (now {now}); fetch a fresh one")]
    Expired {
        /// When it expired (Unix seconds).
        expires: i64,
        /// The verifier's time (Unix seconds).
        now: i64,
    },
    /// The index or a statement is for another channel than asked for.
    #[error("{what} is for channel {found}, not {expected}")]
    WrongChannel {
        /// Which document.
        what: &'static str,
        /// The channel wanted.
        expected: Channel,
        /// The channel it names.
        found: Channel,
    },
    /// A package does not match its release statement (an arbitrary-package attack).
    #[error("the package of {app_id} {version} does not match its release statement: {reason}")]
    PackageMismatch {
        /// The app.
        app_id: String,
        /// The version.
        version: String,
        /// Which of hash or size differs.
        reason: String,
    },
}
