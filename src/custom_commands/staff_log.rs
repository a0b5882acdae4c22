//! In-game staff commands seen in the servers' command logs: a durable consumer of the
//! stored `command` events, and the handlers it hands them to.
//!
//! Staff type commands such as `:log verify CODE` in game; PRC lists them in the command
//! logs, the tracker stores each as a `command` event, and this consumer reads every
//! server's events after its persisted cursor (per guild and server, in the store's
//! [`ConsumerCursors`](crate::store::ConsumerCursors) under [`CONSUMER`]), offers each command
//! to the [`StaffCommandHandler`]s in order, and moves the cursor past it.
//!
//! Exactly once across restarts: the cursor is saved (and flushed) only after a handler
//! finished, so a crash in between hands the event over again, and every handler makes its
//! lasting effect idempotent per event ([`StaffCommand::mark`]; the link store, for one,
//! remembers which event redeemed a code). A handler that fails for a reason worth retrying
//! (the store) stops the consumer at that event until the next pass. Past events no handler
//! wants (nearly all of them) the cursor moves in memory and is saved every
//! [`ConsumerConfig::save_interval`] and at shutdown: a crash only means reading them again.
//!
//! Adding a handler (`:log shift …`, `:log warn …`, `:kick` → cases) is one type implementing
//! [`StaffCommandHandler`], listed in [`StaffCommandConsumer::new`]. Handlers of other stored
//! events (automatic shifts from `staff/join` and `staff/leave`) implement
//! [`StoredEventHandler`] and are offered every event first, with the same cursor and the
//! same exactly-once rules. Events stored before the consumer first ran on a server are
//! skipped: they are history, not commands to act on.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;

use crate::actions::{AuditAction, AuditDraft, begin_audit, complete_audit, redeem_link_code};
use crate::erlc::api::CommandOptions;
use crate::erlc::command::{GameCommand, Target, Targets};
use crate::events::Event;
use crate::events::catalog::EventPayload;
use crate::store::{AuditActor, AuditOutcome, EventMark, LinkError, Source, Store, StoreError};

use super::ServerHandles;
use super::run::LINKED_REPLY;

/// The consumer's name in the store's cursors.
pub const CONSUMER: &str = "staff_commands";

/// A command a player ran in game, as a stored `command` event recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffCommand {
    /// Discord guild id that owns the server.
    pub guild: u64,
    /// The guild's label for the server.
    pub server: String,
    /// The event's id on that server.
    pub event_id: u64,
    /// When it was run, Unix seconds (from the command log).
    pub time: i64,
    /// Roblox id of who ran it.
    pub player_id: u64,
    /// Roblox username of who ran it; untrusted.
    pub player_name: String,
    /// The whole command, leading `:` included; untrusted.
    pub text: String,
}

impl StaffCommand {
    /// The command a stored event records, if it is a `command` event run by a player
    /// (commands sent through the API, the bot's own among them, have no player id).
    pub fn from_event(event: &Event) -> Option<Self> {
        if event.event_type.kind() != "command" {
            return None;
        }
        let EventPayload::Command { player, command } = EventPayload::from_json(&event.payload)?
        else {
            return None;
        };
        Some(Self {
            guild: event.guild,
            server: event.server.clone(),
            event_id: event.id,
            time: event.source_time,
            player_id: player.id?,
            player_name: player.name,
            text: command,
        })
    }

    /// `:log <verb> <rest>`: the verb in lower case and the rest trimmed, for `:log` lines.
    pub fn log_entry(&self) -> Option<(String, &str)> {
        let text = self.text.trim();
        let (word, rest) = text.split_once(char::is_whitespace)?;
        if !word.eq_ignore_ascii_case(":log") {
            return None;
        }
        let rest = rest.trim_start();
        let (verb, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        Some((verb.to_lowercase(), rest.trim()))
    }

    /// Names this event, for handlers that record which event caused what.
    pub fn mark(&self) -> EventMark {
        EventMark {
            server: self.server.clone(),
            id: self.event_id,
        }
    }

    /// The staff member who typed it, as the audit log names them.
    pub fn audit_actor(&self) -> AuditActor {
        AuditActor::Player {
            id: Some(self.player_id),
            name: self.player_name.clone(),
        }
    }
}

/// What a handler's future gives back: `Err` only for a failure worth retrying.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// One kind of in-game staff command.
pub trait StaffCommandHandler: Send + Sync {
    /// Whether this handler takes `command` (no I/O). The first handler that wants a
    /// command gets it; commands nobody wants are passed over.
    fn wants(&self, command: &StaffCommand) -> bool;

