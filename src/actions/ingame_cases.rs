//! In-game actions become cases: a `:kick`, `:ban`, `:unban` or `:jail` (or the guild's own
//! list) staff ran in game, and `:log warn` / `:log note`, read from a stored command event,
//! file one case per target, once per event. The moderator is the staff member (Roblox id and
//! name) and, when their account is linked, the Discord member; the target is resolved against
//! the players the server's recent events saw.
//!
//! The bot's own commands appear in the command logs as `Remote Server` without an id and
//! never come here: they filed their case when the bot ran them.

use serde_json::json;

use crate::events::catalog::{EventPayload, Involved};
use crate::store::{
    AuditActor, AuditOutcome, Capability, Case, CaseModerator, CaseSource, CaseStatus, CaseTarget,
    EventMark, NewCase, Source,
};

use super::audit_trail::{AuditDraft, begin_audit, complete_audit};
use super::case_commands::{CaseCommand, CaseCommandKind, DEFAULT_CASE_COMMANDS, TypedTarget};
use super::cases::{CaseEvent, MAX_REASON_CHARS};
use super::{ActionError, AuditAction, MemberLookup, Services};

/// Events read before a command to learn who its targets were (the kicked player's leave and
/// join rows sit next to it), and after it (the same poll stores them after the command).
const SEEN_BEFORE: u64 = 2_000;
const SEEN_AFTER: usize = 200;

/// A command-log line a staff member ran in game, as cases need it.
#[derive(Debug, Clone, Copy)]
pub struct InGameLine<'a> {
    /// Discord guild that owns the server.
    pub guild: u64,
    /// The stored event (its server label and id): cases remember it, so a replay files none.
    pub mark: &'a EventMark,
    /// When it ran, Unix seconds (from the command log).
    pub time: i64,
    /// Roblox id of the staff member.
    pub staff_id: u64,
    /// Roblox username of the staff member; untrusted.
    pub staff_name: &'a str,
}

impl InGameLine<'_> {
    fn audit_actor(&self) -> AuditActor {
        AuditActor::Player {
            id: Some(self.staff_id),
            name: self.staff_name.to_owned(),
        }
    }
}

/// One case an in-game line filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledCase {
    /// The case as stored.
    pub case: Case,
    /// `false` when this event had filed it already (a replay after a restart).
    pub fresh: bool,
}

/// What an in-game line filed, and who it says did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InGameFiling {
    /// One per target, in the order typed.
    pub cases: Vec<FiledCase>,
    /// The moderator recorded on them.
    pub moderator: CaseModerator,
}

/// Whom a typed target means among the players a server saw, newest sighting first.
fn resolve_seen(typed: &TypedTarget, seen: &[(u64, String)]) -> CaseTarget {
    match typed {
        TypedTarget::Id(id) => CaseTarget {
            id: Some(*id),
            name: seen
                .iter()
                .find(|(seen_id, _)| seen_id == id)
                .map_or_else(|| id.to_string(), |(_, name)| name.clone()),
        },
        TypedTarget::Name(name) => {
            let lower = name.to_lowercase();
            let exact = seen.iter().find(|(_, n)| n.to_lowercase() == lower);
            let mut starts = seen
                .iter()
                .filter(|(_, n)| n.to_lowercase().starts_with(&lower));
            // Each id is seen once, so a second name starting so means PRC had a choice too.
            let prefix = match (starts.next(), starts.next()) {
                (Some(first), None) => Some(first),
                _ => None,
            };
            match exact.or(prefix) {
                Some((id, seen_name)) => CaseTarget {
                    id: Some(*id),
                    name: seen_name.clone(),
                },
                None => CaseTarget {
                    id: None,
                    name: name.clone(),
                },
            }
        }
    }
}

impl Services {
    /// The in-game commands that file a case in this guild (canonical names).
    pub fn case_commands(&self, guild: u64) -> Result<Vec<String>, ActionError> {
        let settings = self.store().settings().guild_settings(guild)?;
        Ok(settings.ingame_case_commands.unwrap_or_else(|| {
            DEFAULT_CASE_COMMANDS
                .iter()
                .map(|c| (*c).to_owned())
                .collect()
        }))
    }

