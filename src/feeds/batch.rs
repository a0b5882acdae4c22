//! Batching: rendered cards are gathered per channel into messages within Discord's limits
//! (10 embeds, 6,000 characters) and released after a short delay. Pure logic driven by an
//! explicit `now_ms`; the caller persists what [`Batcher::due`] returns (the outbox) and
//! delivers it. Mod-call and 911 cards always go out alone, and their updates become edits;
//! one that arrives while its channel has a batch open waits behind that batch and goes out
//! right after it, so the batch keeps filling instead of being cut short (and an update of a
//! card still waiting there is folded into it: one message with the newest state).
//!
//! With [`Packing::Digest`], a busy channel's cards that would not fit one message as cards
//! become one line each in a digest (embed descriptions of up to 4,096 characters), so a
//! message carries up to 6,000 characters of lines instead of ten cards: Discord's global
//! limit of 50 requests a second per bot then goes further.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::render::{Card, render_event};
use crate::events::Event;
use crate::ui::escape::escape_text;
use crate::ui::message::{
    Embed, MAX_DESCRIPTION, MAX_EMBED_TOTAL, MAX_EMBEDS, Message, char_len, truncate,
};

/// Default longest wait before a batch is released.
pub const DEFAULT_MAX_DELAY_MS: i64 = 2_000;
/// Longest nonce Discord accepts.
pub const MAX_NONCE: usize = 25;

/// Longest line of a digest; a longer card is cut (it is one event among dozens).
pub const MAX_DIGEST_LINE: usize = 400;

/// How a channel's batched cards are laid out in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Packing {
    /// One embed per card, up to ten cards a message.
    #[default]
    Cards,
    /// One embed per card while a batch fits one message that way; a busier batch becomes
    /// a digest of one line per card, so it needs several times fewer messages.
    Digest,
}

impl std::str::FromStr for Packing {
    type Err = String;

    /// `cards` or `digest`, as an operator writes it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cards" => Ok(Self::Cards),
            "digest" => Ok(Self::Digest),
            _ => Err(format!("`{text}` is not a packing; use cards or digest")),
        }
    }
}

/// Batching settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// How long the first card of a batch may wait for company, in milliseconds.
    pub max_delay_ms: i64,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_delay_ms: DEFAULT_MAX_DELAY_MS,
        }
    }
}

/// Which stored event a message carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventRef {
    /// Discord guild id that owns the ER:LC server.
    pub guild: u64,
    /// The guild's label for the ER:LC server.
    pub server: String,
    /// The event's sequence number within (guild, server).
    pub id: u64,
}

impl EventRef {
    /// The reference to a stored event.
    pub fn of(event: &Event) -> Self {
        Self {
            guild: event.guild,
            server: event.server.clone(),
            id: event.id,
        }
    }
}

/// The card a message should replace: the idempotency key under which that card was created,
/// `card:<guild>:<server>:<subject>:<channel>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EditTarget {
    /// Idempotency key of the message that created the card; its stored message id is edited.
    pub card_key: String,
}

/// One message to create (or edit), with what it carries.
///
/// Delivery contract: a create is sent with `nonce_for(&idempotency_key)` and the resulting
/// message id stored under `idempotency_key`. An edit looks up the message id stored under
/// `edit.card_key`; if there is none (the creating event went to another channel, or is
/// older than the feed), it creates the message instead and stores it under `card_key`, so
/// later updates edit that one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedMessage {
    /// Discord channel the message goes to.
    pub channel_id: u64,
    /// What to post: the batched cards, within Discord's limits.
    pub message: Message,
    /// The stored events the message carries, in push order.
    pub events: Vec<EventRef>,
    /// Deterministic from the channel and the events (or the card identity for live cards).
    pub idempotency_key: String,
    /// The live card this message updates (see above); `None` for a new message.
    pub edit: Option<EditTarget>,
    /// When the store recorded the first event (Unix ms), so feed lag is measured without
    /// reading the event back; `None` in messages queued before it was carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_stored_at_ms: Option<i64>,
}

#[derive(Debug)]
struct OpenBatch {
    opened_at_ms: i64,
    embeds: Vec<Embed>,
    events: Vec<EventRef>,
    chars: usize,
    /// The cards as digest lines ([`Packing::Digest`] only).
    lines: Vec<String>,
    /// When the store recorded the first card's event.
    first_stored_at_ms: i64,
    /// Cards that stand alone (live or buttoned) pushed while this batch was open, in push
    /// order; they go out right after it.
    behind: Vec<PlannedMessage>,
}

