//! The CALL methods a dashboard may use: in-game actions, mod-call claims and the confirmation
//! of destructive commands, each going through the same services as the slash commands (the
//! same capability checks, policy, confirmation store, audit, and error texts), audited as
//! `Source::Live` with the token's member as the actor. Every answer is a RESULT carrying the
//! call's id, failures included: the published clients map ERROR frames to the oldest pending
//! call, not to the one that failed. Clients cannot write state.

use serde_json::{Value, json};

use crate::actions::{ActionError, ActionReport, Member, ModAction, ModCallStep};
use crate::erlc::api::Confirmation;
use crate::store::Source;

use super::hub::Hub;

/// Who is calling, from their token.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The hub (mod calls the server's last poll saw).
    pub hub: Hub,
    /// The token's guild.
    pub guild: u64,
    /// The token's member.
    pub member: Member,
}

/// What a RESULT says.
#[derive(Debug, Clone, PartialEq)]
pub struct CallReply {
    /// Whether the call did what was asked (or, for a destructive command, is waiting for
    /// `action.confirm`).
    pub success: bool,
    /// The outcome; on failure, plain words.
    pub data: Value,
    /// On failure, an HTTP-like status: 400 input, 403 not allowed, 404 unknown, 429, 5xx.
    pub code: Option<u16>,
}

impl CallReply {
    /// Success with `data`.
    pub fn success(data: Value) -> Self {
        Self {
            success: true,
            data,
            code: None,
        }
    }

    /// Failure with a status and plain words.
    pub fn failure(code: u16, message: &str) -> Self {
        Self {
            success: false,
            data: Value::String(message.to_owned()),
            code: Some(code),
        }
    }
}

/// The refusal of every state write from a client.
pub const NO_CLIENT_WRITES: &str = "clients cannot write state; use the action methods";

/// Run `method` with `args` for the caller.
pub async fn dispatch(ctx: &CallContext, method: &str, args: &Value) -> CallReply {
    let result = match method {
        "state.set" | "state.patch" | "state.set_in" | "state.delete" => {
            return CallReply::failure(403, NO_CLIENT_WRITES);
        }
        "erlc.kick" | "erlc.ban" | "erlc.unban" | "erlc.pm" | "erlc.hint" | "erlc.announce"
        | "erlc.wanted" | "erlc.unwanted" | "erlc.jail" | "erlc.unjail" | "erlc.command" => {
            match mod_action(method, args) {
                Ok(action) => run(ctx, args, action).await,
                Err(reply) => return reply,
            }
        }
        "action.confirm" => match text(args, "confirm_id") {
            Some(id) => ctx
                .hub
                .services()
                .confirm_from(ctx.guild, &ctx.member, Source::Live, &id)
                .await
                .map(|report| report_data(&report)),
            None => return missing(method, "confirm_id"),
        },
        "action.cancel" => match text(args, "confirm_id") {
            Some(id) => ctx
                .hub
                .services()
                .cancel_confirmation(ctx.guild, &ctx.member, &id)
                .map(|command| json!({ "status": "cancelled", "command": command })),
            None => return missing(method, "confirm_id"),
        },
        "modcall.claim" => mod_call(ctx, args, ModCallStep::Claim).await,
        "modcall.resolve" => mod_call(ctx, args, ModCallStep::Resolve).await,
        _ => return CallReply::failure(404, "unknown method"),
    };
    match result {
        Ok(data) => CallReply::success(data),
        Err(error) => failure(&error),
    }
}

