//! balcão's HTTP surface. Today: `/healthz`, which says whether the store
//! answers, and a JSON 404 for everything else. E-mail and form intake,
//! payments and the Telegram webhook join this router as they are built.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// A probe of the store: `Err` carries the cause, for the log only.
pub type HealthCheck = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// The router of the HTTP service.
pub fn router(health: HealthCheck) -> Router {
    Router::new().route("/healthz", get(healthz)).fallback(not_found).with_state(health)
}

async fn healthz(State(health): State<HealthCheck>) -> Response {
    match health().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))).into_response(),
        Err(cause) => {
            tracing::error!(%cause, "health check failed: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "error", "error": "banco de dados indisponível" })),
            )
                .into_response()
        }
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": "rota não encontrada" }))).into_response()
}
