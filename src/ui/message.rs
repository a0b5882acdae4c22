//! Our own message model (content, embeds, buttons) for everything the bot posts, feed cards
//! and command replies alike, and Discord's size limits.
//! Builders and [`Message::clamp`] keep every message within the limits by truncating with
//! "…" (on a character boundary) instead of failing, so a long player name never loses a post.

use serde::{Deserialize, Serialize};

use super::custom_id::CustomId;

/// Message content (`content`).
pub const MAX_CONTENT: usize = 2000;
/// Embeds per message.
pub const MAX_EMBEDS: usize = 10;
/// Characters in an embed title.
pub const MAX_TITLE: usize = 256;
/// Characters in an embed description.
pub const MAX_DESCRIPTION: usize = 4096;
/// Fields per embed.
pub const MAX_FIELDS: usize = 25;
/// Characters in an embed field's name.
pub const MAX_FIELD_NAME: usize = 256;
/// Characters in an embed field's value.
pub const MAX_FIELD_VALUE: usize = 1024;
/// Characters in an embed footer.
pub const MAX_FOOTER: usize = 2048;
/// Counted characters per embed, and across all embeds of one message.
pub const MAX_EMBED_TOTAL: usize = 6000;
/// Buttons in one action row.
pub const MAX_BUTTONS_PER_ROW: usize = 5;
/// Action rows per message.
pub const MAX_BUTTON_ROWS: usize = 5;
/// Characters in a button label.
pub const MAX_BUTTON_LABEL: usize = 80;
/// Characters in a button's custom id; a longer one is refused, so ids are never cut.
pub const MAX_CUSTOM_ID: usize = 100;

/// What stands in for text that must not be empty (Discord refuses empty field names/values).
const EMPTY_TEXT: &str = "—";
const ELLIPSIS: char = '…';

/// Cut `text` to at most `max_chars` characters, ending in "…" when something was cut.
/// Never splits a UTF-8 character.
pub fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some(_) if max_chars == 0 => String::new(),
        Some(_) => {
            let keep: String = text.chars().take(max_chars - 1).collect();
            format!("{keep}{ELLIPSIS}")
        }
    }
}

/// Characters as Discord counts them for its limits (Unicode scalar values).
pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

fn non_empty(text: &str, max_chars: usize) -> String {
    if text.trim().is_empty() {
        EMPTY_TEXT.to_owned()
    } else {
        truncate(text, max_chars)
    }
}

/// One name/value pair in an embed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedField {
    /// Bold heading of the field; never empty.
    pub name: String,
    /// The field's text (markdown); never empty.
    pub value: String,
    /// Sit beside neighbouring inline fields (up to three a line) instead of on a line of its own.
    pub inline: bool,
}

impl EmbedField {
    /// A field; empty text becomes "—" and long text is truncated.
    pub fn new(name: &str, value: &str, inline: bool) -> Self {
        Self {
            name: non_empty(name, MAX_FIELD_NAME),
            value: non_empty(value, MAX_FIELD_VALUE),
            inline,
        }
    }

    fn char_count(&self) -> usize {
        char_len(&self.name) + char_len(&self.value)
    }
}

/// A rich embed. Text here is Discord markdown: game text must pass through
/// [`super::escape`] before it lands in any of these fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Embed {
    /// Bold first line; `None` for an embed with no title.
    pub title: Option<String>,
    /// Main text (markdown) under the title.
    pub description: Option<String>,
    /// Link the title opens; `None` leaves the title plain.
    pub url: Option<String>,
    /// 0xRRGGBB.
    pub colour: Option<u32>,
    /// Name/value pairs under the description, at most 25.
    pub fields: Vec<EmbedField>,
    /// Unix seconds; Discord shows it in the footer line in the reader's time zone.
    pub timestamp: Option<i64>,
    /// Small plain text at the bottom, before the timestamp.
    pub footer: Option<String>,
}

