//! A validation problem: what is wrong, in which file, on which line, in which field.

use std::fmt;

/// One thing wrong with a document, located precisely enough for a person to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Path of the file, as the caller named it (e.g. `commitments/c04/zh-TW.md`).
    pub file: String,
    /// 1-based line number in that file.
    pub line: usize,
    /// The field or section the problem is about (e.g. `milestones[2].end`, `section problem`).
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(
        file: impl Into<String>,
        line: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.into(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

/// The problems found in one document; never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", display_list(.0))]
pub struct Problems(pub Vec<Problem>);

fn display_list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
