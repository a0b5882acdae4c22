//! 10,000 seeded random requests through the webhook check: random bodies, headers and
//! tokens, and valid signatures with one bit flipped in the body, timestamp or signature.
//! None may be accepted and nothing may panic.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use erlc_bot::clock::ManualClock;
use erlc_bot::erlc::{ServerKey, WebhookVerifier};
use erlc_bot::http::{HttpState, WebhookVerdict, check_webhook};
use erlc_bot::store::{MasterKeySource, Store, StoreConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;

const NOW: i64 = 1_767_225_600;
const CASES: usize = 10_000;

fn spki(key: &SigningKey) -> String {
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(key.verifying_key().as_bytes());
    base64::engine::general_purpose::STANDARD.encode(der)
}

fn headers(timestamp: Option<&[u8]>, signature: Option<&[u8]>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("X-Signature-Timestamp", timestamp),
        ("X-Signature-Ed25519", signature),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_bytes(v).ok()) {
            headers.insert(name, value);
        }
    }
    headers
}

fn random_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = rng.gen_range(0..=max);
    (0..len).map(|_| rng.r#gen()).collect()
}

/// A plausible batch, so some random cases get past JSON parsing if the signature were ever
/// (wrongly) accepted.
fn batch(rng: &mut StdRng) -> Vec<u8> {
    let number: u32 = rng.r#gen();
    format!(
        r#"{{"server":"s","events":[{{"event":"CustomCommand","origin":"1","timestamp":{NOW},"data":{{"command":"staff","argument":"{number}"}}}}]}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn ten_thousand_random_requests_are_all_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW * 1000));
    let mut config = StoreConfig::new(dir.path(), MasterKeySource::Env("22".repeat(32)));
    config.clock = clock.clone();
    let store = Store::open(config).unwrap();
    store
        .settings()
        .add_server(1, "main", &ServerKey::new("fuzz-key"), 1, "Owner")
        .unwrap();
    let token = store.settings().ensure_webhook_token(1, "main").unwrap();
    let signing = SigningKey::from_bytes(&[7; 32]);
    let verifier = WebhookVerifier::from_spki_base64(&spki(&signing)).unwrap();
    let (wake, _rx) = watch::channel(0);
    let state = HttpState::new(store.clone(), verifier, wake);

    // Control: an untouched signed request passes, so refusals below mean something.
    let mut rng = StdRng::seed_from_u64(0x5EED);
    let control = batch(&mut rng);
    let stamp = NOW.to_string();
    let signature = hex::encode(
        signing
            .sign(&[stamp.as_bytes(), &control].concat())
            .to_bytes(),
    );
    let verdict = check_webhook(
        &state,
        &token,
        &headers(Some(stamp.as_bytes()), Some(signature.as_bytes())),
        &control,
    )
    .await;
    assert!(
        matches!(verdict, WebhookVerdict::Accepted { .. }),
        "{verdict:?}"
    );

    let mut refused_by = std::collections::BTreeMap::<&str, usize>::new();
    for case in 0..CASES {
        let body = if rng.gen_bool(0.5) {
            batch(&mut rng)
        } else {
            random_bytes(&mut rng, 512)
        };
        let stamp = match rng.gen_range(0..4) {
            0 => NOW.to_string().into_bytes(),
            1 => (NOW + rng.gen_range(-1000..1000)).to_string().into_bytes(),
            2 => random_bytes(&mut rng, 24),
            _ => Vec::new(),
        };
        let good = signing.sign(&[stamp.as_slice(), &body].concat()).to_bytes();
        let (stamp, signature, body) = match rng.gen_range(0..5) {
            // A valid signature with one bit of the signature flipped.
            0 => {
                let mut bad = good;
                let bit = rng.gen_range(0..512);
                bad[bit / 8] ^= 1 << (bit % 8);
                (stamp, hex::encode(bad).into_bytes(), body)
            }
            // A valid signature over a body that then changed by one bit.
            1 => {
                let mut changed = body.clone();
                changed.push(rng.r#gen());
                let bit = rng.gen_range(0..changed.len() * 8);
                changed[bit / 8] ^= 1 << (bit % 8);
                (stamp, hex::encode(good).into_bytes(), changed)
            }
            // A valid signature, but another timestamp header.
            2 => {
                let other = (NOW + rng.gen_range(1..100)).to_string().into_bytes();
                (other, hex::encode(good).into_bytes(), body)
            }
            // Random hex or random bytes as the signature.
            3 => (
                stamp,
                hex::encode(random_bytes(&mut rng, 64)).into_bytes(),
                body,
            ),
            _ => (stamp, random_bytes(&mut rng, 140), body),
        };
        let token = if rng.gen_bool(0.9) {
            token.clone()
        } else {
            String::from_utf8_lossy(&random_bytes(&mut rng, 50)).into_owned()
        };
        let omit = rng.gen_range(0..10);
        let headers = headers(
            (omit != 0).then_some(stamp.as_slice()),
            (omit != 1).then_some(signature.as_slice()),
        );
        match check_webhook(&state, &token, &headers, &body).await {
            WebhookVerdict::Rejected { reason, status, .. } => {
                assert!(status.is_client_error(), "case {case}: {status}");
                *refused_by.entry(reason).or_default() += 1;
            }
            other => panic!("case {case} was not refused: {other:?}"),
        }
    }
    assert_eq!(refused_by.values().sum::<usize>(), CASES);
    for reason in [
        "bad_signature",
        "unknown_token",
        "stale_timestamp",
        "malformed_signature",
    ] {
        assert!(
            refused_by.contains_key(reason),
            "{reason} never hit: {refused_by:?}"
        );
    }
    assert_eq!(state.counters.accepted(), 1, "only the control");
}