impl Embed {
    /// An empty embed to fill with the builder methods.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the title, truncated to fit.
    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(truncate(title, MAX_TITLE));
        self
    }

    /// Set the description, truncated to fit.
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(truncate(description, MAX_DESCRIPTION));
        self
    }

    /// Make the title a link to `url`.
    pub fn url(mut self, url: &str) -> Self {
        self.url = Some(url.to_owned());
        self
    }

    /// Set the side colour (0xRRGGBB; higher bits are ignored).
    pub fn colour(mut self, colour: u32) -> Self {
        self.colour = Some(colour & 0xFF_FF_FF);
        self
    }

    /// Add a field; fields past the 25th are dropped.
    pub fn field(mut self, name: &str, value: &str, inline: bool) -> Self {
        if self.fields.len() < MAX_FIELDS {
            self.fields.push(EmbedField::new(name, value, inline));
        }
        self
    }

    /// Show `unix_secs` in the footer line.
    pub fn timestamp(mut self, unix_secs: i64) -> Self {
        self.timestamp = Some(unix_secs);
        self
    }

    /// Set the footer, truncated to fit.
    pub fn footer(mut self, footer: &str) -> Self {
        self.footer = Some(truncate(footer, MAX_FOOTER));
        self
    }

    /// Characters counted towards the 6,000 limit: title, description, field names and
    /// values, footer (Discord also counts the author name, which we never set).
    pub fn char_count(&self) -> usize {
        let text = |t: &Option<String>| t.as_deref().map_or(0, char_len);
        text(&self.title)
            + text(&self.description)
            + text(&self.footer)
            + self
                .fields
                .iter()
                .map(EmbedField::char_count)
                .sum::<usize>()
    }

    /// True if every per-embed limit holds.
    pub fn within_limits(&self) -> bool {
        let fits = |t: &Option<String>, max| t.as_deref().is_none_or(|t| char_len(t) <= max);
        fits(&self.title, MAX_TITLE)
            && fits(&self.description, MAX_DESCRIPTION)
            && fits(&self.footer, MAX_FOOTER)
            && self.fields.len() <= MAX_FIELDS
            && self.fields.iter().all(|f| {
                char_len(&f.name) <= MAX_FIELD_NAME
                    && char_len(&f.value) <= MAX_FIELD_VALUE
                    && !f.name.trim().is_empty()
                    && !f.value.trim().is_empty()
            })
            && self.char_count() <= MAX_EMBED_TOTAL
            && !self.is_empty()
    }

    fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none() && self.fields.is_empty()
    }

    /// Bring a hand-built embed within the limits. Over the 6,000 total, the description is
    /// shortened first, then trailing fields are dropped, then the footer and title shortened.
    pub fn clamp(&mut self) {
        let cut = |t: &mut Option<String>, max| {
            if let Some(text) = t {
                *text = truncate(text, max);
            }
        };
        cut(&mut self.title, MAX_TITLE);
        cut(&mut self.description, MAX_DESCRIPTION);
        cut(&mut self.footer, MAX_FOOTER);
        self.fields.truncate(MAX_FIELDS);
        for field in &mut self.fields {
            *field = EmbedField::new(&field.name, &field.value, field.inline);
        }
        self.shrink_to(MAX_EMBED_TOTAL);
        if self.is_empty() {
            self.description = Some(EMPTY_TEXT.to_owned());
        }
    }

    fn shrink_to(&mut self, budget: usize) {
        let over = |e: &Self| e.char_count().saturating_sub(budget);
        let excess = over(self);
        shorten(&mut self.description, excess);
        while over(self) > 0 && self.fields.pop().is_some() {}
        let excess = over(self);
        shorten(&mut self.footer, excess);
        let excess = over(self);
        shorten(&mut self.title, excess);
    }
}

/// Remove `excess` characters from the end of `slot` (ending it with "…"), or drop it when
/// too little would be left to read.
fn shorten(slot: &mut Option<String>, excess: usize) {
    if excess == 0 {
        return;
    }
    if let Some(text) = slot.take() {
        let keep = char_len(&text).saturating_sub(excess);
        *slot = (keep > 1).then(|| truncate(&text, keep));
    }
}

