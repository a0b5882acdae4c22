//! Log rows (join, kill and command logs, mod calls) into candidate events with stable keys.
//!
//! PRC's rows have one-second timestamps and no ids, and every poll returns the whole window
//! again. A row's key is a content hash (log, timestamp, fields) plus its occurrence index
//! among identical rows of the same read, so two identical kills in one second stay two
//! events, and the same rows read again get the same keys. Mod calls have two keys: one for
//! "new" and one for "answered", so an answer seen later is still an event.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::erlc::models::{PlayerRef, V2Server};
use crate::events::catalog::EventPayload;

use super::world::Roster;

/// One of PRC's logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogKind {
    Joins,
    Kills,
    Commands,
    ModCalls,
}

impl LogKind {
    pub const ALL: [LogKind; 4] = [
        LogKind::Joins,
        LogKind::Kills,
        LogKind::Commands,
        LogKind::ModCalls,
    ];

    /// Short name used in dedupe scopes, watermarks and `feed/gap` events.
    pub fn name(self) -> &'static str {
        match self {
            LogKind::Joins => "joins",
            LogKind::Kills => "kills",
            LogKind::Commands => "commands",
            LogKind::ModCalls => "modcalls",
        }
    }
}

/// Which event a key stands for: a plain log row, or one of a mod call's two states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Row,
    ModCallNew,
    ModCallAnswered,
}

/// The identity of one event from a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowKey {
    /// First 128 bits of SHA-256 over the log name, timestamp and fields.
    pub digest: u128,
    /// Index among identical rows of the same read (0 for the first).
    pub occurrence: u32,
    pub stage: Stage,
}

impl RowKey {
    /// The key as stored in the dedupe set and the event store.
    pub fn text(&self) -> String {
        let prefix = match self.stage {
            Stage::Row => "",
            Stage::ModCallNew => "new-",
            Stage::ModCallAnswered => "answered-",
        };
        format!("{prefix}{:032x}-{}", self.digest, self.occurrence)
    }
}

/// A log row turned into an event, not yet checked against what was already handled.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    pub log: LogKind,
    /// The event's source time: the row's timestamp (the poll time for a mod call answer,
    /// which PRC does not date).
    pub timestamp: i64,
    pub key: RowKey,
    pub payload: EventPayload,
}

/// The time span a log's window covered in one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogWindow {
    pub log: LogKind,
    pub rows: usize,
    pub oldest: Option<i64>,
    pub newest: Option<i64>,
}

/// Everything the logs of one snapshot hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogRead {
    /// Sorted by source time (then log, then position in the log).
    pub rows: Vec<LogRow>,
    /// One per log present in the snapshot.
    pub windows: Vec<LogWindow>,
}

fn digest(log: LogKind, timestamp: i64, fields: &[&str]) -> u128 {
    let mut hasher = Sha256::new();
    hasher.update(log.name().as_bytes());
    hasher.update(timestamp.to_be_bytes());
    for field in fields {
        // Length-prefixed so ("ab", "c") and ("a", "bc") differ.
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    let bytes = hasher.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&bytes[..16]);
    u128::from_be_bytes(first)
}

/// Numbers identical rows of one read: 0, 1, 2... per digest.
#[derive(Default)]
struct Occurrences(HashMap<u128, u32>);

impl Occurrences {
    fn next(&mut self, digest: u128) -> u32 {
        let count = self.0.entry(digest).or_default();
        let occurrence = *count;
        *count += 1;
        occurrence
    }
}

/// The longest a `call_key` may be (it ends up in Discord custom ids).
pub const CALL_KEY_MAX: usize = 50;

/// `<caller id or name>-<timestamp>[-<occurrence>]`: stable across polls and restarts, with no
/// `:` and at most [`CALL_KEY_MAX`] characters.
pub fn call_key(caller: &PlayerRef, timestamp: i64, occurrence: u32) -> String {
    let tail = if occurrence == 0 {
        format!("-{timestamp}")
    } else {
        format!("-{timestamp}-{occurrence}")
    };
    let who = match caller.id {
        Some(id) => id.to_string(),
        None => caller
            .name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect(),
    };
    let room = CALL_KEY_MAX.saturating_sub(tail.len());
    let who: String = who.chars().take(room).collect();
    format!("{who}{tail}")
}

