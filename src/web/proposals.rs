//! The pages of proposals: the list, opening one, the proposal with its diff (inline or side
//! by side), reviews and approval state, the edit form of a commitment (every structured field
//! and section, so no one writes front matter by hand), and the diff between any two refs.
//! Every form carries the session's CSRF token; the workflow checks every right again.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::auth::Role;
use crate::doc::form::{CommitmentForm, MilestoneRow, SectionRow};
use crate::doc::{Commitment, Problem, OGP_VALUES};
use crate::workflow::compare;
use crate::workflow::proposal::{DocumentChange, MergeOutcome, ProposalDetail};
use crate::workflow::records::{ProposalState, Verdict};
use crate::workflow::{PlanSnapshot, WorkflowError};

use super::diff_view;
use super::error::ApiError;
use super::pages::{encode, Ctx, Q};
use super::proposals_api::parse_head;
use super::session::Viewer;
use super::AppState;

/// The sign-in page, coming back here afterwards.
pub(super) fn to_login(c: &Ctx, uri: &Uri) -> Response {
    let next = uri
        .path_and_query()
        .map_or("/proposals".to_string(), |p| p.to_string());
    Redirect::to(&format!(
        "/login?lang={}&next={}",
        c.lang.code(),
        encode(&next)
    ))
    .into_response()
}

/// The viewer of a form submission, if signed in and the CSRF token matches.
pub(super) fn poster(c: &Ctx, state: &AppState, csrf: &str) -> Result<Viewer, Box<Response>> {
    let Some(v) = c.viewer.clone() else {
        return Err(Box::new(c.error(
            state,
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", sign_in_msg(c)),
        )));
    };
    if !v.csrf_ok(csrf) {
        return Err(Box::new(c.error(
            state,
            ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                c.lang.strings()["csrf_failed"],
            ),
        )));
    }
    Ok(v)
}

/// A form that carries the session's CSRF token.
pub(super) trait CsrfForm {
    fn csrf(&self) -> &str;
}

macro_rules! csrf_form {
    ($($t:ty),*) => {$(impl CsrfForm for $t { fn csrf(&self) -> &str { &self.csrf } })*};
}
csrf_form!(NewProposalForm, ReviewForm, HeadForm);

/// A submitted form that could be read, from a signed-in person whose CSRF token it carries.
pub(super) fn accept<T: CsrfForm>(
    c: &Ctx,
    state: &AppState,
    form: Result<Form<T>, FormRejection>,
) -> Result<(T, Viewer), Box<Response>> {
    let Ok(Form(form)) = form else {
        return Err(Box::new(c.error(
            state,
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_form",
                c.lang.strings()["bad_form"],
            ),
        )));
    };
    let viewer = poster(c, state, form.csrf())?;
    Ok((form, viewer))
}

fn sign_in_msg(c: &Ctx) -> &'static str {
    c.lang.strings()["sign_in_first"]
}

