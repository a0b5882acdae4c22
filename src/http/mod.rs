//! The bot's HTTP server (axum): PRC event webhooks at `POST /prc/webhook/{token}`, the live
//! state stream's WebSocket at `GET /live`, Prometheus metrics at `GET /metrics` and a health
//! check at `GET /healthz`. Bound to `HTTP_BIND` (default 127.0.0.1:8080); put a TLS reverse
//! proxy in front for PRC. The dashboard IPC ([`ipc`]) is axum too, on its own listener.

mod health;
mod ingest;
pub mod ipc;
mod live;
mod metrics;
mod state;
mod token;
mod webhook;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::config::WEBHOOK_PATH;

pub use ingest::replay_inbox;
pub use live::{LiveEndpoint, origin_of};
pub use metrics::{
    ClientMetrics, FeedMetrics, MetricsSource, MetricsWriter, StoreMetrics, WebhookCounters,
};
pub use state::{HttpState, LastPoll, webhook_verifier};
pub use token::token_fingerprint;
pub use webhook::{MAX_WEBHOOK_BODY, WebhookVerdict, check_webhook};

/// Why the HTTP server could not run.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The address in `HTTP_BIND` could not be bound (in use, or not an address of this machine).
    #[error(
        "could not listen on {addr}: {source}. Is another program using that port? Set HTTP_BIND to a free address"
    )]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The server was listening, then stopped with an I/O error.
    #[error("the HTTP server stopped with an error: {0}")]
    Serve(std::io::Error),
}

/// The routes, with their state.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route(
            &format!("{WEBHOOK_PATH}{{token}}"),
            post(webhook::receive).layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY)),
        )
        .route(crate::live::dashboard::LIVE_PATH, get(live::upgrade))
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(health::check))
        .with_state(Arc::new(state))
}

/// Listen on `addr` (`HTTP_BIND`).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, HttpError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| HttpError::Bind { addr, source })
}

/// Serve until `shutdown` completes; requests in flight finish first.
pub async fn serve(
    state: HttpState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HttpError> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "HTTP server listening (webhooks, /metrics, /healthz)");
    }
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(HttpError::Serve)
}

async fn render_metrics(
    axum::extract::State(state): axum::extract::State<Arc<HttpState>>,
) -> impl IntoResponse {
    let mut out = MetricsWriter::new();
    state.counters.collect(&mut out);
    for source in &state.metrics {
        source.collect(&mut out);
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        out.render(),
    )
}
