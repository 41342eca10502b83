//! `GET /healthz` (the process answers) and `GET /readyz` (the database and the store
//! answer too). Both are plain text for load balancers and need no sign-in.

use actix_web::web::{self, Data, ServiceConfig};
use actix_web::{HttpResponse, http::header};

use super::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("ok\n")
}

/// 200 when both answer; 503 naming what does not. Causes are logged, never sent: a
/// store error could name a bucket or a host.
async fn readyz(state: Data<AppState>) -> HttpResponse {
    let (db, store) = tokio::join!(state.db.ping(), state.artifacts.backend().check());
    let mut report = String::new();
    match db {
        Ok(()) => report.push_str("database: ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "readiness: the database does not answer");
            report.push_str("database: unavailable\n");
        }
    }
    match store {
        Ok(()) => report.push_str("store: ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "readiness: the artifact store does not answer");
            report.push_str("store: unavailable\n");
        }
    }
    let mut response = if report.contains("unavailable") {
        HttpResponse::ServiceUnavailable()
    } else {
        HttpResponse::Ok()
    };
    response
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(report)
}
