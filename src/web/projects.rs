//! `GET /tenants/{org}/projects/{project}`: a project's runs with their counts per kind,
//! size and time.
//!
//! Known shortcoming: object stores list run ids in byte order and know no run time, so
//! runs are paged in id order and only each page is sorted newest first, by the time
//! of each run's latest artifact. The page says so. A run index kept by the usage scan
//! would let the whole project be sorted by time.

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
}

async fn project(
    chrome: Chrome,
    state: Data<AppState>,
    path: Path<(String, String)>,
    query: Query<ListQuery>,
) -> Result<ProjectPage, WebError> {
    let (tenant, project) = parse_project(&path.0, &path.1)?;
    let after = parse_cursor(query.after.as_deref(), RunId::parse)?;
    let artifacts = &state.artifacts;

    let page = artifacts
        .list_runs(&tenant, &project, after.as_ref(), PAGE)
        .await?;
    if page.items.is_empty() && after.is_none() {
        return Err(no_project(artifacts, &tenant, &project).await);
    }
    let mut rows = stream::iter(
        page.items
            .iter()
            .map(|r| run_row(artifacts, &tenant, &project, r)),
    )
    .buffered(CONCURRENCY)
    .try_collect::<Vec<_>>()
    .await?;
    rows.sort_by(|a, b| b.sort_key.cmp(&a.sort_key).then_with(|| a.id.cmp(&b.id)));

    let next = page.next.as_ref().map(RunId::as_str);
    Ok(ProjectPage {
        chrome: chrome.section("tenants").crumbs(vec![
            Crumb::link("Tenants", "/tenants"),
            Crumb::link(tenant.as_str(), links::tenant(&tenant)),
            Crumb::here(project.as_str()),
        ]),
        pager: Pager::new(
            &links::project(&tenant, &project),
            after.as_ref().map(RunId::as_str),
            next,
            rows.len(),
        ),
        tenant: tenant.to_string(),
        project: project.to_string(),
        kinds: ArtifactKind::ALL.iter().map(|k| k.folder()).collect(),
        rows,
    })
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
