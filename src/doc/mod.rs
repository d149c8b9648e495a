//! The documents of a plan repository: commitments (`commitments/<id>/<lang>.md`), the plan
//! settings (`plan.toml`) and the forum (`forum/members.toml`).
//!
//! This layer owns parsing, validation and canonical serialization. It knows nothing of git or
//! HTTP: it takes text and gives typed values or [`Problem`]s that name the file, the line and
//! the field. Nothing here panics on any input.

pub(crate) mod commitment;
pub mod completeness;
pub mod form;
mod month;
mod plan;
mod problem;
pub mod sync;
mod toml_text;

pub use commitment::{
    Commitment, Contact, FrontMatter, Milestone, Participants, Section, OGP_VALUES,
};
pub use month::YearMonth;
pub use plan::{
    ApprovalRule, Area, ConsensusRule, Forum, LocalizedText, Member, PlanConfig, PlanInfo,
    PlanPeriod, RoundsConfig,
};
pub use problem::{Problem, Problems};

/// Validates a commitment against the plan it belongs to: checks that need more than the file
/// itself (the area exists, the id is the folder's name, the language is one of the plan's).
pub fn check_in_plan(
    doc: &Commitment,
    path: &str,
    folder: &str,
    lang: &str,
    plan: &PlanConfig,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if doc.front.id != folder {
        problems.push(Problem::new(
            path,
            doc.line_of("id"),
            "id",
            format!(
                "id \"{}\" must equal the folder name \"{folder}\"",
                doc.front.id
            ),
        ));
    }
    if !plan.areas.iter().any(|a| a.id == doc.front.area) {
        let known: Vec<&str> = plan.areas.iter().map(|a| a.id.as_str()).collect();
        problems.push(Problem::new(
            path,
            doc.line_of("area"),
            "area",
            format!(
                "unknown area \"{}\" (plan.toml defines: {})",
                doc.front.area,
                known.join(", ")
            ),
        ));
    }
    if !plan.languages().any(|l| l == lang) {
        problems.push(Problem::new(
            path,
            1,
            "language",
            format!(
                "\"{lang}\" is not a language of this plan (plan.toml: {})",
                plan.languages().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    problems
}
