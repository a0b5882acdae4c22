//! Reads for dashboards (the IPC): which guilds have servers set up, and a server's recent
//! mod calls with who answered them, from the event store (no PRC reads).

use std::collections::{BTreeMap, HashMap};

use crate::events::catalog::{EventPayload, PlayerInfo};
use crate::events::{Event, Pattern};
use crate::store::{EventQuery, ServerRecord};

use super::{ActionError, Services};

/// Stored mod-call events read to find a server's recent calls and their answers.
const MOD_CALL_EVENTS_READ: usize = 200;

/// A mod call as the stored events tell it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModCallSummary {
    /// Stable identity of the call (caller and call time), as its events carry it.
    pub call_key: String,
    /// The player who asked for help; untrusted text.
    pub caller: PlayerInfo,
    /// When the call was made (Unix seconds, PRC's time).
    pub called_at: i64,
    /// The moderator who answered; `None` while the call is open.
    pub answered_by: Option<PlayerInfo>,
    /// When it was answered (Unix seconds, PRC's time).
    pub answered_at: Option<i64>,
}

impl Services {
    /// Every guild that has at least one server set up, with its servers in label order.
    pub fn guilds_with_servers(&self) -> Result<BTreeMap<u64, Vec<ServerRecord>>, ActionError> {
        let mut guilds: BTreeMap<u64, Vec<ServerRecord>> = BTreeMap::new();
        for (guild, record) in self.store().settings().all_servers()? {
            guilds.entry(guild).or_default().push(record);
        }
        Ok(guilds)
    }

    /// The newest `limit` mod calls of server `label` (checked to exist), newest first, each
    /// with its answer if one was stored.
    pub fn mod_calls(
        &self,
        guild: u64,
        label: &str,
        limit: usize,
    ) -> Result<Vec<ModCallSummary>, ActionError> {
        let record = self.directory().record(guild, label)?;
        let pattern = Pattern::parse(&format!("{}/modcall/*", record.label))
            .map_err(|e| ActionError::InvalidInput(e.to_string()))?;
        let query = EventQuery {
            patterns: vec![pattern],
            server: Some(record.label),
            max_results: MOD_CALL_EVENTS_READ,
            ..EventQuery::default()
        };
        let page = self.store().events().query(guild, &query)?;
        Ok(summarise(&page.events, limit))
    }
}

/// Calls from newest-first mod-call events, answers joined to their calls by key.
fn summarise(events: &[Event], limit: usize) -> Vec<ModCallSummary> {
    let mut answers = HashMap::new();
    for event in events {
        if let Some(EventPayload::ModCallAnswered {
            call_key,
            moderator,
            ..
        }) = EventPayload::from_json(&event.payload)
        {
            answers
                .entry(call_key)
                .or_insert((moderator, event.source_time));
        }
    }
    events
        .iter()
        .filter_map(|event| match EventPayload::from_json(&event.payload)? {
            EventPayload::ModCallNew { call_key, caller } => {
                let answer = answers.get(&call_key).cloned();
                Some(ModCallSummary {
                    caller,
                    called_at: event.source_time,
                    answered_at: answer.as_ref().map(|(_, at)| *at),
                    answered_by: answer.map(|(moderator, _)| moderator),
                    call_key,
                })
            }
            _ => None,
        })
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::fixtures::event_on;

    fn player(name: &str, id: u64) -> PlayerInfo {
        PlayerInfo {
            name: name.into(),
            id: Some(id),
            team: None,
            permission: None,
            callsign: None,
        }
    }

    #[test]
    fn answers_join_their_calls_and_open_calls_stay_open() {
        let call = |key: &str, caller| EventPayload::ModCallNew {
            call_key: key.into(),
            caller,
        };
        // Newest first, as the store pages them.
        let mut answered = event_on(
            1,
            "main",
            3,
            EventPayload::ModCallAnswered {
                call_key: "a".into(),
                caller: player("ann", 1),
                moderator: player("mod", 9),
            },
        );
        answered.source_time = 300;
        let mut open = event_on(1, "main", 2, call("b", player("ben", 2)));
        open.source_time = 200;
        let mut first = event_on(1, "main", 1, call("a", player("ann", 1)));
        first.source_time = 100;
        let calls = summarise(&[answered, open, first], 10);
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].call_key.as_str(), calls[0].answered_by.as_ref()),
            ("b", None)
        );
        assert_eq!(calls[1].answered_by, Some(player("mod", 9)));
        assert_eq!((calls[1].called_at, calls[1].answered_at), (100, Some(300)));
        assert_eq!(summarise(&[], 10), vec![]);
    }
}