    /// Act on `command` and answer the staff member (through `reply`). The lasting effect
    /// must be idempotent per event ([`StaffCommand::mark`]): after a crash the same event
    /// comes again. Return `Err` only when trying again later may help; refusals are
    /// answered in game and end `Ok`.
    fn handle<'a>(&'a self, command: &'a StaffCommand, reply: &'a Replies) -> HandlerFuture<'a>;
}

/// A handler of stored events other than staff commands (automatic shifts from staff joining
/// and leaving). Same contract as [`StaffCommandHandler`]: idempotent per event, `Err` only
/// when trying again later may help.
pub trait StoredEventHandler: Send + Sync {
    /// Whether this handler takes `event` (no I/O).
    fn wants(&self, event: &Event) -> bool;

    /// Act on `event`.
    fn handle<'a>(&'a self, event: &'a Event, reply: &'a Replies) -> HandlerFuture<'a>;
}

/// Answers to staff in game, through the guild's server handles.
pub struct Replies {
    store: Store,
    handles: Arc<dyn ServerHandles>,
}

impl Replies {
    /// The store handlers act on.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// `:pm <who ran it> <text>`, never retried (a command that may have run must not run
    /// twice). `Err` says why it was not sent, for the audit log.
    pub async fn pm(&self, command: &StaffCommand, text: &str) -> Result<(), String> {
        let handle = self
            .handles
            .handle(command.guild, &command.server)
            .await
            .map_err(|e| e.to_string())?;
        let target = Target::name(&command.player_name).map_err(|e| e.to_string())?;
        let pm = GameCommand::Pm {
            targets: Targets::one(target),
            text: text.to_owned(),
        };
        handle
            .run(&pm, &CommandOptions::default())
            .await
            .map(|_| ())
            .map_err(|e| e.user_message())
    }
}

/// `:log verify CODE`: link the staff member's Roblox account to the member who got the code
/// from `/link` (the same as `;verify CODE`, for servers where staff prefer `:log`).
pub struct VerifyHandler;

impl StaffCommandHandler for VerifyHandler {
    fn wants(&self, command: &StaffCommand) -> bool {
        command
            .log_entry()
            .is_some_and(|(verb, _)| verb == "verify")
    }

    fn handle<'a>(&'a self, command: &'a StaffCommand, reply: &'a Replies) -> HandlerFuture<'a> {
        Box::pin(async move {
            let code = command
                .log_entry()
                .and_then(|(_, rest)| rest.split_whitespace().next().map(str::to_owned))
                .unwrap_or_default();
            let store = reply.store();
            // The code stays out of the audit log: until it expires it links an account.
            let note = AuditDraft::new(
                AuditAction::StaffCommandVerify,
                Some(command.server.clone()),
                json!({ "command": ":log verify", "event": command.event_id }),
            );
            let ticket = begin_audit(
                store,
                command.guild,
                command.audit_actor(),
                Source::Tracker,
                note,
            )
            .await?;
            if code.is_empty() {
                let sent = reply
                    .pm(command, "Usage: :log verify <code from /link>")
                    .await;
                let outcome = AuditOutcome::Failed(with_reply("no code given", sent));
                complete_audit(store, ticket, outcome).await;
                return Ok(());
            }
            let player = (command.player_id, command.player_name.as_str());
            let result = redeem_link_code(
                store,
                command.guild,
                &code,
                player,
                &command.server,
                Some(command.mark()),
            )
            .await;
            let outcome = match result {
                Ok(linked) if linked.fresh => {
                    if let Err(e) = reply.pm(command, LINKED_REPLY).await {
                        tracing::info!(guild = command.guild, server = %command.server, error = %e, "linked by :log verify; no reply in game");
                    }
                    AuditOutcome::Ok
                }
                // This event linked them before a restart; it was answered then.
                Ok(_) => AuditOutcome::Ok,
                Err(LinkError::Refused(refusal)) => {
                    let sent = reply.pm(command, &format!("Not linked: {refusal}.")).await;
                    AuditOutcome::Failed(with_reply(&format!("not linked: {refusal}"), sent))
                }
                Err(LinkError::Store(e)) => {
                    complete_audit(store, ticket, AuditOutcome::Failed(e.to_string())).await;
                    return Err(e);
                }
            };
            complete_audit(store, ticket, outcome).await;
            Ok(())
        })
    }
}

