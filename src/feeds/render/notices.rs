//! Cards about the feed and the server rather than players: feed gaps (entries may be
//! missing, and why), server online/offline, and a generic card for event kinds this version
//! does not know.

use serde_json::Value;

use crate::ui::colours;
use crate::ui::escape::{code_span, escape_name, escape_text};
use crate::ui::names::display_name;
use crate::ui::time::full_time;

use super::{Card, CardContext};

/// Most payload values shown on a generic card.
const MAX_GENERIC_FIELDS: usize = 10;

pub(super) fn feed_gap(since: i64, until: i64, logs: &[String], cx: &CardContext<'_>) -> Card {
    let logs_text = if logs.is_empty() {
        "all logs".to_owned()
    } else {
        logs.iter()
            .map(|l| display_name(l))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let embed = cx
        .embed("⚠ Feed gap: some entries may be missing", colours::WARNING)
        .description(&format!(
            "Entries from **{logs_text}** between {} and {} may be missing from this channel.\n\n\
             Why: the bot could not read this server for a while (it was offline, restarting, \
             or the server did not answer), and PRC only keeps its most recent log entries. \
             Everything still in PRC's window has been posted; older entries from that time \
             could not be recovered.",
            full_time(since),
            full_time(until)
        ))
        .field("From", &full_time(since), true)
        .field("Until", &full_time(until), true)
        .field("Logs", &logs_text, true);
    Card::plain(embed)
}

pub(super) fn server_online(name: &str, players: u32, cx: &CardContext<'_>) -> Card {
    let noun = if players == 1 { "player" } else { "players" };
    Card::plain(
        cx.embed("Server online", colours::JOIN)
            .description(&format!(
                "**{}** is online with {players} {noun} {}",
                display_name(name),
                cx.ago()
            )),
    )
}

pub(super) fn server_offline(name: &str, cx: &CardContext<'_>) -> Card {
    Card::plain(
        cx.embed("Server offline", colours::ENDED)
            .description(&format!(
                "**{}** went offline {}. The feed resumes when it is back.",
                display_name(name),
                cx.ago()
            )),
    )
}

/// A kind this version cannot show in detail: say so, and show the payload's simple values.
pub(super) fn unknown(payload: &Value, cx: &CardContext<'_>) -> Card {
    generic(cx.kind, Some(payload), cx)
}

pub(super) fn generic(kind: &str, payload: Option<&Value>, cx: &CardContext<'_>) -> Card {
    let mut embed = cx
        .embed(&format!("Event: {}", escape_name(kind)), colours::NEUTRAL)
        .description(&format!(
            "This version of erlc-bot cannot show {} events in detail yet; updating the bot \
             will. It happened {}.",
            code_span(kind),
            cx.ago()
        ));
    let entries = payload.and_then(Value::as_object).into_iter().flatten();
    for (key, value) in entries
        .filter(|(key, _)| key.as_str() != "kind")
        .filter_map(|(key, value)| Some((key, scalar_text(value)?)))
        .take(MAX_GENERIC_FIELDS)
    {
        embed = embed.field(&escape_name(key), &value, true);
    }
    Card::plain(embed)
}

/// Strings, numbers and booleans as escaped text; nested values are left out.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(escape_text(text)),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}
