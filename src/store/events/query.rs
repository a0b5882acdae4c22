//! Reading the event store: time-series pages over a guild's events (its partitions' indexes
//! merged) or one player's timeline (filtered by patterns, server and a source-time window, continued with a cursor),
//! replay of one server's events in id order, and the newest id of every server.

use std::ops::Bound;

use serde::{Deserialize, Serialize};

use crate::events::{Event, EventType, Pattern};
use crate::store::StoreError;
use crate::store::keys::{KeyReader, corrupt, prefix_end, time_key};

use super::{EventStore, layout};

/// Largest page a query returns; larger requests are cut to this.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Which way a page runs through time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Order {
    /// Oldest first.
    Ascending,
    /// Newest first, what history views want.
    #[default]
    Descending,
}

/// A position in time order: continue a query after the event it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The event's source time (Unix seconds).
    pub source_time: i64,
    /// The event's id within its server.
    pub id: u64,
    /// The event's server label.
    pub server: String,
}

impl Cursor {
    /// The position of `event`.
    pub fn of(event: &Event) -> Self {
        Self {
            source_time: event.source_time,
            id: event.id,
            server: event.server.clone(),
        }
    }
}

/// What to read. Events are ordered by source time, then id, then server.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    /// Keep events matching any of these; empty keeps all.
    pub patterns: Vec<Pattern>,
    /// Keep only this server label.
    pub server: Option<String>,
    /// Earliest source time (Unix seconds), inclusive.
    pub from: Option<i64>,
    /// Latest source time (Unix seconds), inclusive.
    pub to: Option<i64>,
    /// Oldest or newest first; newest by default.
    pub order: Order,
    /// Page size, at least 1 and at most [`MAX_PAGE_SIZE`].
    pub max_results: usize,
    /// Continue after this event (from the previous page's `next`).
    pub after: Option<Cursor>,
}

impl Default for EventQuery {
    fn default() -> Self {
        Self {
            patterns: Vec::new(),
            server: None,
            from: None,
            to: None,
            order: Order::Descending,
            max_results: 50,
            after: None,
        }
    }
}

/// The newest event id of one server: consumers compare it with how far they got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionHead {
    /// Discord guild id.
    pub guild: u64,
    /// The guild's label for the server.
    pub server: String,
    /// Id of the server's newest stored event.
    pub last_id: u64,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The events of this page, in the query's order.
    pub events: Vec<Event>,
    /// More events match after this page.
    pub more_follows: bool,
    /// Pass as `after` to get the next page; set when `more_follows` is.
    pub next: Option<Cursor>,
}

impl EventQuery {
    fn keeps(&self, event_type: &EventType) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| p.matches(event_type))
    }
}

type Entries = Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>>;

/// One time-ordered index being read: its key prefix and the next entry not yet taken.
struct Source {
    prefix_len: usize,
    entries: Entries,
    head: Option<(sled::IVec, sled::IVec)>,
}

impl Source {
    fn advance(&mut self) -> Result<(), StoreError> {
        self.head = self.entries.next().transpose()?;
        Ok(())
    }

    /// The position part of the head's key, which orders entries across indexes.
    fn position(&self) -> Option<&[u8]> {
        self.head
            .as_ref()
            .and_then(|(key, _)| key.get(self.prefix_len..))
    }
}

impl EventStore {
    /// A page of a guild's events in source-time order, merged from the time-ordered index
    /// of each retention partition the guild has events in.
    pub fn query(&self, guild: u64, query: &EventQuery) -> Result<Page, StoreError> {
        let counters = layout::guild_prefix(layout::PARTITION_COUNT, guild);
        let mut prefixes = Vec::new();
        for key in self.tree.scan_prefix(&counters).keys() {
            let key = key?;
            let partition = key
                .get(counters.len()..)
                .and_then(|name| std::str::from_utf8(name).ok())
                .ok_or_else(|| corrupt("event partition counter", "its name is not text"))?;
            prefixes.push(layout::partition_prefix(guild, partition)?);
        }
        self.scan_positions(guild, prefixes, query)
    }

    /// A page of the events involving one Roblox player, read from the player index.
    pub fn player_timeline(
        &self,
        guild: u64,
        roblox_id: u64,
        query: &EventQuery,
    ) -> Result<Page, StoreError> {
        self.scan_positions(guild, vec![layout::player_prefix(guild, roblox_id)], query)
    }

