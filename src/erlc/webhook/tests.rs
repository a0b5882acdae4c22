//! Verification tests: RFC 8032 vector, end-to-end signing, every rejection, and property
//! tests that random input is never accepted and never panics.

use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey};
use proptest::prelude::*;

use super::*;

const NOW: i64 = 1_767_226_200;

/// RFC 8032 §7.1, test 1.
const RFC_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const RFC_SIGNATURE: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

fn bytes32(hex_text: &str) -> [u8; 32] {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

fn test_signer() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn test_verifier() -> WebhookVerifier {
    WebhookVerifier::from_bytes(&test_signer().verifying_key().to_bytes()).unwrap()
}

fn sign(timestamp: &str, body: &[u8]) -> String {
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(body);
    hex::encode(test_signer().sign(&message).to_bytes())
}

const BODY: &[u8] =
    br#"{"server":"8xK2mQ","events":[{"event":"WebhookProbe","timestamp":1767226200,"data":{}}]}"#;

#[test]
fn prc_default_key_matches_the_published_spki() {
    let from_spki = WebhookVerifier::from_spki_base64(PRC_PUBLIC_KEY_SPKI_BASE64).unwrap();
    assert_eq!(from_spki.public_key_bytes(), PRC_PUBLIC_KEY_BYTES);
    assert_eq!(from_spki, WebhookVerifier::prc_default());
    assert_eq!(WebhookVerifier::prc_default().max_skew(), DEFAULT_MAX_SKEW);
    assert_eq!(DEFAULT_MAX_SKEW, Duration::from_secs(300));
}

#[test]
fn rfc8032_test_vector_1_verifies() {
    let signer = SigningKey::from_bytes(&bytes32(RFC_SECRET));
    assert_eq!(signer.verifying_key().to_bytes(), bytes32(RFC_PUBLIC));
    assert_eq!(hex::encode(signer.sign(b"").to_bytes()), RFC_SIGNATURE);

    let verifier = WebhookVerifier::from_bytes(&bytes32(RFC_PUBLIC)).unwrap();
    assert_eq!(verifier.verify_raw(b"", RFC_SIGNATURE), Ok(()));
    assert_eq!(
        verifier.verify_raw(b"", &RFC_SIGNATURE.to_uppercase()),
        Ok(())
    );
    assert_eq!(
        verifier.verify_raw(b"x", RFC_SIGNATURE),
        Err(WebhookRejection::BadSignature)
    );
    assert_eq!(
        WebhookVerifier::prc_default().verify_raw(b"", RFC_SIGNATURE),
        Err(WebhookRejection::BadSignature)
    );
}

#[test]
fn a_correctly_signed_request_is_accepted() {
    let timestamp = NOW.to_string();
    let signature = sign(&timestamp, BODY);
    let verdict = test_verifier().verify(Some(&timestamp), Some(&signature), BODY, NOW);
    assert_eq!(verdict, Ok(NOW));
    let upper = signature.to_uppercase();
    let verdict = test_verifier().verify(Some(&timestamp), Some(&upper), BODY, NOW + 10);
    assert_eq!(verdict, Ok(NOW));
}

#[test]
fn tampering_or_the_wrong_key_is_a_bad_signature() {
    let timestamp = NOW.to_string();
    let signature = sign(&timestamp, BODY);
    let mut tampered = BODY.to_vec();
    tampered[12] ^= 1;
    let verifier = test_verifier();
    assert_eq!(
        verifier.verify(Some(&timestamp), Some(&signature), &tampered, NOW),
        Err(WebhookRejection::BadSignature)
    );
    let other_second = (NOW + 1).to_string();
    assert_eq!(
        verifier.verify(Some(&other_second), Some(&signature), BODY, NOW),
        Err(WebhookRejection::BadSignature)
    );
    assert_eq!(
        WebhookVerifier::prc_default().verify(Some(&timestamp), Some(&signature), BODY, NOW),
        Err(WebhookRejection::BadSignature)
    );
}

#[test]
fn missing_headers_are_reported_first() {
    let verifier = test_verifier();
    let signature = sign("1", BODY);
    assert_eq!(
        verifier.verify(None, None, BODY, NOW),
        Err(WebhookRejection::MissingTimestamp)
    );
    assert_eq!(
        verifier.verify(None, Some(&signature), BODY, NOW),
        Err(WebhookRejection::MissingTimestamp)
    );
    assert_eq!(
        verifier.verify(Some(""), Some(&signature), BODY, NOW),
        Err(WebhookRejection::MissingTimestamp)
    );
    assert_eq!(
        verifier.verify(Some("garbage"), None, BODY, NOW),
        Err(WebhookRejection::MissingSignature)
    );
    assert_eq!(
        verifier.verify(Some("1"), Some(""), BODY, NOW),
        Err(WebhookRejection::MissingSignature)
    );
}

#[test]
fn malformed_timestamps_are_rejected_before_the_window() {
    let verifier = test_verifier();
    for timestamp in [
        "12a",
        "-5",
        "+5",
        " 5",
        "5 ",
        "1.5",
        "1e9",
        "99999999999999999999",
    ] {
        let signature = sign(timestamp, BODY);
        assert_eq!(
            verifier.verify(Some(timestamp), Some(&signature), BODY, NOW),
            Err(WebhookRejection::MalformedTimestamp),
            "{timestamp:?}"
        );
    }
}

#[test]
fn timestamps_outside_the_window_are_stale_in_both_directions() {
    let verifier = test_verifier();
    let check = |timestamp: i64| {
        let text = timestamp.to_string();
        verifier.verify(Some(&text), Some(&sign(&text, BODY)), BODY, NOW)
    };
    assert_eq!(check(NOW - 300), Ok(NOW - 300));
    assert_eq!(check(NOW + 300), Ok(NOW + 300));
    assert_eq!(
        check(NOW - 301),
        Err(WebhookRejection::StaleTimestamp { skew_secs: 301 })
    );
    assert_eq!(
        check(NOW + 301),
        Err(WebhookRejection::StaleTimestamp { skew_secs: -301 })
    );
    assert_eq!(
        check(0),
        Err(WebhookRejection::StaleTimestamp { skew_secs: NOW })
    );
    let strict = test_verifier().with_max_skew(Duration::from_secs(5));
    let text = (NOW - 6).to_string();
    assert_eq!(
        strict.verify(Some(&text), Some(&sign(&text, BODY)), BODY, NOW),
        Err(WebhookRejection::StaleTimestamp { skew_secs: 6 })
    );
    // A stale request is refused even if its signature is garbage: the window comes first.
    assert_eq!(
        verifier.verify(Some("1"), Some("zz"), BODY, NOW),
        Err(WebhookRejection::StaleTimestamp { skew_secs: NOW - 1 })
    );
}

#[test]
fn signatures_must_be_128_hex_characters() {
    let verifier = test_verifier();
    let timestamp = NOW.to_string();
    let good = sign(&timestamp, BODY);
    let base64_signature = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(hex::decode(&good).unwrap())
    };
    for bad in [
        "zz".repeat(64),
        good[..126].to_owned(),
        format!("{good}00"),
        format!("{}g", &good[..127]),
        format!(" {good}"),
        base64_signature,
    ] {
        assert_eq!(
            verifier.verify(Some(&timestamp), Some(&bad), BODY, NOW),
            Err(WebhookRejection::MalformedSignature),
            "{bad:?}"
        );
    }
}

