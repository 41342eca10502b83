//! `GET /tenants/{org}/projects/{project}/runs/{run}`: one run, one kind at a time
//! (`?kind=screenshots|videos|diffs|tests`), paginated so 5,000 screenshots stay quick.
//!
//! Screenshots are a gallery of thumbnails whose full-size view is a CSS `:target`
//! lightbox with previous and next links (no script needed); videos play inline and
//! seek through Range requests; diffs sit beside the screenshot of the same name with an
//! overlay slider; test files are shown as highlighted source.

use actix_web::web::{self, Data, Path, Query, ServiceConfig};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::AppState;
use super::chrome::{Chrome, Crumb};
use super::error::WebError;
use super::format::{self, Moment};
use super::links::{self, encode};
use super::projects::{no_project, parse_project};
use super::run_items::{self, DiffItem, Item, TestFile};
use super::widgets::Pager;
use crate::artifacts::{ArtifactStore, RunSummary};
use crate::storage::{ArtifactKind, ArtifactName, ProjectId, RunId, Scope, TenantId};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route(
        "/tenants/{org}/projects/{project}/runs/{run}",
        web::get().to(run),
    );
}

#[derive(Debug, Deserialize)]
pub struct RunQuery {
    kind: Option<String>,
    after: Option<String>,
}

/// A tab of the run page: one kind of artifact and how many the run holds.
pub struct Tab {
    pub label: &'static str,
    pub count: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/run.html")]
pub struct RunPage {
    pub chrome: Chrome,
    pub tenant: String,
    pub project: String,
    pub run: String,
    pub prefix: String,
    pub objects: String,
    pub size: String,
    pub latest: Moment,
    /// Keys in the run's folder that do not follow the layout, and so are not shown.
    pub skipped: u64,
    pub tabs: Vec<Tab>,
    /// The folder name of the kind shown.
    pub kind: &'static str,
    pub items: Vec<Item>,
    pub diffs: Vec<DiffItem>,
    pub tests: Vec<TestFile>,
    pub pager: Pager,
}

/// Artifacts per page, by kind: a page of screenshots is thumbnails, a page of tests is
/// whole source files.
fn page_size(kind: ArtifactKind) -> usize {
    match kind {
        ArtifactKind::Screenshots => 60,
        ArtifactKind::Videos => 12,
        ArtifactKind::Diffs => 24,
        ArtifactKind::Tests => 10,
    }
}

/// The run and the page of it a request asks for, parsed.
struct RunAddress {
    tenant: TenantId,
    project: ProjectId,
    run: RunId,
    kind: ArtifactKind,
    after: Option<ArtifactName>,
}

impl RunAddress {
    fn parse(path: &(String, String, String), query: &RunQuery) -> Result<Self, WebError> {
        let (tenant, project) = parse_project(&path.0, &path.1)?;
        let run = RunId::parse(&path.2).map_err(|e| WebError::malformed("run id", &e))?;
        let kind = parse_kind(query.kind.as_deref())?;
        let after = query
            .after
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(ArtifactName::parse)
            .transpose()
            .map_err(|e| WebError::malformed("page cursor", &e))?;
        Ok(Self {
            tenant,
            project,
            run,
            kind,
            after,
        })
    }

    fn scope(&self) -> Scope {
        Scope::Run(self.tenant.clone(), self.project.clone(), self.run.clone())
    }

    fn href(&self) -> String {
        links::run(&self.tenant, &self.project, &self.run)
    }
}

async fn run(
    chrome: Chrome,
    state: Data<AppState>,
    path: Path<(String, String, String)>,
    query: Query<RunQuery>,
) -> Result<RunPage, WebError> {
    let at = RunAddress::parse(&path, &query)?;
    let (scope, kind) = (at.scope(), at.kind);
    let artifacts = &state.artifacts;

    let summary = artifacts.run_summary(&scope).await?;
    if summary.objects == 0 && summary.skipped == 0 {
        return Err(no_run(artifacts, &at.tenant, &at.project, &at.run).await);
    }
    let page = artifacts
        .list_artifacts(&scope, kind, at.after.as_ref(), page_size(kind))
        .await?;
    let (diffs, tests) = match kind {
        ArtifactKind::Diffs => (
            run_items::pair_diffs(artifacts, &page.items).await?,
            Vec::new(),
        ),
        ArtifactKind::Tests => (
            Vec::new(),
            run_items::test_files(artifacts, &page.items).await?,
        ),
        _ => (Vec::new(), Vec::new()),
    };

    let base = format!("{}?kind={}", at.href(), kind.folder());
    let next = page.next.as_ref().map(|n| n.as_str().to_owned());
    let mut items = run_items::items(&page.items);
    run_items::link_neighbours(
        &mut items,
        next.as_ref().map(|n| format!("{base}&after={}", encode(n))),
    );
    Ok(RunPage {
        chrome: chrome.section("tenants").crumbs(crumbs(&at)),
        prefix: scope.prefix().to_string(),
        objects: format::count(summary.objects),
        size: format::size(summary.bytes),
        latest: Moment::of(summary.last_modified),
        skipped: summary.skipped,
        tabs: tabs(&summary, kind, &at.href()),
        kind: kind.folder(),
        pager: Pager::new(
            &base,
            at.after.as_ref().map(ArtifactName::as_str),
            next.as_deref(),
            items.len(),
        ),
        items,
        diffs,
        tests,
        tenant: at.tenant.to_string(),
        project: at.project.to_string(),
        run: at.run.to_string(),
    })
}

fn crumbs(at: &RunAddress) -> Vec<Crumb> {
    vec![
        Crumb::link("Tenants", "/tenants"),
        Crumb::link(at.tenant.as_str(), links::tenant(&at.tenant)),
        Crumb::link(at.project.as_str(), links::project(&at.tenant, &at.project)),
        Crumb::here(at.run.as_str()),
    ]
}

/// The 404 of a run with nothing stored, naming the first level that is missing.
async fn no_run(
    artifacts: &ArtifactStore,
    tenant: &TenantId,
    project: &ProjectId,
    run: &RunId,
) -> WebError {
    match artifacts.list_runs(tenant, project, None, 1).await {
        Ok(page) if page.items.is_empty() => no_project(artifacts, tenant, project).await,
        Err(e) => e.into(),
        Ok(_) => WebError::not_found(
            format!("No run “{run}” in project “{project}”"),
            "Open the project to see the runs it has.",
        ),
    }
}

fn parse_kind(raw: Option<&str>) -> Result<ArtifactKind, WebError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(ArtifactKind::Screenshots),
        Some(folder) => ArtifactKind::from_folder(folder).ok_or_else(|| {
            WebError::BadRequest(
                "There is no such kind of artifact: use screenshots, videos, diffs or tests."
                    .to_owned(),
            )
        }),
    }
}

fn tabs(summary: &RunSummary, current: ArtifactKind, run_href: &str) -> Vec<Tab> {
    ArtifactKind::ALL
        .iter()
        .map(|&kind| Tab {
            label: kind.folder(),
            count: format::count(
                summary
                    .kinds
                    .iter()
                    .find(|k| k.kind == kind)
                    .map_or(0, |k| k.count),
            ),
            href: format!("{run_href}?kind={}", kind.folder()),
            current: kind == current,
        })
        .collect()
}
