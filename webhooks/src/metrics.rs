//! `/metrics`, with the Prometheus project's own client (prometheus-client):
//! intake's counters (contacts received, duplicates, refusals by reason,
//! outcomes of processing), the latency of every request by route, and, read
//! at each scrape, the outbox, the Telegram inbox, the bot's failures and
//! whether each background worker runs.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use balcao_domain::intake::{IntakeChannel, IntakeStatus};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::Worker;

/// Label pairs of one series.
type Labels = Vec<(&'static str, String)>;

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// Marks a response as a refusal for this reason, where the status alone
/// does not say it (a provider told 2xx or 406 so that it stops retrying).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refusal(pub &'static str);

/// The service's metrics. One per service; handlers count through it.
pub struct Metrics {
    registry: Registry,
    received: Family<Labels, Counter>,
    duplicates: Family<Labels, Counter>,
    refused: Family<Labels, Counter>,
    processed: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    outbox: [Family<Labels, Gauge>; 4],
    telegram_pending: Gauge,
    telegram_failed: Gauge,
    live: Arc<Mutex<Watched>>,
}

/// The workers and the bot's failure count, read at each scrape.
#[derive(Default)]
struct Watched {
    workers: Vec<Worker>,
    bot_failures: Option<Arc<dyn Fn() -> u64 + Send + Sync>>,
}

#[derive(Default)]
struct Live(Arc<Mutex<Watched>>);

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Live")
    }
}

impl Collector for Live {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let watched = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(failures) = &watched.bot_failures {
            let counter = ConstCounter::new(failures());
            let metric = encoder.encode_descriptor(
                "balcao_bot_updates_failed",
                "Bot updates whose handling failed (an error or a panic) since start.",
                None,
                counter.metric_type(),
            )?;
            counter.encode(metric)?;
        }
        if !watched.workers.is_empty() {
            let mut family = encoder.encode_descriptor(
                "balcao_worker_running",
                "1 while the background worker runs.",
                None,
                prometheus_client::metrics::MetricType::Gauge,
            )?;
            for worker in &watched.workers {
                let gauge = ConstGauge::new(i64::from(worker.is_running()));
                gauge.encode(family.encode_family(&labels(&[("worker", worker.name)]))?)?;
            }
        }
        Ok(())
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let received = Family::<Labels, Counter>::default();
        registry.register("balcao_intake_received", "Contacts stored by intake, by channel.", received.clone());
        let duplicates = Family::<Labels, Counter>::default();
        registry.register(
            "balcao_intake_duplicates",
            "Contacts delivered again (the same key): answered 2xx, nothing changed.",
            duplicates.clone(),
        );
        let refused = Family::<Labels, Counter>::default();
        registry.register(
            "balcao_intake_refused",
            "Calls to intake's doors refused, by door and reason (signature, malformed, too_large, \
             unsupported_type, unusable, forbidden_origin, rate_limited, unavailable, unreadable_message).",
            refused.clone(),
        );
        let processed = Family::<Labels, Counter>::default();
        registry.register(
            "balcao_intake_processed",
            "Stored contacts processed, by outcome: ticket (opened), reply (threaded into a ticket), ignored, \
             unmatched (no client), failed.",
            processed.clone(),
        );
        let latency = Family::<Labels, Histogram>::new_with_constructor(request_histogram as fn() -> Histogram);
        registry.register(
            "balcao_http_request_duration_seconds",
            "Time to answer HTTP requests, by method, route and status class.",
            latency.clone(),
        );
        let outbox: [Family<Labels, Gauge>; 4] = Default::default();
        for (name, help, family) in [
            ("balcao_outbox_depth", "Notifications waiting to be sent.", &outbox[0]),
            ("balcao_outbox_sent", "Notifications delivered.", &outbox[1]),
            ("balcao_outbox_retried", "Notifications that needed more than one attempt.", &outbox[2]),
            ("balcao_outbox_dead", "Notifications given up on.", &outbox[3]),
        ] {
            registry.register(name, help, family.clone());
        }
        let (telegram_pending, telegram_failed) = (Gauge::default(), Gauge::default());
        registry.register(
            "balcao_telegram_updates_pending",
            "Stored Telegram updates not yet handled (webhook mode).",
            telegram_pending.clone(),
        );
        registry.register(
            "balcao_telegram_updates_failed",
            "Stored Telegram updates set aside as failed (balcao updates failed).",
            telegram_failed.clone(),
        );
        let live = Live::default();
        let watched = live.0.clone();
        registry.register_collector(Box::new(live));
        Metrics {
            registry,
            received,
            duplicates,
            refused,
            processed,
            latency,
            outbox,
            telegram_pending,
            telegram_failed,
            live: watched,
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Reports these workers and, when the bot runs, its failures.
    pub fn watch(&self, workers: Vec<Worker>, bot_failures: Option<Arc<dyn Fn() -> u64 + Send + Sync>>) {
        *self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Watched { workers, bot_failures };
    }

    /// A contact stored anew (`true`) or delivered again.
    pub fn stored(&self, channel: IntakeChannel, new: bool) {
        let family = if new { &self.received } else { &self.duplicates };
        family.get_or_create(&labels(&[("channel", channel.as_str())])).inc();
    }

    /// A stored contact's outcome once processed.
    pub fn processed(&self, status: IntakeStatus) {
        self.processed.get_or_create(&labels(&[("outcome", status.as_str())])).inc();
    }

    /// The outbox's counts per channel, read from the store for this scrape.
    pub(crate) fn set_outbox(&self, stats: &[balcao_domain::notify::OutboxStat]) {
        use balcao_domain::notify::{Channel, DeliveryStatus};
        for channel in [Channel::Telegram, Channel::Email] {
            let of = |pick: &dyn Fn(&balcao_domain::notify::OutboxStat) -> Option<i64>| -> i64 {
                stats.iter().filter(|s| s.channel == channel).filter_map(pick).sum()
            };
            let values = [
                of(&|s| (s.status == DeliveryStatus::Pending).then_some(s.count)),
                of(&|s| (s.status == DeliveryStatus::Sent).then_some(s.count)),
                of(&|s| Some(s.retried)),
                of(&|s| (s.status == DeliveryStatus::Dead).then_some(s.count)),
            ];
            for (family, value) in self.outbox.iter().zip(values) {
                family.get_or_create(&labels(&[("channel", channel.as_str())])).set(value);
            }
        }
    }

    /// The Telegram inbox's counts, for this scrape.
    pub(crate) fn set_telegram(&self, pending: i64, failed: i64) {
        self.telegram_pending.set(pending);
        self.telegram_failed.set(failed);
    }

    /// Everything, in the OpenMetrics text format.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(cause = ?e, "metrics could not be written");
        }
        out
    }
}