/// A string argument, or a number written as one (Roblox ids).
fn text(args: &Value, name: &str) -> Option<String> {
    match args.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn missing(method: &str, name: &str) -> CallReply {
    CallReply::failure(400, &format!("{method} needs `{name}`"))
}

/// The action a method names, from its arguments.
fn mod_action(method: &str, args: &Value) -> Result<ModAction, CallReply> {
    let need = |name: &str| text(args, name).ok_or_else(|| missing(method, name));
    let reason = text(args, "reason");
    Ok(match method {
        "erlc.kick" => ModAction::Kick {
            player: need("player")?,
            reason,
        },
        "erlc.ban" => ModAction::Ban {
            player: need("player")?,
            reason,
        },
        "erlc.unban" => ModAction::Unban {
            player: need("player")?,
        },
        "erlc.pm" => ModAction::Pm {
            player: need("player")?,
            text: need("message")?,
        },
        "erlc.hint" => ModAction::Hint {
            text: need("message")?,
        },
        "erlc.announce" => ModAction::Announce {
            text: need("message")?,
        },
        "erlc.wanted" => ModAction::Wanted {
            player: need("player")?,
        },
        "erlc.unwanted" => ModAction::Unwanted {
            player: need("player")?,
        },
        "erlc.jail" => ModAction::Jail {
            player: need("player")?,
        },
        "erlc.unjail" => ModAction::Unjail {
            player: need("player")?,
        },
        _ => ModAction::Raw {
            text: need("command")?,
        },
    })
}

/// Run an in-game action; a destructive raw command comes back waiting for confirmation.
async fn run(ctx: &CallContext, args: &Value, action: ModAction) -> Result<Value, ActionError> {
    let server = text(args, "server");
    let ran = ctx
        .hub
        .services()
        .run_action(
            ctx.guild,
            &ctx.member,
            Source::Live,
            server.as_deref(),
            action,
        )
        .await;
    match ran {
        Ok(report) => Ok(report_data(&report)),
        Err(ActionError::NeedsConfirmation {
            token,
            command_text,
            expires_in,
        }) => Ok(json!({
            "status": "needs_confirmation",
            "confirm_id": token,
            "summary": format!(
                "`{command_text}` can disrupt the whole server: CALL action.confirm with this \
                 confirm_id to run it, or action.cancel."
            ),
            "expires_in_secs": expires_in.as_secs(),
        })),
        Err(other) => Err(other),
    }
}

fn report_data(report: &ActionReport) -> Value {
    let confirmation = match report.confirmation {
        Confirmation::NotRequested => "not_requested",
        Confirmation::Confirmed { .. } => "seen_in_logs",
        Confirmation::NotSeen => "not_seen",
    };
    json!({
        "status": "done",
        "server": report.server_label,
        "command": report.command_text,
        "confirmation": confirmation,
        "audit_seq": report.audit_seq,
        "player": report.player.as_ref().map(|p| json!({ "name": p.name, "id": p.id })),
    })
}

/// Claim or resolve a mod call the server's last poll saw.
async fn mod_call(
    ctx: &CallContext,
    args: &Value,
    step: ModCallStep,
) -> Result<Value, ActionError> {
    let Some(call_key) = text(args, "call_key") else {
        return Err(ActionError::InvalidInput(
            "Name the mod call with `call_key` (from the server's .modcalls key).".into(),
        ));
    };
    let services = ctx.hub.services();
    let server = text(args, "server");
    let record = services.directory().pick(ctx.guild, server.as_deref())?;
    let Some(caller) = ctx.hub.mod_call_caller(ctx.guild, &record.label, &call_key) else {
        return Err(ActionError::InvalidInput(
            "That mod call is not among the server's recent mod calls.".into(),
        ));
    };
    let audit_seq = services
        .mod_call_step_from(
            ctx.guild,
            &ctx.member,
            Source::Live,
            &record.label,
            &call_key,
            step,
        )
        .await?;
    let mut data = json!({
        "status": "done",
        "server": record.label,
        "call_key": call_key,
        "audit_seq": audit_seq,
    });
    if step == ModCallStep::Claim {
        // As a card's Claim button does. The call is claimed either way; the dashboard hears
        // whether the caller was told (true) or why not.
        let notice = ModAction::claim_notice(caller, &ctx.member.name);
        let server = Some(record.label.as_str());
        let told = services
            .run_action(ctx.guild, &ctx.member, Source::Live, server, notice)
            .await;
        data["caller_told"] = match told {
            Ok(_) => json!(true),
            Err(error) => json!(error.user_message()),
        };
    }
    Ok(data)
}

/// The RESULT of a failed action: the slash commands' text, with a status.
fn failure(error: &ActionError) -> CallReply {
    let code = match error {
        ActionError::PermissionDenied { .. } | ActionError::NotYourConfirmation => 403,
        ActionError::NoServer
        | ActionError::UnknownServer { .. }
        | ActionError::PlayerNotFound { .. }
        | ActionError::ConfirmationExpired => 404,
        ActionError::PickServer { .. }
        | ActionError::AmbiguousPlayer { .. }
        | ActionError::InvalidInput(_)
        | ActionError::BadKey(_)
        | ActionError::NeedsConfirmation { .. } => 400,
        ActionError::Erlc(_)
        | ActionError::Sandbox(_)
        | ActionError::KeyRejected(_)
        | ActionError::KeyCheckUnavailable(_) => 502,
        ActionError::MemberLookup(_) => 503,
        ActionError::Store(_) => 500,
    };
    CallReply::failure(code, &error.user_message())
}
