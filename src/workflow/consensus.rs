//! The consensus rule of forum rounds (`plan.toml` `[consensus]`): does a round's vote reach
//! consensus?
//!
//! Consensus = no member on the roll voted block (when `block_vetoes`), and in each sector at
//! least `ceil(quorum × that sector's members on the roll)` members voted agree — and at least
//! one, so that a sector with nobody on the roll can never be outvoted by its absence. Abstain,
//! disagree and no vote at all count the same way: not agree. The roll and the sectors are
//! those of `forum/members.toml` at the round's pinned commit; a vote by someone not on that
//! roll is not counted.
//!
//! Pure: it takes the rule, the roll and the votes and computes; nothing here reads git.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::auth::Sector;
use crate::doc::{ConsensusRule, Member};

use super::rounds::VoteRecord;

/// What a forum member says about the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Agree,
    Abstain,
    Disagree,
    Block,
}

impl Choice {
    pub const ALL: [Choice; 4] = [
        Choice::Agree,
        Choice::Abstain,
        Choice::Disagree,
        Choice::Block,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Agree => "agree",
            Choice::Abstain => "abstain",
            Choice::Disagree => "disagree",
            Choice::Block => "block",
        }
    }

    /// Disagree and block must say why.
    pub fn needs_reason(self) -> bool {
        matches!(self, Choice::Disagree | Choice::Block)
    }
}

impl FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Choice, String> {
        Choice::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("\"{s}\" is not a choice (agree, abstain, disagree or block)"))
    }
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One sector's side of the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectorTally {
    pub sector: Sector,
    /// Members of this sector on the roll.
    pub members: u32,
    /// Agree votes this sector needs.
    pub need: u32,
    pub agree: u32,
    pub abstain: u32,
    pub disagree: u32,
    pub block: u32,
    pub not_voted: u32,
    /// `agree >= need`.
    pub quorum_met: bool,
}

/// A member whose vote blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    pub member: String,
    pub name: String,
    pub sector: Sector,
}

/// The rule applied to a round's votes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsensusStatus {
    pub rule: ConsensusRule,
    /// Consensus would be reached if the round closed now.
    pub reached: bool,
    /// Government first, then civil society.
    pub tally: Vec<SectorTally>,
    /// Members who voted block (they veto only with `block_vetoes`).
    pub blocks: Vec<Blocker>,
}

impl ConsensusStatus {
    /// Why consensus is not reached, in words (English; pages say it in the reader's
    /// language). Empty when it is.
    pub fn missing_summary(&self) -> String {
        let mut parts = Vec::new();
        if self.rule.block_vetoes {
            for b in &self.blocks {
                parts.push(format!("{} ({}) blocks", b.name, b.sector));
            }
        }
        for t in &self.tally {
            if !t.quorum_met {
                parts.push(format!(
                    "{}: {} of {} member(s) agree, {} needed",
                    t.sector, t.agree, t.members, t.need
                ));
            }
        }
        parts.join("; ")
    }
}

/// Agree votes a sector of `members` needs under `quorum`: `ceil(quorum × members)`, at least
/// one. A hair of tolerance keeps binary fractions honest (0.3 × 10 is 3.0000000000000004).
pub fn needed(quorum: f64, members: u32) -> u32 {
    let exact = quorum * f64::from(members);
    let need = (exact - 1e-9).ceil();
    need.max(1.0) as u32
}