/// Read every log the snapshot carries. `roster` enriches players with team, permission and
/// callsign; `now` dates mod call answers.
pub fn read_logs(snapshot: &V2Server, roster: Roster<'_>, now: i64) -> LogRead {
    let mut read = LogRead::default();
    let info = |p: &PlayerRef| roster.info(&p.name, p.id);
    if let Some(rows) = &snapshot.join_logs {
        let mut seen = Occurrences::default();
        for row in rows {
            let player = row.player.to_string();
            let joined = if row.join { "join" } else { "leave" };
            let digest = digest(LogKind::Joins, row.timestamp, &[joined, &player]);
            let payload = if row.join {
                EventPayload::PlayerJoin {
                    player: info(&row.player),
                }
            } else {
                EventPayload::PlayerLeave {
                    player: info(&row.player),
                }
            };
            read.push(
                LogKind::Joins,
                row.timestamp,
                digest,
                seen.next(digest),
                Stage::Row,
                payload,
            );
        }
        read.window(LogKind::Joins, rows.iter().map(|r| r.timestamp));
    }
    if let Some(rows) = &snapshot.kill_logs {
        let mut seen = Occurrences::default();
        for row in rows {
            let (killer, killed) = (row.killer.to_string(), row.killed.to_string());
            let digest = digest(LogKind::Kills, row.timestamp, &[&killer, &killed]);
            let payload = EventPayload::Kill {
                killer: info(&row.killer),
                killed: info(&row.killed),
            };
            read.push(
                LogKind::Kills,
                row.timestamp,
                digest,
                seen.next(digest),
                Stage::Row,
                payload,
            );
        }
        read.window(LogKind::Kills, rows.iter().map(|r| r.timestamp));
    }
    if let Some(rows) = &snapshot.command_logs {
        let mut seen = Occurrences::default();
        for row in rows {
            let player = row.player.to_string();
            let digest = digest(LogKind::Commands, row.timestamp, &[&player, &row.command]);
            let payload = EventPayload::Command {
                player: info(&row.player),
                command: row.command.clone(),
            };
            read.push(
                LogKind::Commands,
                row.timestamp,
                digest,
                seen.next(digest),
                Stage::Row,
                payload,
            );
        }
        read.window(LogKind::Commands, rows.iter().map(|r| r.timestamp));
    }
    if let Some(rows) = &snapshot.mod_calls {
        let mut seen = Occurrences::default();
        for row in rows {
            // The moderator is left out: it appears later on the same call.
            let caller_text = row.caller.to_string();
            let digest = digest(LogKind::ModCalls, row.timestamp, &[&caller_text]);
            let occurrence = seen.next(digest);
            let key = call_key(&row.caller, row.timestamp, occurrence);
            let caller = info(&row.caller);
            let new = EventPayload::ModCallNew {
                call_key: key.clone(),
                caller: caller.clone(),
            };
            read.push(
                LogKind::ModCalls,
                row.timestamp,
                digest,
                occurrence,
                Stage::ModCallNew,
                new,
            );
            if let Some(moderator) = &row.moderator {
                let answered = EventPayload::ModCallAnswered {
                    call_key: key,
                    caller,
                    moderator: info(moderator),
                };
                let stage = Stage::ModCallAnswered;
                read.push(
                    LogKind::ModCalls,
                    now.max(row.timestamp),
                    digest,
                    occurrence,
                    stage,
                    answered,
                );
            }
        }
        read.window(LogKind::ModCalls, rows.iter().map(|r| r.timestamp));
    }
    // Stable: rows of one log and second keep the log's order.
    read.rows.sort_by_key(|row| (row.timestamp, row.log));
    read
}

impl LogRead {
    fn push(
        &mut self,
        log: LogKind,
        timestamp: i64,
        digest: u128,
        occurrence: u32,
        stage: Stage,
        payload: EventPayload,
    ) {
        self.rows.push(LogRow {
            log,
            timestamp,
            key: RowKey {
                digest,
                occurrence,
                stage,
            },
            payload,
        });
    }

