//! `GET /live`: the live state stream's WebSocket. This file only adapts the socket to a
//! transport-agnostic [`Session`]: it refuses a browser upgrade from another site (an `Origin`
//! that is not `PUBLIC_URL`'s; programs send none), turns WebSocket messages into
//! [`Inbound`]s, and writes the session's outbound queue, numbering frames as it goes. An
//! evicted or shut-down session is closed at once, without draining its queue.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header::ORIGIN};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};

use crate::live::frame::MAX_FRAME_BYTES;
use crate::live::metrics::LiveCounts;
use crate::live::outbound::{Encoder, Outbound};
use crate::live::session::{Inbound, Session, SessionEnd, SessionShared};

use super::metrics::{MetricsSource, MetricsWriter};
use super::state::HttpState;

/// Messages up to this size reach the session, which answers those over 1 MiB with 413; the
/// socket itself drops anything larger.
const SOCKET_MESSAGE_LIMIT: usize = 4 * MAX_FRAME_BYTES;

/// How long a closing session's queued frames may take to go out.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The socket's read and write buffers. The defaults (128 KiB each) would be most of an idle
/// session's memory; a larger frame still grows the read buffer as it arrives, and every
/// frame is flushed as it is written.
const SOCKET_BUFFER: usize = 4 * 1024;

/// Inbound messages buffered between the socket and the session.
const INBOUND_BUFFER: usize = 64;

/// The live endpoint: the sessions' shared parts and the one browser origin allowed.
#[derive(Debug, Clone)]
pub struct LiveEndpoint {
    /// What every session uses.
    pub shared: SessionShared,
    /// `scheme://host[:port]` of `PUBLIC_URL`; `None` refuses every browser origin.
    pub origin: Option<String>,
}

/// `scheme://host[:port]` of a URL (what browsers send as `Origin`).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    })
}

pub(super) async fn upgrade(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(live) = state.live.clone() else {
        return (
            StatusCode::NOT_FOUND,
            "live state is off: the bot has no LIVE_JWT_SECRET",
        )
            .into_response();
    };
    if let Some(origin) = headers.get(ORIGIN) {
        let allowed = live.origin.as_deref().is_some_and(|own| {
            origin
                .to_str()
                .is_ok_and(|o| o.trim_end_matches('/').eq_ignore_ascii_case(own))
        });
        if !allowed {
            return (
                StatusCode::FORBIDDEN,
                "this page's origin may not open the live state stream",
            )
                .into_response();
        }
    }
    ws.max_message_size(SOCKET_MESSAGE_LIMIT)
        .max_frame_size(SOCKET_MESSAGE_LIMIT)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |socket| serve(live, socket))
}

async fn serve(live: Arc<LiveEndpoint>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let Some((session, mut outbound)) = Session::start(live.shared.clone()) else {
        let _ = sink.send(close(1001, "the bot is shutting down")).await;
        return;
    };
    let (stop_tx, mut stop_rx) = oneshot::channel::<(u16, &'static str)>();
    let writer = tokio::spawn(async move {
        let mut encoder = Encoder::default();
        loop {
            let item = tokio::select! {
                stop = &mut stop_rx => {
                    if let Ok((code, reason)) = stop {
                        let _ = sink.send(close(code, reason)).await;
                    }
                    return;
                }
                item = outbound.recv() => item,
            };
            let message = match item {
                None => return,
                Some(Outbound::Frame { kind, stream, body }) => {
                    Message::Binary(encoder.encode(kind, stream, &body).into())
                }
                Some(Outbound::Ping) => Message::Ping(bytes::Bytes::new()),
                Some(Outbound::Close { code, reason }) => {
                    let _ = sink.send(close(code, reason)).await;
                    return;
                }
            };
            if sink.send(message).await.is_err() {
                return;
            }
        }
    });
    let (in_tx, in_rx) = mpsc::channel(INBOUND_BUFFER);
    let reader = tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            let inbound = match message {
                Message::Binary(bytes) if bytes.len() > MAX_FRAME_BYTES => {
                    Inbound::TooLarge(bytes.len())
                }
                Message::Binary(bytes) => Inbound::Binary(bytes),
                Message::Text(_) => Inbound::Text,
                Message::Pong(_) => Inbound::Pong,
                Message::Ping(_) => continue,
                Message::Close(_) => break,
            };
            if in_tx.send(inbound).await.is_err() {
                break;
            }
        }
    });
    let end = session.run(in_rx).await;
    reader.abort();
    let stop = match end {
        SessionEnd::Evicted => Some((1008, "too slow: reconnect and RESUME")),
        SessionEnd::Shutdown => Some((1001, "the bot is shutting down")),
        _ => None,
    };
    if let Some(stop) = stop {
        let _ = stop_tx.send(stop);
    }
    // A reader that stopped reading keeps the writer stuck in a send: abort it then, or the
    // task and the socket would live as long as that client stays connected.
    let writer_abort = writer.abort_handle();
    if tokio::time::timeout(DRAIN_TIMEOUT, writer).await.is_err() {
        writer_abort.abort();
        tracing::debug!("a live session's last frames did not go out in time");
    }
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// The live stream's counters in `/metrics`.
pub struct LiveMetricsSource(pub Arc<LiveEndpoint>);

