//! Reading the bot's event store, its memory beyond PRC's short log window: pages of a
//! server's logs (`/logs` and its page buttons) and a player's timeline (the player panel).

use crate::events::{Event, Pattern};
use crate::store::{EventQuery, Page};

use super::{ActionError, Services};

/// Which stored events a log page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct LogQuery {
    /// Event kinds, as patterns on the page's server.
    pub patterns: Vec<Pattern>,
    /// Only events of the last this many seconds (from the store's clock).
    pub span_secs: Option<i64>,
    /// Only events involving this Roblox user.
    pub player: Option<u64>,
    /// Events per page.
    pub per_page: usize,
}

impl Services {
    /// Page `page` (from 0) of server `label`'s stored events matching `log`, newest first.
    /// Store pages are reached by cursor, so the earlier pages are walked to get there.
    pub fn log_page(
        &self,
        guild: u64,
        label: &str,
        log: &LogQuery,
        page: usize,
    ) -> Result<Page, ActionError> {
        let now = self.store().clock().now_secs();
        let mut query = EventQuery {
            patterns: log.patterns.clone(),
            server: Some(label.to_owned()),
            from: log.span_secs.map(|s| now - s),
            max_results: log.per_page,
            ..EventQuery::default()
        };
        let events = self.store().events();
        let read = |q: &EventQuery| match log.player {
            Some(id) => events.player_timeline(guild, id, q),
            None => events.query(guild, q),
        };
        let mut current = read(&query)?;
        for _ in 0..page {
            let Some(next) = current.next.clone() else {
                break;
            };
            query.after = Some(next);
            current = read(&query)?;
        }
        Ok(current)
    }

    /// The newest `limit` stored events on server `label` involving a Roblox user.
    pub fn player_timeline(
        &self,
        guild: u64,
        label: &str,
        roblox_id: u64,
        limit: usize,
    ) -> Result<Vec<Event>, ActionError> {
        let query = EventQuery {
            server: Some(label.to_owned()),
            max_results: limit,
            ..EventQuery::default()
        };
        Ok(self
            .store()
            .events()
            .player_timeline(guild, roblox_id, &query)?
            .events)
    }
}
