//! The PRC API over HTTP: every request goes rate limit → fault → auth → route, and every
//! answer carries `X-RateLimit-*` headers and is written to the request log.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth;
use super::commands::{self, CommandError};
use super::encode;
use super::faults::{FaultKind, message_for_code, status_for_code};
use super::listener::ConnInfo;
use super::ratelimit::Decision;
use super::state::{RecordedRequest, Shared, lock, redact_bucket};
use super::world::SimActor;
use crate::fingerprint::fingerprint;

/// Stands in for a header value that is not visible ASCII (fails every key check).
const UNREADABLE_HEADER: &str = "\u{fffd}";

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .nest("/_sim", super::control::router())
        .fallback(prc)
        .with_state(shared)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    V1(&'static str),
    V2,
    Command,
    NotFound,
    WrongMethod,
}

const V1_RESOURCES: [&str; 9] = [
    "players",
    "joinlogs",
    "queue",
    "killlogs",
    "commandlogs",
    "modcalls",
    "bans",
    "vehicles",
    "staff",
];

fn route(method: &Method, path: &str) -> Route {
    let get = |r: Route| {
        if method == Method::GET {
            r
        } else {
            Route::WrongMethod
        }
    };
    match path {
        "/v1/server" => get(Route::V1("server")),
        "/v2/server" => get(Route::V2),
        "/v1/server/command" | "/v2/server/command" => {
            if method == Method::POST {
                Route::Command
            } else {
                Route::WrongMethod
            }
        }
        _ => match path.strip_prefix("/v1/server/") {
            Some(rest) => match V1_RESOURCES.iter().find(|r| **r == rest) {
                Some(resource) => get(Route::V1(resource)),
                None => Route::NotFound,
            },
            None => Route::NotFound,
        },
    }
}

enum Body {
    Json(Value),
    Text(&'static str, String),
}

struct SimReply {
    status: u16,
    body: Body,
    code: Option<u16>,
}

impl SimReply {
    fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body: Body::Json(body),
            code: None,
        }
    }

    fn error(code: u16, message: &str) -> Self {
        Self {
            status: status_for_code(code),
            body: Body::Json(json!({"code": code, "message": message})),
            code: Some(code),
        }
    }

    fn prc(code: u16) -> Self {
        Self::error(code, message_for_code(code))
    }

    fn with_command_id(mut self, id: &str) -> Self {
        if let Body::Json(Value::Object(map)) = &mut self.body {
            map.insert("commandId".into(), json!(id));
        }
        self
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap_or(UNREADABLE_HEADER))
}

/// The command text from a request body (3001 when there is none).
fn command_text(headers: &HeaderMap, body: &[u8]) -> Result<String, &'static str> {
    let is_json = header_str(headers, "content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
    if !is_json {
        return Err("Send the body as JSON with Content-Type: application/json.");
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|_| "The request body is not valid JSON.")?;
    match value.get("command") {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err("`command` must be a string."),
        None => Err("The body must be {\"command\": \":<command> ...\"} (lowercase key)."),
    }
}

/// The rate-limit bucket a request counts against: (name, owner).
fn bucket_for(
    route: Route,
    key: Option<&str>,
    global: Option<&str>,
    ip: &str,
) -> (String, String, bool) {
    match (route, key) {
        (Route::Command, Some(k)) if auth::well_formed(k) => match global {
            Some(g) => (format!("command-{g}-{k}"), format!("{g}|{k}"), true),
            None => (format!("command-{k}"), k.to_owned(), true),
        },
        _ => match global {
            Some(g) => ("public-app-get".to_owned(), g.to_owned(), false),
            None => ("unauthenticated-global".to_owned(), ip.to_owned(), false),
        },
    }
}