impl OpenBatch {
    fn fits_as_cards(&self) -> bool {
        self.embeds.len() <= MAX_EMBEDS && self.chars <= MAX_EMBED_TOTAL
    }

    /// The events of the batch and of the cards waiting behind it.
    fn held_events(&self) -> impl Iterator<Item = &EventRef> {
        self.events
            .iter()
            .chain(self.behind.iter().flat_map(|planned| &planned.events))
    }
}

/// Queue a card that stands alone behind a batch. An update of a live card whose message
/// (its post, or an earlier update) waits there already is folded into that message: it
/// carries the newest state and both events, so one request does the work of two.
fn queue_behind(behind: &mut Vec<PlannedMessage>, planned: PlannedMessage) {
    let folds_into = planned.edit.as_ref().and_then(|target| {
        behind.iter_mut().rev().find(|waiting| {
            waiting.idempotency_key == target.card_key || waiting.edit.as_ref() == Some(target)
        })
    });
    match folds_into {
        Some(waiting) => {
            waiting.message = planned.message;
            waiting.events.extend(planned.events);
        }
        None => behind.push(planned),
    }
}

/// Gathers cards into planned messages. Per channel, messages come out in push order.
#[derive(Debug, Default)]
pub struct Batcher {
    config: BatchConfig,
    packing: Packing,
    open: BTreeMap<u64, OpenBatch>,
    /// Closed messages waiting for [`Batcher::due`], with when they closed.
    ready: Vec<(i64, PlannedMessage)>,
}

