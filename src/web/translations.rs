//! The pages of translation sync: the dashboard of every commitment (`/translations`) and the
//! translator's view of one translation (`/translations/{id}/{lang}`): the master and the
//! translation side by side unit by unit, the master's character diff since the sync on each
//! stale unit, links into the live editor of the translator's open proposals (or a form that
//! opens one and lands in the editor), and the mark-synced form.
//!
//! Handlers are thin: the form goes to the same [`Translations::mark_synced`] call as the
//! JSON API ([`super::translations_api`]), which checks every right and input again; a
//! refusal comes back as the page with the message, the person's choices kept and the
//! error's status; success redirects (303) to the page with a confirmation.
//!
//! [`Translations::mark_synced`]: crate::workflow::translation::Translations::mark_synced

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::workflow::proposal::may_draft;
use crate::workflow::records::ProposalState;
use crate::workflow::sync::UnitState;
use crate::workflow::translation::TranslationStatus;

use super::error::ApiError;
use super::live::describe;
use super::pages::{encode, Ctx, Q};
use super::proposals::{field, pairs_of, poster, FormPairs};
use super::{AppState, DEFAULT_REF};

#[derive(Deserialize, Default)]
pub struct BaselineQuery {
    baseline: Option<String>,
    /// How many units the last submission marked synced (the confirmation after a redirect).
    synced: Option<usize>,
}

fn baseline_of(q: &BaselineQuery) -> String {
    q.baseline
        .clone()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| DEFAULT_REF.to_string())
}

/// The baselines a page offers: `main` and every round, newest first.
async fn baseline_options(state: &AppState) -> Vec<serde_json::Value> {
    let mut out = vec![serde_json::json!({"value": DEFAULT_REF, "label": DEFAULT_REF})];
    if let Ok(rounds) = state.translations.rounds().await {
        for r in rounds.iter().rev() {
            let date = super::views::format_time(r.time, r.offset_minutes)
                .1
                .get(..10)
                .unwrap_or("")
                .to_string();
            out.push(serde_json::json!({"value": r.tag, "label": format!("{} ({date})", r.name)}));
        }
    }
    out
}

// ---- the dashboard

pub async fn dashboard(
    State(state): State<AppState>,
    bq: Result<Query<BaselineQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut c = Ctx::new(&state, q, &headers, &uri);
    let bq = bq.map(|q| q.0).unwrap_or_default();
    let baseline = baseline_of(&bq);
    if baseline != DEFAULT_REF {
        c.keep.push(("baseline".into(), baseline.clone()));
    }
    let dashboard = match state.translations.dashboard(&baseline).await {
        Ok(d) => d,
        Err(e) => return c.error(&state, e.into()),
    };
    let mut totals = serde_json::Map::new();
    for lang in &dashboard.languages {
        let (mut up, mut stale, mut missing, mut orphaned) = (0, 0, 0, 0);
        for r in &dashboard.rows {
            if let Some(l) = r.languages.get(lang) {
                up += l.counts.up_to_date;
                stale += l.counts.stale;
                missing += l.counts.missing;
                orphaned += l.counts.orphaned;
            }
        }
        totals.insert(
            lang.clone(),
            serde_json::json!({"up_to_date": up, "stale": stale, "missing": missing, "orphaned": orphaned}),
        );
    }
    let mut ctx = tera::Context::new();
    ctx.insert("d", &dashboard);
    ctx.insert("totals", &totals);
    ctx.insert("baselines", &baseline_options(&state).await);
    ctx.insert("baseline", &baseline);
    ctx.insert(
        "json_url",
        &format!("/api/translations?baseline={}", encode(&baseline)),
    );
    c.render(&state, "translations.html", ctx)
}

// ---- the translator's view

/// One unit as the translator's view shows it.
#[derive(Serialize)]
struct UnitView<'a> {
    #[serde(flatten)]
    unit: &'a crate::workflow::translation::UnitReport,
    label: String,
    /// The live editor's field id (`lf-<key>`).
    field: String,
    stale: bool,
    /// The checkbox starts ticked (stale units, and what the person ticked before a refusal).
    checked: bool,
}

/// A refusal to show on the page, with what the person had chosen.
struct Refused {
    status: StatusCode,
    message: String,
    /// The message is the workflow's own, in English.
    english: bool,
    units: Vec<String>,
    reason: String,
}

/// The live-editor field of a unit key.
fn field_of(key: &str) -> String {
    match key.strip_prefix("section.") {
        Some(id) => format!("section.{id}.text"),
        None => key.to_string(),
    }
}

