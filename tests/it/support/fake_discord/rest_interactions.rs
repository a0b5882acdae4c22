//! Interaction callbacks and the interaction webhook (follow-ups, `@original`), with
//! Discord's acknowledgement rules.

use serde_json::Value;

use super::checks::{
    ACK_DEADLINE, MAX_AUTOCOMPLETE_CHOICES, ViolationKind, callback_allowed, component_problems,
    discord_error, form_error,
};
use super::rest::{ApiRequest, Reply, check_message, message_reply};
use super::state::message_flags;
use super::world::{InteractionRecord, Response, World};

const ALREADY_ACKED: &str = "Interaction has already been acknowledged.";

/// `POST /interactions/{id}/{token}/callback`
pub fn callback(world: &mut World, id: &str, token: &str, request: &ApiRequest) -> Reply {
    let record = id
        .parse::<u64>()
        .ok()
        .and_then(|id| world.interactions.get(&id));
    let Some(mut record) = record.filter(|r| r.token == token).cloned() else {
        world.violation(
            ViolationKind::UnknownInteraction,
            format!("callback for interaction {id}"),
        );
        return Reply::not_found(10062, "Unknown interaction");
    };
    let Some(kind) = request.body["type"]
        .as_u64()
        .and_then(|k| u8::try_from(k).ok())
    else {
        world.violation(
            ViolationKind::InvalidBody,
            format!("callback for {id} has no numeric `type`"),
        );
        return Reply::error(400, form_error("type", "required"));
    };
    let mut response = Response {
        kind,
        data: request.body["data"].clone(),
        files: request.files.clone(),
        accepted: false,
        probe: world.callback_probe.as_ref().map(|probe| probe()),
    };
    let reply = judge_callback(world, &record, &response);
    if reply.is_none() {
        response.accepted = true;
        apply_callback(world, &mut record, &response);
    }
    record.responses.push(response);
    world.interactions.insert(record.id, record);
    reply.unwrap_or_else(Reply::no_content)
}

/// `Some(error reply)` when Discord would refuse this callback; records why.
fn judge_callback(
    world: &mut World,
    record: &InteractionRecord,
    response: &Response,
) -> Option<Reply> {
    let id = record.id;
    if record.acknowledged() {
        let (kind, what) = if response.kind == 9 {
            (
                ViolationKind::ModalNotFirst,
                "a modal after the interaction was acknowledged",
            )
        } else {
            (ViolationKind::DoubleAck, "a second acknowledgement")
        };
        world.violation(
            kind,
            format!("interaction {id}: {what} (callback type {})", response.kind),
        );
        return Some(Reply::error(400, discord_error(40060, ALREADY_ACKED)));
    }
    if !callback_allowed(record.kind, response.kind) {
        let detail = format!(
            "interaction {id} (type {}) answered with callback type {}",
            record.kind, response.kind
        );
        world.violation(ViolationKind::InvalidCallbackType, detail);
        return Some(Reply::error(
            400,
            form_error("type", "invalid callback type"),
        ));
    }
    let what = format!("callback for interaction {id}");
    let problem = match response.kind {
        4 | 7 => check_message(world, &what, &response.data),
        8 => check_choices(world, &what, &response.data),
        9 => check_modal(world, &what, &response.data),
        _ => None,
    };
    if problem.is_some() {
        return problem;
    }
    let waited = record.dispatched_at.elapsed();
    if waited > ACK_DEADLINE {
        world.violation(
            ViolationKind::LateAck,
            format!("interaction {id} acknowledged after {waited:?}"),
        );
    }
    None
}

fn check_choices(world: &mut World, what: &str, data: &Value) -> Option<Reply> {
    let count = data["choices"].as_array().map_or(0, Vec::len);
    if count <= MAX_AUTOCOMPLETE_CHOICES {
        return None;
    }
    let detail = format!("{what}: {count} autocomplete choices (max {MAX_AUTOCOMPLETE_CHOICES})");
    world.violation(ViolationKind::TooManyChoices, detail);
    Some(Reply::error(
        400,
        form_error("choices", "Must be 25 or fewer in length."),
    ))
}

fn check_modal(world: &mut World, what: &str, data: &Value) -> Option<Reply> {
    let mut problems = component_problems(&data["components"]);
    let rows = data["components"].as_array().map_or(0, Vec::len);
    if data["custom_id"].as_str().is_none() || data["title"].as_str().is_none() || rows == 0 {
        let detail = "a modal needs custom_id, title and 1-5 rows".to_string();
        problems.push((ViolationKind::InvalidBody, detail));
    }
    let first = problems.first().map(|(_, d)| d.clone())?;
    for (kind, detail) in problems {
        world.violation(kind, format!("{what}: {detail}"));
    }
    Some(Reply::error(400, form_error("data", &first)))
}

