//! Snapshot diff (pure): the previous and the new [`WorldState`] of a server in, the events
//! that explain the difference out. Join, leave and other log rows come from the logs (see
//! `logs`), because a snapshot misses anyone who came and went between two polls.

use std::collections::{BTreeMap, BTreeSet};

use crate::erlc::Include;
use crate::events::catalog::EventPayload;

use super::world::{CallState, Roster, VehicleState, WorldState};

/// Events turning `prev` into `next`, in a fixed order: server online, staff joins, team,
/// permission and wanted changes, staff leaves, queue, vehicles, 911 calls, server offline.
/// Sections unknown on either side (not requested) produce nothing, and neither do sections
/// outside `wanted` (the feeds' sections): the player list is read on every poll, but its
/// changes are events only where a feed asked for them.
pub fn diff(prev: &WorldState, next: &WorldState, wanted: Include) -> Vec<EventPayload> {
    let roster = Roster {
        newer: next,
        older: Some(prev),
    };
    let asked_for = |section: Include| wanted.contains(section);
    let mut events = Vec::new();
    if next.online && !prev.online {
        events.push(EventPayload::ServerOnline {
            name: next.name.clone(),
            players: next.current_players,
        });
    }
    if asked_for(Include::none().players())
        && let (Some(before), Some(after)) = (&prev.players, &next.players)
    {
        for (id, player) in after {
            if !before.contains_key(id) && player.is_staff() {
                events.push(EventPayload::StaffJoin {
                    player: player.info(*id),
                });
            }
        }
        for (id, player) in after {
            let Some(old) = before.get(id) else { continue };
            let info = player.info(*id);
            if old.team != player.team {
                events.push(EventPayload::PlayerTeam {
                    player: info.clone(),
                    from: old.team.clone(),
                    to: player.team.clone(),
                });
            }
            if old.permission != player.permission {
                events.push(EventPayload::PlayerPermission {
                    player: info.clone(),
                    from: old.permission.clone(),
                    to: player.permission.clone(),
                });
            }
            if old.wanted != player.wanted {
                events.push(EventPayload::PlayerWanted {
                    player: info,
                    from: old.wanted,
                    to: player.wanted,
                });
            }
        }
        for (id, player) in before {
            if !after.contains_key(id) && player.is_staff() {
                events.push(EventPayload::StaffLeave {
                    player: player.info(*id),
                });
            }
        }
    }
    if asked_for(Include::none().queue())
        && let (Some(before), Some(after)) = (&prev.queue, &next.queue)
    {
        queue_changes(before, after, &mut events);
    }
    if asked_for(Include::none().vehicles())
        && let (Some(before), Some(after)) = (&prev.vehicles, &next.vehicles)
    {
        vehicle_changes(before, after, &mut events);
    }
    if asked_for(Include::none().emergency_calls())
        && let (Some(before), Some(after)) = (&prev.calls, &next.calls)
    {
        call_changes(before, after, roster, &mut events);
    }
    if prev.online && !next.online {
        events.push(EventPayload::ServerOffline {
            name: next.name.clone(),
        });
    }
    events
}

fn queue_changes(before: &[u64], after: &[u64], events: &mut Vec<EventPayload>) {
    let old: BTreeSet<u64> = before.iter().copied().collect();
    let new: BTreeSet<u64> = after.iter().copied().collect();
    for (index, user_id) in after.iter().enumerate() {
        if !old.contains(user_id) {
            events.push(EventPayload::QueueJoin {
                user_id: *user_id,
                position: u32::try_from(index + 1).unwrap_or(u32::MAX),
            });
        }
    }
    for user_id in before {
        if !new.contains(user_id) {
            events.push(EventPayload::QueueLeave { user_id: *user_id });
        }
    }
}

/// Vehicles are a multiset: two identical cars of one owner are two cars.
fn vehicle_changes(
    before: &[VehicleState],
    after: &[VehicleState],
    events: &mut Vec<EventPayload>,
) {
    let count = |list: &[VehicleState]| {
        let mut counts: BTreeMap<(String, String, Option<String>), usize> = BTreeMap::new();
        for v in list {
            let (owner, name, plate) = v.identity();
            *counts
                .entry((owner.to_owned(), name.to_owned(), plate.map(str::to_owned)))
                .or_default() += 1;
        }
        counts
    };
    let mut old = count(before);
    let mut new = count(after);
    for v in after {
        let (owner, name, plate) = v.identity();
        let key = (owner.to_owned(), name.to_owned(), plate.map(str::to_owned));
        let had = old.get(&key).copied().unwrap_or(0);
        if had > 0 {
            old.insert(key, had - 1);
        } else {
            events.push(EventPayload::VehicleSpawn {
                owner: v.owner.clone(),
                name: v.name.clone(),
                plate: v.plate.clone(),
                colour: v.colour.clone(),
            });
        }
    }
    for v in before {
        let (owner, name, plate) = v.identity();
        let key = (owner.to_owned(), name.to_owned(), plate.map(str::to_owned));
        let has = new.get(&key).copied().unwrap_or(0);
        if has > 0 {
            new.insert(key, has - 1);
        } else {
            events.push(EventPayload::VehicleDespawn {
                owner: v.owner.clone(),
                name: v.name.clone(),
                plate: v.plate.clone(),
            });
        }
    }
}

