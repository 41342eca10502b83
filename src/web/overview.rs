//! `GET /`: where the console looks, how many tenants it holds, and where to start.

use actix_web::web::{self, Data, ServiceConfig};
use askama::Template;
use askama_web::WebTemplate;

use super::AppState;
use super::chrome::{Chrome, Crumb};
use super::error::WebError;
use super::format;
use super::format::Moment;
use super::links;
use super::widgets::EmptyState;
use crate::artifacts::ArtifactStore;
use crate::config::StorageSettings;
use crate::db::{Db, DbError, usage as catalog};
use crate::storage::{ProjectId, RunId, StorageError, TenantId};

/// Tenants are counted from delimiter listings up to this many; past it the page says
/// "more than".
const COUNT_LIMIT: usize = 10_000;
/// Tenants listed on the overview.
const SHOWN: usize = 12;
/// Largest tenants and latest runs listed from the usage scan.
const RANKED: i64 = 10;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/", web::get().to(overview));
}

/// A tenant link on the overview.
pub struct TenantLink {
    pub id: String,
    pub href: String,
}

/// A tenant or run on the overview, with its figures from the usage scan.
pub struct RankedRow {
    /// The tenant id, or `tenant / project / run` for a run.
    pub label: String,
    pub href: String,
    pub size: String,
    pub objects: String,
    pub time: Moment,
}

/// Totals of the whole store from the latest scan of every tenant.
pub struct ScanFigures {
    pub tenants: String,
    pub projects: String,
    pub runs: String,
    pub objects: String,
    pub bytes: String,
    /// When the newest tenant scan ran.
    pub as_of: Moment,
    /// When the oldest of the latest tenant scans ran, if it differs from `as_of`.
    pub oldest: Option<Moment>,
    pub largest: Vec<RankedRow>,
    pub latest: Vec<RankedRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/overview.html")]
pub struct OverviewPage {
    pub chrome: Chrome,
    /// Where the console looks, e.g. `local folder ./data/artifacts`.
    pub store: String,
    pub tenant_count: String,
    pub tenants: Vec<TenantLink>,
    pub more_tenants: bool,
    /// Set when the store holds no tenant at all.
    pub empty: Option<EmptyState>,
    /// Figures of the usage scan; `None` before the first scan.
    pub scan: Option<ScanFigures>,
}

async fn overview(chrome: Chrome, state: Data<AppState>) -> Result<OverviewPage, WebError> {
    let artifacts = &state.artifacts;
    let (count, more) = count_tenants(artifacts).await?;
    let first = artifacts.list_tenants("", None, SHOWN).await?;

    let tenants: Vec<TenantLink> = first
        .items
        .iter()
        .map(|t: &TenantId| TenantLink {
            id: t.to_string(),
            href: links::tenant(t),
        })
        .collect();
    let empty = tenants
        .is_empty()
        .then(|| empty_store(&state.settings.storage, &artifacts.backend().describe()));
    Ok(OverviewPage {
        chrome: chrome
            .section("overview")
            .crumbs(vec![Crumb::here("Overview")]),
        store: artifacts.backend().describe(),
        tenant_count: if more {
            format!("more than {}", format::count(count as u64))
        } else {
            format::count(count as u64)
        },
        more_tenants: first.next.is_some(),
        tenants,
        empty,
        scan: scan_figures(&state.db).await?,
    })
}

/// The overview's figures from the run catalog and the latest tenant snapshots.
async fn scan_figures(db: &Db) -> Result<Option<ScanFigures>, DbError> {
    let Some(totals) = catalog::totals(db).await? else {
        return Ok(None);
    };
    let largest = catalog::largest_tenants(db, RANKED)
        .await?
        .into_iter()
        .map(|t| RankedRow {
            href: TenantId::parse(&t.tenant)
                .map(|id| links::tenant(&id))
                .unwrap_or_default(),
            label: t.tenant,
            size: format::size_of(t.bytes),
            objects: format::count_of(t.objects),
            time: Moment::of_micros(t.last_modified_micros),
        })
        .collect();
    let latest = catalog::latest_runs(db, RANKED)
        .await?
        .into_iter()
        .map(|r| RankedRow {
            href: run_link(&r.tenant, &r.project, &r.run),
            label: format!("{} / {} / {}", r.tenant, r.project, r.run),
            size: format::size_of(r.bytes),
            objects: format::count_of(r.objects),
            time: Moment::of_micros(r.last_modified_micros),
        })
        .collect();
    let minute = 60_000_000;
    Ok(Some(ScanFigures {
        tenants: format::count_of(totals.tenants),
        projects: format::count_of(totals.projects),
        runs: format::count_of(totals.runs),
        objects: format::count_of(totals.objects),
        bytes: format::size_of(totals.bytes),
        as_of: Moment::of_micros(totals.newest_scan_micros),
        oldest: (totals.newest_scan_micros - totals.oldest_scan_micros > minute)
            .then(|| Moment::of_micros(totals.oldest_scan_micros)),
        largest,
        latest,
    }))
}

/// The link of a catalogued run; ids come from the database, so they are parsed again.
fn run_link(tenant: &str, project: &str, run: &str) -> String {
    match (
        TenantId::parse(tenant),
        ProjectId::parse(project),
        RunId::parse(run),
    ) {
        (Ok(t), Ok(p), Ok(r)) => links::run(&t, &p, &r),
        _ => String::new(),
    }
}

/// Counts tenants page by page (1,000 ids per listing), stopping at [`COUNT_LIMIT`].
async fn count_tenants(artifacts: &ArtifactStore) -> Result<(usize, bool), StorageError> {
    let mut count = 0;
    let mut after: Option<TenantId> = None;
    loop {
        let page = artifacts.list_tenants("", after.as_ref(), 1000).await?;
        count += page.items.len();
        match page.next {
            Some(next) if count < COUNT_LIMIT => after = Some(next),
            Some(_) => return Ok((count, true)),
            None => return Ok((count, false)),
        }
    }
}

/// What to do when the store is empty: where the console looks and how to point it
/// at the SaaS's bucket or folder.
pub fn empty_store(settings: &StorageSettings, described: &str) -> EmptyState {
    let mut lines = vec![
        format!("The console is looking in the {described} and finds no tenants/ folder in it."),
        "Point it at the folder or bucket the SaaS writes to, then restart it:".to_owned(),
    ];
    lines.push(
        match settings {
            StorageSettings::Local { .. } => {
                "This is a local folder: set ARTIFACTS_DIR to the folder that holds tenants/."
            }
            StorageSettings::S3(_) => {
                "This is a bucket: check S3_BUCKET and S3_ENDPOINT_URL; the SaaS writes under \
             tenants/{org}/ in it."
            }
        }
        .to_owned(),
    );
    lines.push(
        "Folder: ARTIFACTS_DIR=/path/to/artifacts. Bucket: USE_S3=true with S3_BUCKET, \
         S3_ENDPOINT_URL, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (S3_REGION defaults \
         to auto)."
            .to_owned(),
    );
    lines.push("To look around first, fill this empty store with demo data:".to_owned());
    EmptyState {
        title: "No tenants yet".to_owned(),
        lines,
        commands: vec!["artifact-console demo".to_owned()],
    }
}
