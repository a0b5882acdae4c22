//! The REST side: one catch-all axum handler that parses the request (JSON or multipart),
//! checks the token, routes it, records the call and answers like Discord.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde_json::Value;

use super::checks::{ViolationKind, discord_error, form_error, message_problems};
use super::state::Upload;
use super::transcript::Call;
use super::world::World;
use super::{Shared, commands, rest_interactions, rest_resources};

/// A request as the route functions see it.
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub body: Value,
    pub files: Vec<Upload>,
    /// Set when the body could not be read as JSON or multipart.
    pub body_error: Option<String>,
}

/// The fake's answer: a status and an optional JSON body.
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

impl Reply {
    pub fn json(body: Value) -> Reply {
        Reply {
            status: 200,
            body: Some(body),
        }
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
        }
    }

    pub fn error(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
        }
    }

    pub fn not_found(code: u32, message: &str) -> Reply {
        Reply::error(404, discord_error(code, message))
    }
}

const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

pub async fn handle(
    State(shared): State<Arc<Shared>>,
    request: axum::extract::Request,
) -> HttpResponse {
    let (parts, body) = request.into_parts();
    let request = read_request(parts.method.as_str(), &parts.uri, &parts.headers, body).await;
    let reply = {
        let mut world = shared.world();
        let reply = route(&mut world, &request);
        world.record_call(Call {
            index: 0,
            at: Default::default(),
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            body: request.body.clone(),
            files: request.files.clone(),
            status: reply.status,
            response: reply.body.clone().unwrap_or(Value::Null),
        });
        reply
    };
    shared.changed.notify_waiters();
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match reply.body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    }
}

async fn read_request(
    method: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> ApiRequest {
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut request = ApiRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().filter(|q| !q.is_empty()).map(str::to_string),
        authorization: header_text(header::AUTHORIZATION),
        body: Value::Null,
        files: Vec::new(),
        body_error: None,
    };
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            request.body_error = Some(format!("could not read the body: {e}"));
            return request;
        }
    };
    let content_type = header_text(header::CONTENT_TYPE).unwrap_or_default();
    if let Some(boundary) = super::multipart::boundary(&content_type) {
        match super::multipart::parse(&bytes, &boundary) {
            Ok(form) => {
                request.files = form.files;
                match form.payload_json.as_deref().map(serde_json::from_str) {
                    Some(Ok(value)) => request.body = value,
                    Some(Err(e)) => {
                        request.body_error = Some(format!("payload_json is not JSON: {e}"))
                    }
                    None => {}
                }
            }
            Err(e) => request.body_error = Some(format!("bad multipart body: {e}")),
        }
    } else if !bytes.is_empty() {
        match serde_json::from_slice(&bytes) {
            Ok(value) => request.body = value,
            Err(e) => request.body_error = Some(format!("body is not JSON: {e}")),
        }
    }
    request
}

fn route(world: &mut World, request: &ApiRequest) -> Reply {
    let Some(rest) = request.path.strip_prefix("/api/v10/") else {
        return unknown_route(world, request);
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let needs_token = !matches!(segments.first(), Some(&"interactions") | Some(&"webhooks"));
    if needs_token
        && request.authorization.as_deref() != Some(&format!("Bot {}", world.config.token))
    {
        let detail = format!(
            "{} {} without the expected `Bot <token>` header",
            request.method, request.path
        );
        world.violation(ViolationKind::BadToken, detail);
        return Reply::error(401, discord_error(0, "401: Unauthorized"));
    }
    if let Some(problem) = &request.body_error {
        world.violation(
            ViolationKind::InvalidBody,
            format!("{} {}: {problem}", request.method, request.path),
        );
        return Reply::error(
            400,
            discord_error(50109, "The request body contains invalid JSON."),
        );
    }
    let reply = match (request.method.as_str(), segments.as_slice()) {
        ("PUT", ["applications", app, "commands"]) => {
            Some(commands::register(world, app, None, &request.body))
        }
        ("PUT", ["applications", app, "guilds", guild, "commands"]) => {
            Some(commands::register(world, app, Some(guild), &request.body))
        }
        ("POST", ["interactions", id, token, "callback"]) => {
            Some(rest_interactions::callback(world, id, token, request))
        }
        ("POST", ["webhooks", app, token]) => {
            Some(rest_interactions::followup(world, app, token, request))
        }
        ("GET" | "PATCH" | "DELETE", ["webhooks", app, token, "messages", which]) => Some(
            rest_interactions::webhook_message(world, (app, token, which), request),
        ),
        _ => rest_resources::route(world, request, &segments),
    };
    reply.unwrap_or_else(|| unknown_route(world, request))
}

fn unknown_route(world: &mut World, request: &ApiRequest) -> Reply {
    world
        .unknown_routes
        .push(format!("{} {}", request.method, request.path));
    Reply::not_found(
        0,
        "404: Not Found (the fake Discord does not implement this route)",
    )
}

/// Records every rule a message body breaks; `Some(400 reply)` if it breaks any.
pub fn check_message(world: &mut World, what: &str, body: &Value) -> Option<Reply> {
    if !body.is_object() {
        world.violation(
            ViolationKind::InvalidBody,
            format!("{what}: body is not a JSON object"),
        );
        return Some(Reply::error(
            400,
            form_error("_root", "expected a JSON object"),
        ));
    }
    let problems = message_problems(body);
    let first = problems.first().map(|(_, detail)| detail.clone())?;
    for (kind, detail) in problems {
        world.violation(kind, format!("{what}: {detail}"));
    }
    Some(Reply::error(400, form_error("content", &first)))
}

/// The JSON of a stored message, or Discord's "Unknown Message".
pub fn message_reply(world: &World, id: u64) -> Reply {
    match world.find_message(id) {
        Some(msg) => Reply::json(super::payloads::message(&world.config, msg)),
        None => Reply::not_found(10008, "Unknown Message"),
    }
}
