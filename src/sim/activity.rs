//! A seeded generator of busy servers: joins, leaves, team changes, kills, staff commands, mod
//! calls (answered later), 911 calls (responded to, then ended), vehicles, queue and chat.
//! Each tick depends only on the world's seeded generator and its tick count.

use std::sync::Arc;

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;
use tokio::task::JoinHandle;

use super::commands;
use super::config::{ActivityConfig, CommandRules};
use super::encode;
use super::state::{Shared, lock};
use super::webhook::{self, Delivery};
use super::world::{
    ADMINISTRATOR, HELPER, Location, MODERATOR, NORMAL, PlayerSpec, SimActor, World,
};

const FIRST: &[&str] = &[
    "minty",
    "tow_truck",
    "Swift",
    "quiet",
    "Avery",
    "night",
    "Sgt",
    "rusty",
    "Blue",
    "captain",
    "lazy",
    "turbo",
    "Frosty",
    "real",
    "xX_",
    "Pixel",
];
const SECOND: &[&str] = &[
    "pretzel",
    "Tim",
    "Panda",
    "Fox",
    "Cole",
    "Rider",
    "Marshal",
    "bucket",
    "Hawk",
    "noodle",
    "Driver",
    "Ranger",
    "bean",
    "Medic",
    "Sniper_Xx",
    "Wolf",
];
const TEAMS: &[&str] = &[
    "Civilian", "Civilian", "Civilian", "Police", "Sheriff", "Fire", "DOT",
];
const STREETS: &[&str] = &[
    "Elm Street",
    "Harbor Road",
    "Main Street",
    "Pine Avenue",
    "Route 4",
];
const VEHICLES: &[(&str, &str, &str)] = &[
    ("2019 Falcon Interceptor Utility", "#1F2A44", "Navy"),
    ("2015 Bullhorn Prancer", "#B22222", "Red"),
    ("2020 Chevlon Camion", "#F5F5F5", "White"),
    ("2018 Leland LTS", "#2E8B57", "Green"),
];
const CALLS: &[&str] = &[
    "shots fired near the docks",
    "car crash on the highway",
    "house on fire",
    "someone stole my car",
    "road blocked by debris",
];
const CHAT: &[&str] = &[";bolo red sedan heading north", ";ping", ";backup 2 units"];

/// A Roblox-looking username.
pub fn roblox_name(rng: &mut StdRng) -> String {
    let first = FIRST[rng.gen_range(0..FIRST.len())];
    let second = SECOND[rng.gen_range(0..SECOND.len())];
    let sep = if rng.gen_bool(0.5) { "_" } else { "" };
    format!("{first}{sep}{second}{}", rng.gen_range(0..1000))
}

fn random_location(rng: &mut StdRng) -> Location {
    Location {
        x: f64::from(rng.gen_range(-20_000..20_000)) / 10.0,
        z: f64::from(rng.gen_range(-20_000..20_000)) / 10.0,
        postal: rng.gen_range(100..400).to_string(),
        street: STREETS[rng.gen_range(0..STREETS.len())].to_owned(),
        building: rng.gen_range(1..2000).to_string(),
    }
}

/// Work the generator scheduled for a later tick.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    AnswerModCall(u64),
    Respond(u64),
    EndCall(u64),
}

/// Per-server generator progress.
#[derive(Debug, Default)]
pub struct ActivityState {
    /// Ticks run on this server so far.
    pub ticks: u64,
    pending: Vec<(u64, Pending)>,
}

/// Adds one generated player; returns its id.
pub fn populate(world: &mut World, now: i64) -> Option<u64> {
    let team = TEAMS[world.rng.gen_range(0..TEAMS.len())];
    let location = random_location(&mut world.rng);
    let permission = match world.rng.gen_range(0..20) {
        0 => Some(ADMINISTRATOR),
        1..=3 => Some(MODERATOR),
        4 | 5 => Some(HELPER),
        _ => None,
    };
    let spec = PlayerSpec {
        permission: permission.map(str::to_owned),
        team: Some(team.to_owned()),
        location: Some(location),
        ..PlayerSpec::default()
    };
    world.add_player(spec, now).ok()
}

