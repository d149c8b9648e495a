//! The approval rule (`plan.toml` `[approval]`): may this proposal head reach `main`?
//!
//! For every commitment the proposal touches, at least `government_approvals` government and
//! `civil_society_approvals` civil-society members of that commitment's working group must
//! have approved the proposal's *current* head, and (with `block_on_request_changes`) no
//! request for changes may stand. A commitment the proposal adds has no working group yet:
//! its approvers are the forum's members and conveners.
//!
//! Each reviewer's latest approve / request-changes verdict is the one that counts; comments
//! change nothing. An approval given on an older head is *stale* and does not count. A request
//! for changes stands, whatever head it was given on, until the same reviewer approves. The
//! proposal's author cannot approve it (see [`super::proposal`]); an author's approval in the
//! trail would not be counted either.
//!
//! Pure: it takes the reviews and the users and computes; nothing here reads git.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::auth::{Role, Sector, User};
use crate::doc::ApprovalRule;

use super::records::{ReviewRecord, Verdict};

/// Someone whose review counts or blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reviewer {
    pub id: String,
    pub name: String,
    pub sector: Sector,
    /// The review this comes from.
    pub review: u32,
}

/// One commitment's side of the rule.
#[derive(Debug, Clone, Serialize)]
pub struct CommitmentApproval {
    pub commitment: String,
    /// Added by the proposal (its approvers are the forum's members).
    pub added: bool,
    pub government: Vec<Reviewer>,
    pub civil_society: Vec<Reviewer>,
    /// How many more approvals each sector still needs (only sectors that need more).
    pub missing: Vec<Missing>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub sector: Sector,
    pub count: u32,
}

/// A review as the proposal page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewState {
    #[serde(flatten)]
    pub record: ReviewRecord,
    /// An approval or a request for changes given on an older head.
    pub stale: bool,
    /// This approval counts towards the rule now.
    pub counts: bool,
}

/// The rule applied to one proposal head.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalStatus {
    pub head: String,
    pub rule: ApprovalRule,
    /// The proposal may merge: it changes something and every condition holds.
    pub satisfied: bool,
    pub commitments: Vec<CommitmentApproval>,
    /// Requests for changes that stand.
    pub requests_for_changes: Vec<Reviewer>,
    pub reviews: Vec<ReviewState>,
}

impl ApprovalStatus {
    /// What is still missing, in words (English; pages say it in the reader's language).
    pub fn missing_summary(&self) -> String {
        let mut parts = Vec::new();
        if self.commitments.is_empty() {
            parts.push("the proposal changes nothing".to_string());
        }
        for c in &self.commitments {
            for m in &c.missing {
                let sector = match m.sector {
                    Sector::Government => "government",
                    Sector::CivilSociety => "civil-society",
                };
                parts.push(format!(
                    "{}: {} more {sector} approval(s) of the current head",
                    c.commitment, m.count
                ));
            }
        }
        for r in &self.requests_for_changes {
            parts.push(format!(
                "{} requested changes (review {})",
                r.name, r.review
            ));
        }
        parts.join("; ")
    }
}

/// May `user` approve for `commitment`? Working-group members; for an added commitment, the
/// forum's members and conveners.
pub fn eligible(user: &User, commitment: &str, added: bool) -> bool {
    if added {
        user.has(Role::ForumMember) || user.has(Role::Convener)
    } else {
        user.in_working_group(commitment)
    }
}

/// Applies `rule` to the proposal at `head`. `touched` lists each commitment the proposal
/// changes and whether it adds it. `users` are the current accounts (for working groups).
pub fn evaluate(
    rule: &ApprovalRule,
    head: &str,
    author: &str,
    touched: &[(String, bool)],
    reviews: &[ReviewRecord],
    users: &[User],
) -> ApprovalStatus {
    // Each reviewer's latest verdict that is not a comment.
    let mut latest: BTreeMap<&str, &ReviewRecord> = BTreeMap::new();
    for r in reviews {
        if r.verdict != Verdict::Comment {
            latest.insert(r.reviewer.as_str(), r);
        }
    }
    let current_approvals: Vec<&ReviewRecord> = latest
        .values()
        .filter(|r| r.verdict == Verdict::Approve && r.head == head && r.reviewer != author)
        .copied()
        .collect();
    let requests_for_changes: Vec<Reviewer> = latest
        .values()
        .filter(|r| r.verdict == Verdict::RequestChanges)
        .map(|r| reviewer(r))
        .collect();
    let user_of = |id: &str| users.iter().find(|u| u.id == id);

    let mut commitments = Vec::new();
    for (commitment, added) in touched {
        let mut government = Vec::new();
        let mut civil_society = Vec::new();
        for r in &current_approvals {
            let Some(user) = user_of(&r.reviewer) else {
                continue;
            };
            if !eligible(user, commitment, *added) {
                continue;
            }
            // The sector is the account's: the rule asks who the approver is now.
            match user.sector {
                Sector::Government => government.push(reviewer(r)),
                Sector::CivilSociety => civil_society.push(reviewer(r)),
            }
        }
        let mut missing = Vec::new();
        for (sector, need, have) in [
            (
                Sector::Government,
                rule.government_approvals,
                government.len(),
            ),
            (
                Sector::CivilSociety,
                rule.civil_society_approvals,
                civil_society.len(),
            ),
        ] {
            if (have as u32) < need {
                missing.push(Missing {
                    sector,
                    count: need - have as u32,
                });
            }
        }
        commitments.push(CommitmentApproval {
            commitment: commitment.clone(),
            added: *added,
            government,
            civil_society,
            missing,
        });
    }
    let blocked = rule.block_on_request_changes && !requests_for_changes.is_empty();
    let satisfied =
        !touched.is_empty() && !blocked && commitments.iter().all(|c| c.missing.is_empty());
    let counting: Vec<u32> = commitments
        .iter()
        .flat_map(|c| c.government.iter().chain(&c.civil_society))
        .map(|r| r.review)
        .collect();
    let reviews = reviews
        .iter()
        .map(|r| ReviewState {
            stale: r.verdict != Verdict::Comment && r.head != head,
            counts: counting.contains(&r.number),
            record: r.clone(),
        })
        .collect();
    ApprovalStatus {
        head: head.to_string(),
        rule: rule.clone(),
        satisfied,
        commitments,
        requests_for_changes: if rule.block_on_request_changes {
            requests_for_changes
        } else {
            Vec::new()
        },
        reviews,
    }
}

