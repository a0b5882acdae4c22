//! Redaction of audit arguments: values under secret-looking names, and any appearance of a
//! known server key (or its secret half), become fingerprints before anything is stored.

use serde_json::Value;

use crate::erlc::ServerKey;
use crate::fingerprint::fingerprint;

/// Argument names whose values are treated as secrets (matched as substrings, ignoring case).
const SECRET_NAMES: [&str; 5] = ["key", "token", "secret", "password", "authorization"];

/// Shortest secret half we search for inside other text; shorter fragments would match
/// ordinary words.
const MIN_FRAGMENT: usize = 8;

fn is_fingerprint(text: &str) -> bool {
    text.strip_prefix("fp:")
        .is_some_and(|h| h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|s| name.contains(s))
}

/// Replace a whole value by its fingerprint (already-fingerprinted text and nulls stay).
fn fingerprint_value(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::String(text) if is_fingerprint(text) => value.clone(),
        Value::String(text) => Value::String(fingerprint(text)),
        other => Value::String(fingerprint(&other.to_string())),
    }
}

/// Replace every appearance of a known key, or of its secret half, by the key's fingerprint.
pub fn redact_text(text: &str, keys: &[ServerKey]) -> String {
    let mut out = text.to_owned();
    for key in keys {
        let full = key.expose();
        if full.is_empty() {
            continue;
        }
        out = out.replace(full, &key.fingerprint());
        if let Some((secret, _)) = full.split_once('-') {
            if secret.len() >= MIN_FRAGMENT {
                out = out.replace(secret, &key.fingerprint());
            }
        }
    }
    out
}

/// Redact an argument tree.
pub fn redact(value: &Value, keys: &[ServerKey]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(name, v)| {
                    let v = if is_secret_name(name) {
                        fingerprint_value(v)
                    } else {
                        redact(v, keys)
                    };
                    (redact_text(name, keys), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact(v, keys)).collect()),
        Value::String(text) => Value::String(redact_text(text, keys)),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "QmZr84TtYy1Lw0Pa-serverid9";

    #[test]
    fn secret_names_become_fingerprints() {
        let args = json!({
            "label": "main",
            "server_key": "whatever-it-is",
            "Token": 12345,
            "nested": {"password": "hunter2", "apiKey": {"a": 1}, "note": null},
            "key_fingerprint": "fp:0011aabb",
        });
        let out = redact(&args, &[]);
        assert_eq!(out["label"], "main");
        assert_eq!(out["server_key"], fingerprint("whatever-it-is"));
        assert_eq!(out["Token"], fingerprint("12345"));
        assert_eq!(out["nested"]["password"], fingerprint("hunter2"));
        assert_eq!(out["nested"]["apiKey"], fingerprint(r#"{"a":1}"#));
        assert_eq!(out["nested"]["note"], Value::Null);
        assert_eq!(out["key_fingerprint"], "fp:0011aabb", "already safe");
    }

    #[test]
    fn known_keys_are_found_anywhere() {
        let keys = [ServerKey::new(KEY)];
        let fp = keys[0].fingerprint();
        let args = json!({
            "raw": KEY,
            "list": [format!("bucket command-{KEY}"), "QmZr84TtYy1Lw0Pa alone", "ok"],
            KEY: "as a name",
            "n": 5,
        });
        let out = redact(&args, &keys);
        let text = out.to_string();
        assert!(!text.contains("QmZr84TtYy1Lw0Pa"), "{text}");
        assert_eq!(out["raw"], fp);
        assert_eq!(out["list"][0], format!("bucket command-{fp}"));
        assert_eq!(out["list"][1], format!("{fp} alone"));
        assert_eq!(out["list"][2], "ok");
        assert_eq!(out[fp.as_str()], "as a name");
        assert_eq!(out["n"], 5);
    }

    #[test]
    fn short_secret_halves_are_not_searched() {
        let keys = [ServerKey::new("ab-c")];
        assert_eq!(redact_text("about abc", &keys), "about abc");
        assert_eq!(
            redact_text("x ab-c", &keys),
            format!("x {}", keys[0].fingerprint())
        );
    }
}