fn with_reply(detail: &str, sent: Result<(), String>) -> String {
    match sent {
        Ok(()) => format!("{detail}; replied in game"),
        Err(e) => format!("{detail}; no reply in game ({e})"),
    }
}

/// How the consumer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// Events read per server per store read.
    pub read_page: usize,
    /// Look for new events at least this often, even without a wake-up.
    pub recheck_interval: Duration,
    /// At least this long between two passes, however often the wake-up rings (it rings
    /// after every poll of every server).
    pub min_pass_gap: Duration,
    /// How often cursors that moved past events no handler wanted are saved. Saving after
    /// every pass would write a cursor per busy server several times a second; a crash
    /// only makes the consumer read those events again, which acts on nothing.
    pub save_interval: Duration,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            read_page: 500,
            recheck_interval: Duration::from_secs(5),
            min_pass_gap: Duration::from_millis(250),
            save_interval: Duration::from_secs(10),
        }
    }
}

/// Reads stored `command` events and hands staff commands to their handlers. Call
/// [`StaffCommandConsumer::run`] once.
pub struct StaffCommandConsumer {
    replies: Replies,
    handlers: Vec<Box<dyn StaffCommandHandler>>,
    event_handlers: Vec<Box<dyn StoredEventHandler>>,
    config: ConsumerConfig,
    /// Where each server's reading got to, and what of it is saved: read from the store
    /// once, as this consumer is the cursors' only writer.
    cursors: Mutex<BTreeMap<(u64, String), Position>>,
    /// When moved cursors were last saved.
    saved_at: Mutex<Instant>,
    /// The event store's heads mark after the last pass that read everything (0: look at
    /// every server), so a pass costs the servers that stored events, not all of them.
    head_mark: Mutex<u64>,
}

/// One server's cursor in memory.
#[derive(Debug, Clone, Copy, Default)]
struct Position {
    /// Every event up to this id was read (and handled, if a handler wanted it).
    read: u64,
    /// The id saved in the store: at or past the last event a handler took.
    saved: u64,
}

