//! The web console: one actix-web application, one module per page family.
//!
//! [`Application::build`] binds the listener and is the only way the console starts,
//! from `serve` and from the integration tests alike. Handlers stay thin: they parse the
//! request into domain types, call [`crate::artifacts::ArtifactStore`], and render one
//! `...Page` struct per template.

pub mod access;
mod assets;
mod chrome;
mod delivery;
mod error;
mod format;
pub mod guard;
mod health;
mod highlight;
mod links;
mod login;
mod overview;
mod projects;
mod range;
mod run_items;
mod runs;
mod security;
mod tenants;
mod thumbnails;
mod users;
mod widgets;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::ErrorHandlers;
use actix_web::web::{Data, ServiceConfig};
use actix_web::{App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::artifacts::ArtifactStore;
use crate::audit::AuditLog;
use crate::config::Settings;
use crate::db::{Db, DbError};
use crate::storage::{self, StorageError};

pub use chrome::{Chrome, Crumb, SignedIn};
pub use error::WebError;
pub use format::size as format_size;
pub use guard::{AdminUser, CurrentUser};
pub use thumbnails::ThumbnailCache;
pub use widgets::{EmptyState, Flash, Pager};

/// The console's version, shown in every page footer.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What every handler shares, as `web::Data<AppState>`.
pub struct AppState {
    /// The settings the console started with.
    pub settings: Settings,
    /// Accounts, sessions, jobs, usage history and the audit trail.
    pub db: Db,
    /// The tenant-scoped view over the configured store.
    pub artifacts: ArtifactStore,
    /// The append-only audit trail.
    pub audit: AuditLog,
    /// Small previews of screenshots and diffs, cached on local disk.
    pub thumbnails: ThumbnailCache,
}

/// Why the console could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot open the artifact store: {0}")]
    Storage(#[from] StorageError),
    #[error("BIND: cannot listen on {address}: {source}")]
    Bind {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("DATA_DIR: cannot prepare {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// A bound, not yet running, console.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects the database and the store, applies migrations and binds `settings.bind`
    /// (port 0 picks a free port, as the tests do).
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let db = Db::connect(&settings.database).await?;
        db.migrate().await?;
        let store = storage::open(&settings.storage)?;
        let artifacts = ArtifactStore::new(store);
        Self::build_with(settings, db, artifacts)
    }

    /// Binds the console over an already opened database and store.
    pub fn build_with(
        settings: Settings,
        db: Db,
        artifacts: ArtifactStore,
    ) -> Result<Self, StartError> {
        let cache_dir = settings.data_dir.join("thumbnails");
        let thumbnails = ThumbnailCache::open(cache_dir.clone(), settings.thumbnail_cache_bytes)
            .map_err(|source| StartError::DataDir {
                path: cache_dir,
                source,
            })?;
        let address = settings.bind;
        let listener =
            TcpListener::bind(address).map_err(|source| StartError::Bind { address, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind { address, source })?
            .port();
        let state = Data::new(AppState {
            settings,
            audit: AuditLog::new(db.clone()),
            db,
            artifacts,
            thumbnails,
        });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(guard::check))
                .wrap(ErrorHandlers::new().default_handler(error::render_error_page))
                .wrap(TracingLogger::default())
                .wrap(security::headers())
                .app_data(state.clone())
                .configure(configure)
        })
        .listen(listener)
        .map_err(|source| StartError::Bind { address, source })?
        .run();
        Ok(Self { port, server })
    }

    /// The port the console listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves requests until the process is told to stop (Ctrl-C or SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Every route of the console; the sign-in guard wraps the whole app.
pub fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    login::configure(cfg);
    users::configure(cfg);
    assets::configure(cfg);
    overview::configure(cfg);
    tenants::configure(cfg);
    projects::configure(cfg);
    runs::configure(cfg);
    delivery::configure(cfg);
    thumbnails::configure(cfg);
    cfg.default_service(actix_web::web::to(error::not_found));
}
