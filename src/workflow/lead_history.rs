//! Who led a commitment when. A lead agency is transferred like any other change (a proposal
//! editing `lead_agencies`), so the plan's history already holds every transfer; this reads
//! it back: the master file's history, oldest first, cut where `lead_agencies` changed.

use serde::Serialize;

use crate::doc::Commitment;
use crate::store::{git, Oid, Store};

use super::plan::{PlanSnapshot, COMMITMENTS_DIR};
use super::WorkflowError;

/// One stretch of time with the same lead agencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeadPeriod {
    pub agencies: Vec<String>,
    /// The commit that made them lead, its date (`YYYY-MM-DD`, the author's offset), author and
    /// summary.
    pub commit: String,
    pub since: String,
    pub author_name: String,
    pub summary: String,
}

/// The lead agencies of `id` over the history reachable from `snapshot`, oldest first.
pub async fn lead_history(
    store: &Store,
    snapshot: &PlanSnapshot,
    id: &str,
) -> Result<Vec<LeadPeriod>, WorkflowError> {
    if snapshot.commitment(id).is_none() {
        return Err(WorkflowError::NotFound(format!("no commitment \"{id}\"")));
    }
    let path = format!("{COMMITMENTS_DIR}/{id}/{}.md", snapshot.master_language());
    let head = snapshot.commit;
    Ok(store
        .read(move |repo| {
            let mut commits = git::history(repo, head, &path, 2000)?;
            commits.reverse();
            let mut out: Vec<LeadPeriod> = Vec::new();
            for c in commits {
                let Ok(oid) = Oid::from_str(&c.id) else {
                    continue;
                };
                let Some(text) =
                    git::read_file(repo, oid, &path)?.and_then(|b| String::from_utf8(b).ok())
                else {
                    continue;
                };
                let Ok(doc) = Commitment::parse(&path, &text) else {
                    continue;
                };
                let agencies = doc.front.lead_agencies;
                if out.last().is_some_and(|p| p.agencies == agencies) {
                    continue;
                }
                out.push(LeadPeriod {
                    agencies,
                    since: date(c.time, c.offset_minutes),
                    commit: c.id,
                    author_name: c.author_name,
                    summary: c.summary,
                });
            }
            Ok::<_, crate::store::StoreError>(out)
        })
        .await?)
}

/// `YYYY-MM-DD` in the commit's own offset.
fn date(seconds: i64, offset_minutes: i32) -> String {
    jiff::Timestamp::from_second(seconds + i64::from(offset_minutes) * 60)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}
