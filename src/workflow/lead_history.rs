//! Who led a commitment when. A lead agency is transferred like any other change (a proposal
//! editing `lead_agencies`), so the plan's history already holds every transfer; this reads
//! it back: the master file's history, oldest first, cut where `lead_agencies` changed.

use serde::Serialize;

use crate::doc::Commitment;
use crate::store::{git, Oid};

use super::plan::{PlanReader, PlanSnapshot, COMMITMENTS_DIR};
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
    reader: &PlanReader,
    snapshot: &PlanSnapshot,
    id: &str,
) -> Result<Vec<LeadPeriod>, WorkflowError> {
    if snapshot.commitment(id).is_none() {
        return Err(WorkflowError::NotFound(format!("no commitment \"{id}\"")));
    }
    let path = format!("{COMMITMENTS_DIR}/{id}/{}.md", snapshot.master_language());
    let commits = reader.path_history(snapshot.commit, &path, 2000).await?;
    Ok(reader
        .store()
        .read(move |repo| {
            let mut out: Vec<LeadPeriod> = Vec::new();
            for c in commits.iter().rev().cloned() {
                let Ok(oid) = Oid::from_str(&c.id) else {
                    continue;
                };
                let Some(text) =
                    git::read_file(repo, oid, &path)?.and_then(|b| String::from_utf8(b).ok())
                else {
                    continue;
                };
                let Some(agencies) = lead_agencies(&path, &text) else {
                    continue;
                };
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

/// The lead agencies a version of a document names. Most versions are read through their one
/// `lead_agencies = [...]` line among the front matter's top-level keys (a history can be
/// thousands of versions deep, and parsing each whole took ~0.5 ms); anything else (an array
/// over several lines, no such line) is parsed whole; `None` when that fails. Versions on
/// `main` are valid documents (every way in checks them), so both ways agree there.
fn lead_agencies(path: &str, text: &str) -> Option<Vec<String>> {
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) == Some("+++") {
        for line in lines {
            let t = line.trim_start();
            if t.starts_with('[') || t.starts_with("+++") {
                break; // past the top-level keys
            }
            if t.starts_with("lead_agencies") {
                #[derive(serde::Deserialize)]
                struct Only {
                    lead_agencies: Vec<String>,
                }
                if let Ok(only) = toml::from_str::<Only>(t) {
                    return Some(only.lead_agencies);
                }
                break;
            }
        }
    }
    Commitment::parse(path, text)
        .ok()
        .map(|doc| doc.front.lead_agencies)
}

#[cfg(test)]
mod tests {
    use super::lead_agencies;
    use crate::doc::Commitment;

    const C04: &str = include_str!("../../demo/commitments/c04-information-access/zh-TW.md");

    #[test]
    fn the_line_gives_what_the_whole_parse_gives() {
        let path = "commitments/c04-information-access/zh-TW.md";
        let whole = Commitment::parse(path, C04).unwrap().front.lead_agencies;
        assert_eq!(lead_agencies(path, C04), Some(whole));
        // An array over several lines is read by the whole parse.
        let spread = C04.replacen(
            "lead_agencies = [\"法務部\"]",
            "lead_agencies = [\n  \"法務部\",\n  \"國家發展委員會\",\n]",
            1,
        );
        assert_ne!(spread, C04);
        assert_eq!(
            lead_agencies(path, &spread),
            Some(vec!["法務部".to_string(), "國家發展委員會".to_string()])
        );
        assert_eq!(lead_agencies(path, "no front matter"), None);
    }
}