fn reviewer(r: &ReviewRecord) -> Reviewer {
    Reviewer {
        id: r.reviewer.clone(),
        name: r.reviewer_name.clone(),
        sector: r.reviewer_sector,
        review: r.number,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, sector: Sector, wg: &[&str], roles: &[Role]) -> User {
        User {
            id: id.into(),
            name: id.to_uppercase(),
            email: None,
            sector,
            roles: roles.iter().copied().collect(),
            commitments: wg.iter().map(|s| s.to_string()).collect(),
            agency: None,
        }
    }

    fn review(n: u32, who: &str, sector: Sector, verdict: Verdict, head: &str) -> ReviewRecord {
        ReviewRecord {
            number: n,
            reviewer: who.into(),
            reviewer_name: who.to_uppercase(),
            reviewer_sector: sector,
            verdict,
            head: head.into(),
            section: None,
            body: String::new(),
            at: 0,
        }
    }

    #[test]
    fn both_sectors_of_the_working_group_must_approve_the_current_head() {
        let rule = ApprovalRule::default();
        let users = vec![
            user("gov", Sector::Government, &["c04"], &[Role::Drafter]),
            user("ngo", Sector::CivilSociety, &["c04"], &[Role::Drafter]),
            user("outsider", Sector::CivilSociety, &["c05"], &[Role::Drafter]),
        ];
        let touched = vec![("c04".to_string(), false)];
        use Sector::*;
        use Verdict::*;
        // Only government approved: civil society missing.
        let reviews = vec![review(1, "gov", Government, Approve, "h1")];
        let s = evaluate(&rule, "h1", "author", &touched, &reviews, &users);
        assert!(!s.satisfied);
        assert_eq!(
            s.commitments[0].missing,
            vec![Missing {
                sector: CivilSociety,
                count: 1
            }]
        );
        // An outsider's approval does not count.
        let mut reviews = reviews;
        reviews.push(review(2, "outsider", CivilSociety, Approve, "h1"));
        assert!(!evaluate(&rule, "h1", "author", &touched, &reviews, &users).satisfied);
        // A request for changes blocks, then the same reviewer approves the new head.
        reviews.push(review(3, "ngo", CivilSociety, RequestChanges, "h1"));
        let s = evaluate(&rule, "h1", "author", &touched, &reviews, &users);
        assert_eq!(s.requests_for_changes.len(), 1);
        assert!(!s.satisfied);
        reviews.push(review(4, "ngo", CivilSociety, Approve, "h2"));
        // On h2, the government approval of h1 is stale.
        let s = evaluate(&rule, "h2", "author", &touched, &reviews, &users);
        assert!(!s.satisfied);
        assert!(s.reviews[0].stale && !s.reviews[0].counts);
        assert!(s.requests_for_changes.is_empty());
        reviews.push(review(5, "gov", Government, Comment, "h2"));
        assert!(!evaluate(&rule, "h2", "author", &touched, &reviews, &users).satisfied);
        reviews.push(review(6, "gov", Government, Approve, "h2"));
        let s = evaluate(&rule, "h2", "author", &touched, &reviews, &users);
        assert!(s.satisfied, "{}", s.missing_summary());
        // The author's own approval never counts.
        let s = evaluate(&rule, "h2", "gov", &touched, &reviews, &users);
        assert!(!s.satisfied);
    }

    #[test]
    fn an_added_commitment_is_approved_by_forum_members_and_nothing_touched_never_merges() {
        let rule = ApprovalRule::default();
        let users = vec![
            user("g", Sector::Government, &[], &[Role::ForumMember]),
            user("c", Sector::CivilSociety, &[], &[Role::Convener]),
        ];
        let reviews = vec![
            review(1, "g", Sector::Government, Verdict::Approve, "h"),
            review(2, "c", Sector::CivilSociety, Verdict::Approve, "h"),
        ];
        let touched = vec![("c20-new".to_string(), true)];
        assert!(evaluate(&rule, "h", "a", &touched, &reviews, &users).satisfied);
        assert!(!evaluate(&rule, "h", "a", &[], &reviews, &users).satisfied);
    }
}