fn call_changes(
    before: &BTreeMap<i64, CallState>,
    after: &BTreeMap<i64, CallState>,
    roster: Roster<'_>,
    events: &mut Vec<EventPayload>,
) {
    for (number, call) in after {
        match before.get(number) {
            Some(old) if old.same_call(call) => {
                let old_set: BTreeSet<u64> = old.responders.iter().copied().collect();
                let new_set: BTreeSet<u64> = call.responders.iter().copied().collect();
                if old_set != new_set {
                    events.push(EventPayload::EmergencyResponded {
                        call: roster.call_info(*number, call),
                    });
                }
            }
            Some(old) => {
                events.push(EventPayload::EmergencyEnded {
                    call: roster.call_info(*number, old),
                });
                events.push(EventPayload::EmergencyStarted {
                    call: roster.call_info(*number, call),
                });
            }
            None => events.push(EventPayload::EmergencyStarted {
                call: roster.call_info(*number, call),
            }),
        }
    }
    for (number, old) in before {
        if !after.contains_key(number) {
            events.push(EventPayload::EmergencyEnded {
                call: roster.call_info(*number, old),
            });
        }
    }
}

/// Ban list changes (`GET /v1/server/bans`: user id → name).
pub fn ban_changes(
    before: &BTreeMap<u64, String>,
    after: &BTreeMap<u64, String>,
) -> Vec<EventPayload> {
    let added = after
        .iter()
        .filter(|(id, _)| !before.contains_key(id))
        .map(|(id, name)| EventPayload::BanAdded {
            user_id: *id,
            name: name.clone(),
        });
    let removed = before
        .iter()
        .filter(|(id, _)| !after.contains_key(id))
        .map(|(id, name)| EventPayload::BanRemoved {
            user_id: *id,
            name: name.clone(),
        });
    added.chain(removed).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::world::PlayerState;

    fn player(name: &str, team: &str, permission: &str, wanted: u32) -> PlayerState {
        PlayerState {
            name: name.into(),
            team: team.into(),
            permission: permission.into(),
            callsign: None,
            wanted,
        }
    }

    fn world(players: &[(u64, PlayerState)]) -> WorldState {
        WorldState {
            name: "RP".into(),
            online: !players.is_empty(),
            current_players: players.len() as u32,
            players: Some(players.iter().cloned().collect()),
            queue: Some(vec![]),
            vehicles: Some(vec![]),
            calls: Some(BTreeMap::new()),
        }
    }

    /// Every section wanted, as when every feed kind is subscribed.
    fn diff_all(prev: &WorldState, next: &WorldState) -> Vec<EventPayload> {
        diff(prev, next, Include::all())
    }

    fn kinds(events: &[EventPayload]) -> Vec<&'static str> {
        events.iter().map(EventPayload::kind).collect()
    }

    fn call(responders: Vec<u64>, started_at: i64) -> CallState {
        CallState {
            team: "Police".into(),
            caller: Some(1),
            responders,
            description: Some("help".into()),
            location: None,
            position: [1.0, 2.0],
            started_at,
        }
    }

    #[test]
    fn nothing_changed_is_nothing() {
        let w = world(&[(1, player("a", "Civilian", "Normal", 0))]);
        assert!(diff_all(&w, &w).is_empty());
    }

    #[test]
    fn sections_no_feed_asked_for_are_read_but_not_events() {
        let before = world(&[(1, player("a", "Civilian", "Normal", 0))]);
        let mut after = world(&[(1, player("a", "Police", "Normal", 3))]);
        after.online = false;
        let logs_only = Include::none().join_logs().kill_logs();
        assert_eq!(
            kinds(&diff(&before, &after, logs_only)),
            ["server/offline"],
            "the server's own state needs no section"
        );
        assert_eq!(
            kinds(&diff(&before, &after, logs_only.players())),
            ["player/team", "player/wanted", "server/offline"]
        );
    }

    #[test]
    fn player_changes_staff_and_server_state_in_order() {
        let before = world(&[
            (1, player("a", "Civilian", "Normal", 0)),
            (2, player("mod", "Police", "Server Moderator", 0)),
        ]);
        let after = world(&[
            (1, player("a", "Police", "Server Helper", 2)),
            (3, player("admin", "Civilian", "Server Administrator", 0)),
        ]);
        let events = diff_all(&before, &after);
        assert_eq!(
            kinds(&events),
            [
                "staff/join",
                "player/team",
                "player/permission",
                "player/wanted",
                "staff/leave"
            ]
        );
        let EventPayload::PlayerTeam { player, from, to } = &events[1] else {
            panic!("{events:?}")
        };
        assert_eq!((from.as_str(), to.as_str()), ("Civilian", "Police"));
        assert_eq!(player.permission.as_deref(), Some("Server Helper"));
        let empty = world(&[]);
        assert_eq!(
            kinds(&diff_all(&empty, &before)),
            ["server/online", "staff/join"]
        );
        assert_eq!(
            kinds(&diff_all(&before, &empty)),
            ["staff/leave", "server/offline"]
        );
    }

    #[test]
    fn unknown_sections_produce_nothing() {
        let mut before = world(&[]);
        before.players = None;
        before.queue = None;
        let mut after = world(&[]);
        after.queue = Some(vec![5]);
        after.players = Some(BTreeMap::from([(
            1,
            player("s", "Police", "Server Owner", 0),
        )]));
        assert!(diff_all(&before, &after).is_empty());
    }

    #[test]
    fn queue_positions_and_leaves() {
        let mut before = world(&[]);
        before.queue = Some(vec![7, 8]);
        let mut after = world(&[]);
        after.queue = Some(vec![8, 9]);
        let events = diff_all(&before, &after);
        assert_eq!(
            events,
            vec![
                EventPayload::QueueJoin {
                    user_id: 9,
                    position: 2
                },
                EventPayload::QueueLeave { user_id: 7 },
            ]
        );
    }

    #[test]
    fn identical_vehicles_count_as_a_multiset() {
        let car = |plate: &str| VehicleState {
            owner: "a".into(),
            name: "Falcon".into(),
            plate: Some(plate.into()),
            colour: Some("Navy".into()),
        };
        let mut before = world(&[]);
        before.vehicles = Some(vec![car("X"), car("X")]);
        let mut after = world(&[]);
        after.vehicles = Some(vec![car("X"), car("Y")]);
        let events = diff_all(&before, &after);
        assert_eq!(kinds(&events), ["vehicle/spawn", "vehicle/despawn"]);
        let EventPayload::VehicleSpawn { plate, colour, .. } = &events[0] else {
            panic!()
        };
        assert_eq!(
            (plate.as_deref(), colour.as_deref()),
            (Some("Y"), Some("Navy"))
        );
    }

    #[test]
    fn emergency_call_lifecycle_keeps_start_time() {
        let mut before = world(&[(1, player("caller", "Civilian", "Normal", 0))]);
        let mut after = before.clone();
        after.calls = Some(BTreeMap::from([(4, call(vec![], 100))]));
        let events = diff_all(&before, &after);
        assert_eq!(kinds(&events), ["emergency/started"]);
        let EventPayload::EmergencyStarted { call: info } = &events[0] else {
            panic!()
        };
        assert_eq!(
            info.caller.as_ref().map(|c| c.name.as_str()),
            Some("caller")
        );

        before.calls = after.calls.clone();
        after.calls = Some(BTreeMap::from([(4, call(vec![1], 100))]));
        assert_eq!(kinds(&diff_all(&before, &after)), ["emergency/responded"]);
        // Same responders in another order: no event.
        before.calls = Some(BTreeMap::from([(4, call(vec![1, 2], 100))]));
        after.calls = Some(BTreeMap::from([(4, call(vec![2, 1], 100))]));
        assert!(diff_all(&before, &after).is_empty());

        after.calls = Some(BTreeMap::new());
        let events = diff_all(&before, &after);
        assert_eq!(kinds(&events), ["emergency/ended"]);
        let EventPayload::EmergencyEnded { call: info } = &events[0] else {
            panic!()
        };
        assert_eq!((info.call_number, info.started_at), (4, 100));
        assert_eq!(info.responders.len(), 2, "last known responders");

        after.calls = Some(BTreeMap::from([(4, call(vec![], 9_000))]));
        assert_eq!(
            kinds(&diff_all(&before, &after)),
            ["emergency/ended", "emergency/started"],
            "a reused call number is a new call"
        );
    }

    #[test]
    fn bans_added_and_removed() {
        let before = BTreeMap::from([(1, "a".to_owned()), (2, "b".to_owned())]);
        let after = BTreeMap::from([(2, "b".to_owned()), (3, "c".to_owned())]);
        assert_eq!(
            ban_changes(&before, &after),
            vec![
                EventPayload::BanAdded {
                    user_id: 3,
                    name: "c".into()
                },
                EventPayload::BanRemoved {
                    user_id: 1,
                    name: "a".into()
                },
            ]
        );
    }
}
