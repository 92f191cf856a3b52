//! balcão's HTTP surface: `/readyz`, whether the store answers; `/healthz`,
//! whether the store answers and the background workers run; `/metrics`
//! ([`metrics`]: intake's counters, request latency, the outbox, the Telegram
//! inbox, the bot's failures); `/openapi.json`, the document of every route;
//! and, in webhook mode, `/telegram/webhook`, where Telegram delivers the
//! bot's updates. Machines get JSON, with the right status, for every error.
//! When `webhooks.secret` is set, intake's doors take contacts into its
//! inbox: raw e-mails ([`intake`]), the mail providers' webhooks
//! ([`providers`]) and the site's contact form ([`form`]). Payments join this
//! router as they are built.

pub mod form;
pub mod intake;
pub mod metrics;
pub mod providers;
mod serve;
pub mod text;

pub use intake::IntakeDoors;
pub use metrics::Metrics;
pub use serve::{HttpLimits, serve};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
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
    /// Refused calls, logged at most once a minute.
    pub refusals: Arc<LogThrottle>,
}

/// Counts repeated events and says when to log them: the first at once, then
/// at most one line a minute with how many there were, so a flood of bad
/// requests cannot flood the log.
#[derive(Debug)]
pub struct LogThrottle {
    every: std::time::Duration,
    state: std::sync::Mutex<(u64, Option<std::time::Instant>)>,
}

impl Default for LogThrottle {
    fn default() -> Self {
        LogThrottle::every(std::time::Duration::from_secs(60))
    }
}

impl LogThrottle {
    /// Logs at most once per `every`.
    pub fn every(every: std::time::Duration) -> Self {
        LogThrottle { every, state: std::sync::Mutex::new((0, None)) }
    }

    /// Counts one event; `Some(n)` when it is time to log the `n` counted
    /// since the last line.
    pub fn count(&self) -> Option<u64> {
        self.count_at(std::time::Instant::now())
    }

    /// [`LogThrottle::count`] at the instant `now`.
    pub fn count_at(&self, now: std::time::Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.0 += 1;
        if state.1.is_some_and(|last| now.duration_since(last) < self.every) {
            return None;
        }
        let n = state.0;
        *state = (0, Some(now));
        Some(n)
    }
}

/// A background task whose life `/healthz` reports: the bot's poller or
/// webhook worker, the notification dispatcher.
#[derive(Clone)]
pub struct Worker {
    name: &'static str,
    running: Arc<AtomicBool>,
}

/// Held by the running task: when it is dropped (the task ended, returned or
/// panicked) the worker counts as stopped.
pub struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Worker {
    /// A worker named `name` (as `/healthz` shows it), running until the
    /// returned guard is dropped.
    pub fn start(name: &'static str) -> (Worker, Running) {
        let running = Arc::new(AtomicBool::new(true));
        (Worker { name, running: running.clone() }, Running(running))
    }

    fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }
}

/// Everything the HTTP service reports on and serves.
#[derive(Clone)]
pub struct Service {
    /// Probes the store.
    pub health: HealthCheck,
    /// The Telegram webhook, in webhook mode.
    pub telegram: Option<TelegramWebhook>,
    /// Intake's doors, when `webhooks.secret` is set.
    pub intake: Option<IntakeDoors>,
    /// The outbox, for `/metrics`.
    pub outbox: Arc<dyn Outbox>,
    /// The background workers this instance started.
    pub workers: Vec<Worker>,
    /// What `/metrics` reports; the same the doors and `serve` count into.
    pub metrics: Arc<Metrics>,
}

/// The path Telegram posts updates to, in webhook mode.
pub const TELEGRAM_WEBHOOK_PATH: &str = "/telegram/webhook";

/// The router of the HTTP service; the Telegram route only in webhook mode.
pub fn router(service: Service) -> Router {
    let mut router =
        Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics));
    router = router.route(OPENAPI_PATH, get(openapi));
    if service.telegram.is_some() {
        router = router.route(TELEGRAM_WEBHOOK_PATH, post(telegram_update));
    }
    if service.intake.is_some() {
        router = router
            .route(intake::EMAIL_RAW_PATH, post(intake::email_raw))
            .route(form::FORM_PATH, post(form::form))
            .route(providers::MAILGUN_PATH, post(providers::mailgun))
            .route(providers::MAILGUN_MIME_PATH, post(providers::mailgun))
            .route(providers::POSTMARK_PATH, post(providers::postmark))
            .route(providers::SENDGRID_PATH, post(providers::sendgrid));
    }
    router.fallback(not_found).with_state(service)
}

/// Where the OpenAPI document of these routes is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// The routes, their bodies, answers and errors, for whoever integrates.
const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// The metrics in the OpenMetrics text format, the store's counts read now.
async fn metrics(State(state): State<Service>) -> Response {
    match state.outbox.outbox_stats().await {
        Ok(stats) => state.metrics.set_outbox(&stats),
        Err(e) => {
            tracing::error!(cause = ?e, "metrics: the outbox could not be read");
            return error(StatusCode::SERVICE_UNAVAILABLE, text::DATABASE_DOWN);
        }
    }
    if let Some(telegram) = &state.telegram {
        match telegram.inbox.update_counts().await {
            Ok(counts) => state.metrics.set_telegram(counts.pending, counts.failed),
            Err(e) => {
                tracing::error!(cause = ?e, "metrics: the Telegram inbox could not be read");
                return error(StatusCode::SERVICE_UNAVAILABLE, text::DATABASE_DOWN);
            }
        }
    }
    let kind = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(axum::http::header::CONTENT_TYPE, kind)], state.metrics.render()).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// 200 when the store answers and every background worker runs; 503, with
