//! balcão's HTTP surface: `/healthz`, which says whether the store answers,
//! `/metrics` (the outbox, in Prometheus' text format), and, in webhook mode,
//! `/telegram/webhook`, where Telegram delivers the
//! bot's updates. Machines get JSON, with the right status, for every error.
//! E-mail and form intake and payments join this router as they are built.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use balcao_domain::notify::{Channel, DeliveryStatus, OutboxStat};
use balcao_domain::ports::{Outbox, UpdateInbox};
use serde_json::json;
use subtle::ConstantTimeEq;

/// A probe of the store: `Err` carries the cause, for the log only.
pub type HealthCheck = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// The Telegram webhook's needs: the accepted secrets (two during a
/// rotation), where updates are stored, and whom to wake once one is.
#[derive(Clone)]
pub struct TelegramWebhook {
    /// Accepted values of `X-Telegram-Bot-Api-Secret-Token`.
    pub secrets: Vec<String>,
    /// The inbox updates are stored in before Telegram hears "ok".
    pub inbox: Arc<dyn UpdateInbox>,
    /// Wakes the worker that handles stored updates.
    pub wake: Arc<tokio::sync::Notify>,
}

#[derive(Clone)]
struct AppState {
    health: HealthCheck,
    telegram: Option<TelegramWebhook>,
    outbox: Arc<dyn Outbox>,
}

/// The path Telegram posts updates to, in webhook mode.
pub const TELEGRAM_WEBHOOK_PATH: &str = "/telegram/webhook";

/// The router of the HTTP service; the Telegram route only in webhook mode.
pub fn router(health: HealthCheck, telegram: Option<TelegramWebhook>, outbox: Arc<dyn Outbox>) -> Router {
    let mut router = Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics));
    if telegram.is_some() {
        router = router.route(TELEGRAM_WEBHOOK_PATH, post(telegram_update));
    }
    router.fallback(not_found).with_state(AppState { health, telegram, outbox })
}

/// The outbox in Prometheus' text format: depth (pending), sent, retried and
/// dead, per channel.
async fn metrics(State(state): State<AppState>) -> Response {
    let stats = match state.outbox.outbox_stats().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(cause = ?e, "metrics: the outbox could not be read");
            return error(StatusCode::SERVICE_UNAVAILABLE, "banco de dados indisponível");
        }
    };
    let mut out = String::new();
    let mut family = |name: &str, help: &str, pick: &dyn Fn(&OutboxStat) -> Option<i64>| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for channel in [Channel::Telegram, Channel::Email] {
            let value: i64 = stats.iter().filter(|s| s.channel == channel).filter_map(pick).sum();
            out.push_str(&format!("{name}{{channel=\"{}\"}} {value}\n", channel.as_str()));
        }
    };
    family("balcao_outbox_depth", "Notifications waiting to be sent.", &|s| {
        (s.status == DeliveryStatus::Pending).then_some(s.count)
    });
    family("balcao_outbox_sent", "Notifications delivered.", &|s| {
        (s.status == DeliveryStatus::Sent).then_some(s.count)
    });
    family("balcao_outbox_retried", "Notifications that needed more than one attempt.", &|s| Some(s.retried));
    family("balcao_outbox_dead", "Notifications given up on.", &|s| {
        (s.status == DeliveryStatus::Dead).then_some(s.count)
    });
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn healthz(State(state): State<AppState>) -> Response {
    match (state.health)().await {
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

/// Whether `given` is one of `secrets`, comparing in constant time.
fn secret_matches(secrets: &[String], given: &[u8]) -> bool {
    secrets.iter().fold(false, |found, s| found | bool::from(s.as_bytes().ct_eq(given)))
}

/// The Telegram user an update comes from (a message's or a tap's `from`),
/// whose updates are handled in order.
fn sender_of(update: &serde_json::Value) -> Option<i64> {
    update.as_object()?.values().find_map(|part| part.get("from")?.get("id")?.as_i64())
}

/// Stores the update, then answers 200; answers 5xx when it cannot store it,
/// so Telegram delivers it again.
async fn telegram_update(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(telegram) = state.telegram else { return error(StatusCode::NOT_FOUND, "rota não encontrada") };
    let given = headers.get("x-telegram-bot-api-secret-token").map(|v| v.as_bytes()).unwrap_or_default();
    if !secret_matches(&telegram.secrets, given) {
        tracing::warn!("Telegram webhook call refused: wrong or missing secret token");
        return error(StatusCode::UNAUTHORIZED, "token secreto inválido");
    }
    let Ok(text) = std::str::from_utf8(&body) else { return error(StatusCode::BAD_REQUEST, "corpo não é UTF-8") };
    let (update_id, sender) = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => match v.get("update_id").and_then(serde_json::Value::as_i64) {
            Some(id) => (id, sender_of(&v)),
            None => return error(StatusCode::BAD_REQUEST, "update_id ausente"),
        },
        Err(_) => return error(StatusCode::BAD_REQUEST, "JSON inválido"),
    };
    match telegram.inbox.store_update(update_id, sender, text).await {
        Ok(_) => {
            telegram.wake.notify_one();
            (StatusCode::OK, Json(json!({ "ok": true }))).into_response()
        }
        Err(e) => {
            tracing::error!(update_id, cause = ?e, "Telegram update could not be stored; Telegram will resend it");
            error(StatusCode::SERVICE_UNAVAILABLE, "não foi possível guardar a atualização")
        }
    }
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "rota não encontrada")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_must_match_one_of_the_accepted_exactly() {
        let secrets = vec!["antigo_123".to_owned(), "novo-456".to_owned()];
        assert!(secret_matches(&secrets, b"antigo_123"));
        assert!(secret_matches(&secrets, b"novo-456"));
        assert!(!secret_matches(&secrets, b"novo-45"));
        assert!(!secret_matches(&secrets, b""));
        assert!(!secret_matches(&[], b""));
    }
}
