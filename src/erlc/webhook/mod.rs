//! PRC event webhooks: Ed25519 verification of `timestamp ‖ raw body` and decoding of the
//! verified batch. Verify first, then decode; never re-serialise the body, because the
//! signature covers the exact bytes PRC sent.

mod payload;
mod verifier;

#[cfg(test)]
mod tests;

pub use payload::{
    MalformedWebhookEvent, WebhookBatch, WebhookEmergencyCall, WebhookEvent, WebhookEventData,
    decode_batch,
};
pub use verifier::{
    DEFAULT_MAX_SKEW, PRC_PUBLIC_KEY_BYTES, PRC_PUBLIC_KEY_SPKI_BASE64, SIGNATURE_HEADER,
    TIMESTAMP_HEADER, WebhookKeyError, WebhookRejection, WebhookVerifier,
};
