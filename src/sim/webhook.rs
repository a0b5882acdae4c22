//! Signed event webhooks, as the game sends them: an Ed25519 key pair derived from the seed,
//! batches `{"server", "events"}` signed over `timestamp ‖ body`, an ordered delivery queue,
//! and a raw sender with knobs for broken deliveries.

use std::time::Duration;

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::clock::SharedClock;

/// DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Most events sent in one batch.
const MAX_BATCH: usize = 20;

fn key_from_seed(seed: u64, purpose: &str) -> SigningKey {
    let mut hasher = Sha256::new();
    hasher.update(purpose.as_bytes());
    hasher.update(seed.to_le_bytes());
    SigningKey::from_bytes(&hasher.finalize().into())
}

/// `{"event", "origin", "timestamp", "data"}`.
pub fn event(kind: &str, origin: Option<u64>, timestamp: i64, data: Value) -> Value {
    json!({
        "event": kind,
        "origin": origin.map(|o| o.to_string()),
        "timestamp": timestamp,
        "data": data,
    })
}

/// The CustomCommand event for a chat line starting with `;` (None for other chat).
pub fn custom_command(origin: u64, text: &str, timestamp: i64) -> Option<Value> {
    let body = text.trim().strip_prefix(';')?;
    let (command, argument) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    let data = json!({"command": command, "argument": argument.trim()});
    Some(event("CustomCommand", Some(origin), timestamp, data))
}

/// Ways to send a deliberately broken delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookSendOptions {
    /// Added to the signed timestamp (negative = in the past).
    pub skew_secs: i64,
    /// Sign the body, then send it with one extra byte.
    pub tamper_body: bool,
    /// Sign with a key other than the advertised one.
    pub wrong_key: bool,
    /// Send a signature header that is not hex.
    pub bad_hex: bool,
    /// Send neither signature header.
    pub omit_headers: bool,
    /// Deliver the same request twice.
    pub duplicate: bool,
}

/// A queued event for one server's webhook URL.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Where to POST.
    pub url: String,
    /// The server id sent as the batch's `server`.
    pub server_id: String,
    /// One event object (`event`, `origin`, `timestamp`, `data`).
    pub event: Value,
}

/// Keys, HTTP client and delivery queue.
#[derive(Debug)]
pub struct Webhooks {
    key: SigningKey,
    wrong_key: SigningKey,
    client: reqwest::Client,
    clock: SharedClock,
    queue: mpsc::UnboundedSender<Delivery>,
}

impl Webhooks {
    /// Builds the sender and the receiving end of its queue (for [`spawn_worker`]).
    pub fn new(
        seed: u64,
        clock: SharedClock,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Delivery>), reqwest::Error> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()?;
        let (queue, rx) = mpsc::unbounded_channel();
        let hooks = Self {
            key: key_from_seed(seed, "erlc-sim webhook key"),
            wrong_key: key_from_seed(seed, "erlc-sim wrong webhook key"),
            client,
            clock,
            queue,
        };
        Ok((hooks, rx))
    }

    /// The public key as base64 SPKI DER, the format PRC publishes its key in.
    pub fn public_key_spki_base64(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(self.key.verifying_key().as_bytes());
        base64::engine::general_purpose::STANDARD.encode(der)
    }

    /// Queue a delivery for the background worker; dropped once the simulator is shutting down.
    pub fn enqueue(&self, delivery: Delivery) {
        if self.queue.send(delivery).is_err() {
            tracing::debug!("webhook queue closed; the simulator is shutting down");
        }
    }

    /// Signs and POSTs `body` to `url`; returns each delivery's HTTP status.
    pub async fn send_raw(
        &self,
        url: &str,
        body: &[u8],
        options: &WebhookSendOptions,
    ) -> Result<Vec<u16>, reqwest::Error> {
        let timestamp = (self.clock.now_secs() + options.skew_secs).to_string();
        let key = if options.wrong_key {
            &self.wrong_key
        } else {
            &self.key
        };
        let mut message = timestamp.clone().into_bytes();
        message.extend_from_slice(body);
        let signature = if options.bad_hex {
            "zz".repeat(64)
        } else {
            hex::encode(key.sign(&message).to_bytes())
        };
        let mut sent = body.to_vec();
        if options.tamper_body {
            sent.push(b' ');
        }
        let times = if options.duplicate { 2 } else { 1 };
        let mut statuses = Vec::with_capacity(times);
        for _ in 0..times {
            let mut request = self
                .client
                .post(url)
                .header("Content-Type", "application/json")
                .body(sent.clone());
            if !options.omit_headers {
                request = request
                    .header("X-Signature-Timestamp", &timestamp)
                    .header("X-Signature-Ed25519", &signature);
            }
            statuses.push(request.send().await?.status().as_u16());
        }
        Ok(statuses)
    }

    /// Sends one properly signed batch.
    pub async fn send_batch(
        &self,
        url: &str,
        server_id: &str,
        events: Vec<Value>,
    ) -> Result<u16, reqwest::Error> {
        let body = json!({"server": server_id, "events": events}).to_string();
        let statuses = self
            .send_raw(url, body.as_bytes(), &WebhookSendOptions::default())
            .await?;
        Ok(statuses.first().copied().unwrap_or(0))
    }

    fn clone_for_worker(&self) -> Self {
        Self {
            key: self.key.clone(),
            wrong_key: self.wrong_key.clone(),
            client: self.client.clone(),
            clock: self.clock.clone(),
            queue: self.queue.clone(),
        }
    }
}

/// Delivers queued events in order, batching consecutive events for the same URL and server.
pub fn spawn_worker(hooks: &Webhooks, mut rx: mpsc::UnboundedReceiver<Delivery>) -> JoinHandle<()> {
    let hooks = hooks.clone_for_worker();
    tokio::spawn(async move {
        let mut carried: Option<Delivery> = None;
        loop {
            let first = match carried.take() {
                Some(d) => d,
                None => match rx.recv().await {
                    Some(d) => d,
                    None => return,
                },
            };
            let mut events = vec![first.event];
            while events.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(next) if next.url == first.url && next.server_id == first.server_id => {
                        events.push(next.event);
                    }
                    Ok(next) => {
                        carried = Some(next);
                        break;
                    }
                    Err(_) => break,
                }
            }
            let count = events.len();
            match hooks.send_batch(&first.url, &first.server_id, events).await {
                Ok(status) => tracing::debug!(status, count, "webhook batch delivered"),
                Err(e) => tracing::warn!(error = %e, count, "webhook batch not delivered"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_is_spki_and_seed_derived() {
        let clock = crate::clock::system();
        let (a, _rx) = Webhooks::new(1, clock.clone()).unwrap();
        let (b, _rx2) = Webhooks::new(2, clock).unwrap();
        let der = base64::engine::general_purpose::STANDARD
            .decode(a.public_key_spki_base64())
            .unwrap();
        assert_eq!(der.len(), 44);
        assert_eq!(der[..12], SPKI_PREFIX);
        assert_ne!(a.public_key_spki_base64(), b.public_key_spki_base64());
    }

    #[test]
    fn custom_command_strips_the_semicolon() {
        let e = custom_command(42, ";bolo red sedan north", 7).unwrap();
        assert_eq!(e["origin"], "42");
        assert_eq!(
            e["data"],
            json!({"command": "bolo", "argument": "red sedan north"})
        );
        assert!(custom_command(42, "hello", 7).is_none());
        assert_eq!(
            custom_command(42, ";ping", 7).unwrap()["data"]["argument"],
            ""
        );
    }
}
