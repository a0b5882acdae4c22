//! Running one `;` command: switches and cooldown, caller lookup, the audit intent, the
//! command itself, the `:pm` reply and the audit outcome.

use std::time::Duration;

use serde_json::json;

use crate::actions::{AuditDraft, begin_audit, complete_audit, redeem_link_code};
use crate::erlc::ServerHandle;
use crate::erlc::api::CommandOptions;
use crate::erlc::command::{GameCommand, Target, Targets};
use crate::feeds::nonce_for;
use crate::store::{AuditActor, AuditOutcome, GuildSettings, LinkError, Source};

use super::cards::{Caller, CardPlace, Reported, report_card, staff_card};
use super::live::{LivePlayer, NameMatch, find_by_id, find_by_name, live_players};
use super::parse::{Builtin, Parse, ParsedCommand, help_text, parse};
use super::{CommandCall, CommandRouter, Handled};

/// Tries per card when the sink says a retry may help.
const POST_ATTEMPTS: u32 = 3;
/// Longest wait between two tries, whatever the destination asks.
const MAX_POST_WAIT: Duration = Duration::from_secs(10);

/// The server as the command sees it: a handle (when it could be opened) and who is online.
struct Live {
    handle: Option<ServerHandle>,
    players: Vec<LivePlayer>,
    caller: Caller,
}

impl CommandRouter {
    /// Handle one `;` line. Never fails outright: problems end up in the audit log, the logs
    /// and the returned [`Handled`].
    pub async fn handle(&self, call: CommandCall) -> Handled {
        let store = &self.config.store;
        let settings = match store.settings().guild_settings(call.guild) {
            Ok(settings) => settings,
            Err(e) => {
                tracing::warn!(guild = call.guild, error = %e, "could not read guild settings for a ; command");
                return Handled::Failed {
                    detail: e.to_string(),
                };
            }
        };
        if !settings.custom_commands_enabled {
            return Handled::Disabled;
        }
        let enabled = enabled_builtins(&settings);
        let parsed = parse(&call.command, &call.argument);
        let builtin = match &parsed {
            Parse::Command(command) => command.builtin(),
            Parse::Usage(builtin) => *builtin,
            Parse::Unknown(word) => {
                if self.config.reply_to_unknown && !word.is_empty() {
                    let live = self.open(&call).await;
                    let text = format!("Unknown command ;{word}. Try ;help");
                    if let Err(e) = self.pm(&live, &text).await {
                        tracing::debug!(error = %e, "no reply to an unknown ; command");
                    }
                }
                return Handled::Unknown;
            }
        };
        if !enabled.contains(&builtin) {
            return Handled::Disabled;
        }
        let cooldown = self
            .config
            .cooldown_override
            .unwrap_or_else(|| builtin.default_cooldown());
        let who = (call.guild, call.server.as_str(), call.player_id);
        if let Err(wait) = self
            .cooldowns
            .try_use(who, builtin, cooldown, store.clock().now_ms())
        {
            tracing::debug!(guild = call.guild, server = %call.server, player = call.player_id, command = builtin.name(), "; command cooling down");
            return Handled::CoolingDown { wait };
        }
        let live = self.open(&call).await;
        let actor = AuditActor::Player {
            id: Some(call.player_id),
            name: live
                .caller
                .name()
                .map_or_else(|| format!("user {}", call.player_id), str::to_owned),
        };
        // A link code works until it expires: it stays out of the audit log.
        let argument = match builtin {
            Builtin::Verify => "(code hidden)",
            _ => call.argument.as_str(),
        };
        let note = AuditDraft::new(
            builtin.audit_action(),
            Some(call.server.clone()),
            json!({"command": call.command, "argument": argument}),
        );
        let ticket = match begin_audit(store, call.guild, actor, Source::Webhook, note).await {
            Ok(ticket) => ticket,
            Err(e) => {
                tracing::error!(guild = call.guild, error = %e, "could not audit a ; command; not running it");
                return Handled::Failed {
                    detail: format!("the audit log could not be written: {e}"),
                };
            }
        };
        let result = self
            .execute(&call, &parsed, &settings, &enabled, &live)
            .await;
        let (ok, detail) = match result {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        let outcome = if ok {
            AuditOutcome::Ok
        } else {
            AuditOutcome::Failed(detail.clone())
        };
        complete_audit(store, ticket, outcome).await;
        Handled::Ran {
            command: builtin,
            ok,
            detail,
        }
    }

    /// Open the server and find the caller; either may fail without stopping the command.
    async fn open(&self, call: &CommandCall) -> Live {
        let handle = match self.config.handles.handle(call.guild, &call.server).await {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(guild = call.guild, error = %e, "; command: server not reachable");
                None
            }
        };
        let players = match &handle {
            Some(handle) => live_players(handle).await.unwrap_or_else(|e| {
                tracing::warn!(guild = call.guild, server = %call.server, error = %e, "; command: could not read the player list");
                Vec::new()
            }),
            None => Vec::new(),
        };
        let caller = find_by_id(&players, call.player_id)
            .cloned()
            .map_or(Caller::IdOnly(call.player_id), Caller::Online);
        Live {
            handle,
            players,
            caller,
        }
    }

