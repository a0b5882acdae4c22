//! The WebSocket gateway: HELLO, IDENTIFY → READY → GUILD_CREATE, heartbeat ACKs, RESUME,
//! and forwarding of dispatched events with increasing sequence numbers. Text frames only
//! (serenity 0.12.5 reads Text frames as plain JSON).

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::Response as HttpResponse;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::checks::ViolationKind;
use super::payloads;
use super::{GatewayCommand, Shared};

const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

pub async fn upgrade(ws: WebSocketUpgrade, State(shared): State<Arc<Shared>>) -> HttpResponse {
    ws.on_upgrade(move |socket| run_session(socket, shared))
}

struct Session {
    connection: u64,
    seq: u64,
    session_id: Option<String>,
    events: Option<broadcast::Receiver<GatewayCommand>>,
    live: bool,
}

/// Why a session loop stops.
struct Closed;

async fn run_session(mut socket: WebSocket, shared: Arc<Shared>) {
    let connection = {
        let mut world = shared.world();
        world.connections += 1;
        world.connections
    };
    let mut session = Session {
        connection,
        seq: 0,
        session_id: None,
        events: None,
        live: false,
    };
    let hello = json!({ "op": 10, "d": { "heartbeat_interval": HEARTBEAT_INTERVAL_MS }, "s": null, "t": null });
    let mut running = send(&mut socket, &shared, connection, hello).await;
    while running.is_ok() {
        running = tokio::select! {
            frame = socket.recv() => match frame {
                Some(Ok(WsMessage::Text(text))) => on_frame(&mut socket, &shared, &mut session, &text).await,
                Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => Err(Closed),
                Some(Ok(_)) => Ok(()),
            },
            event = next_event(&mut session.events) => match event {
                Some(GatewayCommand::Event(name, data)) => dispatch(&mut socket, &shared, &mut session, &name, data).await,
                Some(GatewayCommand::Reconnect) => reconnect(&mut socket, &shared, &mut session).await,
                None => Err(Closed),
            },
        };
    }
    leave(&shared, &mut session);
}

/// Takes the session out of the live set and remembers its sequence for a RESUME.
fn leave(shared: &Shared, session: &mut Session) {
    let mut world = shared.world();
    if session.live {
        world.live_sessions = world.live_sessions.saturating_sub(1);
    }
    if let Some(id) = &session.session_id {
        world.sessions.insert(id.clone(), session.seq);
    }
    drop(world);
    session.live = false;
    session.events = None;
    shared.changed.notify_waiters();
}

/// Sends RECONNECT; the session gets no more events, and the bot comes back with RESUME.
async fn reconnect(
    socket: &mut WebSocket,
    shared: &Shared,
    session: &mut Session,
) -> Result<(), Closed> {
    leave(shared, session);
    send(
        socket,
        shared,
        session.connection,
        json!({ "op": 7, "d": null, "s": null, "t": null }),
    )
    .await
}