    /// Open one index under `prefix` at the query's window and cursor, in the query's order.
    fn open_source(&self, prefix: Vec<u8>, query: &EventQuery) -> Result<Source, StoreError> {
        let (from, to) = (query.from.unwrap_or(i64::MIN), query.to.unwrap_or(i64::MAX));
        let lower_key = [prefix.as_slice(), &time_key(from)].concat();
        let upper_key = prefix_end(&[prefix.as_slice(), &time_key(to)].concat());
        let mut lower = Bound::Included(lower_key.clone());
        let mut upper = Bound::Excluded(upper_key.clone());
        if let Some(cursor) = &query.after {
            let mut cursor_key = prefix.clone();
            layout::push_position(&mut cursor_key, cursor)?;
            match query.order {
                Order::Ascending if cursor_key >= lower_key => {
                    lower = Bound::Excluded(cursor_key);
                }
                Order::Descending if cursor_key < upper_key => {
                    upper = Bound::Excluded(cursor_key);
                }
                _ => {}
            }
        }
        let range = self.tree.range::<Vec<u8>, _>((lower, upper));
        let entries: Entries = match query.order {
            Order::Ascending => Box::new(range),
            Order::Descending => Box::new(range.rev()),
        };
        let mut source = Source {
            prefix_len: prefix.len(),
            entries,
            head: None,
        };
        source.advance()?;
        Ok(source)
    }

    /// Walk time-ordered indexes under `prefixes` as one sequence (their positions never
    /// collide: an event is in one of them), filtering on the index entry where it names the
    /// kind and loading only the records that pass.
    fn scan_positions(
        &self,
        guild: u64,
        prefixes: Vec<Vec<u8>>,
        query: &EventQuery,
    ) -> Result<Page, StoreError> {
        if query.max_results == 0 {
            return Err(StoreError::Invalid(
                "a query must ask for at least one event (max_results is 0)".into(),
            ));
        }
        let wanted = query.max_results.min(MAX_PAGE_SIZE);
        let empty = Page {
            events: Vec::new(),
            more_follows: false,
            next: None,
        };
        if query.from.unwrap_or(i64::MIN) > query.to.unwrap_or(i64::MAX) {
            return Ok(empty);
        }
        let mut sources = prefixes
            .into_iter()
            .map(|prefix| self.open_source(prefix, query))
            .collect::<Result<Vec<_>, _>>()?;
        let mut events = Vec::with_capacity(wanted + 1);
        while let Some(next) = next_source(&sources, query.order) {
            let source = &mut sources[next];
            let Some((key, value)) = source.head.take() else {
                break;
            };
            source.advance()?;
            let mut reader = KeyReader::new(&key, "event index entry");
            reader.skip(source.prefix_len)?;
            let position = layout::read_position(&mut reader)?;
            if query.server.as_ref().is_some_and(|s| *s != position.server) {
                continue;
            }
            if let Some(event_type) = layout::indexed_type(&position.server, &value)?
                && !query.keeps(&event_type)
            {
                continue;
            }
            let event = self.load(guild, &position.server, position.id)?;
            if query.keeps(&event.event_type) {
                events.push(event);
                if events.len() > wanted {
                    break;
                }
            }
        }
        let more_follows = events.len() > wanted;
        events.truncate(wanted);
        let next = more_follows
            .then(|| events.last().map(Cursor::of))
            .flatten();
        Ok(Page {
            events,
            more_follows,
            next,
        })
    }

    /// Load an event an index points at; a missing record means the index is damaged.
    fn load(&self, guild: u64, server: &str, id: u64) -> Result<Event, StoreError> {
        match self.record(guild, server, id)? {
            Some(stored) => Ok(stored.event),
            None => Err(corrupt(
                "event index",
                format!(
                    "it names event {id} of server `{server}` in guild {guild}, which is missing"
                ),
            )),
        }
    }

    /// Up to `limit` events of one server with ids above `after_id`, in id order: replay
    /// after a restart from the last id a consumer handled.
    pub fn events_since(
        &self,
        guild: u64,
        server: &str,
        after_id: u64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let Some(first) = after_id.checked_add(1) else {
            return Ok(Vec::new());
        };
        Ok(self
            .records_from(guild, server, first, limit)?
            .into_iter()
            .map(|stored| stored.event)
            .collect())
    }

    /// The last id handed out for every (guild, server) that ever stored an event, ordered by
    /// guild then server. Ids survive purges, so a head never moves back.
    pub fn heads(&self) -> Result<Vec<PartitionHead>, StoreError> {
        Ok(self.heads.all())
    }
}

/// The source whose head comes next in `order`, if any has one left.
fn next_source(sources: &[Source], order: Order) -> Option<usize> {
    let heads = sources
        .iter()
        .enumerate()
        .filter_map(|(i, source)| source.position().map(|position| (i, position)));
    match order {
        Order::Ascending => heads.min_by_key(|(_, position)| *position),
        Order::Descending => heads.max_by_key(|(_, position)| *position),
    }
    .map(|(i, _)| i)
}
