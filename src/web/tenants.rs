//! `GET /tenants` (search by id prefix, forward pagination) and `GET /tenants/{org}`
//! (a tenant's projects). Both come from delimiter listings: a page never walks objects.

use actix_web::web::{self, Data, Path, Query, ServiceConfig};
use askama::Template;
use askama_web::WebTemplate;
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Deserialize;

use super::AppState;
use super::chrome::{Chrome, Crumb};
use super::error::WebError;
use super::format::{self, Moment};
use super::links::{self, encode};
use super::overview::empty_store;
use super::widgets::{EmptyState, Pager};
use crate::artifacts::ArtifactStore;
use crate::db::usage as catalog;
use crate::storage::{ProjectId, Scope, StorageError, TenantId};

/// Tenants per page.
const PAGE: usize = 50;
/// Child listings fetched at once to count projects or runs.
const CONCURRENCY: usize = 8;
/// Children counted per row; past it the row says "1,000 or more".
const CHILD_COUNT_LIMIT: usize = 1000;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/tenants", web::get().to(tenants))
        .route("/tenants/{org}", web::get().to(tenant));
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    pub after: Option<String>,
    /// `id` lists a project's runs in id order from the store even when it was scanned.
    #[serde(default)]
    pub by: String,
}

/// One row of a tenants or projects table.
pub struct Row {
    pub id: String,
    pub href: String,
    /// Projects of a tenant, or runs of a project.
    pub children: String,
    /// Size from the usage scan; `None` when it has not seen this row yet.
    pub size: Option<String>,
    /// Latest artifact, from the usage scan.
    pub time: Moment,
    /// How fresh the scan figures are, e.g. `scanned 2 hours ago`.
    pub scanned: String,
}

impl Row {
    /// Fills in the usage scan's figures.
    fn with_usage(&mut self, bytes: i64, last_modified: i64, scanned_at: i64) {
        self.size = Some(format::size_of(bytes));
        self.time = Moment::of_micros(last_modified);
        let scan = Moment::of_micros(scanned_at);
        self.scanned = format!("scanned {} ({})", scan.utc, scan.relative);
    }
}

/// Adds the latest tenant snapshots to a page of tenant rows.
async fn add_tenant_usage(db: &crate::db::Db, rows: &mut [Row]) -> Result<(), WebError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let found = catalog::tenants_in(db, &ids).await?;
    for snapshot in found {
        if let Some(row) = rows.iter_mut().find(|r| r.id == snapshot.tenant) {
            row.with_usage(
                snapshot.bytes,
                snapshot.last_modified_micros,
                snapshot.taken_at_micros,
            );
        }
    }
    Ok(())
}