async fn render_view(
    state: &AppState,
    c: &Ctx,
    id: &str,
    lang: &str,
    baseline: &str,
    synced: Option<usize>,
    refused: Option<Refused>,
) -> Response {
    let status: TranslationStatus = match state.translations.status(id, lang, baseline).await {
        Ok(s) => s,
        Err(e) => return c.error(state, e.into()),
    };
    let snapshot = match state.plan.at(&status.commit).await {
        Ok(s) => s,
        Err(e) => return c.error(state, e.into()),
    };
    let master_lang = snapshot.master_language().to_string();
    let master = snapshot.commitment(id).and_then(|e| e.master(&master_lang));
    let headings: Vec<(String, String)> = master
        .map(|m| {
            m.sections
                .iter()
                .map(|s| (s.id.clone(), s.heading.clone()))
                .collect()
        })
        .unwrap_or_default();
    let units: Vec<UnitView> = status
        .units
        .iter()
        .map(|u| {
            let stale = matches!(u.state, UnitState::Stale { .. });
            let field = field_of(&u.key);
            let checked = match &refused {
                Some(r) => r.units.contains(&u.key),
                None => stale && u.translated,
            };
            UnitView {
                label: describe(&field, c, &headings).0,
                field: format!("lf-{field}"),
                unit: u,
                stale,
                checked,
            }
        })
        .collect();
    let me = c.viewer.as_ref().map(|v| &v.user);
    let can_sync = me.is_some_and(|u| u.has(Role::Translator) || u.has(Role::Admin));
    let can_edit = me.is_some_and(|u| may_draft(u, id, lang, &master_lang, true));
    // The signed-in person's open proposals: where they edit the translation live.
    let mut drafts = Vec::new();
    if let (Some(user), true) = (me, can_edit) {
        if let Ok(list) = state.proposals.list().await {
            for p in list.iter().rev() {
                if p.state == ProposalState::Open && p.author == user.id {
                    drafts.push(serde_json::json!({
                        "number": p.number,
                        "title": p.title,
                        "editor_url": format!(
                            "/edit?branch={}&commitment={}&doc={}&lang={}",
                            encode(&p.branch),
                            encode(id),
                            encode(lang),
                            c.lang.code()
                        ),
                    }));
                }
            }
        }
    }
    let number = master.map(|m| m.front.number);
    let title = master.map(|m| m.front.title.clone()).unwrap_or_default();
    let mut ctx = tera::Context::new();
    ctx.insert("s", &status);
    ctx.insert("units", &units);
    ctx.insert("id", id);
    ctx.insert("doc_lang", lang);
    // A translation not written yet has no page to read (the link would be a 404).
    ctx.insert(
        "translated",
        &snapshot
            .commitment(id)
            .is_some_and(|e| e.versions.contains_key(lang)),
    );
    ctx.insert("master_lang", &master_lang);
    ctx.insert("number", &number);
    ctx.insert("title", &title);
    ctx.insert("baselines", &baseline_options(state).await);
    ctx.insert("baseline", baseline);
    ctx.insert("can_sync", &can_sync);
    ctx.insert("can_edit", &can_edit);
    ctx.insert("drafts", &drafts);
    ctx.insert(
        "new_title",
        &format!(
            "Update the {lang} translation of commitment {}",
            number.unwrap_or(0)
        ),
    );
    ctx.insert(
        "json_url",
        &format!(
            "/api/commitments/{}/translations/{}?baseline={}",
            encode(id),
            encode(lang),
            encode(baseline)
        ),
    );
    if let Some(n) = synced {
        ctx.insert("synced", &n);
    }
    let code = match refused {
        Some(r) => {
            ctx.insert("flash", &r.message);
            ctx.insert("flash_en", &r.english);
            ctx.insert("reason", &r.reason);
            r.status
        }
        None => StatusCode::OK,
    };
    c.render_status(state, "translation.html", ctx, code)
}

pub async fn view(
    State(state): State<AppState>,
    Path((id, lang)): Path<(String, String)>,
    bq: Result<Query<BaselineQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut c = Ctx::new(&state, q, &headers, &uri);
    let bq = bq.map(|q| q.0).unwrap_or_default();
    let baseline = baseline_of(&bq);
    if baseline != DEFAULT_REF {
        c.keep.push(("baseline".into(), baseline.clone()));
    }
    render_view(&state, &c, &id, &lang, &baseline, bq.synced, None).await
}

/// `POST /translations/{id}/{lang}/sync`: `csrf`, `master_commit`, `baseline`, `reason` and a
/// `unit` per ticked unit (repeated keys, hence pairs rather than a struct).
pub async fn sync(
    State(state): State<AppState>,
    Path((id, lang)): Path<(String, String)>,
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
    let get = |name: &str| field(&pairs, name);
    let viewer = match poster(&c, &state, &get("csrf")) {
        Ok(v) => v,
        Err(page) => return *page,
    };
    let units: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "unit")
        .map(|(_, v)| v.clone())
        .collect();
    let baseline = Some(get("baseline"))
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| DEFAULT_REF.to_string());
    if baseline != DEFAULT_REF {
        c.keep.push(("baseline".into(), baseline.clone()));
    }
    let reason = get("reason");
    let result = state
        .translations
        .mark_synced(
            viewer.user,
            &id,
            &lang,
            units.clone(),
            get("master_commit"),
            Some(reason.clone()),
            &baseline,
        )
        .await;
    match result {
        Ok(done) => Redirect::to(&format!(
            "/translations/{}/{}?baseline={}&synced={}&lang={}",
            encode(&id),
            encode(&lang),
            encode(&baseline),
            done.units.len(),
            c.lang.code()
        ))
        .into_response(),
        Err(e) => {
            let e: ApiError = e.into();
            if e.status == StatusCode::NOT_FOUND {
                return c.error(&state, e);
            }
            // The refusals a translator meets are said in the UI language; others as given.
            let localized = c
                .lang
                .strings()
                .get(format!("ts_err_{}", e.code).as_str())
                .map(|m| m.to_string());
            let refused = Refused {
                status: e.status,
                english: localized.is_none(),
                message: localized.unwrap_or(e.message),
                units,
                reason,
            };
            render_view(&state, &c, &id, &lang, &baseline, None, Some(refused)).await
        }
    }
}
