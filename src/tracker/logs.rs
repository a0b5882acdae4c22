//! Log rows (join, kill and command logs, mod calls) into candidate events with stable keys.
//!
//! PRC's rows have one-second timestamps and no ids, and every poll returns the whole window
//! again. A row's key is a content hash (log, timestamp, fields) plus its occurrence index
//! among identical rows of the same read, so two identical kills in one second stay two
//! events, and the same rows read again get the same keys. Mod calls have two keys: one for
//! "new" and one for "answered", so an answer seen later is still an event.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::erlc::models::{CommandLog, JoinLog, KillLog, ModCall, PlayerRef, V2Server};
use crate::events::catalog::EventPayload;

use super::world::Roster;

/// One of PRC's logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogSection {
    /// `JoinLogs`: players joining and leaving.
    Joins,
    /// `KillLogs`: who killed whom.
    Kills,
    /// `CommandLogs`: commands run in game or through the API.
    Commands,
    /// `ModCalls`: calls for a moderator, and who answered.
    ModCalls,
}

impl LogSection {
    /// Every log, in the order a read goes through them.
    pub const ALL: [LogSection; 4] = [
        LogSection::Joins,
        LogSection::Kills,
        LogSection::Commands,
        LogSection::ModCalls,
    ];

    /// Short name used in dedupe scopes, watermarks and `feed/gap` events.
    pub fn name(self) -> &'static str {
        match self {
            LogSection::Joins => "joins",
            LogSection::Kills => "kills",
            LogSection::Commands => "commands",
            LogSection::ModCalls => "modcalls",
        }
    }
}

/// Which event a key stands for: a plain log row, or one of a mod call's two states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// A join, kill or command row: one event.
    Row,
    /// A mod call, first seen.
    ModCallNew,
    /// A mod call a moderator has answered.
    ModCallAnswered,
}

/// The identity of one event from a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowKey {
    /// First 128 bits of SHA-256 over the log name, timestamp and fields.
    pub digest: u128,
    /// Index among identical rows of the same read (0 for the first).
    pub occurrence: u32,
    /// Which of the row's events the key names.
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
    /// The log the row came from.
    pub log: LogSection,
    /// The event's source time: the row's timestamp (the poll time for a mod call answer,
    /// which PRC does not date).
    pub timestamp: i64,
    /// Stable identity, so the same row read again is recognised.
    pub key: RowKey,
    /// The event the row stands for.
    pub payload: EventPayload,
}

/// The time span a log's window covered in one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogWindow {
    /// The log read.
    pub log: LogSection,
    /// Rows PRC returned for it.
    pub rows: usize,
    /// Timestamp of the oldest row (Unix seconds); `None` when the log was empty.
    pub oldest: Option<i64>,
    /// Timestamp of the newest row (Unix seconds); `None` when the log was empty.
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

fn digest(log: LogSection, timestamp: i64, fields: &[&str]) -> u128 {
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
    read_log(snapshot.join_logs.as_deref(), roster, now, &mut read);
    read_log(snapshot.kill_logs.as_deref(), roster, now, &mut read);
    read_log(snapshot.command_logs.as_deref(), roster, now, &mut read);
    read_log(snapshot.mod_calls.as_deref(), roster, now, &mut read);
    // Stable: rows of one log and second keep the log's order.
    read.rows.sort_by_key(|row| (row.timestamp, row.log));
    read
}

/// The one loop over a log's rows: key each row, number identical rows, collect the events,
/// then note the window the log covered. Nothing when the snapshot did not carry the log.
fn read_log<R: LogDescription>(
    rows: Option<&[R]>,
    roster: Roster<'_>,
    now: i64,
    read: &mut LogRead,
) {
    let Some(rows) = rows else {
        return;
    };
    let mut seen = Occurrences::default();
    for row in rows {
        let digest = row.digest();
        let mut events = RowEvents {
            read: &mut *read,
            log: R::LOG,
            digest,
            occurrence: seen.next(digest),
        };
        row.events(&mut events, roster, now);
    }
    read.window(R::LOG, rows.iter().map(R::timestamp));
}

/// How the tracker reads one of PRC's logs: which log it is, the fields that tell its rows
/// apart, and the events a row stands for.
trait LogDescription {
    const LOG: LogSection;

    fn timestamp(&self) -> i64;

