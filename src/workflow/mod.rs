//! Domain logic over the store and the documents. For this first layer of the product:
//! loading a plan as it stands at a commit ([`plan`]), setting up plan repositories
//! ([`setup`]: `codraft init`, the demo plan) and checking a plan's documents ([`plan::load`]
//! is what `codraft check` runs). Knows nothing of HTTP.

pub mod activity;
pub mod approval;
pub mod comments;
pub mod compare;
pub mod consensus;
pub mod export;
pub mod forum;
pub mod inputs;
pub mod lead_history;
pub mod live;
pub mod plan;
pub mod progress;
pub mod proposal;
pub mod push;
pub mod records;
pub mod round_tags;
pub mod rounds;
pub mod setup;
pub mod sync;
pub mod timeline;
pub mod translation;

pub use plan::{CommitmentEntry, Files, PlanReader, PlanSnapshot};

use std::sync::Arc;

use crate::doc::Problems;
use crate::store::StoreError;

/// Where the domain reads the time (seconds since the epoch). Services take one so tests can
/// move time (e.g. past a correction window) without waiting.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// What a reader of the plan can run into.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The caller named something that does not exist (`what` says what, e.g. a commitment).
    #[error("{0}")]
    NotFound(String),
    /// The caller named a ref that is not a branch, tag or commit.
    #[error("{0}")]
    BadRef(String),
    /// The repository's own documents are invalid at that commit.
    #[error("the plan's documents are invalid:\n{0}")]
    Invalid(Problems),
    /// The user may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The user may not do this (403), for a reason with its own code (e.g. `not_member`).
    #[error("{message}")]
    Denied { code: &'static str, message: String },
    /// A value in the request is malformed (400): `code` names which (e.g. `bad_date`).
    #[error("{message}")]
    BadInput { code: &'static str, message: String },
    /// The request is understood but refused as it stands (422): `code` names why.
    #[error("{message}")]
    Rejected { code: &'static str, message: String },
    /// The request clashes with the current state (409): a stale head, a proposal that is not
    /// approved yet or no longer open.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Store(StoreError),
}

impl WorkflowError {
    pub fn rejected(code: &'static str, message: impl Into<String>) -> WorkflowError {
        WorkflowError::Rejected {
            code,
            message: message.into(),
        }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> WorkflowError {
        WorkflowError::Conflict {
            code,
            message: message.into(),
        }
    }
    pub fn denied(code: &'static str, message: impl Into<String>) -> WorkflowError {
        WorkflowError::Denied {
            code,
            message: message.into(),
        }
    }
    pub fn bad_input(code: &'static str, message: impl Into<String>) -> WorkflowError {
        WorkflowError::BadInput {
            code,
            message: message.into(),
        }
    }
}

impl From<StoreError> for WorkflowError {
    fn from(e: StoreError) -> WorkflowError {
        match e {
            StoreError::UnknownRef(_) => WorkflowError::BadRef(e.to_string()),
            StoreError::StaleHead { .. } => WorkflowError::conflict(
                "stale_head",
                format!("{e}; reload, look at what changed, and try again"),
            ),
            StoreError::BranchExists(_) => WorkflowError::conflict("branch_exists", e.to_string()),
            StoreError::TagExists(_) => WorkflowError::conflict("tag_exists", e.to_string()),
            StoreError::BadPath(_) => WorkflowError::rejected("bad_path", e.to_string()),
            e => WorkflowError::Store(e),
        }
    }
}