fn pick(world: &mut World) -> Option<u64> {
    if world.players.is_empty() {
        return None;
    }
    let i = world.rng.gen_range(0..world.players.len());
    world.players.get(i).map(|p| p.id)
}

fn roll(world: &mut World, p: f64) -> bool {
    world.rng.gen_bool(p)
}

/// One tick of one server; returns webhook events it produced.
pub fn tick_world(world: &mut World, config: &ActivityConfig, now: i64) -> Vec<Value> {
    world.activity.ticks += 1;
    let tick = world.activity.ticks;
    let mut events = Vec::new();
    run_pending(world, tick, now, &mut events);

    if world.players.len() < config.target_players && roll(world, 0.7) {
        if world.queue.is_empty() {
            populate(world, now);
        } else {
            let id = world.queue.remove(0);
            let name = world.known_users.get(&id).cloned();
            let spec = PlayerSpec {
                id: Some(id),
                name,
                ..PlayerSpec::default()
            };
            let _ = world.add_player(spec, now);
        }
    } else if world.players.len() >= config.target_players
        && world.queue.len() < 5
        && roll(world, 0.3)
    {
        let id = world.generate_id();
        let name = roblox_name(&mut world.rng);
        world.known_users.insert(id, name);
        world.queue_push(id);
    }
    if world.players.len() > 2 && roll(world, 0.15) {
        if let Some(id) = pick(world) {
            let _ = world.remove_player(id, now);
        }
    }
    if roll(world, 0.25) {
        if let Some(id) = pick(world) {
            let team = TEAMS[world.rng.gen_range(0..TEAMS.len())];
            let _ = world.set_team(id, team);
        }
    }
    if world.players.len() >= 2 && roll(world, 0.3) {
        if let (Some(a), Some(b)) = (pick(world), pick(world)) {
            if a != b {
                let _ = world.add_kill(a, b, now);
            }
        }
    }
    if roll(world, 0.2) {
        staff_command(world, now);
    }
    if roll(world, 0.1) {
        if let Some(caller) = pick(world) {
            if let Ok(seq) = world.add_mod_call(caller, now) {
                world
                    .activity
                    .pending
                    .push((tick + 3, Pending::AnswerModCall(seq)));
            }
        }
    }
    if roll(world, 0.1) {
        emergency_call(world, tick, now, &mut events);
    }
    vehicles(world);
    if roll(world, 0.05) {
        if let Some(id) = pick(world) {
            let text = CHAT[world.rng.gen_range(0..CHAT.len())];
            events.extend(webhook::custom_command(id, text, now));
        }
    }
    events
}

fn run_pending(world: &mut World, tick: u64, now: i64, events: &mut Vec<Value>) {
    let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut world.activity.pending)
        .into_iter()
        .partition(|(at, _)| *at <= tick);
    world.activity.pending = later;
    for (_, job) in due {
        match job {
            Pending::AnswerModCall(seq) => {
                if let Some(moderator) = pick(world) {
                    let _ = world.answer_mod_call(seq, moderator);
                }
            }
            Pending::Respond(number) => {
                if let Some(responder) = pick(world) {
                    let _ = world.respond_emergency_call(number, responder);
                }
            }
            Pending::EndCall(number) => {
                if let Ok(call) = world.end_emergency_call(number) {
                    let data = encode::emergency_call_webhook(&call);
                    events.push(webhook::event("EmergencyCallEnded", call.caller, now, data));
                }
            }
        }
    }
}

