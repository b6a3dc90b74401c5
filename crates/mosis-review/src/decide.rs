//! The review state machine: which action by whom moves a version where. The web layer
//! asks the auth crate who the caller is to the app (owner or reviewer), then asks
//! [`decide`] what the action does; both refuse with a sentence a person can act on.

use mosis_storage::{Channel, VersionState};
use std::fmt;

/// What someone wants to do with a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Publish a version that passed the checks, on a channel (reviewers).
    Approve(Channel),
    /// Refuse a version, with a reason (reviewers).
    Reject,
    /// Publish a beta release on stable too, without a new upload.
    Promote,
    /// Take a published version off the index (yank).
    Suspend,
}

impl Action {
    /// The action's name, as routes and the audit log spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve(_) => "approve",
            Action::Reject => "reject",
            Action::Promote => "promote",
            Action::Suspend => "suspend",
        }
    }
}

/// Who acts, relative to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The app's owner (even one who is also a reviewer: nobody reviews their own app).
    Owner,
    /// A reviewer or admin who does not own the app.
    Reviewer,
}

/// What an allowed action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state the version must still be in (compare-and-set).
    pub from: VersionState,
    /// The state it moves to.
    pub to: VersionState,
    /// The channel it is published on, for approvals and promotions.
    pub channel: Option<Channel>,
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// This actor may never do this (HTTP 403).
    Forbidden(String),
    /// Not in this state (HTTP 409).
    WrongState(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Forbidden(m) | Refusal::WrongState(m) => f.write_str(m),
        }
    }
}

/// Decides `action` by `actor` on a version in `state` (published on `channel`, if it is):
/// the transition to make, or why not.
///
/// | action | who | from | to |
/// |---|---|---|---|
/// | approve(channel) | reviewer | in_review | published on channel |
/// | reject | reviewer | pending, in_review | rejected |
/// | promote | owner, reviewer | published on beta | published on stable |
/// | suspend | owner, reviewer | published | suspended |
pub fn decide(
    state: VersionState,
    channel: Option<Channel>,
    action: Action,
    actor: Actor,
) -> Result<Transition, Refusal> {
    use VersionState::{InReview, Pending, Published, Rejected, Suspended};
    let wrong =
        |what: &str| Refusal::WrongState(format!("cannot {what} a version that is {state}"));
    match action {
        Action::Approve(_) | Action::Reject if actor == Actor::Owner => {
            Err(Refusal::Forbidden(format!(
                "nobody reviews their own app: another reviewer must {} it",
                action.as_str()
            )))
        }
        Action::Approve(target) => match state {
            InReview => Ok(Transition {
                from: InReview,
                to: Published,
                channel: Some(target),
            }),
            Pending => Err(Refusal::WrongState(
                "cannot approve a version before its automated checks finish (it is pending)"
                    .into(),
            )),
            _ => Err(wrong("approve")),
        },
        Action::Reject => match state {
            Pending | InReview => Ok(Transition {
                from: state,
                to: Rejected,
                channel: None,
            }),
            _ => Err(wrong("reject")),
        },
        Action::Promote => match (state, channel) {
            (Published, Some(Channel::Beta)) => Ok(Transition {
                from: Published,
                to: Published,
                channel: Some(Channel::Stable),
            }),
            (Published, _) => Err(Refusal::WrongState(
                "this version is on stable already; only beta releases are promoted".into(),
            )),
            _ => Err(wrong("promote")),
        },
        Action::Suspend => match state {
            Published => Ok(Transition {
                from: Published,
                to: Suspended,
                channel: None,
            }),
            Suspended => Err(Refusal::WrongState(
                "this version is suspended already".into(),
            )),
            _ => Err(wrong("suspend")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Channel::{Beta, Stable};
    use VersionState::{InReview, Pending, Published, Rejected, Suspended};

    /// Every (state, channel) a version can be in.
    const PLACES: [(VersionState, Option<Channel>); 6] = [
        (Pending, None),
        (InReview, None),
        (Published, Some(Stable)),
        (Published, Some(Beta)),
        (Rejected, None),
        (Suspended, Some(Stable)),
    ];
    const ACTIONS: [Action; 5] = [
        Action::Approve(Stable),
        Action::Approve(Beta),
        Action::Reject,
        Action::Promote,
        Action::Suspend,
    ];
    const ACTORS: [Actor; 2] = [Actor::Owner, Actor::Reviewer];

    /// The documented transitions: (state, channel, action, actor) → (to, channel). Every
    /// triple not listed must be refused.
    /// (state, channel, action, actor) and where it leads: (to, channel).
    type Case = (VersionState, Option<Channel>, Action, Actor);
    type Place = (VersionState, Option<Channel>);

    fn allowed() -> Vec<(Case, Place)> {
        let mut table = Vec::new();
        for channel in [Stable, Beta] {
            table.push((
                (InReview, None, Action::Approve(channel), Actor::Reviewer),
                (Published, Some(channel)),
            ));
        }
        for state in [Pending, InReview] {
            table.push((
                (state, None, Action::Reject, Actor::Reviewer),
                (Rejected, None),
            ));
        }
        for actor in ACTORS {
            table.push((
                (Published, Some(Beta), Action::Promote, actor),
                (Published, Some(Stable)),
            ));
            for channel in [Stable, Beta] {
                table.push((
                    (Published, Some(channel), Action::Suspend, actor),
                    (Suspended, None),
                ));
            }
        }
        table
    }

    #[test]
    fn every_state_action_and_actor_is_either_the_documented_transition_or_a_clear_refusal() {
        let allowed = allowed();
        let mut checked = 0;
        for (state, channel) in PLACES {
            for action in ACTIONS {
                for actor in ACTORS {
                    checked += 1;
                    let got = decide(state, channel, action, actor);
                    let want = allowed
                        .iter()
                        .find(|(k, _)| *k == (state, channel, action, actor));
                    match (got, want) {
                        (Ok(t), Some((_, (to, ch)))) => {
                            assert_eq!(
                                (t.from, t.to, t.channel),
                                (state, *to, *ch),
                                "{state} {action:?} by {actor:?}"
                            );
                        }
                        (Err(refusal), None) => {
                            let text = refusal.to_string();
                            assert!(
                                text.len() > 20,
                                "{state} {action:?} by {actor:?}: a vague refusal: {text}"
                            );
                            // Owners are refused reviews for who they are, whatever the state.
                            let owner_review = actor == Actor::Owner
                                && matches!(action, Action::Approve(_) | Action::Reject);
                            assert_eq!(
                                matches!(refusal, Refusal::Forbidden(_)),
                                owner_review,
                                "{state} {action:?} by {actor:?}: {text}"
                            );
                            if !owner_review {
                                assert!(
                                    text.contains(state.as_str())
                                        || text.contains("stable")
                                        || text.contains("pending"),
                                    "{state} {action:?}: the refusal should say why: {text}"
                                );
                            }
                        }
                        (got, want) => panic!(
                            "{state} {channel:?} {action:?} by {actor:?}: got {got:?}, want {want:?}"
                        ),
                    }
                }
            }
        }
        assert_eq!(checked, PLACES.len() * ACTIONS.len() * ACTORS.len());
    }
}
