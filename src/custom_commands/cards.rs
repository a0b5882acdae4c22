//! The Discord cards `;staff` and `;report` post: who, where, why, with player-panel buttons.
//! Game text is escaped; the only mention is the guild's own staff role (`ping_role`).

use crate::events::catalog::PlayerInfo;
use crate::store::Case;
use crate::ui::colours;
use crate::ui::custom_id::{ButtonAction, CustomId};
use crate::ui::escape::{escape_name, escape_text, plain_line};
use crate::ui::message::{Button, ButtonStyle, Embed, Message};
use crate::ui::names::{display_name, name_link, player_link};
use crate::ui::time::relative_time;

use super::live::LivePlayer;

/// Who typed the command: resolved from the live list, or only their id when they were not
/// in it (left already, or the list could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Found in the live player list, with team and location.
    Online(LivePlayer),
    /// Not in the list: only the Roblox user id PRC sent with the command.
    IdOnly(u64),
}

impl Caller {
    /// Roblox username; `None` when only the id is known.
    pub fn name(&self) -> Option<&str> {
        match self {
            Caller::Online(p) => Some(&p.name),
            Caller::IdOnly(_) => None,
        }
    }

    /// Roblox user id of the caller.
    pub fn id(&self) -> u64 {
        match self {
            Caller::Online(p) => p.id.unwrap_or_default(),
            Caller::IdOnly(id) => *id,
        }
    }

    fn link(&self) -> String {
        match self {
            Caller::Online(p) => player_link(&p.info()),
            Caller::IdOnly(id) => player_link(&PlayerInfo {
                name: format!("user {id}"),
                id: Some(*id),
                ..PlayerInfo::default()
            }),
        }
    }

    fn team(&self) -> String {
        match self {
            Caller::Online(p) => display_name(&p.team),
            Caller::IdOnly(_) => "unknown".into(),
        }
    }

    fn location(&self) -> String {
        match self {
            Caller::Online(p) => p
                .location()
                .map_or_else(|| "unknown".into(), |l| display_name(&l)),
            Caller::IdOnly(_) => "unknown (not in the player list)".into(),
        }
    }
}

/// Where and when, shared by both cards.
#[derive(Debug, Clone, Copy)]
pub struct CardPlace<'a> {
    /// The guild's label for the server the command was typed on.
    pub server: &'a str,
    /// Unix seconds of the chat line.
    pub time: i64,
}

fn base(place: CardPlace<'_>, title: &str, colour: u32, command: &str) -> Embed {
    let embed = Embed::new()
        .title(title)
        .colour(colour)
        .footer(&plain_line(&format!("{} · ;{command}", place.server)));
    if place.time > 0 {
        embed.timestamp(place.time)
    } else {
        embed
    }
}

fn reason_text(reason: Option<&str>) -> String {
    reason
        .map(escape_text)
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "*No reason given.*".into())
}

fn panel(server: &str, id: u64, actions: &[(ButtonAction, &str, ButtonStyle)]) -> Vec<Button> {
    actions
        .iter()
        .filter_map(|(action, label, style)| {
            CustomId::player(*action, server, id)
                .ok()
                .map(|custom_id| Button::new(&custom_id, label, *style))
        })
        .collect()
}

/// `;staff` / `;modcall`: pings `ping_role` (when configured) with who and where.
pub fn staff_card(
    place: CardPlace<'_>,
    caller: &Caller,
    reason: Option<&str>,
    ping_role: Option<u64>,
) -> Message {
    let embed = base(place, "Staff requested in game", colours::PENDING, "staff")
        .description(&format!(
            "{} asked for staff {}",
            caller.link(),
            relative_time(place.time)
        ))
        .field("Player", &caller.link(), true)
        .field("Team", &caller.team(), true)
        .field("Location", &caller.location(), true)
        .field("Server", &display_name(place.server), true)
        .field("Reason", &reason_text(reason), false);
    let buttons = panel(
        place.server,
        caller.id(),
        &[
            (ButtonAction::PlayerPm, "PM", ButtonStyle::Primary),
            (ButtonAction::PlayerOpen, "Player", ButtonStyle::Secondary),
        ],
    );
    let mut message = Message::single(embed, buttons);
    message.content = Some(format!("Staff needed on {}", plain_line(place.server)));
    message.ping_role = ping_role;
    message
}

/// The player a report names: found online, or only the typed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// The one player online the typed name means; the card gets their panel buttons.
    Online(LivePlayer),
    /// Not (uniquely) online; the card shows what was typed and has no buttons.
    Typed(String),
}

/// `;report <player> <reason>`: the reported player's panel buttons, no ping.
pub fn report_card(
    place: CardPlace<'_>,
    reporter: &Caller,
    reported: &Reported,
    reason: &str,
) -> Message {
    let (reported_text, buttons) = match reported {
        Reported::Online(player) => (
            player_link(&player.info()),
            player.id.map_or_else(Vec::new, |id| {
                panel(
                    place.server,
                    id,
                    &[
                        (ButtonAction::PlayerKick, "Kick", ButtonStyle::Danger),
                        (ButtonAction::PlayerBan, "Ban", ButtonStyle::Danger),
                        (ButtonAction::PlayerPm, "PM", ButtonStyle::Primary),
                        (ButtonAction::PlayerOpen, "Player", ButtonStyle::Secondary),
                    ],
                )
            }),
        ),
        Reported::Typed(name) => (
            format!("{} (not found online)", display_name(name)),
            Vec::new(),
        ),
    };
    let embed = base(place, "Player report", colours::WARNING, "report")
        .description(&format!(
            "{} reported {} {}",
            reporter.link(),
            reported_text,
            relative_time(place.time)
        ))
        .field("Reported", &reported_text, true)
        .field("Reporter", &reporter.link(), true)
        .field("Reporter location", &reporter.location(), true)
        .field("Server", &display_name(place.server), true)
        .field("Reason", &reason_text(Some(reason)), false);
    Message::single(embed, buttons)
}

