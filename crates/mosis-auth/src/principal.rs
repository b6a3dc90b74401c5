//! The caller a credential resolved to, and what it is allowed to use.

use crate::scope::Scope;
use mosis_storage::{Account, Role, TokenId, UnixTime};

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API token, limited to its scopes.
    Token {
        /// The token's id.
        id: TokenId,
        /// Its scopes.
        scopes: Vec<Scope>,
        /// When it expires, if ever.
        expires_at: Option<UnixTime>,
    },
    /// A browser session, with every right of the account.
    Session {
        /// The session's id.
        id: String,
    },
}

/// An authenticated caller: the account, and the credential used.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account (enabled; its roles as of this request).
    pub account: Account,
    /// The credential presented.
    pub credential: Credential,
}

/// Whether `account` has `role` (admins have every role).
fn has_role(account: &Account, role: Role) -> bool {
    account.roles.contains(&role) || account.roles.contains(&Role::Admin)
}

/// Whether `account` may hold `scope` at all: every account develops and publishes its
/// own apps; `review` needs the reviewer role, `admin` the admin role.
pub(crate) fn account_may(account: &Account, scope: &Scope) -> bool {
    match scope {
        Scope::Read | Scope::Publish | Scope::PublishApp(_) => true,
        Scope::Review => has_role(account, Role::Reviewer),
        Scope::Admin => has_role(account, Role::Admin),
    }
}

impl Principal {
    /// Whether the account has `role` (admins have every role).
    pub fn has_role(&self, role: Role) -> bool {
        has_role(&self.account, role)
    }

    /// Whether the account may hold `scope` at all (whatever the credential).
    pub fn account_may(&self, scope: &Scope) -> bool {
        account_may(&self.account, scope)
    }

    /// Whether this request may use `scope`: the account may hold it, and the credential
    /// grants it (`publish` implies `read` and every `publish:<app>`; `admin` implies
    /// `review`; a session grants everything the account may hold).
    pub fn allows(&self, scope: &Scope) -> bool {
        if !self.account_may(scope) {
            return false;
        }
        let Credential::Token { scopes, .. } = &self.credential else {
            return true;
        };
        scopes.iter().any(|held| {
            held == scope
                || matches!(
                    (held, scope),
                    (Scope::Publish, Scope::Read | Scope::PublishApp(_))
                        | (Scope::Admin, Scope::Review)
                )
        })
    }

    /// The scopes this request may use, for `GET /me`.
    pub fn scopes(&self) -> Vec<Scope> {
        match &self.credential {
            Credential::Token { scopes, .. } => scopes
                .iter()
                .filter(|s| self.account_may(s))
                .cloned()
                .collect(),
            Credential::Session { .. } => {
                [Scope::Read, Scope::Publish, Scope::Review, Scope::Admin]
                    .into_iter()
                    .filter(|s| self.account_may(s))
                    .collect()
            }
        }
    }
}
