//! Builds the poise framework: commands, options that hold for every reply (no mentions,
//! guild-only dispatch), the event handler for restart-proof buttons, and the setup step that
//! takes the commands' [`Data`] once the gateway starts, registers the slash commands and fails
//! loudly when Discord refuses them.

use poise::serenity_prelude as serenity;
use tokio::sync::oneshot;

use super::{BotError, Data, error};

/// Where slash commands are registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Globally (production): Discord may take up to an hour to show changes.
    Global,
    /// In one guild, which takes effect at once (development and tests).
    Guild(u64),
}

impl Registration {
    /// Register in `DEV_GUILD_ID` when it is set (instant), otherwise globally.
    pub fn from_dev_guild(dev_guild: Option<u64>) -> Self {
        dev_guild.map_or(Self::Global, Self::Guild)
    }
}

/// The framework with every command, ready to hand to serenity's client builder. poise asks
/// for the commands' data only once connected, so it comes through `data`: it is built after
/// the client, from parts (the Discord feed sink) that need the client.
pub fn build(
    data: oneshot::Receiver<Data>,
    registration: Registration,
) -> poise::Framework<Data, BotError> {
    let options = poise::FrameworkOptions {
        commands: crate::commands::all_commands(),
        on_error: error::on_error,
        event_handler: super::interactions::on_event,
        allowed_mentions: Some(super::render::no_mentions()),
        // Owners come from our own permission model, not the application's owner.
        initialize_owners: false,
        ..Default::default()
    };
    poise::Framework::builder()
        .options(options)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                let data = data.await.map_err(|_| {
                    BotError::user("the bot stopped before its commands were ready")
                })?;
                if let Err(e) = register(ctx, &framework.options().commands, registration).await {
                    // The error hook exits the process; make sure nothing is left unwritten.
                    if let Err(flush) = data.store().flush() {
                        tracing::warn!("could not flush the database: {flush}");
                    }
                    return Err(e);
                }
                Ok(data)
            })
        })
        .build()
}

async fn register(
    ctx: &serenity::Context,
    commands: &[poise::Command<Data, BotError>],
    registration: Registration,
) -> Result<(), BotError> {
    let outcome = match registration {
        Registration::Global => poise::builtins::register_globally(ctx, commands).await,
        Registration::Guild(guild) => {
            poise::builtins::register_in_guild(ctx, commands, serenity::GuildId::new(guild)).await
        }
    };
    match outcome {
        Ok(()) => {
            tracing::info!(
                count = commands.len(),
                ?registration,
                "slash commands registered"
            );
            Ok(())
        }
        Err(e) => Err(BotError::user(format!(
            "Discord refused to register the slash commands ({e}). Check that the bot was \
             invited with the `applications.commands` scope{} and that DISCORD_TOKEN belongs to \
             this application (see README, \"Running the bot on Discord\").",
            match registration {
                Registration::Guild(guild) => format!(" to the guild DEV_GUILD_ID={guild}"),
                Registration::Global => String::new(),
            }
        ))),
    }
}