fn staff_command(world: &mut World, now: i64) {
    let staff: Vec<(u64, String)> = world
        .players
        .iter()
        .filter(|p| p.permission != NORMAL)
        .map(|p| (p.id, p.name.clone()))
        .collect();
    if staff.is_empty() {
        return;
    }
    let chosen = world.rng.gen_range(0..staff.len());
    let Some((id, name)) = staff.get(chosen).cloned() else {
        return;
    };
    let target = pick(world)
        .and_then(|t| world.player(t))
        .map(|p| p.name.chars().take(5).collect::<String>())
        .unwrap_or_default();
    let text = match world.rng.gen_range(0..4) {
        0 => format!(":wanted {target}"),
        1 => format!(":unwanted {target}"),
        2 => ":h Remember to follow the server rules".to_owned(),
        _ => format!(":pm {target} Please drive on the right side"),
    };
    world.log_command(SimActor::Player { name, id }, &text, now);
    let rules = CommandRules {
        restricted: Vec::new(),
        prohibited_words: Vec::new(),
    };
    if let Ok(parsed) = commands::parse(&text, &rules) {
        commands::apply(world, Some(id), &parsed, now);
    }
}

fn emergency_call(world: &mut World, tick: u64, now: i64, events: &mut Vec<Value>) {
    let Some(caller) = pick(world) else {
        return;
    };
    let team = ["Police", "Fire", "DOT"][world.rng.gen_range(0..3)];
    let text = CALLS[world.rng.gen_range(0..CALLS.len())].to_owned();
    if let Ok(call) = world.start_emergency_call(caller, team, Some(text), now) {
        let number = call.call_number;
        let data = encode::emergency_call_webhook(&call);
        events.push(webhook::event(
            "EmergencyCallStarted",
            Some(caller),
            now,
            data,
        ));
        world
            .activity
            .pending
            .push((tick + 1, Pending::Respond(number)));
        world
            .activity
            .pending
            .push((tick + 5, Pending::EndCall(number)));
    }
}

fn vehicles(world: &mut World) {
    if roll(world, 0.2) {
        if let Some(owner) = pick(world) {
            if !world.vehicles.iter().any(|v| v.owner_id == owner) {
                let (name, hex, colour) = VEHICLES[world.rng.gen_range(0..VEHICLES.len())];
                let spec = super::world::VehicleSpec {
                    name: Some(name.to_owned()),
                    texture: Some("Standard")
                        .filter(|_| world.rng.gen_bool(0.5))
                        .map(str::to_owned),
                    color_hex: Some(hex.to_owned()),
                    color_name: Some(colour.to_owned()),
                    plate: None,
                };
                let _ = world.spawn_vehicle(owner, spec);
            }
        }
    }
    if !world.vehicles.is_empty() && roll(world, 0.1) {
        let i = world.rng.gen_range(0..world.vehicles.len());
        if let Some(seq) = world.vehicles.get(i).map(|v| v.seq) {
            let _ = world.despawn_vehicle(seq);
        }
    }
}

/// One tick on every server; queues the webhook events they produce.
pub fn tick_all(shared: &Shared, config: &ActivityConfig) {
    let now = shared.now_secs();
    for world in &shared.worlds {
        let (events, url, server_id) = {
            let mut w = lock(world);
            let events = tick_world(&mut w, config, now);
            (events, w.webhook_url.clone(), w.server_id.clone())
        };
        if let Some(url) = url {
            for event in events {
                shared.webhooks.enqueue(Delivery {
                    url: url.clone(),
                    server_id: server_id.clone(),
                    event,
                });
            }
        }
    }
}

/// Ticks every `config.interval` until aborted.
pub fn spawn(shared: Arc<Shared>, config: ActivityConfig) -> JoinHandle<()> {
    tokio::spawn(async move {
        // A zero period would make tokio's interval panic; treat it as "as fast as sensible".
        let period = config.interval.max(std::time::Duration::from_millis(1));
        let mut interval = tokio::time::interval(period);
        interval.tick().await;
        loop {
            interval.tick().await;
            tick_all(&shared, &config);
        }
    })
}