/// what is wrong, otherwise.
async fn healthz(State(state): State<Service>) -> Response {
    let workers: serde_json::Map<String, serde_json::Value> = state
        .workers
        .iter()
        .map(|w| (w.name.to_owned(), json!(if w.is_running() { "ok" } else { text::STOPPED })))
        .collect();
    let stopped: Vec<&str> = state.workers.iter().filter(|w| !w.is_running()).map(|w| w.name).collect();
    let store = (state.health)().await;
    if let Err(cause) = &store {
        tracing::error!(%cause, "health check failed: the store does not answer");
    }
    let problem = match (&store, stopped.is_empty()) {
        (Ok(()), true) => None,
        (Err(_), _) => Some(text::DATABASE_DOWN.to_owned()),
        (Ok(()), false) => Some(text::stopped(&stopped)),
    };
    match problem {
        None => (StatusCode::OK, Json(json!({ "status": "ok", "workers": workers }))).into_response(),
        Some(problem) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "error", "error": problem, "workers": workers })))
                .into_response()
        }
    }
}

/// 200 while the store answers, 503 otherwise: whether this instance can take
/// requests (webhooks, intake), whatever its background workers are doing.
async fn readyz(State(state): State<Service>) -> Response {
    match (state.health)().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))).into_response(),
        Err(cause) => {
            tracing::error!(%cause, "readiness check failed: the store does not answer");
            error(StatusCode::SERVICE_UNAVAILABLE, text::DATABASE_DOWN)
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
async fn telegram_update(State(state): State<Service>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(telegram) = state.telegram else { return error(StatusCode::NOT_FOUND, text::NO_ROUTE) };
    let given = headers.get("x-telegram-bot-api-secret-token").map(|v| v.as_bytes()).unwrap_or_default();
    if !secret_matches(&telegram.secrets, given) {
        if let Some(refused) = telegram.refusals.count() {
            tracing::warn!(refused, "Telegram webhook calls refused: wrong or missing secret token");
        }
        return error(StatusCode::UNAUTHORIZED, text::BAD_SECRET);
    }
    let Ok(text) = std::str::from_utf8(&body) else { return error(StatusCode::BAD_REQUEST, text::NOT_UTF8) };
    let (update_id, sender) = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => match v.get("update_id").and_then(serde_json::Value::as_i64) {
            Some(id) => (id, sender_of(&v)),
            None => return error(StatusCode::BAD_REQUEST, text::NO_UPDATE_ID),
        },
        Err(_) => return error(StatusCode::BAD_REQUEST, text::BAD_JSON),
    };
    match telegram.inbox.store_update(update_id, sender, text).await {
        Ok(_) => {
            telegram.wake.notify_one();
            (StatusCode::OK, Json(json!({ "ok": true }))).into_response()
        }
        Err(e) => {
            tracing::error!(update_id, cause = ?e, "Telegram update could not be stored; Telegram will resend it");
            error(StatusCode::SERVICE_UNAVAILABLE, text::NOT_STORED)
        }
    }
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, text::NO_ROUTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_describes_every_route_and_only_those() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("valid JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        let mut documented: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut served = vec![
            "/healthz",
            "/readyz",
            "/metrics",
            OPENAPI_PATH,
            TELEGRAM_WEBHOOK_PATH,
            intake::EMAIL_RAW_PATH,
            form::FORM_PATH,
            providers::MAILGUN_PATH,
            providers::MAILGUN_MIME_PATH,
            providers::POSTMARK_PATH,
            providers::SENDGRID_PATH,
        ];
        documented.sort_unstable();
        served.sort_unstable();
        assert_eq!(documented, served);
        // Every reference points at something defined.
        let text = OPENAPI.replace(' ', "");
        for reference in text.split("\"$ref\":\"#/components/").skip(1) {
            let path = reference.split('"').next().unwrap();
            let found = path.split('/').try_fold(&doc["components"], |node, key| node.get(key));
            assert!(found.is_some(), "{path} is defined");
        }
    }

    #[test]
    fn a_flood_of_refusals_is_one_log_line_a_minute_with_the_count() {
        let throttle = LogThrottle::default();
        let start = std::time::Instant::now();
        let at = |seconds| start + std::time::Duration::from_secs(seconds);
        assert_eq!(throttle.count_at(at(0)), Some(1), "the first is logged at once");
        assert!((0..299).all(|_| throttle.count_at(at(30)).is_none()));
        assert_eq!(throttle.count_at(at(61)), Some(300), "then one line a minute says how many");
        assert_eq!(throttle.count_at(at(62)), None);
    }

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
