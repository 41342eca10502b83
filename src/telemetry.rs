//! Log set-up: human-readable lines on stderr, filtered by `RUST_LOG`.

use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is unset: the console at info, noisy crates quieter.
pub const DEFAULT_FILTER: &str =
    "info,sqlx=warn,hyper=warn,reqwest=warn,minio=warn,actix_server=warn";

/// Installs the global subscriber once; later calls are ignored (tests call it often).
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