impl std::fmt::Debug for StaffCommandConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffCommandConsumer")
            .field("handlers", &self.handlers.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl StaffCommandConsumer {
    /// The consumer with every handler: `:log verify`.
    pub fn new(store: Store, handles: Arc<dyn ServerHandles>, config: ConsumerConfig) -> Self {
        Self {
            replies: Replies { store, handles },
            handlers: vec![Box::new(VerifyHandler)],
            event_handlers: Vec::new(),
            config,
            cursors: Mutex::new(BTreeMap::new()),
            saved_at: Mutex::new(Instant::now()),
            head_mark: Mutex::new(0),
        }
    }

    /// Add handlers that need the services (shifts): a staff command handler and a handler
    /// of other stored events. Call before [`StaffCommandConsumer::run`].
    pub fn with_handlers(
        mut self,
        commands: Vec<Box<dyn StaffCommandHandler>>,
        events: Vec<Box<dyn StoredEventHandler>>,
    ) -> Self {
        self.handlers.extend(commands);
        self.event_handlers.extend(events);
        self
    }

    fn store(&self) -> &Store {
        &self.replies.store
    }

    /// Read the persisted cursors; a server with events but no cursor (the consumer never ran
    /// on it) starts after its newest event. Run once, before anything can store events (the
    /// tracker, webhooks): an event stored in between would be taken for history and skipped.
    pub fn start(&self) -> Result<(), StoreError> {
        let store = self.store();
        let mut cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        for head in store.events().heads()? {
            let at = match store
                .consumer_cursors()
                .get(CONSUMER, head.guild, &head.server)?
            {
                Some(at) => at,
                None => {
                    store.consumer_cursors().advance(
                        CONSUMER,
                        head.guild,
                        &head.server,
                        head.last_id,
                    )?;
                    head.last_id
                }
            };
            cursors.insert(
                (head.guild, head.server),
                Position {
                    read: at,
                    saved: at,
                },
            );
        }
        store.flush()?;
        Ok(())
    }

    fn cursor(&self, guild: u64, server: &str) -> u64 {
        let cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        cursors
            .get(&(guild, server.to_owned()))
            .map_or(0, |p| p.read)
    }

    /// Move the cursor in memory only (past events no handler took).
    fn note_read(&self, guild: u64, server: &str, id: u64) {
        let mut cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        let position = cursors.entry((guild, server.to_owned())).or_default();
        position.read = position.read.max(id);
    }

    /// Move the cursor and save it now (past an event a handler took).
    fn save(&self, guild: u64, server: &str, id: u64) -> Result<(), StoreError> {
        self.store()
            .consumer_cursors()
            .advance(CONSUMER, guild, server, id)?;
        let mut cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        let position = cursors.entry((guild, server.to_owned())).or_default();
        position.read = position.read.max(id);
        position.saved = position.saved.max(id);
        Ok(())
    }

    /// Save every cursor that moved in memory since it was last saved, in one write.
    /// Returns how many.
    pub fn save_moved(&self) -> Result<usize, StoreError> {
        let moved: Vec<(u64, String, u64)> = {
            let cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
            cursors
                .iter()
                .filter(|(_, p)| p.read > p.saved)
                .map(|((guild, server), p)| (*guild, server.clone(), p.read))
                .collect()
        };
        if moved.is_empty() {
            return Ok(0);
        }
        let moves: Vec<(u64, &str, u64)> = moved
            .iter()
            .map(|(guild, server, id)| (*guild, server.as_str(), *id))
            .collect();
        self.store()
            .consumer_cursors()
            .advance_many(CONSUMER, &moves)?;
        let count = moves.len();
        let mut cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        for (guild, server, id) in moved {
            let position = cursors.entry((guild, server)).or_default();
            position.saved = position.saved.max(id);
        }
        Ok(count)
    }

    /// One pass: the events after its cursor of every server that stored some since the last
    /// whole pass, handed to the handlers. Returns how many commands were handled. Stops at
    /// the first handler that asks to be retried; the next pass then looks at those servers
    /// again, as the mark only moves once a pass has read everything it was given.
    pub async fn pass(&self) -> Result<usize, StoreError> {
        let mut handled = 0;
        let mark = *self.head_mark.lock().unwrap_or_else(|p| p.into_inner());
        let moved = self.store().events().heads_moved_since(mark);
        for head in moved.heads {
            let (guild, server) = (head.guild, head.server);
            let mut after = self.cursor(guild, &server);
            while after < head.last_id {
                let events = self.store().events().events_since(
                    guild,
                    &server,
                    after,
                    self.config.read_page,
                )?;
                let Some(last) = events.last().map(|e| e.id) else {
                    break;
                };
                for event in &events {
                    if let Some(handler) = self.event_handlers.iter().find(|h| h.wants(event)) {
                        handler.handle(event, &self.replies).await?;
                        handled += 1;
                        self.save(guild, &server, event.id)?;
                        self.store().flush_async().await?;
                        continue;
                    }
                    let Some(command) = StaffCommand::from_event(event) else {
                        continue;
                    };
                    let Some(handler) = self.handlers.iter().find(|h| h.wants(&command)) else {
                        continue;
                    };
                    handler.handle(&command, &self.replies).await?;
                    handled += 1;
                    self.save(guild, &server, event.id)?;
                    self.store().flush_async().await?;
                }
                self.note_read(guild, &server, last);
                after = last;
            }
        }
        *self.head_mark.lock().unwrap_or_else(|p| p.into_inner()) = moved.mark;
        let due = self
            .saved_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
            >= self.config.save_interval;
        if due {
            if self.save_moved()? > 0 {
                self.store().flush_in_window().await?;
            }
            *self.saved_at.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        }
        Ok(handled)
    }

    /// Save the moved cursors and flush (on shutdown, so the next start reads less again).
    async fn save_and_flush(&self) {
        let saved = match self.save_moved() {
            Ok(saved) => saved,
            Err(e) => {
                tracing::warn!(error = %e, "staff commands: could not save the cursors");
                return;
            }
        };
        if saved > 0
            && let Err(e) = self.store().flush_async().await
        {
            tracing::warn!(error = %e, "staff commands: could not flush the cursors");
        }
    }

    /// After [`StaffCommandConsumer::start`]: pass after every wake-up (bumped when events
    /// are stored) and at least every `recheck_interval`, until `shutdown` completes. A
    /// failed pass is logged and tried again: the cursors hold where it got to.
    pub async fn run(&self, mut wake: watch::Receiver<u64>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut wake_open = true;
        loop {
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "staff commands: a pass failed; will retry");
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(self.config.min_pass_gap) => {}
            }
            tokio::select! {
                _ = &mut shutdown => break,
                changed = wake.changed(), if wake_open => wake_open = changed.is_ok(),
                _ = tokio::time::sleep(self.config.recheck_interval) => {}
            }
        }
        self.save_and_flush().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventType;

    fn event(kind: &str, payload: serde_json::Value) -> Event {
        Event {
            guild: 1,
            server: "main".into(),
            id: 9,
            event_type: EventType::parse(&format!("main/{kind}")).unwrap(),
            source_time: 100,
            recorded_at_ms: 0,
            players: Vec::new(),
            payload,
        }
    }

    fn command_event(name: &str, id: Option<u64>, text: &str) -> Event {
        let payload = serde_json::to_value(EventPayload::Command {
            player: crate::events::catalog::PlayerInfo {
                name: name.into(),
                id,
                ..Default::default()
            },
            command: text.into(),
        })
        .unwrap();
        event("command", payload)
    }

    /// No server can be reached: replies fail (and say so in the audit log), links do not.
    struct Unreachable;

    impl ServerHandles for Unreachable {
        fn handle<'a>(&'a self, _guild: u64, label: &'a str) -> super::super::HandleFuture<'a> {
            Box::pin(async move {
                Err(super::super::HandleError {
                    label: label.to_owned(),
                    reason: "not in this test".into(),
                })
            })
        }
    }

    fn open(dir: &std::path::Path) -> Store {
        use crate::store::{MasterKeySource, StoreConfig};
        Store::open(StoreConfig::new(dir, MasterKeySource::Env("33".repeat(32)))).unwrap()
    }

    fn store_command(store: &Store, name: &str, id: u64, text: &str) -> u64 {
        let payload = EventPayload::Command {
            player: crate::events::catalog::PlayerInfo {
                name: name.into(),
                id: Some(id),
                ..Default::default()
            },
            command: text.into(),
        };
        let event = payload.into_new_event("main", 100, None).unwrap();
        store.events().append(1, vec![event]).unwrap()[0].id
    }

    fn consumer(store: &Store) -> StaffCommandConsumer {
        let consumer = StaffCommandConsumer::new(
            store.clone(),
            Arc::new(Unreachable),
            ConsumerConfig::default(),
        );
        consumer.start().unwrap();
        consumer
    }

    #[tokio::test]
    async fn commands_are_handled_once_across_restarts_and_history_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        // Stored before the consumer ever ran: history, never acted on.
        let old_code = store.links().new_code(1, 10, i64::MAX).unwrap();
        store_command(&store, "Old", 5, &format!(":log verify {old_code}"));
        let first = consumer(&store);
        assert_eq!(first.pass().await.unwrap(), 0);
        assert!(store.links().by_member(1, 10).unwrap().is_none());

        let code = store.links().new_code(1, 20, i64::MAX).unwrap();
        store_command(&store, "Staff", 6, ":kick Someone");
        let id = store_command(&store, "Staff", 6, &format!(":log verify {code}"));
        assert_eq!(first.pass().await.unwrap(), 1);
        let link = store.links().by_member(1, 20).unwrap().expect("linked");
        assert_eq!((link.roblox_id, link.roblox_name.as_str()), (6, "Staff"));
        assert_eq!(first.pass().await.unwrap(), 0, "handled once");
        assert_eq!(
            store.consumer_cursors().get(CONSUMER, 1, "main").unwrap(),
            Some(id),
            "saved as soon as a handler took it"
        );
        let later = store_command(&store, "Staff", 6, ":h hello");
        assert_eq!(first.pass().await.unwrap(), 0);
        assert_eq!(
            store.consumer_cursors().get(CONSUMER, 1, "main").unwrap(),
            Some(id),
            "events nobody wanted move the cursor in memory"
        );
        assert_eq!(first.save_moved().unwrap(), 1);
        assert_eq!(first.save_moved().unwrap(), 0);
        assert_eq!(
            store.consumer_cursors().get(CONSUMER, 1, "main").unwrap(),
            Some(later)
        );
        drop(first);
        drop(store);

        // A restart: the cursor holds, nothing is handled again.
        let store = open(dir.path());
        let again = consumer(&store);
        assert_eq!(again.pass().await.unwrap(), 0);
        // A crash after the link but before the cursor moved: the replay finds its own mark.
        let replayed = StaffCommand {
            guild: 1,
            server: "main".into(),
            event_id: id,
            time: 100,
            player_id: 6,
            player_name: "Staff".into(),
            text: format!(":log verify {code}"),
        };
        VerifyHandler
            .handle(&replayed, &again.replies)
            .await
            .unwrap();
        let query = crate::store::AuditQuery {
            action: Some("staff_command.verify".into()),
            ..Default::default()
        };
        let page = store.audit().search(1, &query).unwrap();
        let outcomes: Vec<&AuditOutcome> = page.entries.iter().map(|e| e.outcome()).collect();
        assert_eq!(
            outcomes,
            [&AuditOutcome::Ok, &AuditOutcome::Ok],
            "the replay links nothing new"
        );
        assert_eq!(store.links().by_member(1, 20).unwrap(), Some(link));
    }

    #[test]
    fn log_lines_are_read_from_player_commands_only() {
        let command =
            StaffCommand::from_event(&command_event("Mod", Some(5), ":LOG  Verify ab3d7f "))
                .expect("a player's command");
        assert_eq!(command.player_id, 5);
        assert_eq!(command.log_entry(), Some(("verify".into(), "ab3d7f")));
        assert!(VerifyHandler.wants(&command));
        assert_eq!(
            command.mark(),
            EventMark {
                server: "main".into(),
                id: 9
            }
        );

        let api = command_event("Remote Server", None, ":log verify ab3d7f");
        assert!(
            StaffCommand::from_event(&api).is_none(),
            "API commands are not staff's"
        );
        let kick = StaffCommand::from_event(&command_event("Mod", Some(5), ":kick Bob")).unwrap();
        assert_eq!(kick.log_entry(), None);
        assert!(!VerifyHandler.wants(&kick));
        let other_log =
            StaffCommand::from_event(&command_event("Mod", Some(5), ":log shift start")).unwrap();
        assert!(!VerifyHandler.wants(&other_log));
        let bare = StaffCommand::from_event(&command_event("Mod", Some(5), ":log")).unwrap();
        assert_eq!(bare.log_entry(), None);
        let join = event("player/join", json!({"kind": "player/join"}));
        assert!(StaffCommand::from_event(&join).is_none());
    }
}
