//! `GET /tenants/{org}/projects/{project}`: a project's runs with their counts per kind,
//! size and time.
//!
//! Once the usage scan has catalogued the project, its runs are listed newest first
//! across all pages from the catalog (keyset pagination on the time of each run's
//! latest artifact and the run id), with a note of how fresh the catalog is and how many
//! runs the store holds that no scan has seen yet. Before that, and with `?by=id`,
//! runs are paged in id order as the store lists them, each page sorted newest first.
//!
use actix_web::web::{self, Data, Path, Query, ServiceConfig};
use askama::Template;
use askama_web::WebTemplate;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::AppState;
use super::chrome::{Chrome, Crumb};
use super::error::WebError;
use super::format::{self, Moment};
use super::links;
use super::tenants::{ListQuery, no_tenant, parse_cursor};
use super::widgets::Pager;
use crate::artifacts::{ArtifactStore, RunSummary};
use crate::db::usage as catalog;
use crate::storage::{ArtifactKind, ProjectId, RunId, Scope, StorageError, TenantId};

/// Runs per page; each one is summarised by walking its own folder.
const PAGE: usize = 25;
/// Runs summarised at once.
const CONCURRENCY: usize = 6;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/tenants/{org}/projects/{project}", web::get().to(project));
}

/// One run in the project's table.
pub struct RunRow {
    pub id: String,
    pub href: String,
    /// Counts per kind, in [`ArtifactKind::ALL`] order.
    pub counts: Vec<String>,
    pub size: String,
    pub time: Moment,
    sort_key: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/project.html")]
pub struct ProjectPage {
    pub chrome: Chrome,
    pub tenant: String,
    pub project: String,
    pub kinds: Vec<&'static str>,
    pub rows: Vec<RunRow>,
    pub pager: Pager,
    /// How the runs are ordered and how fresh the figures are.
    pub note: String,
    /// A link to the other ordering, with its label.
    pub switch: Option<(String, String)>,
    /// Runs the store holds that the catalog lacks, e.g. `3 runs not yet scanned`.
    pub unscanned: Option<String>,
}

/// The rows of one page and how they were found.
struct Listing {
    rows: Vec<RunRow>,
    pager: Pager,
    note: String,
    switch: Option<(String, String)>,
    unscanned: Option<String>,
}

async fn project(
    chrome: Chrome,
    state: Data<AppState>,
    path: Path<(String, String)>,
    query: Query<ListQuery>,
) -> Result<ProjectPage, WebError> {
    let (tenant, project) = parse_project(&path.0, &path.1)?;
    let by_id = query.by == "id";
    let catalogued = if by_id {
        None
    } else {
        catalog_listing(&state, &tenant, &project, query.after.as_deref()).await?
    };
    let listing = match catalogued {
        Some(listing) => listing,
        None => store_listing(&state, &tenant, &project, query.after.as_deref(), by_id).await?,
    };
    Ok(ProjectPage {
        chrome: chrome.section("tenants").crumbs(vec![
            Crumb::link("Tenants", "/tenants"),
            Crumb::link(tenant.as_str(), links::tenant(&tenant)),
            Crumb::here(project.as_str()),
        ]),
        tenant: tenant.to_string(),
        project: project.to_string(),
        kinds: ArtifactKind::ALL.iter().map(|k| k.folder()).collect(),
        rows: listing.rows,
        pager: listing.pager,
        note: listing.note,
        switch: listing.switch,
        unscanned: listing.unscanned,
    })
}

/// A page of runs from the catalog, newest first; `None` when the project was never
/// scanned (or the cursor is one of the id-ordered listing).
async fn catalog_listing(
    state: &AppState,
    tenant: &TenantId,
    project: &ProjectId,
    after: Option<&str>,
) -> Result<Option<Listing>, WebError> {
    let cursor = match after.filter(|a| !a.is_empty()) {
        None => None,
        Some(raw) if raw.contains(CURSOR_SEPARATOR) => Some(parse_time_cursor(raw)?),
        Some(_) => return Ok(None),
    };
    let cursor_ref = cursor.as_ref().map(|(m, r)| (*m, r.as_str()));
    let mut found = catalog::runs_page(
        &state.db,
        tenant.as_str(),
        project.as_str(),
        cursor_ref,
        PAGE as i64 + 1,
    )
    .await?;
    if found.is_empty() && cursor.is_none() {
        return Ok(None);
    }
    let next = keep_page(&mut found);
    let scanned_at = found.iter().map(|r| r.scanned_at_micros).max().unwrap_or(0);
    let rows: Vec<RunRow> = found
        .iter()
        .filter_map(|r| catalog_row(tenant, project, r))
        .collect();
    let base = links::project(tenant, project);
    let mut pager = Pager::new(&base, after, next.as_deref(), rows.len());
    if after.is_some() && !rows.is_empty() {
        pager.position = format!("Showing {} older runs", rows.len());
    }
    let unscanned = if cursor.is_none() {
        unscanned_runs(state, tenant, project).await?
    } else {
        None
    };
    let scan = Moment::of_micros(scanned_at);
    Ok(Some(Listing {
        rows,
        pager,
        note: format!(
            "Runs newest first across the whole project, by the time of each run's latest \
             artifact, as of the usage scan of {} ({}).",
            scan.utc, scan.relative
        ),
        switch: Some((
            format!("{base}?by=id"),
            "List runs in id order from the store".to_owned(),
        )),
        unscanned,
    }))
}

/// Cuts the one extra row fetched off a page of runs and returns the cursor of the next
/// page, if that row existed.
fn keep_page(found: &mut Vec<catalog::CatalogRun>) -> Option<String> {
    if found.len() <= PAGE {
        return None;
    }
    found.truncate(PAGE);
    found
        .last()
        .map(|r| format!("{}{CURSOR_SEPARATOR}{}", r.last_modified_micros, r.run))
}

/// Separates the time and the run id of a catalog page cursor; no id holds it.
const CURSOR_SEPARATOR: char = '~';

fn parse_time_cursor(raw: &str) -> Result<(i64, String), WebError> {
    let bad = || WebError::BadRequest("This page cursor is not valid.".to_owned());
    let (micros, run) = raw.split_once(CURSOR_SEPARATOR).ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let run = RunId::parse(run).map_err(|e| WebError::malformed("page cursor", &e))?;
    Ok((micros, run.to_string()))
}

fn catalog_row(
    tenant: &TenantId,
    project: &ProjectId,
    run: &catalog::CatalogRun,
) -> Option<RunRow> {
    let id = RunId::parse(&run.run).ok()?;
    Some(RunRow {
        href: links::run(tenant, project, &id),
        id: run.run.clone(),
        counts: run.kinds.iter().map(|n| format::count_of(*n)).collect(),
        size: format::size_of(run.bytes),
        time: Moment::of_micros(run.last_modified_micros),
        sort_key: None,
    })
}

/// Most runs of a project the store listing is compared with the catalog for.
const UNSCANNED_LIMIT: usize = 10_000;

/// How many runs the store lists that the catalog lacks, page by page (1,000 run ids at
/// a time, looked up in the catalog).
async fn unscanned_runs(
    state: &AppState,
    tenant: &TenantId,
    project: &ProjectId,
) -> Result<Option<String>, WebError> {
    let (mut missing, mut listed) = (0usize, 0usize);
    let mut after: Option<RunId> = None;
    loop {
        let page = state
            .artifacts
            .list_runs(tenant, project, after.as_ref(), 1000)
            .await?;
        let ids: Vec<&str> = page.items.iter().map(RunId::as_str).collect();
        let known: std::collections::HashSet<String> =
            catalog::runs_in(&state.db, tenant.as_str(), project.as_str(), &ids)
                .await?
                .into_iter()
                .collect();
        missing += ids.iter().filter(|r| !known.contains(**r)).count();
        listed += page.items.len();
        match page.next {
            Some(next) if listed < UNSCANNED_LIMIT => after = Some(next),
            Some(_) => break,
            None => break,
        }
    }
    Ok((missing > 0).then(|| {
        let runs = if missing == 1 { "run" } else { "runs" };
        format!(
            "{} {runs} in the store not yet scanned: they show up here after the next \
             usage scan, and in the id-ordered listing now.",
            format::count(missing as u64)
        )
    }))
}

/// A page of runs in id order, as the store lists them, each page sorted newest first.
async fn store_listing(
    state: &AppState,
    tenant: &TenantId,
    project: &ProjectId,
    after: Option<&str>,
    by_id: bool,
) -> Result<Listing, WebError> {
    let after = parse_cursor(after, RunId::parse)?;
    let artifacts = &state.artifacts;
    let page = artifacts
        .list_runs(tenant, project, after.as_ref(), PAGE)
        .await?;
    if page.items.is_empty() && after.is_none() {
        return Err(no_project(artifacts, tenant, project).await);
    }
    let mut rows = stream::iter(
        page.items
            .iter()
            .map(|r| run_row(artifacts, tenant, project, r)),
    )
    .buffered(CONCURRENCY)
    .try_collect::<Vec<_>>()
    .await?;
    rows.sort_by(|a, b| b.sort_key.cmp(&a.sort_key).then_with(|| a.id.cmp(&b.id)));

    let (base_here, note, switch) = store_note(tenant, project, by_id);
    let next = page.next.as_ref().map(RunId::as_str);
    Ok(Listing {
        pager: Pager::new(
            &base_here,
            after.as_ref().map(RunId::as_str),
            next,
            rows.len(),
        ),
        rows,
        note,
        switch,
        unscanned: None,
    })
}

/// The link base, note and ordering switch of the id-ordered listing.
fn store_note(
    tenant: &TenantId,
    project: &ProjectId,
    by_id: bool,
) -> (String, String, Option<(String, String)>) {
    let base = links::project(tenant, project);
    if by_id {
        (
            format!("{base}?by=id"),
            "Runs are listed page by page in id order, as the store lists them; each page is \
             sorted newest first by the time of the run's latest artifact."
                .to_owned(),
            Some((
                base,
                "List runs newest first from the usage scan".to_owned(),
            )),
        )
    } else {
        (
            base,
            format!(
                "This project has not been scanned yet, so runs are listed page by page in id \
                 order, as the store lists them; each page is sorted newest first. Run \
                 “artifact-console usage scan --tenant {tenant}” (or wait for the background \
                 scan) to list every run newest first."
            ),
            None,
        )
    }
}

async fn run_row(
    artifacts: &ArtifactStore,
    tenant: &TenantId,
    project: &ProjectId,
    run: &RunId,
) -> Result<RunRow, StorageError> {
    let scope = Scope::Run(tenant.clone(), project.clone(), run.clone());
    let summary: RunSummary = artifacts.run_summary(&scope).await?;
    Ok(RunRow {
        id: run.to_string(),
        href: links::run(tenant, project, run),
        counts: ArtifactKind::ALL
            .iter()
            .map(|kind| {
                let n = summary
                    .kinds
                    .iter()
                    .find(|k| k.kind == *kind)
                    .map_or(0, |k| k.count);
                format::count(n)
            })
            .collect(),
        size: format::size(summary.bytes),
        time: Moment::of(summary.last_modified),
        sort_key: summary.last_modified,
    })
}

/// Parses the tenant and project ids of a path.
pub fn parse_project(tenant: &str, project: &str) -> Result<(TenantId, ProjectId), WebError> {
    Ok((
        TenantId::parse(tenant).map_err(|e| WebError::malformed("tenant id", &e))?,
        ProjectId::parse(project).map_err(|e| WebError::malformed("project id", &e))?,
    ))
}

/// The 404 of a project with no runs: names the tenant too when it is the tenant that
/// does not exist.
pub async fn no_project(
    artifacts: &ArtifactStore,
    tenant: &TenantId,
    project: &ProjectId,
) -> WebError {
    match artifacts.list_projects(tenant, None, 1).await {
        Ok(page) if page.items.is_empty() => no_tenant(tenant),
        Err(e) => e.into(),
        Ok(_) => WebError::not_found(
            format!("No project “{project}” in tenant “{tenant}”"),
            "Open the tenant to see the projects it has.",
        ),
    }
}
