//! Turns a non-2xx PRC response (status, headers, body) into the matching [`ErlcError`],
//! reading PRC's error bodies leniently.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::error::{ErlcError, PrcErrorInfo};

/// Longest body excerpt kept in [`ErlcError::Http`].
pub const BODY_SNIPPET_CHARS: usize = 200;

/// What a PRC error body may carry. Every field is optional; unknown fields are ignored.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ErrorBody {
    pub code: Option<i64>,
    pub message: Option<String>,
    pub retry_after: Option<Duration>,
    pub bucket: Option<String>,
    pub command_id: Option<String>,
}

impl ErrorBody {
    /// Parse a body if it is a JSON object; anything else yields `None`.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        let text = |name: &str| match map.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        Some(Self {
            code: map.get("code").and_then(integer),
            message: text("message").or_else(|| text("error")),
            retry_after: map.get("retry_after").and_then(number).and_then(secs),
            bucket: text("bucket"),
            command_id: text("commandId"),
        })
    }
}

/// A JSON number or a numeric string, as an integer.
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON number or a numeric string, as a float.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Seconds (possibly fractional) as a duration; negative, NaN or absurd values are dropped.
pub(crate) fn secs(value: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(value).ok()
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// `Retry-After` in seconds (fractions allowed). HTTP dates are ignored.
pub(crate) fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    header_text(headers, "retry-after")?
        .parse::<f64>()
        .ok()
        .and_then(secs)
}

/// Everything the mapper needs besides the response itself.
pub(crate) struct ResponseContext<'a> {
    /// e.g. `GET /v2/server`.
    pub endpoint: &'a str,
    pub is_command: bool,
    /// Wall-clock now in Unix milliseconds, to turn `X-RateLimit-Reset` into a wait.
    pub now_ms: i64,
    /// Scrubs secrets from any text we keep.
    pub redact: &'a dyn Fn(&str) -> String,
}

/// Map a non-2xx response to an error.
pub(crate) fn error_from_response(
    ctx: &ResponseContext<'_>,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> ErlcError {
    let parsed = ErrorBody::parse(body).unwrap_or_default();
    let info = PrcErrorInfo {
        endpoint: ctx.endpoint.to_owned(),
        http_status: status,
        message: parsed
            .message
            .as_deref()
            .map(ctx.redact)
            .unwrap_or_default(),
        command_id: parsed.command_id.clone(),
    };
    if status == 429 || parsed.code == Some(4001) {
        let reset_wait = header_text(headers, "x-ratelimit-reset")
            .and_then(|v| v.parse::<f64>().ok())
            .map(|reset_s| (reset_s * 1000.0 - ctx.now_ms as f64).max(0.0) / 1000.0)
            .and_then(secs);
        let bucket = parsed
            .bucket
            .as_deref()
            .or_else(|| header_text(headers, "x-ratelimit-bucket"))
            .map(ctx.redact);
        return ErlcError::RateLimited {
            info,
            retry_after: retry_after_header(headers)
                .or(parsed.retry_after)
                .or(reset_wait),
            bucket,
        };
    }
    if let Some(code) = parsed.code {
        return ErlcError::from_code(code, info);
    }
    if status == 422 && ctx.is_command {
        return ErlcError::ServerOffline(info);
    }
    // Redact before cutting, so a key split by the cut cannot leak a prefix.
    let text = (ctx.redact)(&String::from_utf8_lossy(body));
    ErlcError::Http {
        endpoint: ctx.endpoint.to_owned(),
        status,
        body_snippet: text.chars().take(BODY_SNIPPET_CHARS).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn map(status: u16, headers: &[(&'static str, &str)], body: &str, command: bool) -> ErlcError {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let redact = |s: &str| s.replace("SECRET", "fp:1234");
        let ctx = ResponseContext {
            endpoint: if command {
                "POST /v2/server/command"
            } else {
                "GET /v2/server"
            },
            is_command: command,
            now_ms: 1_000_000,
            redact: &redact,
        };
        error_from_response(&ctx, status, &map, body.as_bytes())
    }

    #[test]
    fn codes_map_leniently() {
        let err = map(
            403,
            &[],
            r#"{"code":2002,"message":"Invalid","x":1}"#,
            false,
        );
        assert!(
            matches!(&err, ErlcError::InvalidServerKey(i) if i.message == "Invalid" && i.http_status == 403 && i.endpoint == "GET /v2/server")
        );
        let err = map(
            500,
            &[],
            r#"{"code":"1001","error":"roblox","commandId":"c1"}"#,
            true,
        );
        assert!(
            matches!(&err, ErlcError::RobloxCommunication(i) if i.message == "roblox" && i.command_id.as_deref() == Some("c1"))
        );
        let err = map(400, &[], r#"{"code":4242}"#, false);
        assert!(matches!(
            err,
            ErlcError::UnrecognizedCode { code: 4242, .. }
        ));
    }

    #[test]
    fn rate_limits_prefer_header_then_body_then_reset() {
        let body = r#"{"code":4001,"message":"slow","retry_after":4.5,"bucket":"command-SECRET"}"#;
        let err = map(429, &[("retry-after", "1.5")], body, true);
        assert!(
            matches!(&err, ErlcError::RateLimited { retry_after: Some(d), bucket: Some(b), .. }
            if *d == Duration::from_millis(1500) && b == "command-fp:1234")
        );
        let err = map(429, &[], body, true);
        assert!(
            matches!(&err, ErlcError::RateLimited { retry_after: Some(d), .. } if *d == Duration::from_millis(4500))
        );
        let err = map(
            429,
            &[
                ("x-ratelimit-reset", "1003"),
                ("x-ratelimit-bucket", "global"),
            ],
            "",
            false,
        );
        assert!(
            matches!(&err, ErlcError::RateLimited { retry_after: Some(d), bucket: Some(b), .. }
            if *d == Duration::from_secs(3) && b == "global")
        );
        let err = map(429, &[], "", false);
        assert!(matches!(
            err,
            ErlcError::RateLimited {
                retry_after: None,
                bucket: None,
                ..
            }
        ));
    }

    #[test]
    fn bare_statuses() {
        assert!(matches!(
            map(422, &[], "", true),
            ErlcError::ServerOffline(_)
        ));
        let long = "SECRET ".repeat(100);
        match map(422, &[], &long, false) {
            ErlcError::Http {
                status: 422,
                body_snippet,
                ..
            } => {
                assert!(body_snippet.chars().count() <= BODY_SNIPPET_CHARS);
                assert!(!body_snippet.contains("SECRET"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            map(502, &[], "<html>bad gateway</html>", false),
            ErlcError::Http { status: 502, .. }
        ));
        assert!(matches!(
            map(500, &[], "[1,2]", false),
            ErlcError::Http { status: 500, .. }
        ));
    }
}
