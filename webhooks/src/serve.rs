//! Serving the router on a public door: HTTP/1.1 with a deadline for a
//! request's headers (which also closes idle kept-alive connections), a
//! deadline and a size cap for its body, and a cap on connections served at
//! once. Slow, silent and oversized clients get a JSON error or a closed
//! connection, never a held resource. Stopping lets requests in flight
//! finish, for a bounded time.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::{error, text};

/// What the HTTP service allows a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time to send a request's headers; an idle connection is closed after as long.
    pub header_timeout: Duration,
    /// Time to send a request's body.
    pub body_timeout: Duration,
    /// Largest body accepted.
    pub max_body_bytes: usize,
    /// Largest body accepted on intake's doors (`/webhooks/…`), where e-mails
    /// with attachments arrive.
    pub webhook_max_body_bytes: usize,
    /// Connections served at once.
    pub max_connections: usize,
}

/// How long stopping waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` within `limits` until `shutdown` resolves,
/// then lets requests in flight finish (for at most ten seconds).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    metrics: Arc<crate::Metrics>,
    shutdown: impl Future<Output = ()> + Send,
) {
    // Timed outside the body's cap, so that a 413 counts too. The cap is ours
    // (per route, from the configuration): axum's own 2 MB default is off.
    let router = router
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(limits, bounded_body))
        .layer(axum::middleware::from_fn_with_state(metrics, crate::metrics::observe));
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // At the cap, new connections wait in the listen queue until one ends.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, do not spin.
                    tracing::warn!(error = %e, "could not accept an HTTP connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
        // The peer's address, for the form's per-IP limits.
        let service = router.clone().layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        let connection =
            graceful.watch(builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "HTTP connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => tracing::warn!("HTTP requests still in flight after 10 s were cut off"),
    }
}

/// Reads the whole body before the handler runs, within the size cap and the
/// body deadline: 413 or 408, as JSON, otherwise.
async fn bounded_body(State(limits): State<HttpLimits>, request: Request, next: Next) -> Response {
    let cap = if request.uri().path().starts_with("/webhooks/") {
        limits.webhook_max_body_bytes
    } else {
        limits.max_body_bytes
    };
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return too_large(cap);
    }
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(limits.body_timeout, Limited::new(body, cap).collect()).await;
    match read {
        Ok(Ok(collected)) => next.run(Request::from_parts(parts, Body::from(collected.to_bytes()))).await,
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => too_large(cap),
        Ok(Err(_)) => error(StatusCode::BAD_REQUEST, text::BODY_INCOMPLETE),
        Err(_) => error(StatusCode::REQUEST_TIMEOUT, text::BODY_TOO_SLOW),
    }
}

fn too_large(cap: usize) -> Response {
    error(StatusCode::PAYLOAD_TOO_LARGE, &text::body_too_large(cap))
}
