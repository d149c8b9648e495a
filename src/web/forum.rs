//! The forum page (`/forum`): members by sector with their roles and working groups, the
//! rules, and every change to `forum/`; one change line by line (`/forum/changes/{commit}`).
//! Their JSON twins are under `/api/forum`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::diff::lines::LineDiff;
use crate::workflow::forum::{self, RULES_PATH};
use crate::workflow::{PlanSnapshot, WorkflowError};

use super::error::ApiError;
use super::pages::{Ctx, Q};
use super::views::{self, CommitView};
use super::{AppState, DEFAULT_REF};

/// History entries a forum page shows by default, and at most.
const HISTORY_LIMIT: usize = 200;
const HISTORY_MAX: usize = 1000;

/// A query that could not be read, as the API answers it (400 `bad_query`).
pub(super) fn bad_query(e: &QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text())
}

/// A page's own query, or the 400 page to answer with when it (or the common part: `lang`,
/// `ref`, `doc`) cannot be read.
pub(super) fn page_query<T: Default>(
    state: &AppState,
    own: Result<Query<T>, QueryRejection>,
    q: Q,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<(Ctx, T), Box<Response>> {
    let error = match (&own, &q) {
        (Err(e), _) | (_, Err(e)) => Some(bad_query(e)),
        _ => None,
    };
    let c = Ctx::new(state, q, headers, uri);
    match (error, own) {
        (Some(e), _) => Err(Box::new(c.error(state, e))),
        (None, own) => Ok((c, own.map(|Query(q)| q).unwrap_or_default())),
    }
}

#[derive(Deserialize, Default)]
pub struct ForumQuery {
    #[serde(rename = "ref")]
    rev: Option<String>,
    /// How many history entries (default 200, at most 1000).
    limit: Option<usize>,
    /// UI language (pages); the language of working-group titles (API).
    lang: Option<String>,
}

#[derive(Serialize)]
pub struct ForumView {
    /// The commit the forum is read at.
    pub commit: String,
    pub sectors: Vec<SectorView>,
    /// `forum/rules.md`, when the plan has it.
    pub rules: Option<RulesView>,
    /// Commits that changed `forum/`, newest first.
    pub history: Vec<ForumCommitView>,
}

#[derive(Serialize)]
pub struct SectorView {
    /// `government` or `civil_society`.
    pub sector: &'static str,
    pub members: Vec<MemberView>,
}

#[derive(Serialize)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    /// `convener`, `co-convener` or `member`.
    pub role: String,
    pub organization: String,
    pub working_groups: Vec<WorkingGroupView>,
}

/// A working group is a commitment; `title` is `None` when no such commitment exists at this
/// ref (the page shows the id without a link).
#[derive(Serialize)]
pub struct WorkingGroupView {
    pub id: String,
    pub number: Option<u32>,
    pub title: Option<String>,
    /// The document language the title is in.
    pub language: Option<String>,
}