/// Button colours, as Discord names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonStyle {
    /// Blurple: the button most people want.
    Primary,
    /// Grey: paging and other plain actions.
    Secondary,
    /// Green: confirm or finish (resolve a call).
    Success,
    /// Red: kicks, bans and other actions that hurt.
    Danger,
}

/// A button whose clicks come back to the bot with `custom_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// What the click sends back: a [`CustomId`] in text form.
    pub custom_id: String,
    /// Text on the button; never empty.
    pub label: String,
    /// The button's colour.
    pub style: ButtonStyle,
}

impl Button {
    /// A button; an empty label becomes "—" and a long one is truncated.
    pub fn new(custom_id: &CustomId, label: &str, style: ButtonStyle) -> Self {
        Self {
            custom_id: custom_id.to_string(),
            label: non_empty(label, MAX_BUTTON_LABEL),
            style,
        }
    }
}

/// A message to post in (or edit into) one channel.
///
/// Mentions: nothing in a message's text ever pings anyone. Every sink must send it
/// with `allowed_mentions` allowing nothing parsed from text (Discord: `{"parse": []}`); the
/// Discord sink asserts [`Message::ALLOWS_MENTIONS`] is false. Escaping game text (see
/// `escape`) is the second guard, so a leaked `@everyone` would render inert even without the
/// first.
///
/// The one exception is [`Message::ping_role`], set only by the bot itself from a guild's
/// own settings (the staff role of `;staff` alerts): a sink puts `<@&id>` in front of the
/// content and allows exactly that role (Discord: `{"parse": [], "roles": [id]}`). Game text
/// can never choose the role.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Message {
    /// Text (markdown) above the embeds; `None` for an embeds-only message.
    pub content: Option<String>,
    /// At most ten embeds, shown in order.
    pub embeds: Vec<Embed>,
    /// Laid out left to right in rows of five ([`Message::button_rows`]); at most 25.
    pub buttons: Vec<Button>,
    /// A role to ping with this message (see the type's docs); `None` for every feed card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_role: Option<u64>,
}

impl Message {
    /// Text in messages never allows mentions; sinks send `allowed_mentions` with
    /// nothing parsed (only [`Message::ping_role`], when set, is allowed explicitly).
    pub const ALLOWS_MENTIONS: bool = false;

    /// The content a sink sends: `<@&role> ` in front of [`Message::content`] when the
    /// message pings a role, else the content unchanged.
    pub fn content_with_ping(&self) -> Option<String> {
        match (self.ping_role, self.content.as_deref()) {
            (None, content) => content.map(str::to_owned),
            (Some(role), None) => Some(format!("<@&{role}>")),
            (Some(role), Some(content)) => {
                Some(truncate(&format!("<@&{role}> {content}"), MAX_CONTENT))
            }
        }
    }

    /// The role ids a sink lists in `allowed_mentions.roles`: only [`Message::ping_role`].
    pub fn allowed_role_mentions(&self) -> Vec<u64> {
        self.ping_role.into_iter().collect()
    }

    /// Buttons in rows of at most five, as Discord lays out action rows.
    pub fn button_rows(&self) -> impl Iterator<Item = &[Button]> {
        self.buttons.chunks(MAX_BUTTONS_PER_ROW)
    }

    /// Characters counted towards the 6,000 total across embeds (content has its own limit).
    pub fn char_count(&self) -> usize {
        self.embeds.iter().map(Embed::char_count).sum()
    }

    /// True if Discord would accept the message's sizes.
    pub fn within_limits(&self) -> bool {
        self.content
            .as_deref()
            .is_none_or(|c| char_len(c) <= MAX_CONTENT)
            && self.embeds.len() <= MAX_EMBEDS
            && self.embeds.iter().all(Embed::within_limits)
            && self.char_count() <= MAX_EMBED_TOTAL
            && self.buttons.len() <= MAX_BUTTONS_PER_ROW * MAX_BUTTON_ROWS
            && self.buttons.iter().all(|b| {
                !b.custom_id.is_empty()
                    && char_len(&b.custom_id) <= MAX_CUSTOM_ID
                    && char_len(&b.label) <= MAX_BUTTON_LABEL
            })
            && (self.content.is_some() || !self.embeds.is_empty())
    }

