//! Discord's own rules, checked on what the bot sends, and the error bodies Discord answers
//! with when one is broken.

use std::time::Duration;

use serde_json::{Value, json};

/// Which Discord rule the bot broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// A second callback for the same interaction (Discord: 400, code 40060).
    DoubleAck,
    /// The first callback came more than 3 s after dispatch. Recorded only; see
    /// `FakeDiscord::assert_no_violations`.
    LateAck,
    /// A modal (callback type 9) sent after the interaction was already acknowledged.
    ModalNotFirst,
    /// A callback type that Discord refuses for this interaction type.
    InvalidCallbackType,
    /// A follow-up or original-message call before any callback (Discord: 404, 10015).
    FollowupBeforeAck,
    /// Message content over 2,000 characters.
    ContentTooLong,
    /// More than 10 embeds.
    TooManyEmbeds,
    /// Embeds over 6,000 characters together, or one embed part over its own limit.
    EmbedTooLong,
    /// More than 25 autocomplete choices.
    TooManyChoices,
    /// Components over Discord's limits (5 rows, 5 per row, custom_id ≤ 100).
    ComponentLimit,
    /// A registered command Discord would refuse (name, description, option rules).
    InvalidCommand,
    /// A test built a slash command the bot never registered.
    UnregisteredCommand,
    /// A callback or webhook for an interaction the fake never dispatched.
    UnknownInteraction,
    /// A wrong token in IDENTIFY, RESUME or the REST `Authorization` header.
    BadToken,
    /// A body that is not the JSON the route needs.
    InvalidBody,
}

#[derive(Clone, Debug)]
pub struct Violation {
    pub kind: ViolationKind,
    pub detail: String,
    /// Time since the fake started.
    pub at: Duration,
}

pub const MAX_CONTENT_CHARS: usize = 2000;
pub const MAX_EMBEDS: usize = 10;
pub const MAX_EMBED_TOTAL_CHARS: usize = 6000;
pub const MAX_AUTOCOMPLETE_CHOICES: usize = 25;
pub const ACK_DEADLINE: Duration = Duration::from_secs(3);

/// Discord's JSON error body.
pub fn discord_error(code: u32, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

/// Discord's "Invalid Form Body" (50035) with one field error, in the nested `_errors` shape
/// serenity flattens into `DiscordJsonSingleError { path, .. }`.
pub fn form_error(field: &str, message: &str) -> Value {
    json!({
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": { field: { "_errors": [{ "code": "BASE_TYPE_INVALID", "message": message }] } }
    })
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

/// Characters Discord counts toward the 6,000 limit for one embed.
pub fn embed_chars(embed: &Value) -> usize {
    let fields = embed["fields"].as_array().into_iter().flatten();
    chars(&embed["title"])
        + chars(&embed["description"])
        + chars(&embed["footer"]["text"])
        + chars(&embed["author"]["name"])
        + fields
            .map(|f| chars(&f["name"]) + chars(&f["value"]))
            .sum::<usize>()
}

/// Every rule a message body (create, edit, callback data, follow-up) breaks.
pub fn message_problems(body: &Value) -> Vec<(ViolationKind, String)> {
    let mut problems = Vec::new();
    let content = chars(&body["content"]);
    if content > MAX_CONTENT_CHARS {
        let detail = format!("content has {content} characters (max {MAX_CONTENT_CHARS})");
        problems.push((ViolationKind::ContentTooLong, detail));
    }
    let embeds = body["embeds"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if embeds.len() > MAX_EMBEDS {
        let detail = format!("{} embeds (max {MAX_EMBEDS})", embeds.len());
        problems.push((ViolationKind::TooManyEmbeds, detail));
    }
    let total: usize = embeds.iter().map(embed_chars).sum();
    if total > MAX_EMBED_TOTAL_CHARS {
        let detail = format!("embeds total {total} characters (max {MAX_EMBED_TOTAL_CHARS})");
        problems.push((ViolationKind::EmbedTooLong, detail));
    }
    for (i, embed) in embeds.iter().enumerate() {
        problems.extend(embed_part_problems(i, embed));
    }
    problems.extend(component_problems(&body["components"]));
    problems
}

fn embed_part_problems(index: usize, embed: &Value) -> Vec<(ViolationKind, String)> {
    let fields = embed["fields"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut parts = vec![
        ("title", chars(&embed["title"]), 256),
        ("description", chars(&embed["description"]), 4096),
        ("footer.text", chars(&embed["footer"]["text"]), 2048),
        ("author.name", chars(&embed["author"]["name"]), 256),
        ("fields", fields.len(), 25),
    ];
    for field in fields {
        parts.push(("field name", chars(&field["name"]), 256));
        parts.push(("field value", chars(&field["value"]), 1024));
    }
    parts
        .into_iter()
        .filter(|(_, len, max)| len > max)
        .map(|(part, len, max)| {
            let detail = format!("embed {index} {part} is {len} long (max {max})");
            (ViolationKind::EmbedTooLong, detail)
        })
        .collect()
}

/// Action-row limits, shared by messages and modals.
pub fn component_problems(components: &Value) -> Vec<(ViolationKind, String)> {
    let rows = components.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut problems = Vec::new();
    if rows.len() > 5 {
        problems.push((
            ViolationKind::ComponentLimit,
            format!("{} action rows (max 5)", rows.len()),
        ));
    }
    for row in rows {
        let items = row["components"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if items.len() > 5 {
            let detail = format!("{} components in one row (max 5)", items.len());
            problems.push((ViolationKind::ComponentLimit, detail));
        }
        for item in items {
            let id_len = chars(&item["custom_id"]);
            if id_len > 100 {
                let detail = format!("custom_id has {id_len} characters (max 100)");
                problems.push((ViolationKind::ComponentLimit, detail));
            }
        }
    }
    problems
}

/// Whether Discord accepts callback type `callback` for interaction type `interaction`.
pub fn callback_allowed(interaction: u8, callback: u8) -> bool {
    match interaction {
        1 => callback == 1,
        2 => matches!(callback, 4 | 5 | 9),
        3 => matches!(callback, 4..=7 | 9),
        4 => callback == 8,
        5 => matches!(callback, 4..=7),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_content_and_big_embeds_are_reported() {
        let body = json!({
            "content": "x".repeat(2001),
            "embeds": [{ "description": "y".repeat(4000) }, { "description": "z".repeat(2500) }]
        });
        let kinds: Vec<ViolationKind> = message_problems(&body).into_iter().map(|p| p.0).collect();
        assert_eq!(
            kinds,
            [ViolationKind::ContentTooLong, ViolationKind::EmbedTooLong]
        );
        assert!(message_problems(&json!({ "content": "x".repeat(2000) })).is_empty());
    }

    #[test]
    fn modals_only_answer_commands_and_components() {
        assert!(callback_allowed(2, 9));
        assert!(!callback_allowed(5, 9));
        assert!(!callback_allowed(4, 4));
    }
}
