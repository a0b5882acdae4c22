//! Cross-view tests: every view renders on empty, huge and hostile input within Discord's
//! limits, key facts appear, and game text can never ping or inject markdown.

pub(super) mod fixtures;
mod lists;
mod panels;
mod replies;
mod safety;

use crate::ui::message::Message;

/// Every piece of text a message shows, one per line (button ids are data, never shown).
pub(super) fn all_text(message: &Message) -> String {
    let mut parts: Vec<&str> = Vec::new();
    parts.extend(message.content.as_deref());
    for embed in &message.embeds {
        parts.extend(embed.title.as_deref());
        parts.extend(embed.description.as_deref());
        parts.extend(embed.url.as_deref());
        parts.extend(embed.footer.as_deref());
        for field in &embed.fields {
            parts.push(&field.name);
            parts.push(&field.value);
        }
    }
    for button in &message.buttons {
        parts.push(&button.label);
    }
    parts.join("\n")
}

/// The message is within every Discord limit, and says so loudly when not.
#[track_caller]
pub(super) fn assert_fits(message: &Message) {
    assert!(
        message.within_limits(),
        "over Discord's limits ({} characters): {message:#?}",
        message.char_count()
    );
}

/// Button labels in order.
pub(super) fn labels(message: &Message) -> Vec<&str> {
    message.buttons.iter().map(|b| b.label.as_str()).collect()
}
