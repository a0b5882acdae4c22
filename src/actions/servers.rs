//! A guild's ER:LC servers: set one up (key checked live before it is saved, or the built-in
//! sandbox), remove one, pick the default, list them, hand out the webhook token. Keys and
//! tokens never reach the audit log; only key fingerprints do.

use serde_json::json;

use crate::erlc::api::KeyValidation;
use crate::erlc::{ServerHandle, ServerKey};
use crate::events::validate_segment;
use crate::sandbox::is_sandbox_keyword;
use crate::store::{
    AuditOutcome, Capability, ServerRecord, ServerStatus, Source, new_webhook_token,
};

use super::audit_trail::{AuditDraft, erlc_outcome, failure_outcome};
use super::{ActionError, AuditAction, Member, Services};

/// What `/server setup` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupReport {
    /// The server as saved (label, key fingerprint, status).
    pub record: ServerRecord,
    /// The in-game server name, when the server could be read.
    pub server_name: Option<String>,
    /// The token in this server's webhook URL (also in `record.webhook_token`).
    pub webhook_token: String,
    /// Things that work only partly; the reply says how to fix each.
    pub warnings: Vec<SetupWarning>,
    /// Seq of the audit intent.
    pub audit_seq: u64,
}

/// Something a saved server cannot do yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupWarning {
    /// Reading works, but ER:LC refuses this bot's commands (usually: its IP is not a trusted
    /// IP of the server). `fix` is ER:LC's error's fix, e.g. the trusted-IP steps.
    CommandsNotAuthorized {
        /// The steps to fix it; `None` when ER:LC's error suggests none.
        fix: Option<&'static str>,
    },
    /// The game server was offline, so the key could only be partly checked.
    ServerOffline,
}

/// What a live key check allows.
struct Checked {
    server_name: Option<String>,
    status: ServerStatus,
    warnings: Vec<SetupWarning>,
}

fn normalise_label(label: &str) -> Result<String, ActionError> {
    let label = label.trim().to_lowercase();
    validate_segment(&label).map_err(|e| {
        ActionError::InvalidInput(format!(
            "`{label}` cannot be a server label: {e}. Use a short word such as `main` or `side`."
        ))
    })?;
    Ok(label)
}

/// Decide from the live check whether to save the key, and what to warn about.
fn judge(validation: KeyValidation) -> Result<Checked, Box<(AuditOutcome, ActionError)>> {
    let checked = |server_name, status, warnings| Checked {
        server_name,
        status,
        warnings,
    };
    match validation {
        KeyValidation::Ok(info) => Ok(checked(Some(info.name), ServerStatus::Ok, vec![])),
        KeyValidation::NotAuthorized { server, error } => {
            let warning = SetupWarning::CommandsNotAuthorized { fix: error.fix() };
            Ok(checked(Some(server.name), ServerStatus::Ok, vec![warning]))
        }
        KeyValidation::ServerOffline(_) => {
            let warning = SetupWarning::ServerOffline;
            Ok(checked(None, ServerStatus::Offline, vec![warning]))
        }
        KeyValidation::Invalid(error) | KeyValidation::Banned(error) => Err(Box::new((
            erlc_outcome(&error),
            ActionError::KeyRejected(format!("{} Nothing was saved.", error.user_message())),
        ))),
        rate_limited @ KeyValidation::RateLimited { .. } => Err(Box::new((
            AuditOutcome::Failed("rate limited while checking the key".into()),
            ActionError::KeyCheckUnavailable(format!(
                "{} Nothing was saved.",
                rate_limited.user_message()
            )),
        ))),
        KeyValidation::Unavailable(error) => Err(Box::new((
            erlc_outcome(&error),
            ActionError::KeyCheckUnavailable(format!(
                "The key could not be checked, so nothing was saved. {}",
                error.user_message()
            )),
        ))),
    }
}

