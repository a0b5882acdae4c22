//! `/logs joins|kills|commands|modcalls|emergency`: a page of stored events as compact lines
//! with relative times, paged with buttons; an empty page says so and suggests a wider range.

use crate::events::catalog::{EventPayload, Involved};
use crate::events::{Event, EventTypeError, Pattern};
use crate::store::events::Page;
use crate::ui::colours;
use crate::ui::escape::{escape_name, plain_line};
use crate::ui::message::{Embed, MAX_DESCRIPTION, Message};
use crate::ui::names::display_name;

use super::common::pack_lines;
use super::lines::event_line;
use super::log_filter::LogFilter;
use super::paging::{PageInfo, PagedView, page_buttons};

/// Which log a `/logs` reply shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// Players joining and leaving.
    Joins,
    /// Who killed whom.
    Kills,
    /// Commands run in game or through the API, and in-game `;` commands.
    Commands,
    /// Mod calls and who answered them.
    ModCalls,
    /// 911 calls: started, responded to, ended.
    Emergency,
}

impl LogKind {
    /// Every log, in the order `/logs` lists them.
    pub const ALL: [LogKind; 5] = [
        Self::Joins,
        Self::Kills,
        Self::Commands,
        Self::ModCalls,
        Self::Emergency,
    ];

    /// The subcommand name: `joins`, `kills`, `commands`, `modcalls`, `emergency`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Joins => "joins",
            Self::Kills => "kills",
            Self::Commands => "commands",
            Self::ModCalls => "modcalls",
            Self::Emergency => "emergency",
        }
    }

    /// The event kinds (catalog names) this log shows.
    pub fn event_kinds(self) -> &'static [&'static str] {
        match self {
            Self::Joins => &["player/join", "player/leave"],
            Self::Kills => &["kill"],
            Self::Commands => &["command", "customcommand"],
            Self::ModCalls => &["modcall/new", "modcall/answered"],
            Self::Emergency => &[
                "emergency/started",
                "emergency/responded",
                "emergency/ended",
            ],
        }
    }

    /// The title of the reply.
    pub fn title(self) -> &'static str {
        match self {
            Self::Joins => "📥 Joins and leaves",
            Self::Kills => "🔫 Kills",
            Self::Commands => "⌨️ Commands",
            Self::ModCalls => "📣 Mod calls",
            Self::Emergency => "🚨 911 calls",
        }
    }

    fn colour(self) -> u32 {
        match self {
            Self::Joins => colours::JOIN,
            Self::Kills => colours::KILL,
            Self::Commands => colours::COMMAND,
            Self::ModCalls => colours::PENDING,
            Self::Emergency => colours::DANGER,
        }
    }

    /// Store query patterns for this log on one server (`None`: every server).
    pub fn patterns(self, server: Option<&str>) -> Result<Vec<Pattern>, EventTypeError> {
        let server = server.unwrap_or("?");
        self.event_kinds()
            .iter()
            .map(|kind| Pattern::parse(&format!("{server}/{kind}")))
            .collect()
    }
}

impl std::str::FromStr for LogKind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| {
                format!("`{text}` is not a log; use joins, kills, commands, modcalls or emergency")
            })
    }
}

/// What a `/logs` reply is about.
#[derive(Debug, Clone, Copy)]
pub struct LogsRequest<'a> {
    /// The server label, or [`super::GUILD_WIDE`] for every server of the guild.
    pub server: &'a str,
    /// The log, span and player; also the filter of the page buttons.
    pub filter: LogFilter,
    /// The page shown, from 0.
    pub page: usize,
}

/// One page of a log from the event store (newest first, as the store returns it).
pub fn logs_page(request: &LogsRequest<'_>, page: &Page) -> (Message, PageInfo) {
    let kind = request.filter.kind;
    let info = PageInfo::of_query(request.page, page.more_follows);
    let mut filters = Vec::new();
    if let Some(range) = request.filter.range_words() {
        filters.push(escape_name(&range));
    }
    if let Some(id) = request.filter.player {
        filters.push(format!("player **{}**", player_name(id, &page.events)));
    }
    let scope = if filters.is_empty() {
        "everything stored".to_owned()
    } else {
        filters.join(" · ")
    };
    let description = if page.events.is_empty() {
        let hint = if request.page > 0 {
            "There are no more entries; go back a page."
        } else {
            "Try a wider time range or drop the player filter. The bot only has what it saw \
             while it was running: PRC keeps just the most recent log entries."
        };
        format!("No {} found for {scope}.\n\n{hint}", kind.noun())
    } else {
        let lines = page.events.iter().map(|event| event_line(event, None));
        format!("-# {scope}\n{}", pack_lines(lines, MAX_DESCRIPTION - 200))
    };
    let embed = Embed::new()
        .title(kind.title())
        .colour(kind.colour())
        .description(&description)
        .footer(&plain_line(&format!(
            "{} · {} · {}",
            request.server,
            kind.as_str(),
            info.label()
        )));
    let buttons = page_buttons(
        request.server,
        PagedView::Logs,
        &request.filter.token(),
        &info,
    );
    (Message::single(embed, buttons), info)
}

/// The filtered player's name as the events on the page give it (escaped), else their id:
/// the page buttons carry only the id.
fn player_name(id: u64, events: &[Event]) -> String {
    let named = events
        .iter()
        .filter_map(|event| EventPayload::from_json(&event.payload))
        .find_map(|payload| {
            payload.players().find_map(|who| match who {
                Involved::Player(player) if player.id == Some(id) => Some(player.name.clone()),
                _ => None,
            })
        });
    named.map_or_else(|| id.to_string(), |name| display_name(&name))
}

impl LogKind {
    fn noun(self) -> &'static str {
        match self {
            Self::Joins => "joins or leaves",
            Self::Kills => "kills",
            Self::Commands => "commands",
            Self::ModCalls => "mod calls",
            Self::Emergency => "911 calls",
        }
    }
}