fn time_display(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

pub async fn list(State(state): State<AppState>, q: Q, headers: HeaderMap, uri: Uri) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let proposals = match state.proposals.list().await {
        Ok(p) => p,
        Err(e) => return c.error(&state, e.into()),
    };
    let rows: Vec<serde_json::Value> = proposals
        .iter()
        .map(|p| {
            let mut v = serde_json::to_value(p).unwrap_or_default();
            v["opened_display"] = time_display(p.opened_at).into();
            v
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("proposals", &rows);
    ctx.insert("json_url", "/api/proposals");
    c.render(&state, "proposals.html", ctx)
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    commitment: Option<String>,
    lang: Option<String>,
}

fn commitment_options(snapshot: &PlanSnapshot) -> Vec<serde_json::Value> {
    let master = snapshot.master_language();
    snapshot
        .commitments
        .iter()
        .map(|e| {
            let (number, title) = e.master(master).map_or((0, e.id.clone()), |d| {
                (d.front.number, d.front.title.clone())
            });
            serde_json::json!({"id": e.id, "number": number, "title": title})
        })
        .collect()
}

pub async fn new_form(
    State(state): State<AppState>,
    nq: Result<Query<NewQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    if c.viewer.is_none() {
        return to_login(&c, &uri);
    }
    let nq = nq.map(|q| q.0).unwrap_or_default();
    let _ = nq.lang;
    let snapshot = match c.snapshot(&state).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let mut ctx = tera::Context::new();
    ctx.insert("commitments", &commitment_options(&snapshot));
    ctx.insert("selected", &nq.commitment.unwrap_or_default());
    c.render(&state, "proposal_new.html", ctx)
}

#[derive(Deserialize)]
pub struct NewProposalForm {
    title: String,
    #[serde(default)]
    description: String,
    /// An existing commitment to edit first.
    #[serde(default)]
    commitment: String,
    /// Or the id of a new commitment to write.
    #[serde(default)]
    new_commitment: String,
    /// The document of `commitment` to edit first (e.g. a translation): the person lands in
    /// the live editor of that document.
    #[serde(default)]
    doc: String,
    #[serde(default)]
    csrf: String,
}

pub async fn create(
    State(state): State<AppState>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<NewProposalForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (form, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let target = [form.new_commitment.trim(), form.commitment.trim()]
        .into_iter()
        .find(|s| !s.is_empty())
        .map(str::to_string);
    let record = match state
        .proposals
        .open(
            v.user,
            form.title,
            form.description,
            Vec::new(),
            target.clone(),
        )
        .await
    {
        Ok(r) => r,
        Err(e) => return c.error(&state, e.into()),
    };
    let doc = form.doc.trim();
    let url = match target {
        Some(id) if !doc.is_empty() => format!(
            "/edit?branch={}&commitment={}&doc={}&lang={}",
            encode(&record.branch),
            encode(&id),
            encode(doc),
            c.lang.code()
        ),
        Some(id) => format!(
            "/proposals/{}/edit?commitment={}&lang={}",
            record.number,
            encode(&id),
            c.lang.code()
        ),
        None => format!("/proposals/{}?lang={}", record.number, c.lang.code()),
    };
    Redirect::to(&url).into_response()
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    view: Option<String>,
}

async fn render_proposal(
    state: &AppState,
    c: &Ctx,
    number: u32,
    view: &str,
    flash: Option<(StatusCode, String)>,
) -> Response {
    let detail = match state.proposals.get(number, state.accounts.users()).await {
        Ok(d) => d,
        Err(e) => return c.error(state, e.into()),
    };
    let (Ok(base), Ok(head)) = (
        parse_head("base", &detail.base),
        parse_head("head", &detail.head),
    ) else {
        return c.error(
            state,
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "bad proposal head",
            ),
        );
    };
    let diff = match compare::compare(&state.plan, base, head).await {
        Ok(d) => d,
        Err(e) => return c.error(state, e.into()),
    };
    let snapshot = match state.plan.at(&detail.head).await {
        Ok(s) => s,
        Err(e) => return c.error(state, e.into()),
    };
    let mut ctx = tera::Context::new();
    let open = detail.record.state == ProposalState::Open;
    let me = c.viewer.as_ref().map(|v| &v.user);
    let is_author = me.is_some_and(|u| u.id == detail.record.author);
    let can = serde_json::json!({
        "edit": open && me.is_some_and(|u| u.is_staff()),
        "review": open && me.is_some_and(|u| u.is_staff()),
        "approve": open && me.is_some_and(|u| u.is_staff()) && !is_author,
        "merge": open && me.is_some_and(|u| is_author || u.has(Role::Admin) || u.has(Role::Convener)),
        "close": open && me.is_some_and(|u| is_author || u.has(Role::Admin)),
    });
    let mut sections: Vec<serde_json::Value> = Vec::new();
    for t in &detail.touched {
        sections.push(serde_json::json!({"value": t.commitment, "label": t.commitment}));
        if let Some(doc) = snapshot
            .commitment(&t.commitment)
            .and_then(|e| e.master(snapshot.master_language()))
        {
            for s in &doc.sections {
                sections.push(serde_json::json!({
                    "value": format!("{}#{}", t.commitment, s.id),
                    "label": format!("{} › {}", t.commitment, s.heading),
                }));
            }
        }
    }
    let reviews: Vec<serde_json::Value> = detail
        .approval
        .reviews
        .iter()
        .rev()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["at_display"] = time_display(r.record.at).into();
            v["head_short"] = r.record.head.get(..10).unwrap_or("").into();
            v
        })
        .collect();
    let mut working_groups = serde_json::Map::new();
    for t in &detail.touched {
        let members: Vec<serde_json::Value> = state
            .accounts
            .working_group(&t.commitment)
            .iter()
            .map(|u| serde_json::json!({"name": u.name, "sector": u.sector}))
            .collect();
        working_groups.insert(t.commitment.clone(), members.into());
    }
    ctx.insert("working_groups", &working_groups);
    ctx.insert("p", &detail);
    ctx.insert("reviews", &reviews);
    ctx.insert("opened_display", &time_display(detail.record.opened_at));
    ctx.insert("diff", &diff_view::plan(&diff, c.lang));
    ctx.insert("view", view);
    ctx.insert("can", &can);
    ctx.insert("section_options", &sections);
    ctx.insert("commitments", &commitment_options(&snapshot));
    ctx.insert(
        "languages",
        &snapshot.config.languages().collect::<Vec<_>>(),
    );
    ctx.insert("head_short", detail.head.get(..10).unwrap_or(""));
    ctx.insert("json_url", &format!("/api/proposals/{number}"));
    let status = match flash {
        Some((status, message)) => {
            ctx.insert("flash", &message);
            ctx.insert("flash_error", &(status.as_u16() >= 400));
            status
        }
        None => StatusCode::OK,
    };
    c.render_status(state, "proposal.html", ctx, status)
}

