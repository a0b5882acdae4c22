//! In-game lines that become cases, as [`StaffCommandHandler`]s of the staff command consumer:
//! a moderation command staff ran (`:kick Name reason`, `:ban`, `:unban`, `:jail`, or the
//! guild's own list) files a case per target, and one filed without a reason gets an "Add
//! reason" card in the guild's cases channel; `:log warn` and `:log note` file a warning or a
//! note and answer with a `:pm` naming the case. The filing itself, its checks and its audit
//! are [`Services::file_in_game_cases`].

use std::sync::Arc;

use crate::actions::{
    ActionError, CaseCommandKind, InGameFiling, InGameLine, MemberLookup, Services,
    is_log_case_line, parse_case_command, wants_case_line,
};
use crate::feeds::{Sink, nonce_for};
use crate::store::Case;

use super::cards::reason_card;
use super::run::post_card;
use super::staff_log::{HandlerFuture, Replies, StaffCommand, StaffCommandHandler};

/// Files the cases of in-game moderation commands and of `:log warn` / `:log note`.
pub struct CaseLineHandler {
    services: Services,
    members: Arc<dyn MemberLookup>,
    sink: Arc<dyn Sink>,
}

impl CaseLineHandler {
    /// A handler that files through `services`, names linked moderators through `members`
    /// and posts "Add reason" cards through `sink`.
    pub fn new(services: Services, members: Arc<dyn MemberLookup>, sink: Arc<dyn Sink>) -> Self {
        Self {
            services,
            members,
            sink,
        }
    }

    /// Post the "Add reason" card of a case filed without one, when the guild has a cases
    /// channel. The nonce is the case's, so the card of a replayed event is not posted twice.
    async fn post_reason_card(&self, case: &Case, moderator: &str) {
        let settings = match self.services.store().settings().guild_settings(case.guild) {
            Ok(settings) => settings,
            Err(error) => {
                tracing::warn!(guild = case.guild, case = case.number, %error, "no reason card: settings unreadable");
                return;
            }
        };
        let Some(channel) = settings.cases_channel else {
            return;
        };
        let card = reason_card(case, moderator);
        let nonce = nonce_for(&format!("case_reason:{}:{}", case.guild, case.number));
        if let Err(error) = post_card(self.sink.as_ref(), channel, &card, &nonce).await {
            tracing::warn!(guild = case.guild, case = case.number, channel, %error, "could not post a reason card");
        }
    }

    /// After a moderation command's cases are filed: cards for those without a reason.
    async fn after_action(&self, filing: &InGameFiling) {
        let moderator = filing.moderator.display_name();
        for filed in &filing.cases {
            if filed.case.reason.is_none() {
                self.post_reason_card(&filed.case, moderator).await;
            }
        }
    }

    /// The `:pm` answering a `:log warn` / `:log note`.
    fn confirmation(filing: &InGameFiling, crowd: &[String]) -> String {
        let fresh: Vec<String> = filing
            .cases
            .iter()
            .map(|f| format!("#{} ({})", f.case.number, f.case.target.name))
            .collect();
        let mut text = match fresh.as_slice() {
            [] => "No case filed: name a player (me, all and others name no one).".to_owned(),
            [one] => format!("Case {one} filed."),
            many => format!("Cases {} filed.", many.join(", ")),
        };
        if !crowd.is_empty() && !fresh.is_empty() {
            text.push_str(" (me, all and others name no one: no case for them)");
        }
        text
    }
}

/// What to tell a staff member in game when their line was refused.
fn refusal_text(error: &ActionError) -> String {
    match error {
        ActionError::PermissionDenied { needed, .. } => {
            format!("Not filed: you need the `{needed}` permission in Discord.")
        }
        other => format!("Not filed: {}.", other.user_message().trim_end_matches('.')),
    }
}

impl StaffCommandHandler for CaseLineHandler {
    fn wants(&self, command: &StaffCommand) -> bool {
        wants_case_line(&command.text)
    }

    fn handle<'a>(&'a self, command: &'a StaffCommand, reply: &'a Replies) -> HandlerFuture<'a> {
        Box::pin(async move {
            let commands = match self.services.case_commands(command.guild) {
                Ok(commands) => commands,
                Err(ActionError::Store(error)) => return Err(error),
                Err(error) => {
                    tracing::warn!(guild = command.guild, %error, "no case commands; line passed over");
                    return Ok(());
                }
            };
            let Some(parsed) = parse_case_command(&command.text, &commands) else {
                if is_log_case_line(&command.text) {
                    let usage = "Usage: :log warn <player> <reason> or :log note <player> <text>";
                    if let Err(e) = reply.pm(command, usage).await {
                        tracing::info!(guild = command.guild, error = %e, "no usage reply in game");
                    }
                }
                return Ok(());
            };
            let mark = command.mark();
            let line = InGameLine {
                guild: command.guild,
                mark: &mark,
                time: command.time,
                staff_id: command.player_id,
                staff_name: &command.player_name,
            };
            let filed = self
                .services
                .file_in_game_cases(&line, &parsed, self.members.as_ref())
                .await;
            let answer = match filed {
                Err(ActionError::Store(error)) => {
                    tracing::warn!(guild = command.guild, %error, "in-game case not filed yet; will retry");
                    return Err(error);
                }
                Ok(filing) if parsed.kind == CaseCommandKind::Action => {
                    self.after_action(&filing).await;
                    None
                }
                // A replay after a restart: answered the first time.
                Ok(filing) if filing.cases.iter().any(|f| !f.fresh) => None,
                Ok(filing) => Some(Self::confirmation(&filing, &parsed.crowd)),
                Err(error) if parsed.kind == CaseCommandKind::Action => {
                    tracing::warn!(guild = command.guild, %error, "an in-game action filed no case");
                    None
                }
                Err(error) => Some(refusal_text(&error)),
            };
            if let Some(text) = answer
                && let Err(e) = reply.pm(command, &text).await
            {
                tracing::info!(guild = command.guild, error = %e, "no case reply in game");
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::FiledCase;
    use crate::store::{CaseModerator, CaseSource, CaseStatus, CaseTarget};

    fn filed(number: u64, name: &str) -> FiledCase {
        FiledCase {
            case: Case {
                guild: 1,
                number,
                kind: "warning".into(),
                target: CaseTarget {
                    id: None,
                    name: name.into(),
                },
                moderator: CaseModerator::default(),
                reason: Some("x".into()),
                server: Some("main".into()),
                created_at_ms: 0,
                source: CaseSource::InGame,
                status: CaseStatus::Active,
                expires_at_ms: None,
                audit_seq: None,
                history: Vec::new(),
            },
            fresh: true,
        }
    }

    #[test]
    fn confirmations_name_the_cases() {
        let filing = |cases| InGameFiling {
            cases,
            moderator: CaseModerator::default(),
        };
        assert_eq!(
            CaseLineHandler::confirmation(&filing(vec![filed(4, "Bob")]), &[]),
            "Case #4 (Bob) filed."
        );
        let two = filing(vec![filed(4, "Bob"), filed(5, "Al")]);
        assert_eq!(
            CaseLineHandler::confirmation(&two, &["all".into()]),
            "Cases #4 (Bob), #5 (Al) filed. (me, all and others name no one: no case for them)"
        );
        assert!(
            CaseLineHandler::confirmation(&filing(vec![]), &["all".into()])
                .contains("name a player")
        );
        let denied = ActionError::PermissionDenied {
            needed: crate::store::Capability::Cases,
            hint: "long".into(),
        };
        assert_eq!(
            refusal_text(&denied),
            "Not filed: you need the `cases` permission in Discord."
        );
    }
}
