//! Token scopes: what a token may be used for, on top of what its account may do.

use mosis_domain::AppId;
use std::fmt;
use std::str::FromStr;

/// One scope of an API token.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read the account's apps, versions, keys and tokens.
    Read,
    /// Register apps, upload versions of any of the account's apps, manage signing keys.
    Publish,
    /// Upload versions of one app only (for a CI job); implies reading that app.
    PublishApp(AppId),
    /// Reviewer rights (the account must be a reviewer).
    Review,
    /// Admin rights (the account must be an admin).
    Admin,
}

/// A scope string that is not one of the known forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`: expected read, publish, publish:<app-id>, review or admin")]
pub struct ScopeError(pub String);

impl Scope {
    /// Parses a whitespace- or comma-separated list, refusing an empty one.
    pub fn parse_list<S: AsRef<str>>(items: &[S]) -> Result<Vec<Scope>, ScopeError> {
        let mut scopes: Vec<Scope> = items
            .iter()
            .flat_map(|s| {
                s.as_ref()
                    .split([',', ' '])
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?;
        if scopes.is_empty() {
            return Err(ScopeError(String::new()));
        }
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, ScopeError> {
        match s {
            "read" => Ok(Scope::Read),
            "publish" => Ok(Scope::Publish),
            "review" => Ok(Scope::Review),
            "admin" => Ok(Scope::Admin),
            other => other
                .strip_prefix("publish:")
                .and_then(|id| AppId::parse(id).ok())
                .map(Scope::PublishApp)
                .ok_or_else(|| ScopeError(other.to_owned())),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Read => f.write_str("read"),
            Scope::Publish => f.write_str("publish"),
            Scope::PublishApp(id) => write!(f, "publish:{id}"),
            Scope::Review => f.write_str("review"),
            Scope::Admin => f.write_str("admin"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_unknown_ones_are_refused() {
        for text in [
            "read",
            "publish",
            "publish:com.example.app",
            "review",
            "admin",
        ] {
            assert_eq!(text.parse::<Scope>().unwrap().to_string(), text);
        }
        for bad in ["", "write", "publish:", "publish:Not An Id", "READ"] {
            assert!(bad.parse::<Scope>().is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn lists_split_on_commas_and_spaces_sorted_without_duplicates() {
        assert_eq!(
            Scope::parse_list(&["publish,read", "read"]).unwrap(),
            vec![Scope::Read, Scope::Publish]
        );
        assert!(
            Scope::parse_list::<&str>(&[]).is_err(),
            "no scope at all is refused"
        );
    }
}
