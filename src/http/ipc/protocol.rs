//! The IPC's wire format, as the published discord-ext-ipc / discord-ext-ipcx clients speak
//! it: one JSON object per message, `{"endpoint", "data", "headers": {"Authorization"}}` for a
//! request, `{"connect": true, "headers": …}` to learn the port, and one JSON reply, errors as
//! `{"error": "<plain words>", "code": <status>}`. Pure: parsing, the secret check and the
//! reply shapes, so they are tested without sockets.

use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use crate::config::IpcSecret;

/// Longest endpoint name kept (in replies, logs and audit); longer ones cannot be routes.
const MAX_ENDPOINT_CHARS: usize = 64;

/// A message as read, before the secret is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// What it asks for.
    pub kind: Kind,
    /// `headers.Authorization` as sent; `None` when absent or not a string.
    pub authorization: Option<String>,
}

/// What a message asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// The clients' discovery step: "which port serves requests?"
    Connect,
    /// A route call.
    Request {
        /// The route, without the leading `/` the clients may put in front.
        endpoint: String,
        /// The route's arguments (`data`); empty when absent.
        data: Map<String, Value>,
    },
}

/// An answer that is an error: the status and the plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP-like status: 400, 401, 403, 404, 500, 504 …
    pub code: u16,
    /// What went wrong, in words for the dashboard's developer; no internals, no secrets.
    pub message: String,
}

impl Refusal {
    /// A refusal with `code` and `message`.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The reply: `{"error": …, "code": …}`, the shape ipcx itself uses.
    pub fn to_json(&self) -> Value {
        json!({ "error": self.message, "code": self.code })
    }
}

/// Read one message (text, or binary frames carrying JSON text).
pub fn parse(bytes: &[u8]) -> Result<Incoming, Refusal> {
    let malformed = |why: &str| Refusal::new(400, format!("malformed message: {why}"));
    let value: Value = serde_json::from_slice(bytes).map_err(|_| malformed("it is not JSON"))?;
    let Value::Object(mut message) = value else {
        return Err(malformed("it is not a JSON object"));
    };
    let authorization = match message.get("headers") {
        Some(Value::Object(headers)) => headers
            .get("Authorization")
            .and_then(Value::as_str)
            .map(str::to_owned),
        None | Some(Value::Null) => None,
        Some(_) => return Err(malformed("`headers` is not an object")),
    };
    if message
        .get("connect")
        .is_some_and(|c| c == &Value::Bool(true))
    {
        return Ok(Incoming {
            kind: Kind::Connect,
            authorization,
        });
    }
    let endpoint = match message.get("endpoint") {
        Some(Value::String(endpoint)) => normalise_endpoint(endpoint),
        Some(_) => return Err(malformed("`endpoint` is not a string")),
        None => return Err(malformed("it names no `endpoint`")),
    };
    let data = match message.remove("data") {
        Some(Value::Object(data)) => data,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(malformed("`data` is not an object")),
    };
    Ok(Incoming {
        kind: Kind::Request { endpoint, data },
        authorization,
    })
}

/// `/ping` and `ping` are the same route; overlong names are cut and control characters
/// dropped (they match no route, and the name goes into logs and the audit log).
fn normalise_endpoint(endpoint: &str) -> String {
    endpoint
        .trim()
        .trim_start_matches('/')
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_ENDPOINT_CHARS)
        .collect()
}

/// The secret check, before anything else is looked at: missing → 401, wrong → 403. The
/// comparison takes the same time wherever the first difference is.
pub fn check_secret(expected: &IpcSecret, given: Option<&str>) -> Result<(), Refusal> {
    let Some(given) = given else {
        return Err(Refusal::new(
            401,
            "missing secret: put it in headers.Authorization",
        ));
    };
    if secrets_match(expected.expose(), given) {
        Ok(())
    } else {
        Err(Refusal::new(403, "wrong secret"))
    }
}

/// Constant-time equality (a length difference is told at once; lengths are not the secret).
fn secrets_match(expected: &str, given: &str) -> bool {
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

/// The answer to the discovery step: requests go to this same listener.
pub fn connect_reply(port: u16) -> Value {
    json!({ "message": "Successfully connected", "code": 200, "port": port })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Config;

    fn secret(text: &str) -> IpcSecret {
        let vars = HashMap::from([("IPC_SECRET".to_owned(), text.to_owned())]);
        Config::from_map(&vars).unwrap().ipc.unwrap().secret
    }

    fn request(endpoint: &str, data: Value) -> Kind {
        let Value::Object(data) = data else {
            panic!("data is an object")
        };
        Kind::Request {
            endpoint: endpoint.into(),
            data,
        }
    }

    #[test]
    fn requests_as_both_published_clients_send_them() {
        let sent =
            br#"{"endpoint": "/ping", "data": {"echo": "hi"}, "headers": {"Authorization": "s3"}}"#;
        let incoming = parse(sent).unwrap();
        assert_eq!(incoming.kind, request("ping", json!({"echo": "hi"})));
        assert_eq!(incoming.authorization.as_deref(), Some("s3"));
        let bare = parse(br#"{"endpoint": "servers", "headers": {}}"#).unwrap();
        assert_eq!(bare.kind, request("servers", json!({})));
        assert_eq!(bare.authorization, None);
        let connect = parse(br#"{"connect": true, "headers": {"Authorization": null}}"#).unwrap();
        assert_eq!((connect.kind, connect.authorization), (Kind::Connect, None));
    }

    #[test]
    fn malformed_messages_get_a_400_in_words() {
        for bad in [
            &b"not json"[..],
            b"[1, 2]",
            b"{\"data\": {}}",
            b"{\"endpoint\": 5}",
            b"{\"endpoint\": \"ping\", \"data\": [1]}",
            b"{\"endpoint\": \"ping\", \"headers\": \"s3\"}",
            b"\xff\xfe",
        ] {
            let refusal = parse(bad).unwrap_err();
            assert_eq!(refusal.code, 400, "{bad:?}");
            assert!(
                refusal.message.starts_with("malformed message"),
                "{refusal:?}"
            );
        }
        let long = format!(r#"{{"endpoint": "{}"}}"#, "x".repeat(1000));
        let Kind::Request { endpoint, .. } = parse(long.as_bytes()).unwrap().kind else {
            panic!("a request")
        };
        assert_eq!(endpoint.len(), MAX_ENDPOINT_CHARS);
        let forged = parse(br#"{"endpoint": "ping\nERROR fake log line"}"#).unwrap();
        assert_eq!(forged.kind, request("pingERROR fake log line", json!({})));
    }

    #[test]
    fn the_secret_is_checked_missing_before_wrong() {
        let expected = secret("correct horse");
        assert_eq!(check_secret(&expected, None).unwrap_err().code, 401);
        assert_eq!(
            check_secret(&expected, Some("correct hors"))
                .unwrap_err()
                .code,
            403
        );
        assert_eq!(
            check_secret(&expected, Some("correct horsf"))
                .unwrap_err()
                .code,
            403
        );
        assert_eq!(check_secret(&expected, Some("")).unwrap_err().code, 403);
        assert!(check_secret(&expected, Some("correct horse")).is_ok());
        let refusal = check_secret(&expected, Some("guess")).unwrap_err();
        assert!(!refusal.to_json().to_string().contains("correct"));
    }

    #[test]
    fn replies_have_the_shapes_the_clients_read() {
        assert_eq!(
            Refusal::new(404, "no such route").to_json(),
            json!({"error": "no such route", "code": 404})
        );
        assert_eq!(connect_reply(20000)["port"], 20000);
        assert_eq!(connect_reply(20000)["code"], 200);
    }
}
