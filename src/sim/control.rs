//! The `/_sim/` HTTP control API: the `SimHandle`/`SimServer` operations as JSON, for tests
//! that run the bot in another process. Not rate limited and not in the request log.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::config::BucketLimit;
use super::faults::FaultPlan;
use super::server::SimServer;
use super::state::{Limits, Shared, lock};
use super::world::{PlayerSpec, VehicleSpec};
use super::{SimError, activity};

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/servers", get(list_servers))
        .route("/servers/{index}", get(snapshot))
        .route("/servers/{index}/players", post(add_player))
        .route("/servers/{index}/players/{id}", delete(remove_player))
        .route("/servers/{index}/events", post(script_event))
        .route("/servers/{index}/messages", get(messages))
        .route("/servers/{index}/commands", get(applied_commands))
        .route("/servers/{index}/rotate-key", post(rotate_key))
        .route("/servers/{index}/ban-key", post(ban_key))
        .route("/servers/{index}/webhook", put(set_webhook))
        .route("/faults", put(set_faults).delete(clear_faults))
        .route("/rate-limits", put(set_rate_limits))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/activity/tick", post(tick))
        .route("/webhook-key", get(webhook_key))
        .fallback(|| async {
            failure(
                StatusCode::NOT_FOUND,
                "no such control route; see src/sim/control.rs",
            )
        })
}