/// Applies `rule` to `votes` (at most one per member: the latest) with the forum's `roll`.
pub fn evaluate(rule: &ConsensusRule, roll: &[Member], votes: &[VoteRecord]) -> ConsensusStatus {
    let mut tally = Vec::new();
    let mut blocks = Vec::new();
    for sector in [Sector::Government, Sector::CivilSociety] {
        let mut t = SectorTally {
            sector,
            members: 0,
            need: 0,
            agree: 0,
            abstain: 0,
            disagree: 0,
            block: 0,
            not_voted: 0,
            quorum_met: false,
        };
        for member in roll
            .iter()
            .filter(|m| m.sector.parse::<Sector>().ok() == Some(sector))
        {
            t.members += 1;
            match votes
                .iter()
                .find(|v| v.member == member.id)
                .map(|v| v.choice)
            {
                Some(Choice::Agree) => t.agree += 1,
                Some(Choice::Abstain) => t.abstain += 1,
                Some(Choice::Disagree) => t.disagree += 1,
                Some(Choice::Block) => {
                    t.block += 1;
                    blocks.push(Blocker {
                        member: member.id.clone(),
                        name: member.name.clone(),
                        sector,
                    });
                }
                None => t.not_voted += 1,
            }
        }
        t.need = needed(rule.quorum, t.members);
        t.quorum_met = t.agree >= t.need;
        tally.push(t);
    }
    let vetoed = rule.block_vetoes && !blocks.is_empty();
    ConsensusStatus {
        rule: rule.clone(),
        reached: !vetoed && tally.iter().all(|t| t.quorum_met),
        tally,
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, sector: &str) -> Member {
        Member {
            id: id.into(),
            name: id.to_uppercase(),
            sector: sector.into(),
            role: "member".into(),
            organization: String::new(),
            email: String::new(),
            working_groups: Vec::new(),
        }
    }

    /// `gov` government and `ngo` civil-society members: g1.., n1..
    fn roll(gov: usize, ngo: usize) -> Vec<Member> {
        (1..=gov)
            .map(|i| member(&format!("g{i}"), "government"))
            .chain((1..=ngo).map(|i| member(&format!("n{i}"), "civil_society")))
            .collect()
    }

    fn vote(id: &str, choice: Choice) -> VoteRecord {
        VoteRecord {
            member: id.into(),
            name: id.to_uppercase(),
            sector: if id.starts_with('g') {
                Sector::Government
            } else {
                Sector::CivilSociety
            },
            choice,
            reason: String::new(),
            at: 0,
            commit: "0".repeat(40),
        }
    }

    fn agree(ids: &[&str]) -> Vec<VoteRecord> {
        ids.iter().map(|id| vote(id, Choice::Agree)).collect()
    }

    fn rule(quorum: f64, block_vetoes: bool) -> ConsensusRule {
        ConsensusRule {
            quorum,
            block_vetoes,
        }
    }

    #[test]
    fn needed_is_the_ceiling_of_the_share_and_at_least_one() {
        assert_eq!(needed(0.5, 8), 4);
        assert_eq!(needed(0.5, 7), 4);
        assert_eq!(needed(0.5, 1), 1);
        assert_eq!(needed(0.5, 0), 1, "an empty sector can never agree");
        assert_eq!(needed(1.0, 8), 8);
        assert_eq!(needed(0.3, 10), 3, "0.3 × 10 is 3, not 4");
        assert_eq!(needed(0.7, 10), 7);
        assert_eq!(needed(2.0 / 3.0, 9), 6);
        assert_eq!(needed(0.01, 8), 1);
    }

    #[test]
    fn exactly_the_quorum_in_each_sector_reaches_consensus_one_short_does_not() {
        let roll = roll(8, 8);
        let r = rule(0.5, true);
        let exactly = agree(&["g1", "g2", "g3", "g4", "n1", "n2", "n3", "n4"]);
        let s = evaluate(&r, &roll, &exactly);
        assert!(s.reached, "{}", s.missing_summary());
        assert_eq!(s.tally[0].need, 4);
        assert_eq!(s.tally[0].not_voted, 4);
        assert!(s.missing_summary().is_empty());

        // One civil-society agree short: the other sector's surplus does not help.
        let mut short = agree(&["g1", "g2", "g3", "g4", "g5", "g6", "n1", "n2", "n3"]);
        short.push(vote("n4", Choice::Abstain));
        let s = evaluate(&r, &roll, &short);
        assert!(!s.reached);
        assert!(s.tally[0].quorum_met && !s.tally[1].quorum_met);
        assert_eq!(
            s.missing_summary(),
            "civil_society: 3 of 8 member(s) agree, 4 needed"
        );

        // An odd sector: 7 members need 4 (ceil 3.5).
        let roll = roll_odd();
        let s = evaluate(&r, &roll, &agree(&["g1", "g2", "g3", "n1", "n2", "n3"]));
        assert!(!s.reached);
        let s = evaluate(
            &r,
            &roll,
            &agree(&["g1", "g2", "g3", "g4", "n1", "n2", "n3", "n4"]),
        );
        assert!(s.reached);
    }

    fn roll_odd() -> Vec<Member> {
        roll(7, 7)
    }

    #[test]
    fn a_block_vetoes_unless_the_rule_says_otherwise() {
        let roll = roll(2, 2);
        let mut votes = agree(&["g1", "g2", "n1"]);
        votes.push(vote("n2", Choice::Block));
        let s = evaluate(&rule(0.5, true), &roll, &votes);
        assert!(!s.reached);
        assert_eq!(s.blocks.len(), 1);
        assert_eq!(s.missing_summary(), "N2 (civil_society) blocks");
        let s = evaluate(&rule(0.5, false), &roll, &votes);
        assert!(s.reached, "{}", s.missing_summary());
        // Disagree never vetoes; it is just not agree.
        let mut votes = agree(&["g1", "n1"]);
        votes.push(vote("g2", Choice::Disagree));
        assert!(evaluate(&rule(0.5, true), &roll, &votes).reached);
        assert!(!evaluate(&rule(1.0, true), &roll, &votes).reached);
    }

    #[test]
    fn votes_off_the_roll_and_empty_sectors_do_not_count() {
        let roll = roll(2, 0);
        let s = evaluate(&rule(0.5, true), &roll, &agree(&["g1", "g2", "n9"]));
        assert!(!s.reached, "no civil-society member: no consensus");
        assert_eq!(s.tally[1].members, 0);
        assert_eq!(s.tally[1].agree, 0);
        // A block by someone not on the roll is ignored.
        let roll = roll_odd();
        let mut votes = agree(&["g1", "g2", "g3", "g4", "n1", "n2", "n3", "n4"]);
        votes.push(vote("x-outsider", Choice::Block));
        assert!(evaluate(&rule(0.5, true), &roll, &votes).reached);
        // Nobody voted.
        assert!(!evaluate(&rule(0.5, true), &roll, &[]).reached);
    }

    #[test]
    fn choices_read_and_print_their_names() {
        for c in Choice::ALL {
            assert_eq!(c.as_str().parse::<Choice>(), Ok(c));
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
        }
        assert!("yes".parse::<Choice>().is_err());
        assert!(Choice::Block.needs_reason() && !Choice::Abstain.needs_reason());
    }
}