async fn next_event(
    events: &mut Option<broadcast::Receiver<GatewayCommand>>,
) -> Option<GatewayCommand> {
    let Some(receiver) = events else {
        return std::future::pending().await;
    };
    loop {
        match receiver.recv().await {
            Ok(event) => return Some(event),
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

async fn send(
    socket: &mut WebSocket,
    shared: &Shared,
    connection: u64,
    payload: Value,
) -> Result<(), Closed> {
    shared
        .world()
        .record_frame(connection, true, payload.clone());
    socket
        .send(WsMessage::Text(payload.to_string().into()))
        .await
        .map_err(|_| Closed)
}

async fn dispatch(
    socket: &mut WebSocket,
    shared: &Shared,
    session: &mut Session,
    name: &str,
    data: Value,
) -> Result<(), Closed> {
    session.seq += 1;
    let frame = json!({ "op": 0, "t": name, "s": session.seq, "d": data });
    send(socket, shared, session.connection, frame).await
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) -> Result<(), Closed> {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(WsMessage::Close(Some(frame))).await;
    Err(Closed)
}

/// Whether a gateway token is the configured one (Discord accepts it with or without "Bot ").
fn token_ok(shared: &Shared, token: &Value) -> bool {
    let expected = shared.world().config.token.clone();
    let given = token.as_str().unwrap_or_default();
    given == expected || given.strip_prefix("Bot ") == Some(expected.as_str())
}

async fn on_frame(
    socket: &mut WebSocket,
    shared: &Shared,
    session: &mut Session,
    text: &str,
) -> Result<(), Closed> {
    let Ok(mut frame) = serde_json::from_str::<Value>(text) else {
        {
            let mut world = shared.world();
            world.record_frame(session.connection, false, json!({ "unparsed": text }));
            world.violation(ViolationKind::InvalidBody, "gateway frame is not JSON");
        }
        return close(socket, 4002, "Error while decoding payload.").await;
    };
    let token_matches = token_ok(shared, &frame["d"]["token"]);
    if frame["d"].get("token").is_some() {
        let note = if token_matches {
            "<redacted: matches>"
        } else {
            "<redacted: WRONG token>"
        };
        frame["d"]["token"] = json!(note);
    }
    shared
        .world()
        .record_frame(session.connection, false, frame.clone());
    match frame["op"].as_u64() {
        Some(1) => {
            send(
                socket,
                shared,
                session.connection,
                json!({ "op": 11, "d": null, "s": null, "t": null }),
            )
            .await
        }
        Some(2) if !token_matches => {
            shared
                .world()
                .violation(ViolationKind::BadToken, "IDENTIFY with a wrong token");
            close(socket, 4004, "Authentication failed.").await
        }
        Some(2) => identify(socket, shared, session, frame).await,
        Some(6) => resume(socket, shared, session, &frame, token_matches).await,
        _ => Ok(()),
    }
}

async fn identify(
    socket: &mut WebSocket,
    shared: &Shared,
    session: &mut Session,
    frame: Value,
) -> Result<(), Closed> {
    let session_id = format!("fake-session-{}", session.connection);
    let (ready, guild) = {
        let mut world = shared.world();
        world.identifies.push(frame);
        let ready = payloads::ready(&world.config, &session_id, &world.gateway_url);
        (ready, payloads::guild_create(&world.config.guild))
    };
    // Subscribe before READY so nothing dispatched after `wait_for_ready` can be missed.
    session.events = Some(shared.events.subscribe());
    session.session_id = Some(session_id.clone());
    dispatch(socket, shared, session, "READY", ready).await?;
    dispatch(socket, shared, session, "GUILD_CREATE", guild).await?;
    mark_live(shared, session, &session_id, true);
    Ok(())
}

async fn resume(
    socket: &mut WebSocket,
    shared: &Shared,
    session: &mut Session,
    frame: &Value,
    token_matches: bool,
) -> Result<(), Closed> {
    let wanted = frame["d"]["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let known = shared.world().sessions.get(&wanted).copied();
    let Some(last_seq) = known.filter(|_| token_matches) else {
        // Not resumable: Discord answers INVALID_SESSION and the shard identifies again.
        return send(
            socket,
            shared,
            session.connection,
            json!({ "op": 9, "d": false, "s": null, "t": null }),
        )
        .await;
    };
    session.events = Some(shared.events.subscribe());
    session.session_id = Some(wanted.clone());
    session.seq = last_seq.max(frame["d"]["seq"].as_u64().unwrap_or(0));
    dispatch(socket, shared, session, "RESUMED", json!({})).await?;
    mark_live(shared, session, &wanted, false);
    Ok(())
}

/// Counts the session as connected; `identified` counts a fresh READY (not a RESUMED).
fn mark_live(shared: &Shared, session: &mut Session, session_id: &str, identified: bool) {
    let mut world = shared.world();
    world.sessions.insert(session_id.to_string(), session.seq);
    world.live_sessions += 1;
    if identified {
        world.ready_count += 1;
    } else {
        world.resume_count += 1;
    }
    drop(world);
    session.live = true;
    shared.changed.notify_waiters();
}