#[derive(Serialize)]
pub struct RulesView {
    pub path: &'static str,
    pub markdown: String,
    /// Sanitized HTML (pages only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

#[derive(Serialize)]
pub struct ForumCommitView {
    #[serde(flatten)]
    pub commit: CommitView,
    /// The forum files it changed.
    pub files: Vec<String>,
}

/// A commitment's title in `lang` when that version is valid, else in the master language.
pub(super) fn title_in(
    snapshot: &PlanSnapshot,
    id: &str,
    lang: &str,
) -> Option<(u32, String, String)> {
    let entry = snapshot.commitment(id)?;
    let master = snapshot.master_language();
    let number = entry.master(master)?.front.number;
    match entry.versions.get(lang) {
        Some(Ok(doc)) => Some((number, doc.front.title.clone(), lang.to_string())),
        _ => entry
            .master(master)
            .map(|doc| (number, doc.front.title.clone(), master.to_string())),
    }
}

async fn forum_view(
    state: &AppState,
    snapshot: &PlanSnapshot,
    limit: usize,
    lang: &str,
    with_html: bool,
) -> Result<ForumView, WorkflowError> {
    let (rules, history) = forum::rules_and_history(&state.plan, snapshot, limit).await?;
    let sectors = forum::by_sector(&snapshot.forum)
        .into_iter()
        .map(|group| SectorView {
            sector: group.sector,
            members: group
                .members
                .into_iter()
                .map(|m| MemberView {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    role: m.role.clone(),
                    organization: m.organization.clone(),
                    working_groups: m
                        .working_groups
                        .iter()
                        .map(|id| {
                            let found = title_in(snapshot, id, lang);
                            WorkingGroupView {
                                id: id.clone(),
                                number: found.as_ref().map(|f| f.0),
                                title: found.as_ref().map(|f| f.1.clone()),
                                language: found.map(|f| f.2),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let (infos, files): (Vec<_>, Vec<_>) = history.into_iter().map(|h| (h.commit, h.files)).unzip();
    let history = views::commits(snapshot, infos)
        .into_iter()
        .zip(files)
        .map(|(commit, files)| ForumCommitView { commit, files })
        .collect();
    Ok(ForumView {
        commit: snapshot.commit.to_string(),
        sectors,
        rules: rules.map(|markdown| RulesView {
            path: RULES_PATH,
            html: with_html.then(|| super::markdown::to_html(&markdown)),
            markdown,
        }),
        history,
    })
}

pub async fn page(
    State(state): State<AppState>,
    fq: Result<Query<ForumQuery>, QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (c, fq) = match page_query(&state, fq, q, &headers, &uri) {
        Ok(found) => found,
        Err(page) => return *page,
    };
    let snapshot = match c.snapshot(&state).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let limit = fq.limit.unwrap_or(HISTORY_LIMIT).clamp(1, HISTORY_MAX);
    let view = match forum_view(&state, &snapshot, limit, c.lang.code(), true).await {
        Ok(v) => v,
        Err(e) => return c.error(&state, e.into()),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("forum", &view);
    ctx.insert("master_language", snapshot.master_language());
    ctx.insert("json_url", "/api/forum");
    c.render(&state, "forum.html", ctx)
}

pub async fn api(
    State(state): State<AppState>,
    fq: Result<Query<ForumQuery>, QueryRejection>,
) -> Result<Json<ForumView>, ApiError> {
    let fq = fq.map(|Query(q)| q).map_err(|e| bad_query(&e))?;
    let snapshot = state
        .plan
        .at(fq.rev.as_deref().unwrap_or(DEFAULT_REF))
        .await?;
    let limit = fq.limit.unwrap_or(HISTORY_LIMIT).clamp(1, HISTORY_MAX);
    let lang = fq
        .lang
        .unwrap_or_else(|| snapshot.master_language().to_string());
    Ok(Json(
        forum_view(&state, &snapshot, limit, &lang, false).await?,
    ))
}

#[derive(Serialize)]
pub struct ForumChangeView {
    pub commit: CommitView,
    /// The first parent the commit is compared with (none for the first commit).
    pub parent: Option<String>,
    pub files: Vec<FileChangeView>,
}

#[derive(Serialize)]
pub struct FileChangeView {
    pub path: String,
    /// `added`, `deleted` or `changed`.
    pub status: &'static str,
    pub diff: LineDiff,
}

async fn change_view(state: &AppState, rev: &str) -> Result<ForumChangeView, ApiError> {
    let commit = state
        .plan
        .store()
        .resolve(rev)
        .await
        .map_err(WorkflowError::from)?;
    let change = forum::change(&state.plan, commit).await?;
    // Authors' sectors as the forum stood at that commit (it may have removed members since);
    // as it stands on main when the plan cannot be read there.
    let snapshot = match state.plan.at(&commit.to_string()).await {
        Ok(s) => s,
        Err(_) => state.plan.at(DEFAULT_REF).await?,
    };
    let commit = views::commits(&snapshot, vec![change.commit])
        .pop()
        .ok_or_else(|| ApiError::not_found(format!("no commit {rev}")))?;
    Ok(ForumChangeView {
        commit,
        parent: change.parent,
        files: change
            .files
            .into_iter()
            .map(|f| FileChangeView {
                path: f.path,
                status: f.status,
                diff: f.diff,
            })
            .collect(),
    })
}

pub async fn change_page(
    State(state): State<AppState>,
    Path(commit): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (c, ()) = match page_query::<()>(&state, Ok(Query(())), q, &headers, &uri) {
        Ok(found) => found,
        Err(page) => return *page,
    };
    let view = match change_view(&state, &commit).await {
        Ok(v) => v,
        Err(e) => return c.error(&state, e),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("change", &view);
    ctx.insert(
        "json_url",
        &format!("/api/forum/changes/{}", view.commit.id),
    );
    c.render(&state, "forum_change.html", ctx)
}

pub async fn change_api(
    State(state): State<AppState>,
    Path(commit): Path<String>,
) -> Result<Json<ForumChangeView>, ApiError> {
    Ok(Json(change_view(&state, &commit).await?))
}