    /// The players a server's events saw around an event, newest first, each id once:
    /// `(Roblox id, username)`.
    fn players_seen(
        &self,
        guild: u64,
        mark: &EventMark,
    ) -> Result<Vec<(u64, String)>, ActionError> {
        let events = self.store().events().events_since(
            guild,
            &mark.server,
            mark.id.saturating_sub(SEEN_BEFORE),
            usize::try_from(SEEN_BEFORE).unwrap_or(usize::MAX) + SEEN_AFTER,
        )?;
        let mut seen: Vec<(u64, String)> = Vec::new();
        for event in events.iter().rev() {
            let Some(payload) = EventPayload::from_json(&event.payload) else {
                continue;
            };
            let named = payload.players().filter_map(|who| match who {
                Involved::Player(info) => info.id.map(|id| (id, info.name.clone())),
                Involved::User(_) => None,
            });
            let banned = match &payload {
                EventPayload::BanAdded { user_id, name }
                | EventPayload::BanRemoved { user_id, name } => Some((*user_id, name.clone())),
                _ => None,
            };
            for (id, name) in named.chain(banned) {
                if !name.is_empty() && !seen.iter().any(|(s, _)| *s == id) {
                    seen.push((id, name));
                }
            }
        }
        Ok(seen)
    }

    /// Who ran a line: the staff member in game and, when linked, the Discord member (with
    /// their display name when Discord can be asked).
    async fn in_game_moderator(
        &self,
        line: &InGameLine<'_>,
        members: &dyn MemberLookup,
    ) -> Result<(CaseModerator, Option<super::Member>), ActionError> {
        let mut moderator = CaseModerator {
            roblox_id: Some(line.staff_id),
            roblox_name: Some(line.staff_name.to_owned()),
            ..CaseModerator::default()
        };
        let Some(link) = self.store().links().by_roblox(line.guild, line.staff_id)? else {
            return Ok((moderator, None));
        };
        moderator.discord_id = Some(link.discord_id);
        let member = match members.member(line.guild, link.discord_id).await {
            Ok(Some(member)) => Some(member),
            Ok(None) => None,
            Err(error) => {
                tracing::info!(guild = line.guild, %error, "in-game case: no member name");
                None
            }
        };
        moderator.discord_name = member.as_ref().map(|m| m.name.clone());
        Ok((moderator, member))
    }