pub async fn show(
    State(state): State<AppState>,
    Path(number): Path<u32>,
    sq: Result<Query<ShowQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut c = Ctx::new(&state, q, &headers, &uri);
    let view = match sq.ok().and_then(|q| q.0.view).as_deref() {
        Some("split") => "split",
        _ => "inline",
    };
    if view == "split" {
        c.keep.push(("view".into(), "split".into()));
    }
    render_proposal(&state, &c, number, view, None).await
}

/// After a form: back to the proposal, or the proposal page with the error on top.
async fn after(
    state: &AppState,
    c: &Ctx,
    number: u32,
    result: Result<String, WorkflowError>,
) -> Response {
    match result {
        Ok(_) => {
            Redirect::to(&format!("/proposals/{number}?lang={}", c.lang.code())).into_response()
        }
        Err(WorkflowError::NotFound(m)) => c.error(state, ApiError::not_found(m)),
        Err(e) => {
            let api: ApiError = e.into();
            render_proposal(state, c, number, "inline", Some((api.status, api.message))).await
        }
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    verdict: String,
    head: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    csrf: String,
}

pub async fn review(
    State(state): State<AppState>,
    Path(number): Path<u32>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<ReviewForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (form, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    if let Err(e) = super::live::checkpoint_proposal(&state, number).await {
        return c.error(&state, e);
    }
    let result = match form.verdict.parse::<Verdict>() {
        Ok(verdict) => state
            .proposals
            .review(
                v.user,
                number,
                verdict,
                form.head,
                Some(form.section).filter(|s| !s.is_empty()),
                form.body,
            )
            .await
            .map(|r| r.number.to_string()),
        Err(m) => Err(WorkflowError::rejected("bad_verdict", m)),
    };
    after(&state, &c, number, result).await
}

#[derive(Deserialize)]
pub struct HeadForm {
    #[serde(default)]
    head: String,
    #[serde(default)]
    commitment: String,
    #[serde(default)]
    csrf: String,
}

pub async fn merge(
    State(state): State<AppState>,
    Path(number): Path<u32>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<HeadForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (form, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    if let Err(e) = super::live::checkpoint_proposal(&state, number).await {
        return c.error(&state, e);
    }
    let expected = parse_head("head", &form.head).ok();
    match state
        .proposals
        .merge(v.user, number, expected, state.accounts.users())
        .await
    {
        Ok(MergeOutcome::Merged { .. }) => {
            Redirect::to(&format!("/proposals/{number}?lang={}", c.lang.code())).into_response()
        }
        Ok(MergeOutcome::BroughtUpToDate { .. }) => {
            let msg = c.lang.strings()["brought_up_to_date"].to_string();
            render_proposal(
                &state,
                &c,
                number,
                "inline",
                Some((StatusCode::CONFLICT, msg)),
            )
            .await
        }
        Err(e) => after(&state, &c, number, Err(e)).await,
    }
}

pub async fn update_from_main(
    State(state): State<AppState>,
    Path(number): Path<u32>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<HeadForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (_, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let result = state
        .proposals
        .update_from_main(v.user, number)
        .await
        .map(|h| h.unwrap_or_default());
    after(&state, &c, number, result).await
}

pub async fn close(
    State(state): State<AppState>,
    Path(number): Path<u32>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<HeadForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (_, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let result = state
        .proposals
        .close(v.user, number)
        .await
        .map(|r| r.number.to_string());
    after(&state, &c, number, result).await
}

pub async fn delete_commitment(
    State(state): State<AppState>,
    Path(number): Path<u32>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<HeadForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (form, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let result = match parse_head("head", &form.head) {
        Ok(head) => {
            let msg = format!("Delete commitment {}", form.commitment);
            state
                .proposals
                .update(
                    v.user,
                    number,
                    head,
                    vec![DocumentChange::Delete {
                        commitment: form.commitment,
                    }],
                    msg,
                )
                .await
        }
        Err(e) => Err(WorkflowError::rejected(e.code, e.message)),
    };
    after(&state, &c, number, result).await
}

// ---- the edit form

#[derive(Deserialize, Default)]
pub struct EditQuery {
    commitment: Option<String>,
    doc: Option<String>,
}

/// What the edit form needs besides the values.
struct EditTarget {
    detail: ProposalDetail,
    snapshot: std::sync::Arc<PlanSnapshot>,
    commitment: String,
    doc_lang: String,
    original: Option<std::sync::Arc<Commitment>>,
}

async fn edit_target(
    state: &AppState,
    number: u32,
    commitment: &str,
    doc: Option<&str>,
) -> Result<EditTarget, WorkflowError> {
    let detail = state.proposals.get(number, state.accounts.users()).await?;
    let snapshot = state.plan.at(&detail.head).await?;
    let doc_lang = doc.unwrap_or(snapshot.master_language()).to_string();
    if !snapshot.config.languages().any(|l| l == doc_lang) {
        return Err(WorkflowError::NotFound(format!(
            "\"{doc_lang}\" is not a language of this plan"
        )));
    }
    if !crate::doc::commitment::is_valid_id(commitment) {
        return Err(WorkflowError::rejected(
            "bad_id",
            format!("\"{commitment}\" is not a commitment id (a-z, 0-9, '-', '_')"),
        ));
    }
    let original = snapshot
        .commitment(commitment)
        .and_then(|e| e.versions.get(&doc_lang))
        .and_then(|v| v.as_ref().ok())
        .cloned();
    Ok(EditTarget {
        detail,
        snapshot,
        commitment: commitment.to_string(),
        doc_lang,
        original,
    })
}

/// The form for a commitment that has no text in this language yet: the master's fields
/// (translations share them), else the plan's blank form (`commitments/_template`), with the
/// id set and the next free number.
async fn blank_form(state: &AppState, t: &EditTarget) -> CommitmentForm {
    let master = t.snapshot.master_language();
    if let Some(doc) = t
        .snapshot
        .commitment(&t.commitment)
        .and_then(|e| e.master(master))
    {
        return CommitmentForm::from_commitment(doc);
    }
    let path = format!("commitments/_template/{}.md", t.doc_lang);
    let template = state
        .plan
        .store()
        .read_file(t.snapshot.commit, &path)
        .await
        .ok()
        .flatten()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|text| Commitment::parse(&path, &text).ok());
    let mut form = template
        .as_ref()
        .map(CommitmentForm::from_commitment)
        .unwrap_or_default();
    form.id = t.commitment.clone();
    let next = t
        .snapshot
        .commitments
        .iter()
        .filter_map(|e| e.master(master).map(|d| d.front.number))
        .max()
        .unwrap_or(0)
        + 1;
    form.number = next.to_string();
    if let Some(area) = t.snapshot.config.areas.first() {
        if !t.snapshot.config.areas.iter().any(|a| a.id == form.area) {
            form.area = area.id.clone();
        }
    }
    form
}

fn render_edit(
    state: &AppState,
    c: &Ctx,
    t: &EditTarget,
    form: &CommitmentForm,
    problems: &[Problem],
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut ctx = tera::Context::new();
    let areas: Vec<serde_json::Value> = t
        .snapshot
        .config
        .areas
        .iter()
        .map(|a| serde_json::json!({"id": a.id, "title": a.title.get(c.lang.code(), t.snapshot.master_language())}))
        .collect();
    let ogp: Vec<serde_json::Value> = OGP_VALUES
        .iter()
        .map(|v| serde_json::json!({"id": v, "checked": form.ogp_values.iter().any(|x| x == v)}))
        .collect();
    let mut form = form.clone();
    // Room to add: two milestone rows and one section.
    form.milestones.push(MilestoneRow::default());
    form.milestones.push(MilestoneRow::default());
    form.sections.push(SectionRow::default());
    ctx.insert("form", &form);
    ctx.insert("areas", &areas);
    ctx.insert("ogp", &ogp);
    ctx.insert("problems", problems);
    ctx.insert("error", &error);
    ctx.insert("p", &t.detail);
    ctx.insert("commitment", &t.commitment);
    ctx.insert("doc_lang", &t.doc_lang);
    ctx.insert("is_new", &t.original.is_none());
    ctx.insert(
        "languages",
        &t.snapshot.config.languages().collect::<Vec<_>>(),
    );
    c.render_status(state, "proposal_edit.html", ctx, status)
}

pub async fn edit_form(
    State(state): State<AppState>,
    Path(number): Path<u32>,
    eq: Result<Query<EditQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut c = Ctx::new(&state, q, &headers, &uri);
    if c.viewer.is_none() {
        return to_login(&c, &uri);
    }
    let eq = eq.map(|q| q.0).unwrap_or_default();
    let Some(commitment) = eq.commitment else {
        return c.error(
            &state,
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                "?commitment= is required",
            ),
        );
    };
    c.keep.push(("commitment".into(), commitment.clone()));
    let t = match edit_target(&state, number, &commitment, eq.doc.as_deref()).await {
        Ok(t) => t,
        Err(e) => return c.error(&state, e.into()),
    };
    if t.detail.record.state != ProposalState::Open {
        return c.error(
            &state,
            ApiError::new(
                StatusCode::CONFLICT,
                "not_open",
                c.lang.strings()["proposal_not_open"],
            ),
        );
    }
    let form = match &t.original {
        Some(doc) => CommitmentForm::from_commitment(doc),
        None => blank_form(&state, &t).await,
    };
    render_edit(&state, &c, &t, &form, &[], None, StatusCode::OK)
}

/// Reads the edit form's fields (repeated keys for list rows) into a [`CommitmentForm`].
fn read_form(pairs: &[(String, String)]) -> CommitmentForm {
    let mut f = CommitmentForm::default();
    let mut m_ids = Vec::new();
    let mut m_texts = Vec::new();
    let mut m_starts = Vec::new();
    let mut m_ends = Vec::new();
    let mut m_remove = Vec::new();
    let mut s_ids = Vec::new();
    let mut s_headings = Vec::new();
    let mut s_texts = Vec::new();
    for (k, v) in pairs {
        let v = v.clone();
        match k.as_str() {
            "id" => f.id = v,
            "number" => f.number = v,
            "area" => f.area = v,
            "title" => f.title = v,
            "period_start" => f.period_start = v,
            "period_end" => f.period_end = v,
            "lead_agencies" => f.lead_agencies = v,
            "co_agencies" => f.co_agencies = v,
            "ogp_values" => f.ogp_values.push(v),
            "sdgs" => f.sdgs = v,
            "contact_name" => f.contact_name = v,
            "contact_title" => f.contact_title = v,
            "contact_unit" => f.contact_unit = v,
            "contact_email" => f.contact_email = v,
            "contact_phone" => f.contact_phone = v,
            "participants_government" => f.participants_government = v,
            "participants_civil_society" => f.participants_civil_society = v,
            "m_id" => m_ids.push(v),
            "m_text" => m_texts.push(v),
            "m_start" => m_starts.push(v),
            "m_end" => m_ends.push(v),
            "m_remove" => m_remove.push(v),
            "s_id" => s_ids.push(v),
            "s_heading" => s_headings.push(v),
            "s_text" => s_texts.push(v),
            _ => {}
        }
    }
    let at = |xs: &Vec<String>, i: usize| xs.get(i).cloned().unwrap_or_default();
    for i in 0..m_ids.len().max(m_texts.len()) {
        if m_remove.contains(&i.to_string()) {
            continue;
        }
        f.milestones.push(MilestoneRow {
            id: at(&m_ids, i),
            text: at(&m_texts, i),
            start: at(&m_starts, i),
            end: at(&m_ends, i),
        });
    }
    for i in 0..s_ids.len().max(s_texts.len()) {
        f.sections.push(SectionRow {
            id: at(&s_ids, i),
            heading: at(&s_headings, i),
            text: at(&s_texts, i),
        });
    }
    // The OGP values keep their canonical order.
    f.ogp_values
        .sort_by_key(|v| OGP_VALUES.iter().position(|o| o == v).unwrap_or(usize::MAX));
    f.ogp_values.dedup();
    f
}

/// A form read as name/value pairs: names may repeat (ticked checkboxes, milestone rows).
pub(super) type FormPairs = Result<Form<Vec<(String, String)>>, FormRejection>;

/// A submitted form's pairs, or the 400 page.
pub(super) fn pairs_of(
    c: &Ctx,
    state: &AppState,
    form: FormPairs,
) -> Result<Vec<(String, String)>, Box<Response>> {
    form.map(|Form(pairs)| pairs).map_err(|_| {
        Box::new(c.error(
            state,
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_form",
                c.lang.strings()["bad_form"],
            ),
        ))
    })
}

/// The first value named `key` (empty when absent).
pub(super) fn field(pairs: &[(String, String)], key: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

pub async fn edit(
    State(state): State<AppState>,
    Path(number): Path<u32>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: FormPairs,
) -> Response {
    let mut c = Ctx::new(&state, q, &headers, &uri);
    let pairs = match pairs_of(&c, &state, form) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let v = match poster(&c, &state, &field(&pairs, "csrf")) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let commitment = field(&pairs, "commitment");
    let doc = field(&pairs, "doc");
    c.keep.push(("commitment".into(), commitment.clone()));
    let t = match edit_target(
        &state,
        number,
        &commitment,
        Some(doc.as_str()).filter(|d| !d.is_empty()),
    )
    .await
    {
        Ok(t) => t,
        Err(e) => return c.error(&state, e.into()),
    };
    let form = read_form(&pairs);
    let path = format!("commitments/{}/{}.md", t.commitment, t.doc_lang);
    let text = match form.to_text(&path, t.original.as_deref()) {
        Ok(text) => text,
        Err(problems) => {
            return render_edit(
                &state,
                &c,
                &t,
                &form,
                &problems.0,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let head = match parse_head("head", &field(&pairs, "head")) {
        Ok(h) => h,
        Err(e) => return c.error(&state, e),
    };
    let result = state
        .proposals
        .update(
            v.user,
            number,
            head,
            vec![DocumentChange::Write {
                commitment: t.commitment.clone(),
                lang: t.doc_lang.clone(),
                text,
            }],
            field(&pairs, "message"),
        )
        .await;
    match result {
        Ok(_) => {
            Redirect::to(&format!("/proposals/{number}?lang={}", c.lang.code())).into_response()
        }
        Err(WorkflowError::Invalid(problems)) => render_edit(
            &state,
            &c,
            &t,
            &form,
            &problems.0,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => {
            let api: ApiError = e.into();
            render_edit(&state, &c, &t, &form, &[], Some(&api.message), api.status)
        }
    }
}

// ---- any two refs

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
    view: Option<String>,
}

pub async fn compare_page(
    State(state): State<AppState>,
    cq: Result<Query<CompareQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut c = Ctx::new(&state, q, &headers, &uri);
    let cq = cq.map(|q| q.0).unwrap_or_default();
    let mut ctx = tera::Context::new();
    ctx.insert("from", &cq.from);
    ctx.insert("to", &cq.to);
    let view = if cq.view.as_deref() == Some("split") {
        "split"
    } else {
        "inline"
    };
    ctx.insert("view", view);
    if let (Some(from), Some(to)) = (&cq.from, &cq.to) {
        c.keep.push(("from".into(), from.clone()));
        c.keep.push(("to".into(), to.clone()));
        let store = state.plan.store();
        let resolved = match (store.resolve(from).await, store.resolve(to).await) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return c.error(&state, WorkflowError::from(e).into()),
        };
        let diff = match compare::compare(&state.plan, resolved.0, resolved.1).await {
            Ok(d) => d,
            Err(e) => return c.error(&state, e.into()),
        };
        ctx.insert("diff", &diff_view::plan(&diff, c.lang));
        ctx.insert(
            "json_url",
            &format!("/api/compare?from={}&to={}", encode(from), encode(to)),
        );
    }
    c.render(&state, "compare.html", ctx)
}
