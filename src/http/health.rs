//! `/healthz`: can we read the store, how many servers we track, how old the last poll is.
//! 200 with `"status": "ok"` or `"degraded"` (polling stale), 503 when the store fails.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::HttpState;

/// Extra allowance on top of three poll intervals before a poll counts as stale.
const STALE_GRACE_SECS: i64 = 30;

pub(super) async fn check(State(state): State<Arc<HttpState>>) -> Response {
    let servers = match state.store.settings().all_servers() {
        Ok(servers) => servers,
        Err(e) => {
            let body = json!({"status": "down", "store": format!("error: {e}")});
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
        }
    };
    let with_webhook = servers
        .iter()
        .filter(|(_, record)| record.webhook_token.is_some())
        .count();
    let now = state.clock.now_secs();
    let (poll, stale) = match &state.last_poll {
        None => (json!("not tracked (no tracker attached)"), false),
        Some(last_poll) => match last_poll() {
            None => (json!("no poll yet"), !servers.is_empty()),
            Some(at) => {
                let age = now.saturating_sub(at).max(0);
                let interval = i64::try_from(state.poll_interval.as_secs()).unwrap_or(i64::MAX);
                let limit = interval.saturating_mul(3).saturating_add(STALE_GRACE_SECS);
                (json!(age), age > limit)
            }
        },
    };
    let body = json!({
        "status": if stale { "degraded" } else { "ok" },
        "store": "ok",
        "servers": servers.len(),
        "servers_with_webhook": with_webhook,
        "last_poll_age_secs": poll,
        "webhooks_accepted": state.counters.accepted(),
    });
    (StatusCode::OK, Json(body)).into_response()
}