impl Batcher {
    /// An empty batcher.
    pub fn new(config: BatchConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// This batcher, laying its messages out with `packing`.
    pub fn packed(self, packing: Packing) -> Self {
        Self { packing, ..self }
    }

    /// Add a card for `channel_id`, for an event the store recorded at `stored_at_ms`. A live
    /// card (mod call, 911) or one with buttons becomes a message of its own: right away if
    /// the channel has no open batch, else right after that batch (an update of a live card
    /// still waiting there replaces it). Other cards join the open batch, which closes first
    /// if the card would break a limit.
    pub fn push(
        &mut self,
        channel_id: u64,
        card: Card,
        event: EventRef,
        stored_at_ms: i64,
        now_ms: i64,
    ) {
        let stands_alone = card.live.is_some() || !card.buttons.is_empty();
        if stands_alone {
            let planned = single_card(channel_id, card, event, stored_at_ms);
            match self.open.get_mut(&channel_id) {
                Some(open) => queue_behind(&mut open.behind, planned),
                None => self.ready.push((now_ms, planned)),
            }
            return;
        }
        let mut embed = card.embed;
        embed.clamp();
        let chars = embed.char_count();
        let line = (self.packing == Packing::Digest).then(|| digest_line(&embed));
        let full = self.open.get(&channel_id).is_some_and(|open| {
            let as_cards = open.embeds.len() < MAX_EMBEDS && open.chars + chars <= MAX_EMBED_TOTAL;
            let as_digest = || {
                line.as_ref()
                    .is_some_and(|line| digest_fits(open.lines.iter().chain(std::iter::once(line))))
            };
            !(as_cards || as_digest())
        });
        if full {
            self.close(channel_id, now_ms);
        }
        let open = self.open.entry(channel_id).or_insert_with(|| OpenBatch {
            opened_at_ms: now_ms,
            embeds: Vec::new(),
            events: Vec::new(),
            chars: 0,
            lines: Vec::new(),
            first_stored_at_ms: stored_at_ms,
            behind: Vec::new(),
        });
        open.embeds.push(embed);
        open.events.push(event);
        open.chars += chars;
        open.lines.extend(line);
    }

    /// Render `event` once and push it to each channel.
    pub fn push_event(&mut self, channels: &[u64], event: &Event, now_ms: i64) {
        if channels.is_empty() {
            return;
        }
        let card = render_event(event);
        let reference = EventRef::of(event);
        for &channel in channels {
            self.push(
                channel,
                card.clone(),
                reference.clone(),
                event.recorded_at_ms,
                now_ms,
            );
        }
    }

    /// Messages ready at `now_ms`: every closed message, and every batch whose first card has
    /// waited `max_delay_ms`. In the order they closed.
    pub fn due(&mut self, now_ms: i64) -> Vec<PlannedMessage> {
        let expired: Vec<(i64, u64)> = self
            .open
            .iter()
            .filter(|(_, open)| {
                open.opened_at_ms.saturating_add(self.config.max_delay_ms) <= now_ms
            })
            .map(|(channel, open)| (open.opened_at_ms, *channel))
            .collect();
        for (opened_at, channel) in expired {
            let deadline = opened_at.saturating_add(self.config.max_delay_ms);
            self.close(channel, deadline);
        }
        self.take_ready()
    }

    /// What can be queued at `now_ms` with every (guild, server)'s queued events staying a
    /// prefix of its ids: the [`Batcher::due`] messages, plus every open batch that holds an
    /// event of a server they carry older than the newest one they carry (and so on, until
    /// nothing more joins). Routing keeps a server's cursor below its [`Batcher::lowest_held`]
    /// event, so after a crash it routes again exactly the events that were never queued.
    /// Per channel, in push order.
    pub fn due_whole(&mut self, now_ms: i64) -> Vec<PlannedMessage> {
        let mut released = self.due(now_ms);
        loop {
            let mut newest: HashMap<(u64, &str), u64> = HashMap::new();
            for event in released.iter().flat_map(|planned| &planned.events) {
                let id = newest.entry((event.guild, &event.server)).or_default();
                *id = (*id).max(event.id);
            }
            let joining: Vec<u64> = self
                .open
                .iter()
                .filter(|(_, open)| {
                    open.held_events().any(|event| {
                        newest
                            .get(&(event.guild, event.server.as_str()))
                            .is_some_and(|newest| event.id < *newest)
                    })
                })
                .map(|(channel, _)| *channel)
                .collect();
            if joining.is_empty() {
                return released;
            }
            for channel in joining {
                self.close(channel, now_ms);
            }
            released.extend(self.take_ready());
        }
    }

    /// The oldest event id still held per (guild, server), in open batches and in closed
    /// messages not yet taken.
    pub fn lowest_held(&self) -> HashMap<(u64, String), u64> {
        let open = self.open.values().flat_map(OpenBatch::held_events);
        let ready = self.ready.iter().flat_map(|(_, planned)| &planned.events);
        // Keyed by borrowed labels: a label is copied once per server, not once per event.
        let mut lowest: HashMap<(u64, &str), u64> = HashMap::new();
        for event in open.chain(ready) {
            lowest
                .entry((event.guild, event.server.as_str()))
                .and_modify(|id| *id = (*id).min(event.id))
                .or_insert(event.id);
        }
        lowest
            .into_iter()
            .map(|((guild, server), id)| ((guild, server.to_owned()), id))
            .collect()
    }

    /// Everything, now (shutdown).
    pub fn flush_all(&mut self) -> Vec<PlannedMessage> {
        for (channel_id, open) in std::mem::take(&mut self.open) {
            let closed_at = open.opened_at_ms;
            self.close_batch(channel_id, open, closed_at);
        }
        self.take_ready()
    }

    /// When [`Batcher::due`] next has something to return, if anything is waiting.
    pub fn next_due_ms(&self) -> Option<i64> {
        let open = self
            .open
            .values()
            .map(|o| o.opened_at_ms.saturating_add(self.config.max_delay_ms));
        let ready = self.ready.iter().map(|(at, _)| *at);
        open.chain(ready).min()
    }

    /// Cards held, in open batches and closed messages.
    pub fn pending_cards(&self) -> usize {
        let open: usize = self.open.values().map(|o| o.held_events().count()).sum();
        let ready: usize = self.ready.iter().map(|(_, p)| p.events.len()).sum();
        open + ready
    }

    fn close(&mut self, channel_id: u64, closed_at_ms: i64) {
        if let Some(open) = self.open.remove(&channel_id) {
            self.close_batch(channel_id, open, closed_at_ms);
        }
    }

    fn close_batch(&mut self, channel_id: u64, open: OpenBatch, closed_at_ms: i64) {
        let embeds = if open.fits_as_cards() {
            open.embeds
        } else {
            let colour = open.embeds.first().and_then(|e| e.colour);
            digest_embeds(&open.lines, colour)
        };
        let mut message = Message {
            content: None,
            embeds,
            buttons: Vec::new(),
            ping_role: None,
        };
        message.clamp();
        let planned = PlannedMessage {
            channel_id,
            idempotency_key: batch_key(channel_id, &open.events),
            message,
            events: open.events,
            edit: None,
            first_stored_at_ms: Some(open.first_stored_at_ms),
        };
        self.ready.push((closed_at_ms, planned));
        // Same close time: the stable sort in `take_ready` keeps them right after the batch.
        self.ready.extend(
            open.behind
                .into_iter()
                .map(|planned| (closed_at_ms, planned)),
        );
    }

    fn take_ready(&mut self) -> Vec<PlannedMessage> {
        // Stable: per channel, push order is kept.
        self.ready.sort_by_key(|(at, _)| *at);
        self.ready.drain(..).map(|(_, planned)| planned).collect()
    }
}

/// A card as one digest line: bold title, description, fields and footer, on one line.
/// Title and footer are the renderer's own words plus the server label; they are escaped,
/// as the description would show them as markdown. Description and fields are markdown
/// already, with game text escaped by the renderer.
fn digest_line(embed: &Embed) -> String {
    let mut parts = Vec::new();
    if let Some(title) = &embed.title {
        parts.push(format!("**{}**", escape_text(title)));
    }
    if let Some(description) = &embed.description {
        parts.push(description.clone());
    }
    for field in &embed.fields {
        parts.push(format!("{}: {}", field.name, field.value));
    }
    if let Some(footer) = &embed.footer {
        parts.push(escape_text(footer));
    }
    let line = parts.join(" · ").replace(['\n', '\r'], " ");
    truncate(&line, MAX_DIGEST_LINE)
}

/// Lines into embed descriptions of at most [`MAX_DESCRIPTION`] characters, in order: the
/// lines each description takes, and its length in characters.
fn digest_layout<'a>(lines: impl IntoIterator<Item = &'a String>) -> Vec<(Vec<&'a str>, usize)> {
    let mut layout: Vec<(Vec<&'a str>, usize)> = Vec::new();
    for line in lines {
        let chars = char_len(line);
        match layout.last_mut() {
            // One more line after a newline.
            Some((taken, length)) if *length + 1 + chars <= MAX_DESCRIPTION => {
                taken.push(line.as_str());
                *length += 1 + chars;
            }
            _ => layout.push((vec![line.as_str()], chars)),
        }
    }
    layout
}

/// True if these lines make one message: at most ten embeds, 6,000 characters in all.
fn digest_fits<'a>(lines: impl IntoIterator<Item = &'a String>) -> bool {
    let layout = digest_layout(lines);
    layout.len() <= MAX_EMBEDS
        && layout.iter().map(|(_, length)| length).sum::<usize>() <= MAX_EMBED_TOTAL
}