async fn prc(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnInfo>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let arrival = shared.arrivals.fetch_add(1, Ordering::SeqCst);
    let path = uri.path().to_owned();
    let key = header_str(&headers, "server-key");
    let global = header_str(&headers, "authorization");
    let route = route(&method, &path);
    let ip = conn.peer.ip();
    let now_ms = shared.clock.now_ms();

    let limits = *lock(&shared.limits);
    let (name, owner, is_command_bucket) = bucket_for(route, key, global, &ip.to_string());
    let limit = if is_command_bucket {
        limits.command
    } else {
        limits.read
    };
    let decision = lock(&shared.limiter).check(ip, &name, &owner, limit, now_ms);

    let mut record = RecordedRequest {
        arrival,
        at_ms: now_ms,
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().map(str::to_owned),
        key_fingerprint: key.map(fingerprint),
        global_key_fingerprint: global.map(fingerprint),
        status: 0,
        bucket: Some(redact_bucket(
            &decision.bucket,
            &[key.unwrap_or(""), global.unwrap_or("")],
        )),
        prc_code: None,
        command: None,
        fault: None,
    };
    if route == Route::Command {
        record.command = command_text(&headers, &body).ok();
    }

    let call = Call {
        route,
        key,
        global,
        ip,
        headers: &headers,
        body: &body,
        query: uri.query(),
    };
    let outcome = if decision.allowed {
        let fault = lock(&shared.faults).take(method.as_str(), &path);
        if let Some(f) = &fault {
            record.fault = Some(fault_label(f));
        }
        match fault {
            Some(FaultKind::Drop) => {
                conn.kill();
                shared.record(record);
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            Some(FaultKind::Latency { ms }) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                serve(&shared, &call)
            }
            Some(FaultKind::Status { status }) => SimReply {
                status,
                body: Body::Text("text/plain", format!("error code: {status}")),
                code: None,
            },
            Some(FaultKind::Prc { code }) => {
                let outcome = SimReply::prc(code);
                if code == 1001 && route == Route::Command {
                    outcome.with_command_id(&shared.next_command_id())
                } else {
                    outcome
                }
            }
            Some(FaultKind::MalformedJson) => SimReply {
                status: 200,
                body: Body::Text(
                    "application/json",
                    "{\"Name\":\"Sim County RP\",\"Curr".into(),
                ),
                code: None,
            },
            None => serve(&shared, &call),
        }
    } else {
        SimReply {
            status: 429,
            body: Body::Json(json!({
                "code": 4001,
                "message": message_for_code(4001),
                "retry_after": decision.retry_after,
                "bucket": decision.bucket,
            })),
            code: Some(4001),
        }
    };
    record.status = outcome.status;
    record.prc_code = outcome.code;
    shared.record(record);
    respond(outcome, &decision)
}

fn fault_label(fault: &FaultKind) -> String {
    match fault {
        FaultKind::Status { status } => format!("status {status}"),
        FaultKind::Prc { code } => format!("prc {code}"),
        FaultKind::MalformedJson => "malformed json".into(),
        FaultKind::Drop => "drop".into(),
        FaultKind::Latency { ms } => format!("latency {ms}ms"),
    }
}

/// The parts of a request the PRC routes look at.
struct Call<'a> {
    route: Route,
    key: Option<&'a str>,
    global: Option<&'a str>,
    ip: IpAddr,
    headers: &'a HeaderMap,
    body: &'a [u8],
    query: Option<&'a str>,
}

fn serve(shared: &Shared, call: &Call<'_>) -> SimReply {
    let route = call.route;
    match route {
        Route::NotFound => {
            return SimReply {
                status: 404,
                body: Body::Json(json!({"message": "Not Found: no such API route."})),
                code: None,
            };
        }
        Route::WrongMethod => {
            return SimReply {
                status: 405,
                body: Body::Json(json!({"message": "Method Not Allowed for this route."})),
                code: None,
            };
        }
        _ => {}
    }
    let index = match lock(&shared.keys).authenticate(call.key, call.global) {
        Ok(index) => index,
        Err(e) => return SimReply::error(e.code(), e.message()),
    };
    match route {
        Route::Command => run_command(shared, index, call),
        _ => read(shared, index, route, call.query),
    }
}