    /// Bring a hand-built message within the limits: truncate text, keep the first ten embeds
    /// and then only as many as fit in 6,000 characters (always at least one), and drop
    /// buttons whose custom id is empty, too long (a cut id would no longer parse) or repeated.
    pub fn clamp(&mut self) {
        if let Some(content) = &mut self.content {
            *content = truncate(content, MAX_CONTENT);
        }
        self.embeds.truncate(MAX_EMBEDS);
        self.embeds.iter_mut().for_each(Embed::clamp);
        let mut total = 0;
        let mut keep = 0;
        for embed in &self.embeds {
            total += embed.char_count();
            if total > MAX_EMBED_TOTAL && keep > 0 {
                break;
            }
            keep += 1;
        }
        self.embeds.truncate(keep);
        let mut seen = std::collections::HashSet::new();
        self.buttons.retain(|b| {
            !b.custom_id.is_empty()
                && char_len(&b.custom_id) <= MAX_CUSTOM_ID
                && seen.insert(b.custom_id.clone())
        });
        self.buttons.truncate(MAX_BUTTONS_PER_ROW * MAX_BUTTON_ROWS);
        for button in &mut self.buttons {
            button.label = non_empty(&button.label, MAX_BUTTON_LABEL);
        }
        if self.content.is_none() && self.embeds.is_empty() {
            self.content = Some(EMPTY_TEXT.to_owned());
        }
    }

    /// A message holding one embed and its buttons, clamped.
    pub fn single(embed: Embed, buttons: Vec<Button>) -> Self {
        let mut message = Self {
            content: None,
            embeds: vec![embed],
            buttons,
            ping_role: None,
        };
        message.clamp();
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::custom_id::ButtonAction;
    use proptest::prelude::*;

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("hello!", 5), "hell…");
        assert_eq!(truncate("ééééé", 3), "éé…");
        assert_eq!(truncate("🚓🚓🚓", 2), "🚓…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(char_len("🚓é"), 2);
    }

    #[test]
    fn builders_truncate_instead_of_failing() {
        let long = "x".repeat(5000);
        let embed = Embed::new()
            .title(&long)
            .description(&long)
            .footer(&long)
            .field(&long, &long, true)
            .field("", "  ", false);
        assert_eq!(char_len(embed.title.as_deref().unwrap()), MAX_TITLE);
        assert_eq!(
            char_len(embed.description.as_deref().unwrap()),
            MAX_DESCRIPTION
        );
        assert_eq!(char_len(embed.footer.as_deref().unwrap()), MAX_FOOTER);
        assert_eq!(char_len(&embed.fields[0].name), MAX_FIELD_NAME);
        assert_eq!(char_len(&embed.fields[0].value), MAX_FIELD_VALUE);
        assert_eq!(
            embed.fields[1].name, "—",
            "Discord refuses empty field names"
        );
        assert!(embed.char_count() > MAX_EMBED_TOTAL);
        assert!(!embed.within_limits());
        let mut clamped = embed.clone();
        clamped.clamp();
        assert!(clamped.within_limits(), "{}", clamped.char_count());
        assert!(
            clamped.description.is_some(),
            "the description is shortened, not dropped"
        );
        assert_eq!(clamped.fields.len(), 2);
    }

    #[test]
    fn clamp_drops_trailing_fields_only_when_needed() {
        let mut embed = Embed::new().title("t");
        for i in 0..30 {
            embed
                .fields
                .push(EmbedField::new(&format!("f{i}"), &"v".repeat(1024), false));
        }
        embed.clamp();
        assert!(embed.within_limits());
        assert_eq!(embed.fields.len(), 5, "5 × ~1,027 characters fit in 6,000");
        assert_eq!(embed.fields[0].name, "f0");
        let mut empty = Embed::new();
        empty.clamp();
        assert!(empty.within_limits());
    }

