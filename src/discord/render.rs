//! Our message model ([`Message`]) rendered as serenity/poise builders. Every builder
//! carries an empty `allowed_mentions`, so nothing the bot sends ever pings anyone, whatever
//! game text it holds.

use poise::serenity_prelude as serenity;

use crate::ui::message::{Button, ButtonStyle, Embed, Message};

/// No pings of any kind (Discord: `"allowed_mentions": {"parse": []}`).
pub fn no_mentions() -> serenity::CreateAllowedMentions {
    const { assert!(!Message::ALLOWS_MENTIONS) };
    serenity::CreateAllowedMentions::new()
}

/// One of our embeds as serenity's builder (limits and escaping were applied when it was made).
pub fn embed(embed: &Embed) -> serenity::CreateEmbed {
    let mut out = serenity::CreateEmbed::new();
    if let Some(title) = &embed.title {
        out = out.title(title);
    }
    if let Some(description) = &embed.description {
        out = out.description(description);
    }
    if let Some(url) = &embed.url {
        out = out.url(url);
    }
    if let Some(colour) = embed.colour {
        out = out.colour(colour);
    }
    for field in &embed.fields {
        out = out.field(&field.name, &field.value, field.inline);
    }
    if let Some(time) = embed
        .timestamp
        .and_then(|secs| serenity::Timestamp::from_unix_timestamp(secs).ok())
    {
        out = out.timestamp(time);
    }
    if let Some(footer) = &embed.footer {
        out = out.footer(serenity::CreateEmbedFooter::new(footer));
    }
    out
}

fn button(button: &Button) -> serenity::CreateButton {
    let style = match button.style {
        ButtonStyle::Primary => serenity::ButtonStyle::Primary,
        ButtonStyle::Secondary => serenity::ButtonStyle::Secondary,
        ButtonStyle::Success => serenity::ButtonStyle::Success,
        ButtonStyle::Danger => serenity::ButtonStyle::Danger,
    };
    serenity::CreateButton::new(&button.custom_id)
        .label(&button.label)
        .style(style)
}

/// The message's buttons as action rows of at most five.
pub fn action_rows(message: &Message) -> Vec<serenity::CreateActionRow> {
    message
        .button_rows()
        .map(|row| serenity::CreateActionRow::Buttons(row.iter().map(button).collect()))
        .collect()
}

fn embeds(message: &Message) -> Vec<serenity::CreateEmbed> {
    message.embeds.iter().map(embed).collect()
}

/// A slash-command reply (initial response or follow-up).
pub fn reply(message: &Message, ephemeral: bool) -> poise::CreateReply {
    let mut reply = poise::CreateReply::default()
        .ephemeral(ephemeral)
        .allowed_mentions(no_mentions())
        .components(action_rows(message));
    if let Some(content) = &message.content {
        reply = reply.content(content);
    }
    for item in embeds(message) {
        reply = reply.embed(item);
    }
    reply
}

/// A new channel message. The only ping it can carry is the message's own
/// [`Message::ping_role`] (set by the bot from guild settings, never from game text).
pub fn create_message(message: &Message) -> serenity::CreateMessage {
    let roles: Vec<serenity::RoleId> = message
        .allowed_role_mentions()
        .into_iter()
        .map(serenity::RoleId::new)
        .collect();
    let mut out = serenity::CreateMessage::new()
        .embeds(embeds(message))
        .components(action_rows(message))
        .allowed_mentions(no_mentions().roles(roles));
    if let Some(content) = message.content_with_ping() {
        out = out.content(content);
    }
    out
}

/// A replacement for a channel message posted earlier (every part is replaced).
pub fn edit_message(message: &Message) -> serenity::EditMessage {
    serenity::EditMessage::new()
        .content(message.content.clone().unwrap_or_default())
        .embeds(embeds(message))
        .components(action_rows(message))
        .allowed_mentions(no_mentions())
}

