//! `static/`: the stylesheet, a few small scripts and images, served from disk with
//! cache headers. Nothing comes from a CDN: the console works on a network with no
//! internet.

use std::path::PathBuf;

use actix_web::middleware::DefaultHeaders;
use actix_web::web::{self, ServiceConfig};

/// Where the assets live: `./static` beside the working directory when it exists (a
/// deployed console), otherwise the source tree's (tests and `cargo run`).
pub fn static_dir() -> PathBuf {
    let here = PathBuf::from("static");
    if here.join("app.css").is_file() {
        here
    } else {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/static"))
    }
}

pub fn configure(cfg: &mut ServiceConfig) {
    // Page templates add `?v=<version>` to every asset URL, so a long lifetime is safe:
    // a new version asks for new URLs.
    cfg.service(
        web::scope("/static")
            .wrap(
                DefaultHeaders::new()
                    .add(("Cache-Control", "public, max-age=604800"))
                    .add(("X-Content-Type-Options", "nosniff")),
            )
            .service(actix_files::Files::new("", static_dir()).use_etag(true)),
    );
}
