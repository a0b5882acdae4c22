//! The connection to Discord: check the bot token, build serenity's client around the poise
//! framework, and run the gateway until told to stop. serenity's HTTP client and cache exist
//! only once the client is built, and the Discord feed sink needs them, so the commands'
//! [`Data`] (which holds the feed pipeline) is handed over when the gateway starts.

use std::future::Future;
use std::sync::Arc;

use poise::serenity_prelude as serenity;
use tokio::sync::oneshot;

use super::Data;
use super::framework::{self, Registration};
use super::members::DiscordMembers;
use super::sink::DiscordSink;
use crate::actions::{MemberLookup, MemberRoles};
use crate::config::DiscordToken;
use crate::feeds::Sink;

/// Gateway intents: GUILDS only. Slash commands, buttons and modals arrive without any
/// intent; GUILDS keeps serenity's cache of guilds, channels and roles for channel names and
/// role lookups. No privileged intent (members, presences, message content) is needed.
pub const INTENTS: serenity::GatewayIntents = serenity::GatewayIntents::GUILDS;

/// Why Discord would not let the bot in, or let it go.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Discord answered 401 to the token check: the token is wrong or was reset.
    #[error(
        "Discord rejected the bot token (401 Unauthorized): copy it again from the Discord \
         Developer Portal (your application → Bot → Reset Token) into DISCORD_TOKEN"
    )]
    BadToken,
    /// The token check or the client's set-up failed for another reason (network, Discord
    /// down).
    #[error("could not reach Discord to check the bot token: {0}")]
    Unreachable(serenity::Error),
    /// The gateway connection ended with an error after the token was accepted.
    #[error(
        "Discord closed the gateway connection: {0}. If it says authentication failed, the \
         token in DISCORD_TOKEN is wrong; if it mentions intents, enable them in the Developer \
         Portal"
    )]
    Closed(serenity::Error),
}

/// The bot's Discord client, built and not yet connected.
pub struct Gateway {
    client: serenity::Client,
    /// The framework's setup step waits on the other end for the commands' data.
    data: oneshot::Sender<Data>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").finish_non_exhaustive()
    }
}

impl Gateway {
    /// Check the token with Discord, then build the client with every command. With
    /// `api_base` (loopback only, see `Config`) it talks to a fake Discord for tests.
    pub async fn build(
        token: &DiscordToken,
        api_base: Option<&str>,
        registration: Registration,
    ) -> Result<Self, GatewayError> {
        let http = discord_http(token, api_base);
        check_token(&http).await?;
        let (data, handed_over) = oneshot::channel();
        let framework = framework::build(handed_over, registration);
        let client = serenity::ClientBuilder::new_with_http(http, INTENTS)
            .framework(framework)
            .await
            .map_err(GatewayError::Unreachable)?;
        Ok(Self { client, data })
    }

    /// Posts feed messages to Discord through this client.
    pub fn sink(&self) -> Arc<dyn Sink> {
        Arc::new(DiscordSink::new(
            self.client.http.clone(),
            self.client.cache.clone(),
        ))
    }

    /// Looks members up by id through this client (its cache, else Discord's API).
    pub fn members(&self) -> Arc<dyn MemberLookup> {
        Arc::new(DiscordMembers::new(
            self.client.http.clone(),
            self.client.cache.clone(),
        ))
    }

    /// Gives and takes members' roles (the on-shift role) through this client.
    pub fn member_roles(&self) -> Arc<dyn MemberRoles> {
        Arc::new(DiscordMembers::new(
            self.client.http.clone(),
            self.client.cache.clone(),
        ))
    }

    /// Connect and serve commands and buttons with `data` until `shutdown` completes (then
    /// close the gateway) or Discord closes the connection.
    pub async fn run(
        mut self,
        data: Data,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), GatewayError> {
        // The receiver lives in the framework, inside the client: it cannot be gone yet.
        let _ = self.data.send(data);
        let shards = self.client.shard_manager.clone();
        let serving = self.client.start();
        tokio::pin!(serving, shutdown);
        let outcome = tokio::select! {
            outcome = &mut serving => outcome,
            () = &mut shutdown => {
                shards.shutdown_all().await;
                serving.await
            }
        };
        outcome.map_err(GatewayError::Closed)
    }
}

/// serenity's HTTP client. With a (loopback-only, see `Config`) API base it runs in proxy
/// mode for tests; serenity ignores the proxy unless its rate limiter is off.
fn discord_http(token: &DiscordToken, api_base: Option<&str>) -> serenity::Http {
    let builder = serenity::HttpBuilder::new(token.expose());
    match api_base {
        Some(base) => builder.proxy(base).ratelimiter_disabled(true).build(),
        None => builder.build(),
    }
}

/// Ask Discord who we are before connecting: a bad token fails here with a clear message
/// (serenity would otherwise fall back to its default gateway URL and fail later, vaguely).
async fn check_token(http: &serenity::Http) -> Result<(), GatewayError> {
    match http.get_current_user().await {
        Ok(user) => {
            tracing::info!(bot = %user.name, id = %user.id, "bot token accepted");
            Ok(())
        }
        Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)))
            if response.status_code.as_u16() == 401 =>
        {
            Err(GatewayError::BadToken)
        }
        Err(e) => Err(GatewayError::Unreachable(e)),
    }
}