/// The "Add reason" card for a case an in-game action filed without a reason: who did what to
/// whom, where and when, with the button that opens the reason form. It pings nobody; the
/// moderator is shown by name (`moderator`, the linked member's or else the Roblox name).
pub fn reason_card(case: &Case, moderator: &str) -> Message {
    let server = case.server.as_deref().unwrap_or_default();
    let kind = display_name(&case.kind.replace('_', " "));
    let embed = Embed::new()
        .title(&format!("Case #{} · {kind} · no reason given", case.number))
        .colour(colours::PENDING)
        .description(&format!(
            "{} filed a {} in game against {} {}. Add the reason so the record is complete.",
            escape_name(moderator),
            kind,
            name_link(&case.target.name, case.target.id),
            relative_time(case.created_at_ms.div_euclid(1000)),
        ))
        .field("Moderator", &escape_name(moderator), true)
        .field(
            "Player",
            &name_link(&case.target.name, case.target.id),
            true,
        )
        .field("Server", &display_name(server), true)
        .footer(&plain_line(&format!("{server} · case #{}", case.number)));
    let buttons = CustomId::new(ButtonAction::CaseReason, server, &case.number.to_string())
        .map(|id| vec![Button::new(&id, "Add reason", ButtonStyle::Primary)])
        .unwrap_or_default();
    Message::single(embed, buttons)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn online(name: &str, id: u64) -> LivePlayer {
        LivePlayer {
            name: name.into(),
            id: Some(id),
            team: "Police".into(),
            permission: "Normal".into(),
            callsign: None,
            postal: Some("307".into()),
            street: Some("Harbor Road".into()),
        }
    }

    const PLACE: CardPlace<'static> = CardPlace {
        server: "main",
        time: 1_767_226_200,
    };

    #[test]
    fn staff_card_pings_only_the_role_and_escapes_game_text() {
        let caller = Caller::Online(online("Evil_@everyone", 42));
        let card = staff_card(PLACE, &caller, Some("<@&1> @here *help*"), Some(777));
        assert!(card.within_limits());
        assert_eq!(card.ping_role, Some(777));
        assert_eq!(card.allowed_role_mentions(), vec![777]);
        let text = serde_json::to_string(&card.embeds).unwrap();
        assert!(
            !text.contains("@everyone") && !text.contains("@here"),
            "{text}"
        );
        assert!(!text.contains("<@&1>"), "{text}");
        assert!(text.contains("Postal 307, Harbor Road"));
        assert!(text.contains("Police"));
        let ids: Vec<_> = card.buttons.iter().map(|b| b.custom_id.as_str()).collect();
        assert_eq!(ids, ["erlc:pl_pm:main:42", "erlc:pl_open:main:42"]);
        let unpinged = staff_card(PLACE, &Caller::IdOnly(5), None, None);
        assert_eq!(unpinged.ping_role, None);
        let text = serde_json::to_string(&unpinged.embeds).unwrap();
        assert!(text.contains("No reason given") && text.contains("not in the player list"));
    }

    #[test]
    fn report_card_has_panel_buttons_only_for_a_found_player() {
        let reporter = Caller::Online(online("Reporter", 1));
        let found = report_card(
            PLACE,
            &reporter,
            &Reported::Online(online("Bad_Driver", 99)),
            "ran me over",
        );
        assert!(found.within_limits());
        assert_eq!(found.ping_role, None);
        let actions: Vec<_> = found
            .buttons
            .iter()
            .map(|b| CustomId::parse(&b.custom_id).unwrap())
            .map(|id| (id.action(), id.roblox_id()))
            .collect();
        assert_eq!(actions.len(), 4);
        assert!(actions.iter().all(|(_, id)| *id == Some(99)));
        assert_eq!(actions[0].0, ButtonAction::PlayerKick);
        let typed = report_card(PLACE, &reporter, &Reported::Typed("gh*st".into()), "x");
        assert!(typed.buttons.is_empty());
        assert!(
            serde_json::to_string(&typed.embeds)
                .unwrap()
                .contains("gh\\\\*st")
        );
    }

    #[test]
    fn reason_card_names_the_moderator_without_pinging_and_offers_the_form() {
        let case = Case {
            guild: 1,
            number: 12,
            kind: "temp_ban".into(),
            target: crate::store::CaseTarget {
                id: Some(99),
                name: "Bad_Driver".into(),
            },
            moderator: crate::store::CaseModerator::default(),
            reason: None,
            server: Some("main".into()),
            created_at_ms: 1_767_226_200_000,
            source: crate::store::CaseSource::InGame,
            status: crate::store::CaseStatus::Active,
            expires_at_ms: None,
            audit_seq: None,
            history: Vec::new(),
        };
        let card = reason_card(&case, "*Mod* @everyone");
        assert!(card.within_limits());
        assert_eq!(card.ping_role, None);
        let text = serde_json::to_string(&card.embeds).unwrap();
        assert!(
            text.contains("Case #12") && text.contains("temp ban"),
            "{text}"
        );
        assert!(text.contains(r"\\*Mod\\*"), "markdown escaped: {text}");
        assert!(!text.contains("@everyone"), "{text}");
        let ids: Vec<_> = card.buttons.iter().map(|b| b.custom_id.as_str()).collect();
        assert_eq!(ids, ["erlc:case_reason:main:12"]);
    }
}