    /// The row's content hash (via [`digest_of`]). Stored keys depend on it: changing the
    /// fields makes PRC's whole window new once.
    fn digest(&self) -> u128;

    /// Push the events this row stands for. `roster` enriches players; `now` dates what PRC
    /// does not.
    fn events(&self, out: &mut RowEvents<'_>, roster: Roster<'_>, now: i64);
}

/// The digest of a row of `R`'s log from its timestamp and `fields`.
fn digest_of<R: LogDescription>(row: &R, fields: &[&str]) -> u128 {
    digest(R::LOG, row.timestamp(), fields)
}

/// Where one row's events go: they share its log, digest and occurrence.
struct RowEvents<'a> {
    read: &'a mut LogRead,
    log: LogSection,
    digest: u128,
    occurrence: u32,
}

impl RowEvents<'_> {
    fn push(&mut self, stage: Stage, timestamp: i64, payload: EventPayload) {
        self.read.rows.push(LogRow {
            log: self.log,
            timestamp,
            key: RowKey {
                digest: self.digest,
                occurrence: self.occurrence,
                stage,
            },
            payload,
        });
    }
}

impl LogDescription for JoinLog {
    const LOG: LogSection = LogSection::Joins;

    fn timestamp(&self) -> i64 {
        self.timestamp
    }

    fn digest(&self) -> u128 {
        let joined = if self.join { "join" } else { "leave" };
        digest_of(self, &[joined, &self.player.to_string()])
    }

    fn events(&self, out: &mut RowEvents<'_>, roster: Roster<'_>, _now: i64) {
        let player = roster.info(&self.player.name, self.player.id);
        let payload = if self.join {
            EventPayload::PlayerJoin { player }
        } else {
            EventPayload::PlayerLeave { player }
        };
        out.push(Stage::Row, self.timestamp, payload);
    }
}

impl LogDescription for KillLog {
    const LOG: LogSection = LogSection::Kills;

    fn timestamp(&self) -> i64 {
        self.timestamp
    }

    fn digest(&self) -> u128 {
        digest_of(self, &[&self.killer.to_string(), &self.killed.to_string()])
    }

    fn events(&self, out: &mut RowEvents<'_>, roster: Roster<'_>, _now: i64) {
        let payload = EventPayload::Kill {
            killer: roster.info(&self.killer.name, self.killer.id),
            killed: roster.info(&self.killed.name, self.killed.id),
        };
        out.push(Stage::Row, self.timestamp, payload);
    }
}

impl LogDescription for CommandLog {
    const LOG: LogSection = LogSection::Commands;

    fn timestamp(&self) -> i64 {
        self.timestamp
    }

    fn digest(&self) -> u128 {
        digest_of(self, &[&self.player.to_string(), &self.command])
    }

    fn events(&self, out: &mut RowEvents<'_>, roster: Roster<'_>, _now: i64) {
        let payload = EventPayload::Command {
            player: roster.info(&self.player.name, self.player.id),
            command: self.command.clone(),
        };
        out.push(Stage::Row, self.timestamp, payload);
    }
}

/// A mod call is two events: "new" when first seen, "answered" once a moderator is on it.
impl LogDescription for ModCall {
    const LOG: LogSection = LogSection::ModCalls;

    fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The moderator is left out: it appears later on the same call.
    fn digest(&self) -> u128 {
        digest_of(self, &[&self.caller.to_string()])
    }

    fn events(&self, out: &mut RowEvents<'_>, roster: Roster<'_>, now: i64) {
        let key = call_key(&self.caller, self.timestamp, out.occurrence);
        let caller = roster.info(&self.caller.name, self.caller.id);
        let new = EventPayload::ModCallNew {
            call_key: key.clone(),
            caller: caller.clone(),
        };
        out.push(Stage::ModCallNew, self.timestamp, new);
        if let Some(moderator) = &self.moderator {
            let answered = EventPayload::ModCallAnswered {
                call_key: key,
                caller,
                moderator: roster.info(&moderator.name, moderator.id),
            };
            out.push(Stage::ModCallAnswered, now.max(self.timestamp), answered);
        }
    }
}

impl LogRead {
    fn window(&mut self, log: LogSection, timestamps: impl Iterator<Item = i64> + Clone) {
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
                log: LogSection::Kills,
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
            .find(|w| w.log == LogSection::Kills)
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
