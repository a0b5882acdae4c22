//! The private reply to `/dashboard token`: the token, when it stops working, where to
//! connect, and how to use it.

use crate::ui::colours;
use crate::ui::time::{full_time, relative_time};
use crate::ui::{Embed, Message};

/// The token in a code block (easy to copy, never rendered as markdown), its expiry as a
/// Discord timestamp, and the stream's address (`ws://`/`wss://`), when the bot has one.
pub fn dashboard_token(token: &str, expires_at: i64, url: Option<&str>) -> Message {
    let address = match url {
        Some(url) => format!("`{url}`"),
        None => "the bot's HTTP address at `/live` (its operator has not set PUBLIC_URL)".into(),
    };
    let embed = Embed::new()
        .title("Your dashboard token")
        .description(&format!("```\n{token}\n```"))
        .field(
            "Expires",
            &format!("{} ({})", full_time(expires_at), relative_time(expires_at)),
            false,
        )
        .field("Connect to", &address, false)
        .footer(
            "Send it as the AUTH token of an SODP client. It acts as you, with your roles' \
             permissions: keep it to yourself.",
        )
        .colour(colours::STAFF);
    Message::single(embed, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_token_expiry_and_address() {
        let message = dashboard_token("a.b.c", 1_700_000_000, Some("wss://bot.example/live"));
        assert!(message.within_limits());
        let embed = &message.embeds[0];
        assert!(embed.description.as_deref().unwrap().contains("a.b.c"));
        let text = format!("{:?}", embed.fields);
        assert!(text.contains("<t:1700000000:f>") && text.contains("wss://bot.example/live"));
        let without = dashboard_token("a.b.c", 1, None);
        assert!(format!("{:?}", without.embeds[0].fields).contains("PUBLIC_URL"));
    }
}