impl MetricsSource for LiveMetricsSource {
    fn collect(&self, out: &mut MetricsWriter) {
        write_counts(out, &self.0.shared.hub.counts());
    }
}

fn write_counts(out: &mut MetricsWriter, counts: &LiveCounts) {
    out.gauge(
        "erlc_bot_live_sessions",
        "Live state WebSocket sessions open.",
        &[],
        counts.sessions as f64,
    );
    for (kind, value) in &counts.frames_in {
        out.counter(
            "erlc_bot_live_frames_in_total",
            "Live state frames received, by type.",
            &[("type", kind)],
            *value,
        );
    }
    for (kind, value) in &counts.frames_out {
        out.counter(
            "erlc_bot_live_frames_out_total",
            "Live state frames queued for sending, by type.",
            &[("type", kind)],
            *value,
        );
    }
    out.gauge(
        "erlc_bot_live_resume_bytes",
        "Estimated bytes of deltas kept for RESUME, across all keys (bounded).",
        &[],
        counts.resume_bytes as f64,
    );
    let totals = [
        (
            "erlc_bot_live_evictions_total",
            "Live sessions closed because they did not read fast enough (full queue).",
            counts.evictions,
        ),
        (
            "erlc_bot_live_auth_failures_total",
            "Live sessions refused or closed for a missing, bad or expired token.",
            counts.auth_failures,
        ),
        (
            "erlc_bot_live_rate_limited_total",
            "Live WATCH, RESUME and CALL frames answered 429.",
            counts.rate_limited,
        ),
    ];
    for (name, help, value) in totals {
        out.counter(name, help, &[], value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_as_prometheus_families() {
        let counts = LiveCounts {
            sessions: 3,
            frames_in: vec![("watch", 4)],
            frames_out: vec![("delta", 9)],
            evictions: 1,
            auth_failures: 2,
            rate_limited: 5,
            resume_bytes: 7,
        };
        let mut out = MetricsWriter::new();
        write_counts(&mut out, &counts);
        let text = out.render();
        for line in [
            "erlc_bot_live_sessions 3",
            "erlc_bot_live_frames_in_total{type=\"watch\"} 4",
            "erlc_bot_live_frames_out_total{type=\"delta\"} 9",
            "erlc_bot_live_evictions_total 1",
            "erlc_bot_live_auth_failures_total 2",
            "erlc_bot_live_rate_limited_total 5",
            "erlc_bot_live_resume_bytes 7",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn origin_is_scheme_and_host() {
        assert_eq!(
            origin_of("https://Bot.Example:8443/path?q").as_deref(),
            Some("https://bot.example:8443")
        );
        assert_eq!(origin_of("bot.example"), None);
    }
}