fn failure(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

fn sim_failure(e: SimError) -> Response {
    let status = match e {
        SimError::NoSuchServer { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    failure(status, &e.to_string())
}

fn server(shared: &Arc<Shared>, index: usize) -> Result<SimServer, Box<Response>> {
    SimServer::new(shared.clone(), index).map_err(|e| Box::new(sim_failure(e)))
}

fn answer(result: Result<Value, SimError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => sim_failure(e),
    }
}

async fn list_servers(State(shared): State<Arc<Shared>>) -> Response {
    let infos: Vec<_> = (0..shared.worlds.len())
        .filter_map(|i| SimServer::new(shared.clone(), i).ok())
        .map(|s| s.info())
        .collect();
    Json(infos).into_response()
}

async fn snapshot(State(shared): State<Arc<Shared>>, Path(index): Path<usize>) -> Response {
    match server(&shared, index) {
        Ok(s) => Json(s.snapshot_json()).into_response(),
        Err(r) => *r,
    }
}

async fn add_player(
    State(shared): State<Arc<Shared>>,
    Path(index): Path<usize>,
    Json(spec): Json<PlayerSpec>,
) -> Response {
    match server(&shared, index) {
        Ok(s) => answer(s.add_player(spec).map(|id| json!({"id": id}))),
        Err(r) => *r,
    }
}

async fn remove_player(
    State(shared): State<Arc<Shared>>,
    Path((index, id)): Path<(usize, u64)>,
) -> Response {
    match server(&shared, index) {
        Ok(s) => answer(s.remove_player(id).map(|()| json!({}))),
        Err(r) => *r,
    }
}

/// Scripted game events, tagged by `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ScriptEvent {
    Kill {
        killer: u64,
        killed: u64,
    },
    ModCall {
        caller: u64,
    },
    AnswerModCall {
        number: u64,
        moderator: u64,
    },
    EmergencyCallStart {
        caller: u64,
        team: String,
        #[serde(default)]
        description: String,
    },
    EmergencyCallRespond {
        call_number: u64,
        responder: u64,
    },
    EmergencyCallEnd {
        call_number: u64,
    },
    SpawnVehicle {
        owner: u64,
        #[serde(default)]
        vehicle: VehicleSpec,
    },
    DespawnVehicle {
        vehicle: u64,
    },
    Chat {
        player: u64,
        text: String,
    },
    PlayerCommand {
        player: u64,
        text: String,
    },
    SetTeam {
        player: u64,
        team: String,
    },
    SetPermission {
        player: u64,
        permission: String,
    },
    SetWanted {
        player: u64,
        stars: u32,
    },
    QueuePush {
        id: u64,
    },
    QueueRemove {
        id: u64,
    },
    AddBan {
        id: u64,
        name: String,
    },
    RemoveBan {
        id: u64,
    },
}

fn apply_event(s: &SimServer, event: ScriptEvent) -> Result<Value, SimError> {
    let done = |()| json!({});
    Ok(match event {
        ScriptEvent::Kill { killer, killed } => s.add_kill(killer, killed).map(done)?,
        ScriptEvent::ModCall { caller } => json!({"number": s.add_mod_call(caller)?}),
        ScriptEvent::AnswerModCall { number, moderator } => {
            s.answer_mod_call(number, moderator).map(done)?
        }
        ScriptEvent::EmergencyCallStart {
            caller,
            team,
            description,
        } => json!({"call_number": s.start_emergency_call(caller, &team, &description)?}),
        ScriptEvent::EmergencyCallRespond {
            call_number,
            responder,
        } => s.respond_emergency_call(call_number, responder).map(done)?,
        ScriptEvent::EmergencyCallEnd { call_number } => {
            s.end_emergency_call(call_number).map(done)?
        }
        ScriptEvent::SpawnVehicle { owner, vehicle } => {
            json!({"vehicle": s.spawn_vehicle(owner, vehicle)?})
        }
        ScriptEvent::DespawnVehicle { vehicle } => s.despawn_vehicle(vehicle).map(done)?,
        ScriptEvent::Chat { player, text } => s.player_chat(player, &text).map(done)?,
        ScriptEvent::PlayerCommand { player, text } => s.player_command(player, &text).map(done)?,
        ScriptEvent::SetTeam { player, team } => s.set_team(player, &team).map(done)?,
        ScriptEvent::SetPermission { player, permission } => {
            s.set_permission(player, &permission).map(done)?
        }
        ScriptEvent::SetWanted { player, stars } => s.set_wanted(player, stars).map(done)?,
        ScriptEvent::QueuePush { id } => {
            s.queue_push(id);
            json!({})
        }
        ScriptEvent::QueueRemove { id } => {
            s.queue_remove(id);
            json!({})
        }
        ScriptEvent::AddBan { id, name } => {
            s.add_ban(id, &name);
            json!({})
        }
        ScriptEvent::RemoveBan { id } => json!({"removed": s.remove_ban(id)}),
    })
}

async fn script_event(
    State(shared): State<Arc<Shared>>,
    Path(index): Path<usize>,
    Json(event): Json<ScriptEvent>,
) -> Response {
    match server(&shared, index) {
        Ok(s) => answer(apply_event(&s, event)),
        Err(r) => *r,
    }
}

async fn messages(State(shared): State<Arc<Shared>>, Path(index): Path<usize>) -> Response {
    match server(&shared, index) {
        Ok(s) => Json(s.messages()).into_response(),
        Err(r) => *r,
    }
}

async fn applied_commands(State(shared): State<Arc<Shared>>, Path(index): Path<usize>) -> Response {
    match server(&shared, index) {
        Ok(s) => Json(s.applied_commands()).into_response(),
        Err(r) => *r,
    }
}

async fn rotate_key(State(shared): State<Arc<Shared>>, Path(index): Path<usize>) -> Response {
    match server(&shared, index) {
        Ok(s) => Json(json!({"key": s.rotate_key()})).into_response(),
        Err(r) => *r,
    }
}

async fn ban_key(State(shared): State<Arc<Shared>>, Path(index): Path<usize>) -> Response {
    match server(&shared, index) {
        Ok(s) => {
            s.ban_key();
            Json(json!({})).into_response()
        }
        Err(r) => *r,
    }
}

#[derive(Debug, Deserialize)]
struct WebhookUrl {
    url: Option<String>,
}

async fn set_webhook(
    State(shared): State<Arc<Shared>>,
    Path(index): Path<usize>,
    Json(body): Json<WebhookUrl>,
) -> Response {
    let s = match server(&shared, index) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    answer(s.set_webhook_url(body.url).await.map(|()| json!({})))
}

async fn set_faults(State(shared): State<Arc<Shared>>, Json(plan): Json<FaultPlan>) -> Response {
    lock(&shared.faults).set(plan);
    Json(json!({})).into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    lock(&shared.faults).clear();
    Json(json!({})).into_response()
}

#[derive(Debug, Deserialize)]
struct RateLimits {
    read: BucketLimit,
    command: BucketLimit,
}

async fn set_rate_limits(
    State(shared): State<Arc<Shared>>,
    Json(limits): Json<RateLimits>,
) -> Response {
    *lock(&shared.limits) = Limits {
        read: limits.read,
        command: limits.command,
    };
    Json(json!({})).into_response()
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    Json(lock(&shared.requests).clone()).into_response()
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> Response {
    lock(&shared.requests).clear();
    Json(json!({})).into_response()
}

#[derive(Debug, Deserialize)]
struct Tick {
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

async fn tick(State(shared): State<Arc<Shared>>, Json(body): Json<Tick>) -> Response {
    let config = shared.activity.clone().unwrap_or_default();
    for _ in 0..body.count.min(10_000) {
        activity::tick_all(&shared, &config);
    }
    Json(json!({"ticks": body.count.min(10_000)})).into_response()
}

async fn webhook_key(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({"spki_base64": shared.webhooks.public_key_spki_base64()})).into_response()
}
