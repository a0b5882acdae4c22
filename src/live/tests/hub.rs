//! The hub: projection of a poll into parts, fan-out encoded once, eviction of a full queue,
//! presence removed when a session ends, keys dropped with their server.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::{GUILD, Reader, calm_limits, fixture, ops, polled};
use crate::actions::{Claim, ModCallStep};
use crate::events::catalog::PlayerInfo;
use crate::live::delta::OpKind;
use crate::live::frame::FrameType;
use crate::live::hub::HubEnd;
use crate::live::key::Part;
use crate::live::outbound::Outbound;
use crate::live::project::project;
use crate::tracker::world::{CallState, VehicleState};
use crate::tracker::{ModCallSeen, PolledServer};

const PLAYERS: &str = "7.main.players";

#[test]
fn a_poll_projects_into_every_part() {
    let mut server = (*polled(&[(10, "Mod", "Server Moderator"), (11, "Civ", "Normal")])).clone();
    let mut world = (*server.world).clone();
    world.queue = Some(vec![20, 21]);
    let car = |plate: &str| VehicleState {
        owner: "Mod".into(),
        name: "2020 Falcon".into(),
        plate: Some(plate.into()),
        colour: None,
    };
    world.vehicles = Some(vec![car("A/1"), car("A/1"), car("B")]);
    world.calls = Some(BTreeMap::from([(
        3,
        CallState {
            team: "Police".into(),
            caller: Some(11),
            responders: vec![10],
            description: Some("help".into()),
            location: None,
            position: [1.0, 2.0],
            started_at: 100,
        },
    )]));
    server.world = Arc::new(world);
    let mut extras = (*server.extras).clone();
    let caller = PlayerInfo {
        name: "Civ".into(),
        id: Some(11),
        ..PlayerInfo::default()
    };
    extras.mod_calls = vec![
        ModCallSeen {
            call_key: "11-50".into(),
            caller: caller.clone(),
            answered_by: None,
            at: 50,
        },
        ModCallSeen {
            call_key: "11-60".into(),
            caller,
            answered_by: None,
            at: 60,
        },
    ];
    server.extras = Arc::new(extras);
    let claims = BTreeMap::from([(
        "11-60".to_owned(),
        Claim {
            step: ModCallStep::Resolve,
            by_id: 99,
            by_name: "boss".into(),
            at_ms: 5,
        },
    )]);
    let part = |p| project(&server, &claims, p);

    assert_eq!(
        part(Part::Server),
        json!({"name": "RP", "players": 2, "max_players": 40, "join_code": "code",
               "queue_length": 2, "last_poll": 1000, "health": "ok"})
    );
    let players = part(Part::Players);
    assert_eq!(players["10"]["permission"], "Server Moderator");
    assert_eq!(
        players["11"]["location"],
        json!({"x": 1.5, "z": -2.0, "postal": "307", "street": null})
    );
    let staff = part(Part::Staff);
    assert_eq!(staff.as_object().unwrap().len(), 1, "{staff}");
    assert!(
        staff["10"].get("location").is_none(),
        "staff carry no location"
    );
    assert_eq!(part(Part::Queue), json!([20, 21]));
    let vehicles = part(Part::Vehicles);
    let vehicles = vehicles.as_object().unwrap();
    assert_eq!(vehicles.len(), 3, "identical cars get their own keys");
    assert!(
        vehicles
            .keys()
            .all(|k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    );
    let calls = part(Part::Modcalls);
    assert_eq!(calls["11-50"]["open"], true);
    assert_eq!(calls["11-50"]["claim"], json!(null));
    assert_eq!(calls["11-60"]["open"], false);
    assert_eq!(calls["11-60"]["claim"]["by_id"], "99");
    let emergency = part(Part::Emergency);
    assert_eq!(emergency["3"]["caller"], json!({"id": 11, "name": "Civ"}));
    assert_eq!(emergency["3"]["responders"][0]["name"], "Mod");
    assert_eq!(part(Part::Viewers), json!(null));

    let unread = PolledServer {
        world: Arc::new(crate::tracker::world::WorldState::default()),
        ..server
    };
    assert_eq!(
        project(&unread, &claims, Part::Queue),
        json!(null),
        "not read"
    );
}

#[tokio::test]
async fn one_encoded_body_reaches_every_watcher() {
    let f = fixture(16, calm_limits());
    f.hub.apply_polled(polled(&[(10, "Ann", "Normal")]));
    let mut readers = Vec::new();
    for stream in [10, 11] {
        let joined = f.hub.join().unwrap();
        f.hub.watch(joined.id, PLAYERS, stream, None);
        let mut reader = Reader::new(joined.outbound);
        let init = reader.frame().await;
        assert_eq!(init.kind, FrameType::StateInit);
        assert_eq!(init.body["value"]["10"]["name"], "Ann");
        assert_eq!(init.body["initialized"], true);
        readers.push((joined.id, reader));
    }
    f.hub
        .apply_polled(polled(&[(10, "Ann", "Normal"), (11, "Ben", "Normal")]));
    let mut bodies = Vec::new();
    for (_, reader) in &mut readers {
        match reader.item().await {
            Some(Outbound::Frame {
                kind: FrameType::Delta,
                body,
                ..
            }) => bodies.push(body),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        bodies[0].as_ptr(),
        bodies[1].as_ptr(),
        "encoded once, shared"
    );
    let (_, first) = &mut readers[0];
    f.hub.apply_polled(polled(&[(11, "Ben", "Normal")]));
    let delta = first.frame().await;
    assert_eq!(delta.stream, 10);
    assert_eq!(delta.body["state"], PLAYERS);
    let ops = ops(&delta);
    assert_eq!((ops[0].op, ops[0].path.as_str()), (OpKind::Remove, "/10"));
}

#[tokio::test]
async fn a_full_queue_evicts_only_that_session() {
    let f = fixture(2, calm_limits());
    f.hub.apply_polled(polled(&[]));
    let stalled = f.hub.join().unwrap();
    f.hub.watch(stalled.id, PLAYERS, 10, None);
    let reading = f.hub.join().unwrap();
    f.hub.watch(reading.id, PLAYERS, 10, None);
    let mut reader = Reader::new(reading.outbound);
    assert_eq!(reader.frame().await.kind, FrameType::StateInit);
    for n in 0..3u64 {
        let name = format!("p{n}");
        f.hub.apply_polled(polled(&[(n, name.as_str(), "Normal")]));
        assert_eq!(
            reader.frame().await.kind,
            FrameType::Delta,
            "the reader keeps up"
        );
    }
    assert_eq!(*stalled.ended.borrow(), Some(HubEnd::Evicted));
    assert_eq!(f.hub.counts().evictions, 1);
    assert_eq!(f.hub.counts().sessions, 1);
    assert!(!f.hub.push(stalled.id, Outbound::Ping), "gone from the hub");
}

#[tokio::test]
async fn presence_goes_when_its_session_ends() {
    let f = fixture(16, calm_limits());
    let viewers = format!("{GUILD}.main.viewers");
    let watcher = f.hub.join().unwrap();
    f.hub.watch(watcher.id, &viewers, 10, None);
    let mut reader = Reader::new(watcher.outbound);
    let init = reader.frame().await;
    assert_eq!(init.body["initialized"], false);
    assert_eq!(init.body["version"], 0);

    let viewer = f.hub.join().unwrap();
    let version = f
        .hub
        .presence(viewer.id, &viewers, "/42", json!({"name": "Ann"}))
        .unwrap();
    let added = reader.frame().await;
    assert_eq!(added.body["version"], version);
    assert_eq!(ops(&added)[0].op, OpKind::Add);

    f.hub.leave(viewer.id);
    let removed = reader.frame().await;
    let ops = ops(&removed);
    assert_eq!((ops[0].op, ops[0].path.as_str()), (OpKind::Remove, "/42"));
    assert!(
        f.hub
            .presence(viewer.id, &viewers, "/42", json!(1))
            .is_err()
    );
}

#[tokio::test]
async fn a_removed_server_takes_its_keys_along() {
    let f = fixture(16, calm_limits());
    f.hub.apply_polled(polled(&[(10, "Ann", "Normal")]));
    let joined = f.hub.join().unwrap();
    f.hub.watch(joined.id, PLAYERS, 10, None);
    let mut reader = Reader::new(joined.outbound);
    reader.frame().await;
    f.hub.remove_server(GUILD, "main");
    let removed = reader.frame().await;
    let ops = ops(&removed);
    assert_eq!((ops[0].op, ops[0].path.as_str()), (OpKind::Remove, "/"));

    let late = f.hub.join().unwrap();
    f.hub.watch(late.id, PLAYERS, 10, None);
    let init = Reader::new(late.outbound).frame().await;
    assert_eq!(init.body["initialized"], false, "{:?}", init.body);
    assert_eq!(f.hub.mod_call_caller(GUILD, "main", "x"), None);

    f.hub.apply_polled(polled(&[(10, "Ann", "Normal")]));
    let back = reader.frame().await;
    assert_eq!(
        super::ops(&back)[0].op,
        OpKind::Add,
        "watchers stay subscribed"
    );
}

#[tokio::test]
async fn shutdown_ends_every_session_and_refuses_new_ones() {
    let f = fixture(16, calm_limits());
    let joined = f.hub.join().unwrap();
    f.hub.shutdown();
    assert_eq!(*joined.ended.borrow(), Some(HubEnd::Shutdown));
    assert!(f.hub.join().is_none());
    assert_eq!(f.hub.counts().sessions, 0);
}
