//! `POST /prc/webhook/{token}`: verify before anything else. Body size (413), token (404),
//! headers, timestamp window and Ed25519 signature over the raw bytes (401), then repeats
//! (acknowledged, ignored), then decoding (400). Accepted batches are ingested in the
//! background so PRC gets its answer at once. Rejections are counted and logged by reason,
//! with the token only as a fingerprint.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::erlc::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::erlc::{WebhookBatch, WebhookRejection, decode_batch};

use super::HttpState;
use super::ingest::{Progress, batch_digest, ingest};
use super::token::token_fingerprint;

/// Largest webhook body accepted; PRC batches are far smaller.
pub const MAX_WEBHOOK_BODY: usize = 64 * 1024;

/// What a webhook request came to.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookVerdict {
    /// Verified and new: process the batch for this guild's server.
    Accepted {
        /// Discord guild id of the server whose token the URL carried.
        guild: u64,
        /// That server's label within the guild.
        server: String,
        /// The decoded events.
        batch: WebhookBatch,
    },
    /// Verified, but the same timestamp and body were handled already.
    Duplicate,
    /// Refused: unknown token, missing, bad or stale signature, a body that does not decode, or
    /// the bot's database failing.
    Rejected {
        /// The HTTP status answered to PRC.
        status: StatusCode,
        /// Stable label, as counted in `erlc_bot_webhook_rejected_total`.
        reason: &'static str,
        /// Plain words for the sender (never secrets).
        message: String,
    },
}

impl WebhookVerdict {
    fn rejected(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        WebhookVerdict::Rejected {
            status,
            reason,
            message: message.into(),
        }
    }
}

/// How long a delivery is remembered: past this, its timestamp is outside the window anyway.
fn dedupe_ttl(state: &HttpState) -> Duration {
    state.verifier.max_skew() * 2 + Duration::from_secs(60)
}

/// A header as text; `Err` when present but not visible ASCII.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ()> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => value.to_str().map(Some).map_err(|_| ()),
    }
}

/// Check one request (everything but the ingest), counting and logging any rejection.
pub async fn check_webhook(
    state: &HttpState,
    token: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> WebhookVerdict {
    let verdict = verify(state, token, headers, body);
    let fingerprint = token_fingerprint(token);
    match &verdict {
        WebhookVerdict::Rejected {
            status,
            reason,
            message,
        } => {
            state.counters.count_rejected(reason);
            tracing::info!(token = %fingerprint, status = status.as_u16(), reason, detail = %message, "webhook request rejected");
        }
        WebhookVerdict::Duplicate => {
            state.counters.count_duplicate();
            tracing::debug!(token = %fingerprint, "webhook delivery repeated; ignored");
        }
        WebhookVerdict::Accepted {
            guild,
            server,
            batch,
        } => {
            state.counters.count_accepted();
            tracing::debug!(token = %fingerprint, guild, server = %server, events = batch.events.len(), "webhook batch accepted");
        }
    }
    verdict
}

fn verify(state: &HttpState, token: &str, headers: &HeaderMap, body: &[u8]) -> WebhookVerdict {
    let (guild, server) = match state.store.settings().find_by_webhook_token(token) {
        Ok(Some(found)) => found,
        Ok(None) => {
            return WebhookVerdict::rejected(
                StatusCode::NOT_FOUND,
                "unknown_token",
                "no server uses this webhook URL; copy it again from /server webhook",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook token lookup failed");
            return WebhookVerdict::rejected(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store_error",
                "the bot could not read its database",
            );
        }
    };
    let timestamp = match header(headers, TIMESTAMP_HEADER) {
        Ok(value) => value,
        Err(()) => return unauthorized(&WebhookRejection::MalformedTimestamp),
    };
    let signature = match header(headers, SIGNATURE_HEADER) {
        Ok(value) => value,
        Err(()) => return unauthorized(&WebhookRejection::MalformedSignature),
    };
    let now = state.clock.now_secs();
    let signed_at = match state.verifier.verify(timestamp, signature, body, now) {
        Ok(signed_at) => signed_at,
        Err(rejection) => return unauthorized(&rejection),
    };
    let mut delivery = signed_at.to_be_bytes().to_vec();
    delivery.extend_from_slice(&Sha256::digest(body));
    let scope = format!("webhook:{guild}/{server}");
    match state
        .store
        .dedupe()
        .insert_if_new(&scope, &delivery, dedupe_ttl(state))
    {
        Ok(true) => {}
        Ok(false) => return WebhookVerdict::Duplicate,
        Err(e) => {
            tracing::error!(error = %e, "webhook dedupe check failed");
            return WebhookVerdict::rejected(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store_error",
                "the bot could not record this delivery",
            );
        }
    }
    match decode_batch(body) {
        Ok(batch) => WebhookVerdict::Accepted {
            guild,
            server,
            batch,
        },
        Err(rejection) => WebhookVerdict::rejected(
            StatusCode::BAD_REQUEST,
            rejection.reason_label(),
            rejection.to_string(),
        ),
    }
}

fn unauthorized(rejection: &WebhookRejection) -> WebhookVerdict {
    WebhookVerdict::rejected(
        StatusCode::UNAUTHORIZED,
        rejection.reason_label(),
        rejection.to_string(),
    )
}

/// Put an accepted batch in the store's inbox, on disk, before PRC hears it was accepted.
/// `None` when the store failed (logged): the batch is still processed, as well as it can be
/// (PRC would not send it again, and a second copy would be ignored as a repeat anyway).
async fn keep_until_processed(
    state: &HttpState,
    guild: u64,
    server: &str,
    body: &[u8],
) -> Option<u64> {
    let body = String::from_utf8_lossy(body);
    let kept = match state.store.inbox().put(guild, server, &body) {
        Ok(id) => state.store.flush_async().await.map(|()| id),
        Err(e) => Err(e),
    };
    match kept {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::error!(guild, error = %e, "an accepted webhook batch could not be stored");
            None
        }
    }
}

/// The axum handler.
pub(super) async fn receive(
    State(state): State<Arc<HttpState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let reason = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "body_too_large"
            } else {
                "unreadable_body"
            };
            state.counters.count_rejected(reason);
            tracing::info!(token = %token_fingerprint(&token), status = status.as_u16(), reason, "webhook request rejected");
            let message = format!("the body could not be read (at most {MAX_WEBHOOK_BODY} bytes)");
            return (status, Json(json!({"error": reason, "message": message}))).into_response();
        }
    };
    match check_webhook(&state, &token, &headers, &body).await {
        WebhookVerdict::Accepted {
            guild,
            server,
            batch,
        } => {
            let events = batch.events.len();
            let progress = Progress {
                inbox_id: keep_until_processed(&state, guild, &server, &body).await,
                commands_done: 0,
                digest: batch_digest(&body),
            };
            tokio::spawn(ingest(state.clone(), guild, server, batch, progress));
            Json(json!({"status": "accepted", "events": events})).into_response()
        }
        WebhookVerdict::Duplicate => Json(json!({"status": "duplicate"})).into_response(),
        WebhookVerdict::Rejected {
            status,
            reason,
            message,
        } => (status, Json(json!({"error": reason, "message": message}))).into_response(),
    }
}