fn read(shared: &Shared, index: usize, route: Route, query: Option<&str>) -> SimReply {
    let Some(world) = shared.world(index) else {
        return SimReply::prc(1002);
    };
    let q = &shared.quirks;
    if q.offline_gets_422 && world.players.is_empty() {
        return SimReply::prc(3002);
    }
    let body = match route {
        Route::V2 => encode::v2_server(&world, q, &encode::requested_sections(query)),
        Route::V1(resource) => match resource {
            "players" => encode::players(&world, q, false),
            "joinlogs" => encode::join_logs(&world, q),
            "queue" => encode::queue(&world),
            "killlogs" => encode::kill_logs(&world, q),
            "commandlogs" => encode::command_logs(&world, q),
            "modcalls" => encode::mod_calls(&world, q, false),
            "bans" => encode::bans(&world, q),
            "vehicles" => encode::vehicles(&world, false),
            "staff" => encode::staff_v1(&world, q),
            _ => Value::Object(encode::server_base(&world)),
        },
        _ => return SimReply::prc(1002),
    };
    SimReply::ok(body)
}

fn run_command(shared: &Shared, index: usize, call: &Call<'_>) -> SimReply {
    if !lock(&shared.keys).may_command(index, call.ip, call.global) {
        let why = if call.global.is_some() {
            "The server owner has not authorized this application to run commands."
        } else {
            "This IP address is not on the server's Trusted IP list."
        };
        return SimReply::error(4000, why);
    }
    let text = match command_text(call.headers, call.body) {
        Ok(text) => text,
        Err(why) => return SimReply::error(3001, why),
    };
    let parsed = match commands::parse(&text, &shared.rules) {
        Ok(parsed) => parsed,
        Err(CommandError::Invalid(why)) => return SimReply::error(3001, why),
        Err(CommandError::Restricted) => return SimReply::prc(4002),
        Err(CommandError::Prohibited) => return SimReply::prc(4003),
    };
    let command_id = shared.next_command_id();
    let now = shared.now_secs();
    let Some(mut world) = shared.world(index) else {
        return SimReply::prc(1002);
    };
    if world.players.is_empty() {
        return SimReply::prc(3002).with_command_id(&command_id);
    }
    world.log_command(SimActor::RemoteServer, text.trim(), now);
    commands::apply(&mut world, None, &parsed, now);
    SimReply::ok(json!({"message": "Success", "commandId": command_id}))
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("unprintable"))
}

fn respond(outcome: SimReply, decision: &Decision) -> Response {
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, text) = match outcome.body {
        Body::Json(value) => ("application/json", value.to_string()),
        Body::Text(ct, text) => (ct, text),
    };
    let mut response = (status, text).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert("x-ratelimit-bucket", header_value(&decision.bucket));
    h.insert("x-ratelimit-limit", HeaderValue::from(decision.limit));
    h.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(decision.remaining),
    );
    h.insert("x-ratelimit-reset", HeaderValue::from(decision.reset_secs));
    if outcome.status == 429 {
        let secs = decision.retry_after.ceil().max(0.0) as u64;
        h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_exact_paths_and_methods() {
        assert_eq!(route(&Method::GET, "/v1/server"), Route::V1("server"));
        assert_eq!(route(&Method::GET, "/v1/server/bans"), Route::V1("bans"));
        assert_eq!(route(&Method::POST, "/v2/server/command"), Route::Command);
        assert_eq!(
            route(&Method::GET, "/v2/server/command"),
            Route::WrongMethod
        );
        assert_eq!(
            route(&Method::POST, "/v1/server/players"),
            Route::WrongMethod
        );
        assert_eq!(route(&Method::GET, "/v1/server/nope"), Route::NotFound);
        assert_eq!(route(&Method::GET, "/v2/server/"), Route::NotFound);
    }

    #[test]
    fn command_text_needs_json_and_lowercase_key() {
        let mut h = HeaderMap::new();
        assert!(command_text(&h, br#"{"command":":h hi"}"#).is_err());
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert_eq!(
            command_text(&h, br#"{"command":":h hi"}"#),
            Ok(":h hi".into())
        );
        assert!(command_text(&h, br#"{"Command":":h hi"}"#).is_err());
        assert!(command_text(&h, b"nope").is_err());
    }
}
