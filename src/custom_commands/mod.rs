//! In-game `;` commands (PRC `CustomCommand` webhook events): parse them, check the guild
//! switches and per-player cooldowns, find the caller in the live player list, act (a card in
//! the guild's mod-call channel, a linked account, or a `:pm` reply through the command
//! bucket) and audit it. Staff commands typed with `:` (`:log verify …`) arrive through the
//! command logs instead: [`staff_log`] consumes them from the stored events, and
//! [`shift_log`] turns `:log shift …` and staff joining and leaving into shifts.

mod cards;
mod cooldown;
mod live;
mod parse;
mod run;
pub mod shift_log;
pub mod staff_log;

use std::sync::Arc;
use std::time::Duration;

use crate::feeds::Sink;
use crate::store::Store;

pub use cards::{Caller, CardPlace, Reported, report_card, staff_card};
pub use cooldown::Cooldowns;
pub use live::{
    HandleError, HandleFuture, LivePlayer, NameMatch, ServerHandles, StoreHandles, find_by_id,
    find_by_name, live_players,
};
pub use parse::{Builtin, MAX_REASON_CHARS, Parse, ParsedCommand, help_text, parse};

/// What the router needs.
#[derive(Clone)]
pub struct RouterConfig {
    /// Guild settings (switches, channels, invite), the audit log and the clock.
    pub store: Store,
    /// Opens the game server of a (guild, label) to read players and send `:pm` replies.
    pub handles: Arc<dyn ServerHandles>,
    /// Where cards go (the Discord sink in the bot, a `RecordingSink` in tests).
    pub sink: Arc<dyn Sink>,
    /// Answer `;` commands that are not ours with a hint. Off by default: other tools on the
    /// same server may own those words, and every reply costs a command.
    pub reply_to_unknown: bool,
    /// One cooldown for every command instead of each command's default.
    pub cooldown_override: Option<Duration>,
}

impl std::fmt::Debug for RouterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterConfig")
            .field("reply_to_unknown", &self.reply_to_unknown)
            .field("cooldown_override", &self.cooldown_override)
            .finish_non_exhaustive()
    }
}

impl RouterConfig {
    /// Defaults: no reply to unknown commands, each command's own cooldown.
    pub fn new(store: Store, handles: Arc<dyn ServerHandles>, sink: Arc<dyn Sink>) -> Self {
        Self {
            store,
            handles,
            sink,
            reply_to_unknown: false,
            cooldown_override: None,
        }
    }
}

/// One `;` line from a game server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandCall {
    /// Discord guild id that owns the server.
    pub guild: u64,
    /// The guild's label for the server.
    pub server: String,
    /// Roblox id of the player who typed it.
    pub player_id: u64,
    /// The word after `;` as PRC sent it.
    pub command: String,
    /// The rest of the line as PRC sent it; may be empty.
    pub argument: String,
    /// Unix seconds, from the event.
    pub timestamp: i64,
}

/// What the router did with a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Custom commands are off for the guild, or this command is switched off.
    Disabled,
    /// Not one of our commands.
    Unknown,
    /// The player used it too recently.
    CoolingDown {
        /// How long until the player may use it again.
        wait: Duration,
    },
    /// The command ran; `detail` says how it ended (also in the audit log).
    Ran {
        /// The built-in that ran.
        command: Builtin,
        /// The command did its job (its card posted, or its reply sent).
        ok: bool,
        /// How it ended, in words; for a failure, also its audit outcome.
        detail: String,
    },
    /// Nothing could run: the guild's settings or the audit log could not be read or written.
    Failed {
        /// What could not be read or written, and why.
        detail: String,
    },
}

/// Routes `;` commands to the built-ins. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct CommandRouter {
    config: RouterConfig,
    cooldowns: Cooldowns,
}

impl CommandRouter {
    /// A router with no cooldowns recorded yet.
    pub fn new(config: RouterConfig) -> Self {
        Self {
            config,
            cooldowns: Cooldowns::new(),
        }
    }

    /// The settings it was built with.
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }
}
