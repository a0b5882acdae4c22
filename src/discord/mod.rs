//! The Discord front end: the poise framework (options, registration, error handling), the
//! `run` entry point, rendering of our message model into serenity builders, the Discord feed
//! sink and the handler for buttons and modals. serenity and poise appear only here and in
//! the top-level `commands/` directory.

pub mod actor;
pub mod error;
pub mod framework;
pub mod interactions;
pub mod reads;
pub mod render;
pub mod run;
pub mod sink;
pub mod tracking;

use std::sync::{Arc, OnceLock};

use crate::actions::Services;
use crate::config::Config;
use crate::feeds::pipeline::FeedPipeline;
use crate::store::Store;
use crate::tracker::Tracker;

pub use error::BotError;

/// What every command and event handler can reach.
#[derive(Debug, Clone)]
pub struct Data {
    pub services: Services,
    pub config: Arc<Config>,
    pub tracker: Tracker,
    /// Set once the gateway client exists (the Discord sink needs its HTTP client).
    pub pipeline: Arc<OnceLock<Arc<FeedPipeline>>>,
}

impl Data {
    pub fn store(&self) -> &Store {
        self.services.store()
    }

    /// A guild's feed subscriptions changed: reload the pipeline's routes and re-plan that
    /// guild's polls so they ask PRC for exactly what the feeds now need.
    pub async fn feeds_changed(&self, guild: u64) {
        if let Some(pipeline) = self.pipeline.get()
            && let Err(e) = pipeline.reload_routes()
        {
            tracing::warn!("feeds changed but the pipeline could not reload them: {e}");
        }
        tracking::retrack_guild(&self.tracker, &self.services, guild).await;
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