/// The digest of `lines`: one embed per description, in the first card's colour.
fn digest_embeds(lines: &[String], colour: Option<u32>) -> Vec<Embed> {
    digest_layout(lines)
        .into_iter()
        .map(|(taken, _)| Embed {
            description: Some(taken.join("\n")),
            colour,
            ..Embed::default()
        })
        .collect()
}

/// A live or buttoned card as its own message; updates of a live card become edits.
fn single_card(channel_id: u64, card: Card, event: EventRef, stored_at_ms: i64) -> PlannedMessage {
    let message = Message::single(card.embed, card.buttons);
    let (idempotency_key, edit) = match card.live {
        Some(live) => {
            let card_key = format!(
                "card:{}:{}:{}:{channel_id}",
                event.guild, event.server, live.subject
            );
            if live.update {
                let key = batch_key(channel_id, std::slice::from_ref(&event));
                (key, Some(EditTarget { card_key }))
            } else {
                (card_key, None)
            }
        }
        None => (batch_key(channel_id, std::slice::from_ref(&event)), None),
    };
    PlannedMessage {
        channel_id,
        message,
        events: vec![event],
        idempotency_key,
        edit,
        first_stored_at_ms: Some(stored_at_ms),
    }
}

/// `feed:<channel>:<first event>:<digest of every event>`: the same events in the same
/// channel always give the same key.
fn batch_key(channel_id: u64, events: &[EventRef]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(channel_id.to_be_bytes());
    for event in events {
        hasher.update(event.guild.to_be_bytes());
        hasher.update((event.server.len() as u64).to_be_bytes());
        hasher.update(event.server.as_bytes());
        hasher.update(event.id.to_be_bytes());
    }
    let digest = hex::encode(&hasher.finalize()[..12]);
    match events.first() {
        Some(first) => format!(
            "feed:{channel_id}:{}:{}:{}:{digest}",
            first.guild, first.server, first.id
        ),
        None => format!("feed:{channel_id}:{digest}"),
    }
}

/// Discord's `nonce` for a create (sent with `enforce_nonce: true`): 24 URL-safe characters
/// derived from the idempotency key, so a retry after a crash is recognised as the same post.
pub fn nonce_for(idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..18])
}

#[cfg(test)]
mod tests;
