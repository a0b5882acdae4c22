//! Cards for case events: a case filed, changed or voided, with its number, type, player,
//! moderator, reason, status and (for temp bans) when it ends.

use crate::events::catalog::CaseInfo;
use crate::ui::colours;
use crate::ui::escape::{escape_name, escape_text};
use crate::ui::message::truncate;
use crate::ui::names::{display_name, player_link};
use crate::ui::time::full_time;

use super::{Card, CardContext};

/// Longest reason shown on a card.
const MAX_REASON: usize = 500;

/// What happened to the case.
#[derive(Debug, Clone, Copy)]
pub(super) enum CaseStage {
    Created,
    Updated,
    Voided,
}

pub(super) fn case_card(case: &CaseInfo, stage: CaseStage, cx: &CardContext<'_>) -> Card {
    let (verb, colour) = match stage {
        CaseStage::Created => ("filed", colours::WARNING),
        CaseStage::Updated => ("updated", colours::STAFF),
        CaseStage::Voided => ("voided", colours::NEUTRAL),
    };
    let title = format!("Case #{} {verb}: {}", case.number, display_name(&case.kind));
    let reason = case
        .reason
        .as_deref()
        .map(|r| escape_text(&truncate(r, MAX_REASON)))
        .unwrap_or_else(|| "_no reason given_".to_owned());
    let mut embed = cx
        .embed(&title, colour)
        .description(&format!("{} · {}", player_link(&case.player), cx.ago()))
        .field("Moderator", &escape_name(&case.moderator), true)
        .field("Status", &display_name(&case.status), true)
        .field("Reason", &reason, false);
    if let Some(until) = case.expires_at {
        embed = embed.field("Ends", &full_time(until), true);
    }
    Card::plain(embed)
}