#[test]
fn unusable_keys_are_refused_with_a_reason() {
    assert!(matches!(
        WebhookVerifier::from_spki_base64("not base64!"),
        Err(WebhookKeyError::NotBase64(_))
    ));
    assert!(matches!(
        WebhookVerifier::from_spki_base64("AAAA"),
        Err(WebhookKeyError::NotSpki(_))
    ));
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        WebhookVerifier::from_bytes(&identity),
        Err(WebhookKeyError::WeakKey)
    );
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    assert_eq!(
        WebhookVerifier::from_bytes(&not_a_point),
        Err(WebhookKeyError::InvalidPoint)
    );
    let padded = format!(" {PRC_PUBLIC_KEY_SPKI_BASE64}\n");
    assert!(WebhookVerifier::from_spki_base64(&padded).is_ok());
}

#[test]
fn every_rejection_has_a_distinct_label_and_plain_message() {
    let all = [
        WebhookRejection::MissingTimestamp,
        WebhookRejection::MissingSignature,
        WebhookRejection::MalformedTimestamp,
        WebhookRejection::MalformedSignature,
        WebhookRejection::StaleTimestamp { skew_secs: 9 },
        WebhookRejection::BadSignature,
        WebhookRejection::MalformedBody("x".into()),
    ];
    let labels: std::collections::BTreeSet<_> = all.iter().map(|r| r.reason_label()).collect();
    assert_eq!(labels.len(), all.len());
    assert!(labels.contains("missing_timestamp") && labels.contains("bad_signature"));
    assert!(all[0].to_string().contains(TIMESTAMP_HEADER));
    assert!(all[4].to_string().contains("9 seconds"));
}

fn timestamp_header() -> impl Strategy<Value = String> {
    prop_oneof![
        (NOW - 400..NOW + 400).prop_map(|t| t.to_string()),
        any::<i64>().prop_map(|t| t.to_string()),
        ".{0,24}",
    ]
}

fn signature_header() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 64).prop_map(hex::encode),
        prop::collection::vec(any::<u8>(), 64).prop_map(hex::encode_upper),
        prop::collection::vec(any::<u8>(), 0..80).prop_map(hex::encode),
        ".{0,140}",
    ]
}

proptest! {
    #[test]
    fn random_requests_are_never_accepted(
        timestamp in proptest::option::weighted(0.9, timestamp_header()),
        signature in proptest::option::weighted(0.9, signature_header()),
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let verdict = test_verifier().verify(timestamp.as_deref(), signature.as_deref(), &body, NOW);
        prop_assert!(verdict.is_err(), "accepted {:?} {:?}", timestamp, signature);
    }

    #[test]
    fn any_change_to_a_signed_body_is_refused(
        body in prop::collection::vec(any::<u8>(), 1..256),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let timestamp = NOW.to_string();
        let signature = sign(&timestamp, &body);
        let verifier = test_verifier();
        prop_assert_eq!(verifier.verify(Some(&timestamp), Some(&signature), &body, NOW), Ok(NOW));
        let mut tampered = body.clone();
        let at = flip.index(tampered.len());
        tampered[at] ^= 1 << bit;
        prop_assert_eq!(
            verifier.verify(Some(&timestamp), Some(&signature), &tampered, NOW),
            Err(WebhookRejection::BadSignature)
        );
    }

    #[test]
    fn decoding_arbitrary_bodies_never_panics(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            "\\{\"server\":\"s\",\"events\":\\[(\\{\"event\":\"[A-Za-z]{0,20}\",\"timestamp\":-?[0-9]{1,20}(,\"data\":\\{\"[a-z]{1,10}\":(null|1|\"x\"|\\[\\])\\})?\\},?){0,4}\\]\\}"
                .prop_map(String::into_bytes),
        ]
    ) {
        if let Ok(batch) = decode_batch(&body) {
            prop_assert!(batch.events.len() + batch.malformed.len() <= body.len());
        }
    }
}
