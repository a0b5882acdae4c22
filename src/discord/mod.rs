//! The Discord front end: the poise framework (options, registration, error handling), the
//! gateway connection, rendering of our message model into serenity builders, the Discord feed
//! sink and the handler for buttons and modals. serenity and poise appear only here and in
//! the top-level `commands/` directory; the app (`crate::app`) builds and starts it.

pub mod actor;
pub mod error;
pub mod framework;
pub mod gateway;
pub mod interactions;
pub mod members;
pub mod reads;
pub mod render;
pub mod sink;

use std::sync::Arc;

use crate::actions::{Services, tracking};
use crate::config::Config;
use crate::feeds::pipeline::FeedPipeline;
use crate::store::Store;
use crate::tracker::Tracker;

pub use error::BotError;

/// What every command and event handler can reach.
#[derive(Debug, Clone)]
pub struct Data {
    /// The use cases commands call: reads, moderation, settings, with their checks and audit.
    pub services: Services,
    /// The operator's configuration; commands read the public URL from it to show webhook
    /// addresses.
    pub config: Arc<Config>,
    /// The poller: which servers are tracked, their latest snapshots (for autocomplete) and
    /// their health.
    pub tracker: Tracker,
    /// Routes stored events to feed channels; reloaded when a guild's feeds change.
    pub pipeline: Arc<FeedPipeline>,
}

impl Data {
    /// The database, through the services that own it.
    pub fn store(&self) -> &Store {
        self.services.store()
    }

    /// A guild's feed subscriptions changed: reload the pipeline's routes and re-plan that
    /// guild's polls so they ask PRC for exactly what the feeds now need.
    pub async fn feeds_changed(&self, guild: u64) {
        if let Err(e) = self.pipeline.reload_routes() {
            tracing::warn!("feeds changed but the pipeline could not reload them: {e}");
        }
        tracking::retrack_guild(&self.tracker, &self.services, guild).await;
    }

    /// The bot was removed from a guild: forget it, and stop routing to its channels.
    pub async fn guild_removed(&self, guild: u64) {
        tracking::forget_guild(&self.tracker, &self.services, guild).await;
        if let Err(e) = self.pipeline.reload_routes() {
            tracing::warn!("could not reload feed routes after a guild left: {e}");
        }
    }
}

/// The error type of every command.
pub type Error = BotError;
/// The context every command receives.
pub type Context<'a> = poise::Context<'a, Data, Error>;
/// The context of a slash command (needed to open modals).
pub type AppContext<'a> = poise::ApplicationContext<'a, Data, Error>;
/// One registered command.
pub type Command = poise::Command<Data, Error>;