/// Adds the catalog's per-project figures to a page of project rows.
async fn add_project_usage(
    db: &crate::db::Db,
    tenant: &TenantId,
    rows: &mut [Row],
) -> Result<(), WebError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let found = catalog::projects_in(db, tenant.as_str(), &ids).await?;
    for usage in found {
        if let Some(row) = rows.iter_mut().find(|r| r.id == usage.project) {
            row.with_usage(
                usage.bytes,
                usage.last_modified_micros,
                usage.scanned_at_micros,
            );
        }
    }
    Ok(())
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/tenants.html")]
pub struct TenantsPage {
    pub chrome: Chrome,
    pub query: String,
    pub rows: Vec<Row>,
    pub pager: Pager,
    pub empty: Option<EmptyState>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/tenant.html")]
pub struct TenantPage {
    pub chrome: Chrome,
    pub tenant: String,
    /// The scope as shown in the usage note, e.g. `tenants/acme/`.
    pub prefix: String,
    pub rows: Vec<Row>,
    pub pager: Pager,
}

async fn tenants(
    chrome: Chrome,
    state: Data<AppState>,
    query: Query<ListQuery>,
) -> Result<TenantsPage, WebError> {
    let search = query.q.trim();
    let after = parse_cursor(query.after.as_deref(), TenantId::parse)?;
    let artifacts = &state.artifacts;

    let page = artifacts.list_tenants(search, after.as_ref(), PAGE).await?;
    let mut rows = stream::iter(page.items.iter().map(|t| tenant_row(artifacts, t)))
        .buffered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    add_tenant_usage(&state.db, &mut rows).await?;

    let base = if search.is_empty() {
        "/tenants".to_owned()
    } else {
        format!("/tenants?q={}", encode(search))
    };
    let next = page.next.as_ref().map(TenantId::as_str);
    let empty = match (rows.is_empty(), search.is_empty(), after.is_some()) {
        (true, true, false) => Some(empty_store(
            &state.settings.storage,
            &artifacts.backend().describe(),
        )),
        (true, false, _) => Some(EmptyState {
            title: format!("No tenant id starts with “{search}”"),
            lines: vec![
                "Tenant ids are matched from their first character, exactly as written \
                 (letters, digits, -, _ and .)."
                    .to_owned(),
            ],
            commands: Vec::new(),
        }),
        _ => None,
    };
    Ok(TenantsPage {
        chrome: chrome
            .section("tenants")
            .crumbs(vec![Crumb::link("Overview", "/"), Crumb::here("Tenants")]),
        query: search.to_owned(),
        pager: Pager::new(
            &base,
            after.as_ref().map(TenantId::as_str),
            next,
            rows.len(),
        ),
        rows,
        empty,
    })
}

async fn tenant_row(artifacts: &ArtifactStore, tenant: &TenantId) -> Result<Row, StorageError> {
    let projects = artifacts
        .list_projects(tenant, None, CHILD_COUNT_LIMIT)
        .await?;
    Ok(Row {
        id: tenant.to_string(),
        href: links::tenant(tenant),
        children: child_count(projects.items.len(), projects.next.is_some()),
        size: None,
        time: Moment::default(),
        scanned: String::new(),
    })
}

async fn tenant(
    chrome: Chrome,
    state: Data<AppState>,
    path: Path<String>,
    query: Query<ListQuery>,
) -> Result<TenantPage, WebError> {
    let tenant = TenantId::parse(&path).map_err(|e| WebError::malformed("tenant id", &e))?;
    let after = parse_cursor(query.after.as_deref(), ProjectId::parse)?;
    let artifacts = &state.artifacts;

    let page = artifacts
        .list_projects(&tenant, after.as_ref(), PAGE)
        .await?;
    if page.items.is_empty() && after.is_none() {
        return Err(no_tenant(&tenant));
    }
    let mut rows = stream::iter(
        page.items
            .iter()
            .map(|p| project_row(artifacts, &tenant, p)),
    )
    .buffered(CONCURRENCY)
    .try_collect::<Vec<_>>()
    .await?;
    add_project_usage(&state.db, &tenant, &mut rows).await?;

    let next = page.next.as_ref().map(ProjectId::as_str);
    Ok(TenantPage {
        chrome: chrome.section("tenants").crumbs(vec![
            Crumb::link("Tenants", "/tenants"),
            Crumb::here(tenant.as_str()),
        ]),
        prefix: Scope::Tenant(tenant.clone()).prefix().to_string(),
        pager: Pager::new(
            &links::tenant(&tenant),
            after.as_ref().map(ProjectId::as_str),
            next,
            rows.len(),
        ),
        tenant: tenant.to_string(),
        rows,
    })
}

async fn project_row(
    artifacts: &ArtifactStore,
    tenant: &TenantId,
    project: &ProjectId,
) -> Result<Row, StorageError> {
    let runs = artifacts
        .list_runs(tenant, project, None, CHILD_COUNT_LIMIT)
        .await?;
    Ok(Row {
        id: project.to_string(),
        href: links::project(tenant, project),
        children: child_count(runs.items.len(), runs.next.is_some()),
        size: None,
        time: Moment::default(),
        scanned: String::new(),
    })
}

fn child_count(listed: usize, more: bool) -> String {
    if more {
        format!("{} or more", format::count(listed as u64))
    } else {
        format::count(listed as u64)
    }
}

/// Parses an optional `after` cursor with the id type it must be.
pub fn parse_cursor<T>(
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, crate::storage::KeyError>,
) -> Result<Option<T>, WebError> {
    raw.filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(|e| WebError::malformed("page cursor", &e)))
        .transpose()
}

/// The 404 of a tenant with nothing stored.
pub fn no_tenant(tenant: &TenantId) -> WebError {
    WebError::not_found(
        format!("No tenant “{tenant}”"),
        "Nothing is stored under this organisation id. Search the list of tenants for the \
         right id.",
    )
}
