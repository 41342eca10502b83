//! `serve [--demo]` and `demo`: run the console, and fill an empty store with demo data.

use crate::artifacts::ArtifactStore;
use crate::config::Settings;
use crate::demo::{self, DemoOutcome, DemoSize};
use crate::storage;
use crate::web::Application;

use super::CliError;

/// Applies migrations, binds `BIND` and serves until stopped; with `demo`, first fills
/// an empty store with demo data.
pub async fn serve(settings: Settings, with_demo: bool) -> Result<(), CliError> {
    if with_demo {
        fill_demo(&settings).await?;
    }
    let bind = settings.bind;
    let app = Application::build(settings.clone())
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let sign_in_url = format!("http://{}:{}/login", bind.ip(), app.port());
    super::user::first_run(&settings, &sign_in_url).await?;
    if settings.usage_scan_minutes > 0 {
        start_usage_scans(
            &settings.database,
            &settings.storage,
            settings.usage_scan_minutes,
        )
        .await?;
    }
    tracing::info!(
        "artifact-console listening on http://{}:{}",
        bind.ip(),
        app.port()
    );
    app.run_until_stopped()
        .await
        .map_err(|e| CliError::Failed(format!("the server stopped: {e}")))
}

/// Starts the background usage rescan over its own pool and store handle (the app has
/// applied the migrations by now), so replicas share the tenants through scan leases.
async fn start_usage_scans(
    database: &crate::config::DatabaseSettings,
    storage_settings: &crate::config::StorageSettings,
    minutes: u64,
) -> Result<(), CliError> {
    let db = crate::db::Db::connect(database)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let store = storage::open(storage_settings)
        .map_err(|e| CliError::Failed(format!("cannot open the artifact store: {e}")))?;
    tracing::info!(minutes, "storage usage is rescanned in the background");
    crate::usage::background::spawn(
        db,
        ArtifactStore::new(store),
        std::time::Duration::from_secs(minutes * 60),
    );
    Ok(())
}

/// `demo`: fills the configured store, or says why it did not.
pub async fn demo(settings: &Settings) -> Result<(), CliError> {
    fill_demo(settings).await
}

async fn fill_demo(settings: &Settings) -> Result<(), CliError> {
    let store = storage::open(&settings.storage)
        .map_err(|e| CliError::Failed(format!("cannot open the artifact store: {e}")))?;
    let described = store.describe();
    let artifacts = ArtifactStore::new(store);
    match demo::fill(&artifacts, DemoSize::FULL)
        .await
        .map_err(|e| CliError::Failed(format!("the demo data could not be written: {e}")))?
    {
        DemoOutcome::LeftUntouched => {
            println!("demo: the {described} already holds data; nothing was written")
        }
        DemoOutcome::Filled { objects, bytes } => println!(
            "demo: wrote {objects} objects ({}) to the {described}",
            crate::web::format_size(bytes)
        ),
    }
    Ok(())
}
