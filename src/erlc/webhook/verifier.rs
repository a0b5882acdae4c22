//! `WebhookVerifier`: checks PRC's Ed25519 signature over `timestamp ‖ raw body` and the
//! timestamp's distance from our clock, before anything parses the body.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, VerifyingKey};

/// PRC's published webhook public key (base64 SubjectPublicKeyInfo).
pub const PRC_PUBLIC_KEY_SPKI_BASE64: &str =
    "MCowBQYDK2VwAyEAjSICb9pp0kHizGQtdG8ySWsDChfGqi+gyFCttigBNOA=";

/// The raw 32-byte Ed25519 key inside [`PRC_PUBLIC_KEY_SPKI_BASE64`].
pub const PRC_PUBLIC_KEY_BYTES: [u8; 32] = [
    0x8d, 0x22, 0x02, 0x6f, 0xda, 0x69, 0xd2, 0x41, 0xe2, 0xcc, 0x64, 0x2d, 0x74, 0x6f, 0x32, 0x49,
    0x6b, 0x03, 0x0a, 0x17, 0xc6, 0xaa, 0x2f, 0xa0, 0xc8, 0x50, 0xad, 0xb6, 0x28, 0x01, 0x34, 0xe0,
];

/// Default largest distance between the signed timestamp and our clock.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(300);

/// Header carrying the unix-seconds timestamp that is part of the signed message.
pub const TIMESTAMP_HEADER: &str = "X-Signature-Timestamp";
/// Header carrying the hex Ed25519 signature.
pub const SIGNATURE_HEADER: &str = "X-Signature-Ed25519";

/// Why a configured webhook public key is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookKeyError {
    /// The configured text is not base64; holds the decoder's complaint.
    #[error("the webhook public key is not valid base64: {0}")]
    NotBase64(String),
    /// The bytes are not an Ed25519 SubjectPublicKeyInfo; holds the parser's complaint.
    #[error(
        "the webhook public key is not an Ed25519 key in SubjectPublicKeyInfo (SPKI) form: {0}"
    )]
    NotSpki(String),
    /// The 32 bytes are not a point on the curve.
    #[error("the webhook public key's 32 bytes are not a valid Ed25519 public key")]
    InvalidPoint,
    /// A small-order key, for which forged signatures would verify.
    #[error(
        "the webhook public key is a weak (small-order) Ed25519 key and would accept forgeries"
    )]
    WeakKey,
}

/// Why a webhook request was refused. Answer these with a 4xx status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRejection {
    /// No [`TIMESTAMP_HEADER`].
    #[error("the {TIMESTAMP_HEADER} header is missing")]
    MissingTimestamp,
    /// No [`SIGNATURE_HEADER`].
    #[error("the {SIGNATURE_HEADER} header is missing")]
    MissingSignature,
    /// The timestamp header is not whole Unix seconds.
    #[error("the {TIMESTAMP_HEADER} header is not a whole number of seconds")]
    MalformedTimestamp,
    /// The signature header is not 64 bytes of hex.
    #[error("the {SIGNATURE_HEADER} header is not 128 hexadecimal characters")]
    MalformedSignature,
    /// The signed timestamp is further from our clock than the verifier allows (a replay, or
    /// a badly wrong clock).
    #[error(
        "the request was signed {skew_secs} seconds away from our clock (positive: in the past), outside the allowed window"
    )]
    StaleTimestamp {
        /// Our clock minus the signed timestamp, in seconds: positive means it was signed in
        /// the past.
        skew_secs: i64,
    },
    /// The signature does not verify: the wrong key signed it, or the body was changed.
    #[error("the signature does not match the body (wrong key, or the body was changed)")]
    BadSignature,
    /// The body is not a `{"server": …, "events": […]}` batch; holds what was wrong.
    #[error("the body is not a PRC webhook batch: {0}")]
    MalformedBody(String),
}

impl WebhookRejection {
    /// A stable snake_case label for metrics.
    pub fn reason_label(&self) -> &'static str {
        match self {
            WebhookRejection::MissingTimestamp => "missing_timestamp",
            WebhookRejection::MissingSignature => "missing_signature",
            WebhookRejection::MalformedTimestamp => "malformed_timestamp",
            WebhookRejection::MalformedSignature => "malformed_signature",
            WebhookRejection::StaleTimestamp { .. } => "stale_timestamp",
            WebhookRejection::BadSignature => "bad_signature",
            WebhookRejection::MalformedBody(_) => "malformed_body",
        }
    }
}

