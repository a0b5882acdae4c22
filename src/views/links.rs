//! Linked accounts: the private `/link` code and its confirmation, `/unlink`, `/whois` and
//! the admin's `/links set|remove`. Roblox names are game text: escaped, linked to profiles.
//! Members appear as `<@id>`, which Discord shows as names and never pings in embeds.

use crate::store::{AccountLink, Linked, LinkedBy};
use crate::ui::colours;
use crate::ui::escape::code_span;
use crate::ui::names::name_link;
use crate::ui::time::{full_time, relative_time};
use crate::ui::{Embed, Message};

/// `/link`: the code, where to type it and until when.
pub fn link_code(code: &str, expires_at: i64) -> Message {
    let embed = Embed::new()
        .title("🔗 Link your Roblox account")
        .description(&format!(
            "Your code is **{code}**.\n\nIn any of this community's ER:LC servers, type \
             {} in the chat. Staff can type {} instead.\n\nThe code works once, until {} ({}). \
             You will see a message here when your account is linked.",
            code_span(&format!(";verify {code}")),
            code_span(&format!(":log verify {code}")),
            full_time(expires_at),
            relative_time(expires_at),
        ))
        .footer("Keep the code to yourself: whoever types it links their Roblox account to you.")
        .colour(colours::STAFF);
    Message::single(embed, Vec::new())
}

fn roblox(link: &AccountLink) -> String {
    name_link(&link.roblox_name, Some(link.roblox_id))
}

fn how(link: &AccountLink) -> String {
    let when = relative_time(link.linked_at_ms.div_euclid(1000));
    match &link.linked_by {
        LinkedBy::Code { server } => format!("by code on {}, {when}", code_span(server)),
        LinkedBy::Admin { admin } => format!("by <@{admin}>, {when}"),
    }
}

/// The private note once the member's code was typed in game.
pub fn linked(link: &AccountLink) -> Message {
    let embed = Embed::new()
        .title("✅ Account linked")
        .description(&format!(
            "Your Discord account is now linked to the Roblox account {} (id {}).",
            roblox(link),
            link.roblox_id
        ))
        .colour(colours::ANSWERED);
    Message::single(embed, Vec::new())
}

/// `/unlink`.
pub fn unlinked(link: &AccountLink) -> Message {
    let embed = Embed::new()
        .title("Account unlinked")
        .description(&format!(
            "<@{}> is no longer linked to the Roblox account {}.",
            link.discord_id,
            roblox(link)
        ))
        .colour(colours::NEUTRAL);
    Message::single(embed, Vec::new())
}

/// `/whois`: the links found for `asked` (how the question is shown), or that none is.
pub fn whois(asked: &str, links: &[AccountLink]) -> Message {
    let embed = Embed::new().title("🔎 Who is it?").colour(colours::STAFF);
    let embed = if links.is_empty() {
        embed.description(&format!(
            "Nothing is linked for {asked}. A member links their Roblox account with /link."
        ))
    } else {
        let lines: Vec<String> = links
            .iter()
            .map(|link| {
                format!(
                    "<@{}> ↔ {} (id {}) · linked {}",
                    link.discord_id,
                    roblox(link),
                    link.roblox_id,
                    how(link)
                )
            })
            .collect();
        embed.description(&lines.join("\n"))
    };
    let mut message = Message::single(embed, Vec::new());
    message.clamp();
    message
}

/// `/links set`: what is linked now, and what it replaced.
pub fn link_set(linked: &Linked) -> Message {
    let link = &linked.link;
    let mut text = format!(
        "<@{}> is now linked to the Roblox account {} (id {}).",
        link.discord_id,
        roblox(link),
        link.roblox_id
    );
    if let Some(old) = &linked.replaced {
        text.push_str(&format!(
            "\nIt replaces their link to {} (id {}).",
            roblox(old),
            old.roblox_id
        ));
    }
    let embed = Embed::new()
        .title("🔗 Link saved")
        .description(&text)
        .colour(colours::ANSWERED);
    Message::single(embed, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(name: &str, by: LinkedBy) -> AccountLink {
        AccountLink {
            guild: 1,
            roblox_id: 55,
            roblox_name: name.into(),
            discord_id: 77,
            linked_at_ms: 1_700_000_000_000,
            linked_by: by,
        }
    }

    #[test]
    fn game_names_are_escaped_and_members_are_mentions() {
        let found = whois(
            "`*bob*`",
            &[link(
                "*bob*_@everyone",
                LinkedBy::Code {
                    server: "main".into(),
                },
            )],
        );
        assert!(found.within_limits());
        let text = found.embeds[0].description.clone().unwrap();
        assert!(
            text.contains("<@77>") && text.contains("\\*bob\\*"),
            "{text}"
        );
        assert!(text.contains("by code on `main`"), "{text}");
        let admin = whois("x", &[link("Bob", LinkedBy::Admin { admin: 9 })]);
        assert!(
            admin.embeds[0]
                .description
                .clone()
                .unwrap()
                .contains("by <@9>")
        );
        let none = whois("<@5>", &[]);
        assert!(
            none.embeds[0]
                .description
                .clone()
                .unwrap()
                .contains("/link")
        );
    }

    #[test]
    fn the_code_reply_says_both_ways_to_type_it() {
        let message = link_code("ACD34F", 1_700_000_600);
        let text = message.embeds[0].description.clone().unwrap();
        for shown in [";verify ACD34F", ":log verify ACD34F", "<t:1700000600:R>"] {
            assert!(text.contains(shown), "{shown} in {text}");
        }
        let replaced = Linked {
            link: link("New", LinkedBy::Admin { admin: 9 }),
            replaced: Some(link("Old", LinkedBy::Admin { admin: 9 })),
            fresh: true,
        };
        let saved = link_set(&replaced).embeds[0].description.clone().unwrap();
        assert!(saved.contains("New") && saved.contains("replaces") && saved.contains("Old"));
    }
}