fn request_histogram() -> Histogram {
    // From half a millisecond to about 8 seconds.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// Why a door refused a call, by its status; `None` for an answer that is not a refusal.
fn refusal_of(status: StatusCode) -> Option<&'static str> {
    Some(match status.as_u16() {
        200..=299 => return None,
        401 => "signature",
        403 => "forbidden_origin",
        404 => "not_found",
        408 => "slow_body",
        413 => "too_large",
        415 => "unsupported_type",
        422 => "unusable",
        429 => "rate_limited",
        503 => "unavailable",
        400..=499 => "malformed",
        _ => "server_error",
    })
}

/// Times every request by its route, and counts intake's refusals.
pub(crate) async fn observe(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let path_is_intake = request.uri().path().starts_with("/webhooks/");
    let response = next.run(request).await;
    let status = response.status();
    // Unknown paths count as one route: a scanner cannot grow the series.
    let route = route.unwrap_or_else(|| "(outra)".to_owned());
    let class = format!("{}xx", status.as_u16() / 100);
    metrics
        .latency
        .get_or_create(&labels(&[("method", &method), ("route", &route), ("status", &class)]))
        .observe(started.elapsed().as_secs_f64());
    if path_is_intake {
        let reason = response.extensions().get::<Refusal>().map(|r| r.0).or_else(|| refusal_of(status));
        if let Some(reason) = reason {
            metrics.refused.get_or_create(&labels(&[("door", &route), ("reason", reason)])).inc();
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_live_values_are_written_in_the_text_format() {
        let (worker, _running) = Worker::start("intake");
        let metrics = Metrics::default();
        metrics.watch(vec![worker], Some(Arc::new(|| 3)));
        metrics.stored(IntakeChannel::Form, true);
        metrics.stored(IntakeChannel::Form, true);
        metrics.stored(IntakeChannel::Email, false);
        metrics.processed(IntakeStatus::Unmatched);
        let text = metrics.render();
        assert!(text.contains("balcao_intake_received_total{channel=\"form\"} 2\n"), "{text}");
        assert!(text.contains("balcao_intake_duplicates_total{channel=\"email\"} 1\n"), "{text}");
        assert!(text.contains("balcao_intake_processed_total{outcome=\"unmatched\"} 1\n"), "{text}");
        assert!(text.contains("balcao_bot_updates_failed_total 3\n"), "{text}");
        assert!(text.contains("balcao_worker_running{worker=\"intake\"} 1\n"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn a_refusal_is_named_by_its_status() {
        assert_eq!(refusal_of(StatusCode::ACCEPTED), None);
        assert_eq!(refusal_of(StatusCode::PAYLOAD_TOO_LARGE), Some("too_large"));
        assert_eq!(refusal_of(StatusCode::BAD_REQUEST), Some("malformed"));
        assert_eq!(refusal_of(StatusCode::NOT_ACCEPTABLE), Some("malformed"));
    }
}