    /// Run the command; `Ok` and `Err` both carry what happened, in words for the audit log.
    async fn execute(
        &self,
        call: &CommandCall,
        parsed: &Parse,
        settings: &GuildSettings,
        enabled: &[Builtin],
        live: &Live,
    ) -> Result<String, String> {
        let command = match parsed {
            Parse::Command(command) => command,
            Parse::Usage(builtin) => {
                let reply = self.pm(live, &format!("Usage: {}", builtin.usage())).await;
                return Err(with_reply("missing arguments".into(), reply));
            }
            Parse::Unknown(_) => return Err("not one of our commands".into()),
        };
        let place = CardPlace {
            server: &call.server,
            time: call.timestamp,
        };
        match command {
            ParsedCommand::Help => {
                let reply = self.pm(live, &help_text(enabled)).await;
                reply
                    .map(|()| "sent the command list".to_owned())
                    .map_err(|e| format!("could not send the command list: {e}"))
            }
            ParsedCommand::Discord => match &settings.discord_invite {
                Some(invite) => {
                    let reply = self.pm(live, &format!("Our Discord: {invite}")).await;
                    reply
                        .map(|()| "sent the invite link".to_owned())
                        .map_err(|e| format!("could not send the invite link: {e}"))
                }
                None => {
                    let reply = self
                        .pm(live, "This server has not shared a Discord invite yet.")
                        .await;
                    Err(with_reply("no invite link is set".into(), reply))
                }
            },
            ParsedCommand::Verify { code } => self.verify(call, live, code).await,
            ParsedCommand::Staff { reason } => {
                let card = staff_card(
                    place,
                    &live.caller,
                    reason.as_deref(),
                    settings.modcall_ping_role,
                );
                self.post_and_reply(call, settings, live, card, "Staff have been notified.")
                    .await
            }
            ParsedCommand::Report { player, reason } => {
                let reported = match find_by_name(&live.players, player) {
                    NameMatch::One(found) => Reported::Online(found.clone()),
                    NameMatch::Ambiguous(_) | NameMatch::Nobody => Reported::Typed(player.clone()),
                };
                let card = report_card(place, &live.caller, &reported, reason);
                self.post_and_reply(
                    call,
                    settings,
                    live,
                    card,
                    "Thanks, your report was sent to staff.",
                )
                .await
            }
        }
    }

    /// `;verify <code>`: link the caller to the member who got the code, and say how it went.
    async fn verify(&self, call: &CommandCall, live: &Live, code: &str) -> Result<String, String> {
        let Some(name) = live.caller.name() else {
            return Err("the player was not in the player list; nothing was linked".into());
        };
        let store = &self.config.store;
        let player = (call.player_id, name);
        match redeem_link_code(store, call.guild, code, player, &call.server, None).await {
            Ok(linked) => {
                let reply = self.pm(live, LINKED_REPLY).await;
                Ok(with_reply(
                    format!("linked to Discord member {}", linked.link.discord_id),
                    reply,
                ))
            }
            Err(LinkError::Refused(refusal)) => {
                let reply = self.pm(live, &format!("Not linked: {refusal}.")).await;
                Err(with_reply(format!("not linked: {refusal}"), reply))
            }
            Err(LinkError::Store(e)) => {
                let reply = self
                    .pm(live, "The bot could not save the link; try again soon.")
                    .await;
                Err(with_reply(
                    format!("the link could not be saved: {e}"),
                    reply,
                ))
            }
        }
    }