/// What an accepted callback does to the stored messages.
fn apply_callback(world: &mut World, record: &mut InteractionRecord, response: &Response) {
    match response.kind {
        4 => {
            let id = world.create_message(
                record.channel_id,
                &response.data,
                &response.files,
                Some(record.id),
            );
            record.original_message = Some(id);
        }
        5 => {
            let ephemeral = response.flags() & message_flags::EPHEMERAL;
            let placeholder = serde_json::json!({ "flags": message_flags::LOADING | ephemeral });
            let id = world.create_message(record.channel_id, &placeholder, &[], Some(record.id));
            record.original_message = Some(id);
        }
        7 => {
            let attachments = world.attachments_for(&response.files);
            let target = record
                .original_message
                .and_then(|m| world.message_mut(record.channel_id, m));
            if let Some(msg) = target {
                msg.apply(&response.data, attachments);
                msg.edit_count += 1;
            }
        }
        _ => {}
    }
}

/// The interaction behind a webhook token, refusing (and recording) unknown or unacknowledged
/// ones the way Discord does.
fn acked_interaction(
    world: &mut World,
    app: &str,
    token: &str,
    what: &str,
) -> Result<InteractionRecord, Reply> {
    let record = world.interaction_by_token(token).cloned();
    let Some(record) = record.filter(|_| app == world.config.application_id.to_string()) else {
        world.violation(
            ViolationKind::UnknownInteraction,
            format!("{what} for an unknown webhook"),
        );
        return Err(Reply::not_found(10015, "Unknown Webhook"));
    };
    if !record.acknowledged() {
        let detail = format!(
            "{what} for interaction {} before any acknowledgement",
            record.id
        );
        world.violation(ViolationKind::FollowupBeforeAck, detail);
        return Err(Reply::not_found(10015, "Unknown Webhook"));
    }
    Ok(record)
}

/// `POST /webhooks/{app}/{token}`: a follow-up message. The first follow-up after a deferred
/// response fills the "thinking" placeholder, as Discord does.
pub fn followup(world: &mut World, app: &str, token: &str, request: &ApiRequest) -> Reply {
    let mut record = match acked_interaction(world, app, token, "follow-up") {
        Ok(record) => record,
        Err(reply) => return reply,
    };
    if let Some(reply) = check_message(
        world,
        &format!("follow-up for {}", record.id),
        &request.body,
    ) {
        return reply;
    }
    let is_loading = |msg: &super::state::StoredMessage| msg.flags & message_flags::LOADING != 0;
    let placeholder = record
        .original_message
        .filter(|m| world.find_message(*m).is_some_and(is_loading));
    let id = match placeholder {
        Some(id) => {
            let attachments = world.attachments_for(&request.files);
            if let Some(msg) = world.message_mut(record.channel_id, id) {
                msg.flags &= !message_flags::LOADING;
                msg.apply(&request.body, attachments);
            }
            id
        }
        None => world.create_message(
            record.channel_id,
            &request.body,
            &request.files,
            Some(record.id),
        ),
    };
    record.followups.push(id);
    world.interactions.insert(record.id, record);
    message_reply(world, id)
}

/// `GET`/`PATCH`/`DELETE /webhooks/{app}/{token}/messages/{@original|id}`
pub fn webhook_message(
    world: &mut World,
    target: (&str, &str, &str),
    request: &ApiRequest,
) -> Reply {
    let (app, token, which) = target;
    let what = format!("{} webhook message {which}", request.method);
    let record = match acked_interaction(world, app, token, &what) {
        Ok(record) => record,
        Err(reply) => return reply,
    };
    let id = if which == "@original" {
        record.original_message
    } else {
        which.parse().ok()
    };
    let owned =
        id.filter(|id| record.original_message == Some(*id) || record.followups.contains(id));
    let Some(id) = owned else {
        return Reply::not_found(10008, "Unknown Message");
    };
    match request.method.as_str() {
        "DELETE" => {
            world.remove_message(record.channel_id, id);
            Reply::no_content()
        }
        "PATCH" => {
            if let Some(reply) = check_message(world, &what, &request.body) {
                return reply;
            }
            let attachments = world.attachments_for(&request.files);
            if let Some(msg) = world.message_mut(record.channel_id, id) {
                msg.flags &= !message_flags::LOADING;
                msg.apply(&request.body, attachments);
                msg.edit_count += 1;
            }
            message_reply(world, id)
        }
        _ => message_reply(world, id),
    }
}