/// The body of an interaction response (a reply to a click, or the message a click updates).
pub fn interaction_message(
    message: &Message,
    ephemeral: bool,
) -> serenity::CreateInteractionResponseMessage {
    serenity::CreateInteractionResponseMessage::new()
        .content(message.content.clone().unwrap_or_default())
        .embeds(embeds(message))
        .components(action_rows(message))
        .allowed_mentions(no_mentions())
        .ephemeral(ephemeral)
}

/// A replacement for an interaction's message (after a deferred click, the message the
/// button sits on).
pub fn edit_response(message: &Message) -> serenity::EditInteractionResponse {
    serenity::EditInteractionResponse::new()
        .content(message.content.clone().unwrap_or_default())
        .embeds(embeds(message))
        .components(action_rows(message))
        .allowed_mentions(no_mentions())
}

/// A follow-up after an interaction was acknowledged (e.g. after a modal submit).
pub fn followup(message: &Message, ephemeral: bool) -> serenity::CreateInteractionResponseFollowup {
    let mut out = serenity::CreateInteractionResponseFollowup::new()
        .embeds(embeds(message))
        .components(action_rows(message))
        .allowed_mentions(no_mentions())
        .ephemeral(ephemeral);
    if let Some(content) = &message.content {
        out = out.content(content);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::custom_id::{ButtonAction, CustomId};
    use serde_json::{Value, json};

    fn sample() -> Message {
        let kick = CustomId::player(ButtonAction::PlayerKick, "main", 42).unwrap();
        let buttons = (0..7)
            .map(|_| Button::new(&kick, "Kick", ButtonStyle::Danger))
            .collect();
        Message {
            content: Some("@everyone hi".into()),
            embeds: vec![
                Embed::new()
                    .title("Title")
                    .description("Body")
                    .colour(0x12_34_56)
                    .field("Name", "Value", true)
                    .timestamp(1_767_225_600)
                    .footer("Foot"),
            ],
            buttons,
            ping_role: None,
        }
    }

    fn to_json(value: &impl serde::Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn only_the_configured_role_can_be_pinged() {
        let mut message = sample();
        message.ping_role = Some(77);
        let body = to_json(&create_message(&message));
        assert_eq!(body["content"], json!("<@&77> @everyone hi"));
        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
        assert_eq!(body["allowed_mentions"]["roles"], json!(["77"]));
        let plain = to_json(&create_message(&sample()));
        assert!(
            plain["allowed_mentions"]["roles"]
                .as_array()
                .is_none_or(|r| r.is_empty()),
            "{plain}"
        );
    }

    #[test]
    fn channel_messages_never_mention_and_keep_every_part() {
        let body = to_json(&create_message(&sample()));
        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
        assert_eq!(body["content"], "@everyone hi");
        let embed = &body["embeds"][0];
        assert_eq!(embed["title"], "Title");
        assert_eq!(embed["color"], 0x12_34_56);
        assert_eq!(embed["fields"][0]["inline"], true);
        assert_eq!(embed["footer"]["text"], "Foot");
        assert!(
            embed["timestamp"]
                .as_str()
                .unwrap()
                .starts_with("2026-01-01")
        );
        let rows = body["components"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "seven buttons make rows of five and two");
        assert_eq!(rows[0]["components"].as_array().unwrap().len(), 5);
        assert_eq!(
            rows[0]["components"][0]["custom_id"],
            "erlc:pl_kick:main:42"
        );
        assert_eq!(rows[0]["components"][0]["style"], 4, "Danger");
    }

    #[test]
    fn edits_and_interaction_bodies_never_mention() {
        let message = sample();
        let edit = to_json(&edit_message(&message));
        assert_eq!(edit["allowed_mentions"]["parse"], json!([]));
        assert_eq!(edit["embeds"].as_array().unwrap().len(), 1);
        let update = to_json(&interaction_message(&message, true));
        assert_eq!(update["allowed_mentions"]["parse"], json!([]));
        assert_eq!(update["flags"], 64);
        let follow = to_json(&followup(&message, false));
        assert_eq!(follow["allowed_mentions"]["parse"], json!([]));
    }
}