    /// Post a card in the mod-call channel, then tell the player how it went.
    async fn post_and_reply(
        &self,
        call: &CommandCall,
        settings: &GuildSettings,
        live: &Live,
        card: crate::ui::Message,
        done: &str,
    ) -> Result<String, String> {
        let Some(channel) = settings.modcall_channel else {
            let reply = self
                .pm(live, "Staff alerts are not set up for this server yet.")
                .await;
            return Err(with_reply(
                "no mod-call channel is set for this guild".into(),
                reply,
            ));
        };
        let nonce = nonce_for(&format!(
            "custom_command:{}:{}:{}:{}:{}",
            call.guild, call.server, call.player_id, call.timestamp, call.command
        ));
        match self.post(channel, &card, &nonce).await {
            Ok(message_id) => {
                let reply = self.pm(live, done).await;
                Ok(with_reply(
                    format!("posted message {message_id} in channel {channel}"),
                    reply,
                ))
            }
            Err(e) => {
                let reply = self
                    .pm(
                        live,
                        "Staff could not be reached right now; try again soon.",
                    )
                    .await;
                Err(with_reply(
                    format!("could not post in channel {channel}: {e}"),
                    reply,
                ))
            }
        }
    }

    /// Create with the nonce, trying again while the sink says it may help.
    async fn post(
        &self,
        channel: u64,
        card: &crate::ui::Message,
        nonce: &str,
    ) -> Result<String, crate::feeds::SinkError> {
        post_card(self.config.sink.as_ref(), channel, card, nonce).await
    }

    /// `:pm <caller> <text>` through the command bucket. Never retried: a command that may
    /// have run must not run twice.
    async fn pm(&self, live: &Live, text: &str) -> Result<(), String> {
        let Some(handle) = &live.handle else {
            return Err("the server could not be reached".into());
        };
        let Some(name) = live.caller.name() else {
            return Err("the player was not in the player list".into());
        };
        let target = Target::name(name).map_err(|e| e.to_string())?;
        let command = GameCommand::Pm {
            targets: Targets::one(target),
            text: text.to_owned(),
        };
        handle
            .run(&command, &CommandOptions::default())
            .await
            .map(|_| ())
            .map_err(|e| e.user_message())
    }
}

/// The in-game answer to a code that linked the player.
pub(super) const LINKED_REPLY: &str =
    "Your Roblox account is now linked to your Discord account in this community.";

/// Built-ins the guild has not switched off.
fn enabled_builtins(settings: &GuildSettings) -> Vec<Builtin> {
    Builtin::ALL
        .into_iter()
        .filter(|b| {
            !settings
                .disabled_custom_commands
                .iter()
                .any(|d| d.trim().eq_ignore_ascii_case(b.name()))
        })
        .collect()
}

/// Add what happened to the player's reply to an audit detail.
fn with_reply(detail: String, reply: Result<(), String>) -> String {
    match reply {
        Ok(()) => format!("{detail}; replied in game"),
        Err(e) => format!("{detail}; no reply in game ({e})"),
    }
}

/// Post `card` with `nonce` (so a retried post is one message), trying again while the sink
/// says it may help.
pub(super) async fn post_card(
    sink: &dyn crate::feeds::Sink,
    channel: u64,
    card: &crate::ui::Message,
    nonce: &str,
) -> Result<String, crate::feeds::SinkError> {
    let mut attempt = 1;
    loop {
        match sink.create(channel, card, nonce).await {
            Ok(id) => return Ok(id),
            Err(e) if e.retryable && attempt < POST_ATTEMPTS => {
                attempt += 1;
                let wait = e.retry_after.unwrap_or(Duration::from_secs(1));
                tokio::time::sleep(wait.min(MAX_POST_WAIT)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switched_off_commands_are_left_out() {
        let settings = GuildSettings {
            custom_commands_enabled: true,
            disabled_custom_commands: vec![" Report ".into(), "unknown".into()],
            ..GuildSettings::default()
        };
        assert_eq!(
            enabled_builtins(&settings),
            [
                Builtin::Help,
                Builtin::Staff,
                Builtin::Discord,
                Builtin::Verify
            ]
        );
    }

    #[test]
    fn reply_results_are_spelled_out() {
        assert_eq!(with_reply("x".into(), Ok(())), "x; replied in game");
        assert_eq!(
            with_reply("x".into(), Err("offline".into())),
            "x; no reply in game (offline)"
        );
    }
}