    #[test]
    fn message_clamp_keeps_ten_embeds_within_six_thousand() {
        let embed = Embed::new().description(&"d".repeat(1000));
        let mut message = Message {
            content: Some("c".repeat(3000)),
            embeds: vec![embed; 12],
            buttons: Vec::new(),
            ping_role: None,
        };
        assert!(!message.within_limits());
        message.clamp();
        assert!(message.within_limits());
        assert_eq!(message.embeds.len(), 6);
        assert_eq!(char_len(message.content.as_deref().unwrap()), MAX_CONTENT);
    }

    #[test]
    fn buttons_lay_out_in_rows_and_bad_ids_are_dropped() {
        let id = |n: u64| CustomId::player(ButtonAction::PlayerKick, "main", n).unwrap();
        let mut message = Message {
            content: Some("x".into()),
            embeds: Vec::new(),
            buttons: (0..30)
                .map(|n| Button::new(&id(n), "Kick", ButtonStyle::Danger))
                .collect(),
            ping_role: None,
        };
        message
            .buttons
            .push(Button::new(&id(0), "again", ButtonStyle::Danger));
        message.buttons.insert(
            0,
            Button {
                custom_id: "y".repeat(101),
                label: "too long".into(),
                style: ButtonStyle::Primary,
            },
        );
        message.clamp();
        assert!(message.within_limits());
        assert_eq!(message.buttons.len(), 25);
        assert_eq!(message.buttons[0].custom_id, id(0).to_string());
        let rows: Vec<usize> = message.button_rows().map(<[Button]>::len).collect();
        assert_eq!(rows, vec![5; 5]);
        const { assert!(!Message::ALLOWS_MENTIONS) };
    }

    #[test]
    fn only_the_chosen_role_is_pinged() {
        let mut message = Message::single(Embed::new().title("t"), Vec::new());
        assert_eq!(message.content_with_ping(), None);
        assert!(message.allowed_role_mentions().is_empty());
        message.ping_role = Some(42);
        assert_eq!(message.content_with_ping().as_deref(), Some("<@&42>"));
        message.content = Some("staff needed".into());
        assert_eq!(
            message.content_with_ping().as_deref(),
            Some("<@&42> staff needed")
        );
        assert_eq!(message.allowed_role_mentions(), vec![42]);
        let old: Message =
            serde_json::from_str(r#"{"content":"x","embeds":[],"buttons":[]}"#).unwrap();
        assert_eq!(
            old.ping_role, None,
            "messages stored before the field still read"
        );
    }

    proptest! {
        #[test]
        fn truncate_never_exceeds_and_keeps_a_prefix(text in "\\PC{0,60}", max in 0usize..70) {
            let cut = truncate(&text, max);
            prop_assert!(char_len(&cut) <= max);
            if char_len(&text) <= max {
                prop_assert_eq!(&cut, &text);
            } else if max > 0 {
                let kept = cut.trim_end_matches('…');
                prop_assert!(text.starts_with(kept));
                prop_assert!(cut.ends_with('…'));
            }
        }

        #[test]
        fn clamp_always_fits(
            title in "\\PC{0,300}",
            description in "\\PC{0,5000}",
            fields in prop::collection::vec(("\\PC{0,300}", "\\PC{0,1100}"), 0..30),
            copies in 1usize..13,
        ) {
            let mut embed = Embed { title: Some(title), description: Some(description), ..Embed::default() };
            embed.fields = fields.iter().map(|(n, v)| EmbedField { name: n.clone(), value: v.clone(), inline: true }).collect();
            let mut message = Message { content: None, embeds: vec![embed; copies], buttons: Vec::new(), ping_role: None };
            message.clamp();
            prop_assert!(message.within_limits());
        }
    }
}
