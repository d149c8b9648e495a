//! Domain logic over the store and the documents. For this first layer of the product:
//! loading a plan as it stands at a commit ([`plan`]), setting up plan repositories
//! ([`setup`]: `codraft init`, the demo plan) and checking a plan's documents ([`plan::load`]
//! is what `codraft check` runs). Knows nothing of HTTP.

pub mod plan;
pub mod setup;

pub use plan::{CommitmentEntry, Files, PlanReader, PlanSnapshot};

use crate::doc::Problems;
use crate::store::StoreError;

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
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for WorkflowError {
    fn from(e: StoreError) -> WorkflowError {
        match e {
            StoreError::UnknownRef(_) => WorkflowError::BadRef(e.to_string()),
            e => WorkflowError::Store(e),
        }
    }
}