/// Verifies PRC event-webhook requests against one Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookVerifier {
    key: VerifyingKey,
    max_skew: Duration,
}

impl WebhookVerifier {
    /// PRC's published key with the default ±300 s window.
    pub fn prc_default() -> Self {
        // The bytes are a compile-time constant; the `prc_default_key_matches_the_published_spki`
        // test proves they decode, so this cannot fail at run time.
        let key = VerifyingKey::from_bytes(&PRC_PUBLIC_KEY_BYTES)
            .expect("PRC's published webhook key is a valid Ed25519 point");
        Self::with_key(key)
    }

    /// A key in PRC's published format: base64 of the DER SubjectPublicKeyInfo.
    pub fn from_spki_base64(spki_base64: &str) -> Result<Self, WebhookKeyError> {
        let der = BASE64
            .decode(spki_base64.trim())
            .map_err(|e| WebhookKeyError::NotBase64(e.to_string()))?;
        let key = VerifyingKey::from_public_key_der(&der)
            .map_err(|e| WebhookKeyError::NotSpki(e.to_string()))?;
        Self::checked(key)
    }

    /// A raw 32-byte Ed25519 public key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, WebhookKeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| WebhookKeyError::InvalidPoint)?;
        Self::checked(key)
    }

    fn checked(key: VerifyingKey) -> Result<Self, WebhookKeyError> {
        if key.is_weak() {
            return Err(WebhookKeyError::WeakKey);
        }
        Ok(Self::with_key(key))
    }

    fn with_key(key: VerifyingKey) -> Self {
        Self {
            key,
            max_skew: DEFAULT_MAX_SKEW,
        }
    }

    /// Accept timestamps at most this far from our clock, in either direction.
    pub fn with_max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// Largest accepted distance between the signed timestamp and our clock.
    pub fn max_skew(&self) -> Duration {
        self.max_skew
    }

    /// The raw 32-byte public key in use.
    pub fn public_key_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Check a webhook request. Pass the header values as received and the body bytes
    /// exactly as received (before any JSON parsing). Returns the signed timestamp.
    ///
    /// Order: both headers present → timestamp is decimal → timestamp within the window →
    /// signature is 128 hex characters → signature verifies (strict Ed25519).
    pub fn verify(
        &self,
        timestamp_header: Option<&str>,
        signature_header: Option<&str>,
        body: &[u8],
        now_unix_secs: i64,
    ) -> Result<i64, WebhookRejection> {
        let timestamp_text = timestamp_header
            .filter(|value| !value.is_empty())
            .ok_or(WebhookRejection::MissingTimestamp)?;
        let signature_text = signature_header
            .filter(|value| !value.is_empty())
            .ok_or(WebhookRejection::MissingSignature)?;
        let timestamp = parse_timestamp(timestamp_text)?;
        let skew_secs = now_unix_secs.saturating_sub(timestamp);
        if skew_secs.unsigned_abs() > self.max_skew.as_secs() {
            return Err(WebhookRejection::StaleTimestamp { skew_secs });
        }
        let signature = parse_signature(signature_text)?;
        let mut message = Vec::with_capacity(timestamp_text.len() + body.len());
        message.extend_from_slice(timestamp_text.as_bytes());
        message.extend_from_slice(body);
        self.check(&message, &signature)?;
        Ok(timestamp)
    }

    /// Verify a hex signature over an arbitrary message (no timestamp rules).
    pub fn verify_raw(&self, message: &[u8], signature_hex: &str) -> Result<(), WebhookRejection> {
        let signature = parse_signature(signature_hex)?;
        self.check(message, &signature)
    }

    fn check(&self, message: &[u8], signature: &Signature) -> Result<(), WebhookRejection> {
        self.key
            .verify_strict(message, signature)
            .map_err(|_| WebhookRejection::BadSignature)
    }
}

/// Unix seconds as plain ASCII digits (no sign, no spaces).
fn parse_timestamp(text: &str) -> Result<i64, WebhookRejection> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WebhookRejection::MalformedTimestamp);
    }
    text.parse::<i64>()
        .map_err(|_| WebhookRejection::MalformedTimestamp)
}

/// 128 hex characters (either case) → 64 signature bytes.
fn parse_signature(text: &str) -> Result<Signature, WebhookRejection> {
    let bytes = hex::decode(text).map_err(|_| WebhookRejection::MalformedSignature)?;
    let bytes: [u8; 64] = bytes
        .try_into()
        .map_err(|_| WebhookRejection::MalformedSignature)?;
    Ok(Signature::from_bytes(&bytes))
}