    /// File the cases an in-game line asks for, once per event (a replay returns the cases
    /// already filed). A moderation command the game ran files its cases for whoever ran it;
    /// `:log warn` and `:log note` need a linked member with `cases` (refused otherwise, with
    /// a reason to tell them, and audited). `me`, `all` and `others` file nothing.
    pub async fn file_in_game_cases(
        &self,
        line: &InGameLine<'_>,
        command: &CaseCommand,
        members: &dyn MemberLookup,
    ) -> Result<InGameFiling, ActionError> {
        let (moderator, member) = self.in_game_moderator(line, members).await?;
        let audit_name = match command.kind {
            CaseCommandKind::Action => AuditAction::CaseInGame,
            CaseCommandKind::Warn => AuditAction::CaseWarn,
            CaseCommandKind::Note => AuditAction::CaseNote,
        };
        if command.kind != CaseCommandKind::Action {
            let Some(member) = &member else {
                let why = if moderator.discord_id.is_some() {
                    "your linked Discord account could not be checked; try again later"
                } else {
                    "link your Discord account first: /link in Discord"
                };
                let note = AuditDraft::new(
                    audit_name,
                    Some(line.mark.server.clone()),
                    json!({ "event": line.mark.id, "type": command.case_type }),
                );
                let ticket = begin_audit(
                    self.store(),
                    line.guild,
                    line.audit_actor(),
                    Source::Tracker,
                    note,
                )
                .await?;
                let outcome = AuditOutcome::PermissionDenied(why.to_owned());
                complete_audit(self.store(), ticket, outcome).await;
                return Err(ActionError::InvalidInput(why.to_owned()));
            };
            self.require(
                line.guild,
                member,
                Capability::Cases,
                audit_name,
                Source::Tracker,
            )
            .await?;
            if command.reason.is_none() {
                let usage = match command.kind {
                    CaseCommandKind::Warn => "give a reason: :log warn <player> <reason>",
                    _ => "give a note: :log note <player> <text>",
                };
                return Err(ActionError::InvalidInput(usage.to_owned()));
            }
        }
        let seen = if command.targets.is_empty() {
            Vec::new()
        } else {
            self.players_seen(line.guild, line.mark)?
        };
        let reason = command
            .reason
            .as_deref()
            .map(|r| r.chars().take(MAX_REASON_CHARS).collect::<String>());
        let note = AuditDraft::new(
            audit_name,
            Some(line.mark.server.clone()),
            json!({
                "event": line.mark.id,
                "type": command.case_type,
                "targets": command.targets.len(),
                "crowd": command.crowd,
            }),
        );
        let ticket = begin_audit(
            self.store(),
            line.guild,
            line.audit_actor(),
            Source::Tracker,
            note,
        )
        .await?;
        let mut filed = Vec::new();
        let mut failure = None;
        for (ordinal, typed) in (0u32..).zip(&command.targets) {
            let new = NewCase {
                kind: command.case_type.clone(),
                target: resolve_seen(typed, &seen),
                moderator: moderator.clone(),
                reason: reason.clone(),
                server: Some(line.mark.server.clone()),
                source: CaseSource::InGame,
                status: CaseStatus::Active,
                expires_at_ms: None,
                audit_seq: Some(ticket.seq()),
            };
            let at_ms = line.time.saturating_mul(1000);
            let created = self
                .store()
                .cases()
                .create_for_event(line.guild, line.mark, ordinal, at_ms, new);
            match created {
                Ok((case, fresh)) => {
                    if fresh && let Err(error) = self.publish_case(&case, CaseEvent::Created).await
                    {
                        failure = Some(error);
                        break;
                    }
                    filed.push(FiledCase { case, fresh });
                }
                Err(error) => {
                    failure = Some(error.into());
                    break;
                }
            }
        }
        if failure.is_none()
            && let Err(error) = self.store().flush_async().await
        {
            failure = Some(error.into());
        }
        let outcome = match &failure {
            None => AuditOutcome::Ok,
            Some(error) => AuditOutcome::Failed(error.to_string()),
        };
        complete_audit(self.store(), ticket, outcome).await;
        match failure {
            Some(error) => Err(error),
            None => Ok(InGameFiling {
                cases: filed,
                moderator,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen() -> Vec<(u64, String)> {
        vec![
            (3, "Bobby".into()),
            (2, "Bob".into()),
            (1, "Avery_Cole".into()),
        ]
    }

    #[test]
    fn targets_resolve_by_id_exact_name_or_unique_prefix() {
        let id = resolve_seen(&TypedTarget::Id(1), &seen());
        assert_eq!((id.id, id.name.as_str()), (Some(1), "Avery_Cole"));
        let unknown = resolve_seen(&TypedTarget::Id(9), &seen());
        assert_eq!((unknown.id, unknown.name.as_str()), (Some(9), "9"));
        let exact = resolve_seen(&TypedTarget::Name("bob".into()), &seen());
        assert_eq!((exact.id, exact.name.as_str()), (Some(2), "Bob"));
        let prefix = resolve_seen(&TypedTarget::Name("ave".into()), &seen());
        assert_eq!(prefix.id, Some(1));
        let ambiguous = resolve_seen(&TypedTarget::Name("bo".into()), &seen());
        assert_eq!(
            (ambiguous.id, ambiguous.name.as_str()),
            (None, "bo"),
            "two players start with it: kept as typed"
        );
        let nobody = resolve_seen(&TypedTarget::Name("Zed".into()), &seen());
        assert_eq!((nobody.id, nobody.name.as_str()), (None, "Zed"));
    }

    mod filing {
        use super::super::super::{Member, MemberFuture, NoDiscordMembers, parse_case_command};
        use super::*;
        use crate::events::catalog::PlayerInfo;
        use crate::store::{AccountLink, LinkedBy, MasterKeySource, Store, StoreConfig};

        /// Every member is an admin (so has `cases`).
        struct Admins;

        impl MemberLookup for Admins {
            fn member(&self, _guild: u64, user: u64) -> MemberFuture<'_> {
                Box::pin(async move {
                    Ok(Some(Member {
                        discord_id: user,
                        name: "Mod".into(),
                        roles: Vec::new(),
                        is_admin: true,
                    }))
                })
            }
        }

        fn services(dir: &std::path::Path) -> Services {
            let key = MasterKeySource::Env("44".repeat(32));
            let store = Store::open(StoreConfig::new(dir, key)).unwrap();
            // Filing reads and writes the store only: the client is never asked.
            let client = crate::erlc::ErlcClient::new(crate::erlc::ClientConfig::with_base_url(
                "http://127.0.0.1:9",
            ))
            .unwrap();
            Services::new(store, client, crate::actions::ServicesOptions::default())
        }

        fn store_event(services: &Services, payload: EventPayload) -> EventMark {
            let event = payload.into_new_event("main", 1_000, None).unwrap();
            let id = services.store().events().append(1, vec![event]).unwrap()[0].id;
            EventMark {
                server: "main".into(),
                id,
            }
        }

        fn player(name: &str, id: u64) -> PlayerInfo {
            PlayerInfo {
                name: name.into(),
                id: Some(id),
                ..PlayerInfo::default()
            }
        }

        async fn file(
            services: &Services,
            staff: (u64, &str),
            text: &str,
            members: &dyn MemberLookup,
        ) -> Result<InGameFiling, ActionError> {
            let mark = store_event(
                services,
                EventPayload::Command {
                    player: player(staff.1, staff.0),
                    command: text.into(),
                },
            );
            file_as(services, &mark, staff, text, members).await
        }

        async fn file_as(
            services: &Services,
            mark: &EventMark,
            staff: (u64, &str),
            text: &str,
            members: &dyn MemberLookup,
        ) -> Result<InGameFiling, ActionError> {
            let commands = services.case_commands(1).unwrap();
            let parsed = parse_case_command(text, &commands).unwrap();
            let line = InGameLine {
                guild: 1,
                mark,
                time: 1_000,
                staff_id: staff.0,
                staff_name: staff.1,
            };
            services.file_in_game_cases(&line, &parsed, members).await
        }

        #[tokio::test]
        async fn a_line_files_once_and_names_who_did_it() {
            let dir = tempfile::tempdir().unwrap();
            let services = services(dir.path());
            store_event(
                &services,
                EventPayload::PlayerLeave {
                    player: player("Noob_Player", 1002),
                },
            );
            let staff = (2001, "Staff_Bob");
            let text = ":kick noob,Bob_Q,all";
            let mark = store_event(
                &services,
                EventPayload::Command {
                    player: player(staff.1, staff.0),
                    command: text.into(),
                },
            );
            let filed = file_as(&services, &mark, staff, text, &NoDiscordMembers)
                .await
                .unwrap();
            let targets: Vec<(Option<u64>, &str, bool)> = filed
                .cases
                .iter()
                .map(|f| (f.case.target.id, f.case.target.name.as_str(), f.fresh))
                .collect();
            assert_eq!(
                targets,
                [(Some(1002), "Noob_Player", true), (None, "Bob_Q", true)],
                "the left player resolved from the events; `all` filed nothing"
            );
            let case = &filed.cases[0].case;
            assert_eq!(case.kind, "kick");
            assert_eq!(case.reason, None);
            assert_eq!(case.created_at_ms, 1_000_000);
            assert_eq!(case.source, CaseSource::InGame);
            assert_eq!(
                (case.moderator.discord_id, case.moderator.roblox_id),
                (None, Some(2001)),
                "unlinked: the Roblox staff member only"
            );
            // The same event again (after a crash): the same cases, nothing new.
            let again = file_as(&services, &mark, staff, text, &NoDiscordMembers)
                .await
                .unwrap();
            assert!(again.cases.iter().all(|f| !f.fresh));
            assert_eq!(again.cases[0].case, filed.cases[0].case);
            assert!(services.store().cases().get(1, 3).unwrap().is_none());

            // `:log warn` needs a link, then a member with `cases`.
            let refused = file(&services, staff, ":log warn Noob rude", &Admins).await;
            assert!(
                matches!(&refused, Err(ActionError::InvalidInput(why)) if why.contains("/link")),
                "{refused:?}"
            );
            let link = AccountLink {
                guild: 1,
                roblox_id: 2001,
                roblox_name: "Staff_Bob".into(),
                discord_id: 77,
                linked_at_ms: 0,
                linked_by: LinkedBy::Admin { admin: 1 },
            };
            services.store().links().put(&link).unwrap();
            let unchecked = file(&services, staff, ":log warn Noob rude", &NoDiscordMembers).await;
            assert!(
                unchecked.is_err(),
                "no Discord: the member cannot be checked"
            );
            let warned = file(&services, staff, ":log warn Noob rude", &Admins)
                .await
                .unwrap();
            let case = &warned.cases[0].case;
            assert_eq!((case.number, case.kind.as_str()), (3, "warning"));
            assert_eq!(case.target.id, Some(1002));
            assert_eq!(case.reason.as_deref(), Some("rude"));
            assert_eq!(
                (
                    case.moderator.discord_id,
                    case.moderator.discord_name.as_deref()
                ),
                (Some(77), Some("Mod"))
            );
            let missing = file(&services, staff, ":log note Noob", &Admins).await;
            assert!(
                matches!(&missing, Err(ActionError::InvalidInput(why)) if why.contains("note")),
                "{missing:?}"
            );
        }
    }
}