impl Services {
    /// Connect a guild to an ER:LC server. `key_text` is the pasted server key, or `sandbox`
    /// for the built-in simulator. The key is checked live (a read, then a harmless `:log`
    /// command) before it is saved; a server whose commands are not authorized is saved
    /// with the trusted-IP steps in [`SetupReport::warnings`].
    pub async fn setup_server(
        &self,
        guild: u64,
        actor: &Member,
        label: &str,
        key_text: &str,
    ) -> Result<SetupReport, ActionError> {
        let source = Source::SlashCommand;
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::ServerAdd,
            source,
        )
        .await?;
        let label = normalise_label(label)?;
        if self.directory().labels(guild)?.contains(&label) {
            return Err(ActionError::InvalidInput(format!(
                "A server labelled `{label}` already exists here. Pick another label, or remove \
                 that server first with /server remove."
            )));
        }
        let sandbox = is_sandbox_keyword(key_text);
        let (key, handle) = self.key_and_handle(guild, key_text, sandbox).await?;
        let note = AuditDraft::new(
            AuditAction::ServerAdd,
            Some(label.clone()),
            json!({ "label": label, "key_fingerprint": key.fingerprint(), "sandbox": sandbox }),
        );
        let ticket = self.audit_begin(guild, actor, source, note).await?;
        let audit_seq = ticket.seq();
        let checked = match judge(handle.validate_key(true).await) {
            Ok(checked) => checked,
            Err(rejected) => {
                let (outcome, error) = *rejected;
                self.audit_complete(ticket, outcome).await;
                return Err(error);
            }
        };
        match self.save_server(guild, actor, &label, &key, sandbox, &checked) {
            Ok((record, webhook_token)) => {
                self.audit_complete(ticket, AuditOutcome::Ok).await;
                Ok(SetupReport {
                    record,
                    server_name: checked.server_name,
                    webhook_token,
                    warnings: checked.warnings,
                    audit_seq,
                })
            }
            Err(error) => {
                self.audit_complete(ticket, failure_outcome(&error)).await;
                Err(error)
            }
        }
    }

    async fn key_and_handle(
        &self,
        guild: u64,
        key_text: &str,
        sandbox: bool,
    ) -> Result<(ServerKey, ServerHandle), ActionError> {
        if sandbox {
            let instance = self.directory().sandbox().ensure(guild).await?;
            let key = instance.key().clone();
            let handle = instance.handle(key.clone());
            return Ok((key, handle));
        }
        let key = ServerKey::parse(key_text)?;
        let handle = self.directory().client().server(key.clone());
        Ok((key, handle))
    }

    fn save_server(
        &self,
        guild: u64,
        actor: &Member,
        label: &str,
        key: &ServerKey,
        sandbox: bool,
        checked: &Checked,
    ) -> Result<(ServerRecord, String), ActionError> {
        let settings = self.store().settings();
        let (by, name) = (actor.discord_id, actor.name.as_str());
        if sandbox {
            settings.add_sandbox_server(guild, label, key, by, name)?;
        } else {
            settings.add_server(guild, label, key, by, name)?;
        }
        if checked.status != ServerStatus::Ok {
            settings.set_server_status(guild, label, checked.status.clone())?;
        }
        let token = new_webhook_token();
        let record = settings.set_webhook_token(guild, label, Some(&token))?;
        Ok((record, token))
    }

    /// Remove a server and its key (and stop its sandbox).
    pub async fn remove_server(
        &self,
        guild: u64,
        actor: &Member,
        label: &str,
    ) -> Result<ServerRecord, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::ServerRemove,
            Source::SlashCommand,
        )
        .await?;
        let record = self.directory().record(guild, label)?;
        let note = AuditDraft::new(
            AuditAction::ServerRemove,
            Some(record.label.clone()),
            json!({ "label": record.label, "key_fingerprint": record.key_fingerprint }),
        );
        let removed = self
            .audited(guild, actor, note, async || {
                Ok(self
                    .store()
                    .settings()
                    .remove_server(guild, &record.label)?)
            })
            .await?;
        if removed.sandbox {
            self.directory().sandbox().stop(guild).await;
        }
        self.store().forget_server_tracking(guild, &removed.label)?;
        Ok(removed)
    }

    /// Make `label` the server commands use when none is named.
    pub async fn set_default_server(
        &self,
        guild: u64,
        actor: &Member,
        label: &str,
    ) -> Result<ServerRecord, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::ServerDefault,
            Source::SlashCommand,
        )
        .await?;
        let record = self.directory().record(guild, label)?;
        let note = AuditDraft::new(
            AuditAction::ServerDefault,
            Some(record.label.clone()),
            json!({ "label": record.label }),
        );
        self.audited(guild, actor, note, async || {
            let settings = self.store().settings();
            settings.set_default_server(guild, &record.label)?;
            Ok(settings.server(guild, &record.label)?)
        })
        .await
    }

    /// The guild's servers, in label order.
    pub async fn list_servers(
        &self,
        guild: u64,
        actor: &Member,
    ) -> Result<Vec<ServerRecord>, ActionError> {
        self.require(
            guild,
            actor,
            Capability::View,
            AuditAction::ServerList,
            Source::SlashCommand,
        )
        .await?;
        Ok(self.store().settings().list_servers(guild)?)
    }

    /// The token in the webhook URL of a server (the one named, else the default, else the
    /// only one), made the first time. Showing it is audited: it lets PRC-signed requests
    /// reach this server's webhook route.
    pub async fn webhook_token(
        &self,
        guild: u64,
        actor: &Member,
        server: Option<&str>,
    ) -> Result<(ServerRecord, String), ActionError> {
        let action = AuditAction::ServerWebhook;
        self.require(
            guild,
            actor,
            Capability::Manage,
            action,
            Source::SlashCommand,
        )
        .await?;
        let record = self.directory().pick(guild, server)?;
        let note = AuditDraft::new(
            action,
            Some(record.label.clone()),
            json!({ "label": record.label }),
        );
        let token = self
            .audited(guild, actor, note, async || {
                Ok(self
                    .store()
                    .settings()
                    .ensure_webhook_token(guild, &record.label)?)
            })
            .await?;
        Ok((record, token))
    }
}