    fn window(&mut self, log: LogKind, timestamps: impl Iterator<Item = i64> + Clone) {
        self.windows.push(LogWindow {
            log,
            rows: timestamps.clone().count(),
            oldest: timestamps.clone().min(),
            newest: timestamps.max(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::world::WorldState;

    fn snapshot(sections: serde_json::Value) -> V2Server {
        let mut value = serde_json::json!({
            "Name": "RP", "OwnerId": 1, "CoOwnerIds": [], "CurrentPlayers": 1, "MaxPlayers": 40,
            "JoinKey": "k", "AccVerifiedReq": "Disabled", "TeamBalance": false
        });
        if let (Some(map), serde_json::Value::Object(more)) = (value.as_object_mut(), sections) {
            map.extend(more);
        }
        serde_json::from_value(value).unwrap()
    }

    fn read(sections: serde_json::Value) -> LogRead {
        let snap = snapshot(sections);
        let world = WorldState::from_snapshot(&snap);
        let roster = Roster {
            newer: &world,
            older: None,
        };
        read_logs(&snap, roster, 1_000)
    }

    #[test]
    fn identical_rows_in_one_second_get_distinct_stable_keys() {
        let sections = serde_json::json!({"KillLogs": [
            {"Killed": "b:2", "Killer": "a:1", "Timestamp": 50},
            {"Killed": "b:2", "Killer": "a:1", "Timestamp": 50},
            {"Killed": "b:2", "Killer": "a:1", "Timestamp": 51}
        ]});
        let first = read(sections.clone());
        let keys: Vec<String> = first.rows.iter().map(|r| r.key.text()).collect();
        assert_eq!(keys.len(), 3);
        assert_ne!(keys[0], keys[1]);
        assert!(keys[0].ends_with("-0") && keys[1].ends_with("-1"));
        assert_eq!(
            keys[0].trim_end_matches("-0"),
            keys[1].trim_end_matches("-1")
        );
        assert_ne!(keys[0], keys[2], "another second is another row");
        let again: Vec<String> = read(sections).rows.iter().map(|r| r.key.text()).collect();
        assert_eq!(keys, again, "the same window gives the same keys");
        assert_eq!(
            first.windows,
            vec![LogWindow {
                log: LogKind::Kills,
                rows: 3,
                oldest: Some(50),
                newest: Some(51)
            }]
        );
    }

    #[test]
    fn rows_are_enriched_and_sorted_across_logs() {
        let read = read(serde_json::json!({
            "Players": [{"Player": "a:1", "Permission": "Normal", "Team": "Police", "Callsign": "P-1"}],
            "JoinLogs": [{"Join": true, "Timestamp": 40, "Player": "a:1"},
                         {"Join": false, "Timestamp": 45, "Player": "gone:9"}],
            "CommandLogs": [{"Player": "Remote Server", "Timestamp": 42, "Command": ":h hi"}],
            "KillLogs": []
        }));
        let kinds: Vec<_> = read.rows.iter().map(|r| r.payload.kind()).collect();
        assert_eq!(kinds, ["player/join", "command", "player/leave"]);
        let EventPayload::PlayerJoin { player } = &read.rows[0].payload else {
            panic!()
        };
        assert_eq!(player.team.as_deref(), Some("Police"));
        assert_eq!(player.callsign.as_deref(), Some("P-1"));
        let EventPayload::PlayerLeave { player } = &read.rows[2].payload else {
            panic!()
        };
        assert_eq!(
            (player.name.as_str(), player.id, player.team.as_ref()),
            ("gone", Some(9), None)
        );
        assert_eq!(read.windows.len(), 3);
        let kills = read
            .windows
            .iter()
            .find(|w| w.log == LogKind::Kills)
            .unwrap();
        assert_eq!((kills.rows, kills.oldest), (0, None));
    }

    #[test]
    fn mod_call_seen_answered_gives_new_and_answered_with_one_call_key() {
        let open = read(serde_json::json!({"ModCalls": [
            {"Caller": "a:1", "Moderator": null, "Timestamp": 60}
        ]}));
        assert_eq!(open.rows.len(), 1);
        let answered = read(serde_json::json!({"ModCalls": [
            {"Caller": "a:1", "Moderator": "m:2", "Timestamp": 60}
        ]}));
        let kinds: Vec<_> = answered.rows.iter().map(|r| r.payload.kind()).collect();
        assert_eq!(kinds, ["modcall/new", "modcall/answered"]);
        assert_eq!(
            answered.rows[0].key, open.rows[0].key,
            "the answer does not change the call"
        );
        assert_eq!(
            answered.rows[1].timestamp, 1_000,
            "answers are dated by the poll"
        );
        let (
            EventPayload::ModCallNew { call_key: a, .. },
            EventPayload::ModCallAnswered {
                call_key: b,
                moderator,
                ..
            },
        ) = (&answered.rows[0].payload, &answered.rows[1].payload)
        else {
            panic!()
        };
        assert_eq!(a, "1-60");
        assert_eq!(a, b);
        assert_eq!(moderator.name, "m");
    }

    #[test]
    fn call_keys_are_short_and_colon_free() {
        assert_eq!(call_key(&PlayerRef::new("x", Some(42)), 7, 0), "42-7");
        assert_eq!(call_key(&PlayerRef::new("x", Some(42)), 7, 2), "42-7-2");
        let odd = PlayerRef::new("we:ird name".repeat(10), None);
        let key = call_key(&odd, 1_767_225_600, 0);
        assert!(
            key.len() <= CALL_KEY_MAX && !key.contains(':') && !key.contains(' '),
            "{key}"
        );
        assert!(key.ends_with("-1767225600"));
    }
}
