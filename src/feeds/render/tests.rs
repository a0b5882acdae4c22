use std::collections::BTreeSet;

use super::*;
use crate::erlc::models::Team;
use crate::events::catalog::{ALL_KINDS, EventPayload, PlayerInfo};
use crate::events::fixtures::{TIME, call, event, every_kind, player, unknown_event};
use crate::ui::colours;
use crate::ui::custom_id::{ButtonAction, CustomId};

/// Every piece of text in a card, for injection checks.
fn all_text(card: &Card) -> Vec<String> {
    let e = &card.embed;
    let mut text: Vec<String> = [&e.title, &e.description, &e.footer]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    for f in &e.fields {
        text.push(f.name.clone());
        text.push(f.value.clone());
    }
    text.extend(card.buttons.iter().map(|b| b.label.clone()));
    text
}

/// Text with inline code spans removed: markdown inside them is shown literally.
fn outside_code_spans(text: &str) -> String {
    let mut out = String::new();
    let (mut in_code, mut escaped) = (false, false);
    for c in text.chars() {
        if c == '`' && !escaped {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
        escaped = !in_code && c == '\\' && !escaped;
    }
    out
}

fn description(card: &Card) -> &str {
    card.embed.description.as_deref().unwrap_or_default()
}

fn field<'a>(card: &'a Card, name: &str) -> Option<&'a str> {
    card.embed
        .fields
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value.as_str())
}

#[test]
fn every_kind_renders_a_complete_card() {
    let payloads = every_kind();
    let kinds: BTreeSet<&str> = payloads.iter().map(EventPayload::kind).collect();
    assert_eq!(
        kinds,
        ALL_KINDS.iter().copied().collect(),
        "fixture covers every kind"
    );
    for payload in payloads {
        let kind = payload.kind();
        let card = render_event(&event(1, payload));
        let embed = &card.embed;
        assert!(embed.within_limits(), "{kind}");
        assert!(
            embed.title.as_deref().is_some_and(|t| !t.is_empty()),
            "{kind}"
        );
        assert!(embed.colour.is_some(), "{kind}");
        assert_eq!(
            embed.footer.as_deref(),
            Some(format!("main · {kind}").as_str())
        );
        assert_eq!(embed.timestamp, Some(TIME), "{kind}");
        assert!(
            !embed.title.as_deref().unwrap_or("").starts_with("Event:"),
            "{kind} has its own card"
        );
        let live = kind.starts_with("modcall/") || kind.starts_with("emergency/");
        assert_eq!(card.live.is_some(), live, "{kind}");
    }
}

#[test]
fn join_links_the_profile_and_uses_the_team_colour() {
    let card = render_event(&event(
        1,
        EventPayload::PlayerJoin {
            player: player("Roblox", 1, "Police"),
        },
    ));
    assert_eq!(card.embed.title.as_deref(), Some("Player joined"));
    assert!(
        description(&card).starts_with(
            "[Roblox](https://www.roblox.com/users/1/profile) joined <t:1700000000:R>"
        )
    );
    assert_eq!(card.embed.colour, Team::Police.colour());
    assert_eq!(field(&card, "Team"), Some("Police"));
    assert!(card.buttons.is_empty());
}

#[test]
fn team_colours() {
    let join_colour = |team: &str| {
        let player = player("A", 1, team);
        render_event(&event(1, EventPayload::PlayerJoin { player }))
            .embed
            .colour
    };
    for team in Team::KNOWN {
        assert!(team.colour().is_some(), "{team}");
        assert_eq!(join_colour(team.as_str()), team.colour(), "{team}");
    }
    assert_eq!(join_colour("sheriff"), Team::Sheriff.colour());
    assert_eq!(join_colour("Mystery"), Some(colours::JOIN));
    let kill = EventPayload::Kill {
        killer: player("A", 1, "Sheriff"),
        killed: player("B", 2, "Jail"),
    };
    let card = render_event(&event(1, kill));
    assert_eq!(card.embed.colour, Team::Sheriff.colour());
    assert_eq!(field(&card, "Victim team"), Some("Jail"));
}

#[test]
fn remote_server_commands_are_plain_text() {
    let remote = PlayerInfo {
        name: "Remote Server".into(),
        ..PlayerInfo::default()
    };
    let card = render_event(&event(
        1,
        EventPayload::Command {
            player: remote,
            command: ":m hi `there`".into(),
        },
    ));
    let text = description(&card);
    assert!(
        text.starts_with("Remote Server ran `:m hi ˋthereˋ`"),
        "{text}"
    );
    assert!(!text.contains("roblox.com"));
    assert!(text.contains("sent through the API"));
}

#[test]
fn mod_call_new_has_claim_and_resolve() {
    let caller = player("Caller", 10, "Civilian");
    let card = render_event(&event(
        1,
        EventPayload::ModCallNew {
            call_key: "10-1700000000".into(),
            caller,
        },
    ));
    assert_eq!(card.embed.title.as_deref(), Some("Mod call"));
    assert_eq!(card.embed.colour, Some(colours::PENDING));
    assert_eq!(
        field(&card, "Caller"),
        Some("[Caller](https://www.roblox.com/users/10/profile)")
    );
    assert!(description(&card).contains("<t:1700000000:R>"));
    let labels: Vec<&str> = card.buttons.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["Claim", "Resolve"]);
    let ids: Vec<CustomId> = card
        .buttons
        .iter()
        .map(|b| CustomId::parse(&b.custom_id).unwrap())
        .collect();
    assert_eq!(ids[0].action(), ButtonAction::ModCallClaim);
    assert_eq!(ids[1].action(), ButtonAction::ModCallResolve);
    assert!(
        ids.iter()
            .all(|id| id.server() == "main" && id.target() == "10-1700000000")
    );
    assert_eq!(
        card.live,
        Some(LiveCard {
            subject: "modcall:10-1700000000".into(),
            update: false
        })
    );
}

#[test]
fn mod_call_answered_updates_the_same_card() {
    let payload = EventPayload::ModCallAnswered {
        call_key: "10-1700000000".into(),
        caller: player("Caller", 10, "Civilian"),
        moderator: player("Mod", 3, "Police"),
    };
    let card = render_event(&event(2, payload));
    assert_eq!(card.embed.colour, Some(colours::ANSWERED));
    assert!(card.buttons.is_empty(), "nothing left to claim");
    assert_eq!(
        field(&card, "Status"),
        Some("Answered by [Mod](https://www.roblox.com/users/3/profile)")
    );
    assert_eq!(
        card.live,
        Some(LiveCard {
            subject: "modcall:10-1700000000".into(),
            update: true
        })
    );
}

#[test]
fn mod_call_claimed_then_resolved_from_discord() {
    let new = event(
        1,
        EventPayload::ModCallNew {
            call_key: "10-17".into(),
            caller: player("Caller", 10, "Civilian"),
        },
    );
    let claimed = mod_call_progress(
        &new,
        ModCallProgress::Claimed,
        "**Mod** @everyone",
        TIME + 30,
    )
    .unwrap();
    assert_eq!(claimed.embed.title.as_deref(), Some("Mod call · claimed"));
    assert_eq!(
        field(&claimed, "Status"),
        Some("Claimed by **\\*\\*Mod\\*\\* @\u{200B}everyone** <t:1700000030:R>")
    );
    let labels: Vec<&str> = claimed.buttons.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["Resolve"]);
    assert_eq!(
        claimed.live,
        Some(LiveCard {
            subject: "modcall:10-17".into(),
            update: true
        })
    );
    let resolved = mod_call_progress(&new, ModCallProgress::Resolved, "Mod", TIME + 60).unwrap();
    assert!(resolved.buttons.is_empty());
    assert_eq!(resolved.embed.colour, Some(colours::ANSWERED));
    let join = event(
        2,
        EventPayload::PlayerJoin {
            player: player("A", 1, "Police"),
        },
    );
    assert_eq!(
        mod_call_progress(&join, ModCallProgress::Claimed, "Mod", TIME),
        None
    );
}

#[test]
fn mod_call_key_unfit_for_a_button_leaves_no_buttons() {
    let card = render_event(&event(
        1,
        EventPayload::ModCallNew {
            call_key: "a:b".into(),
            caller: player("C", 1, "Police"),
        },
    ));
    assert!(card.buttons.is_empty());
    assert_eq!(card.embed.title.as_deref(), Some("Mod call"));
}

#[test]
fn emergency_card_through_its_life() {
    let started = render_event(&event(
        1,
        EventPayload::EmergencyStarted {
            call: call(4, Vec::new()),
        },
    ));
    assert_eq!(started.embed.title.as_deref(), Some("911 · Police"));
    assert_eq!(started.embed.colour, Team::Police.colour());
    assert_eq!(description(&started), "Shots fired near the bank");
    assert_eq!(field(&started, "Location"), Some("Springfield Bank"));
    assert_eq!(field(&started, "Responders"), Some("none yet"));
    assert_eq!(field(&started, "Call"), Some("#4"));
    assert_eq!(field(&started, "Started"), Some("<t:1699999940:R>"));
    let subject = format!("emergency:4-{}", TIME - 60);
    assert_eq!(
        started.live,
        Some(LiveCard {
            subject: subject.clone(),
            update: false
        })
    );

    let responders = vec![
        player("Unit_1", 20, "Police"),
        player("Unit2", 21, "Sheriff"),
    ];
    let responded = render_event(&event(
        2,
        EventPayload::EmergencyResponded {
            call: call(4, responders.clone()),
        },
    ));
    assert_eq!(
        field(&responded, "Responders"),
        Some(
            "[Unit\\_1](https://www.roblox.com/users/20/profile) (Police)\n[Unit2](https://www.roblox.com/users/21/profile) (Sheriff)"
        )
    );
    assert_eq!(field(&responded, "Status"), Some("2 responding"));
    assert_eq!(
        responded.live,
        Some(LiveCard {
            subject: subject.clone(),
            update: true
        })
    );

    let ended = render_event(&event(
        3,
        EventPayload::EmergencyEnded {
            call: call(4, responders),
        },
    ));
    assert_eq!(ended.embed.colour, Some(colours::ENDED));
    assert!(ended.embed.title.as_deref().unwrap().ends_with("ended"));
    assert_eq!(
        ended.live,
        Some(LiveCard {
            subject,
            update: true
        })
    );
}

#[test]
fn emergency_without_details_still_reads() {
    let mut info = call(5, Vec::new());
    info.caller = None;
    info.description = Some("  \u{0007} ".into());
    info.location = None;
    let card = render_event(&event(
        1,
        EventPayload::EmergencyStarted { call: info.clone() },
    ));
    assert_eq!(description(&card), "*No description given.*");
    assert_eq!(field(&card, "Caller"), Some("unknown"));
    assert_eq!(field(&card, "Location"), Some("120, -34"));
    info.position = None;
    let card = render_event(&event(1, EventPayload::EmergencyStarted { call: info }));
    assert_eq!(field(&card, "Location"), Some("unknown"));
}

#[test]
fn thousands_of_responders_stay_within_limits() {
    let many: Vec<PlayerInfo> = (0..5000)
        .map(|i| player(&"R".repeat(20), i, "Police"))
        .collect();
    let card = render_event(&event(
        1,
        EventPayload::EmergencyResponded {
            call: call(4, many),
        },
    ));
    assert!(card.embed.within_limits());
    let responders = field(&card, "Responders").unwrap();
    assert!(responders.ends_with("more"), "{responders}");
}

#[test]
fn feed_gap_says_what_and_why() {
    let gap = EventPayload::FeedGap {
        since: TIME - 3600,
        until: TIME,
        logs: vec!["kills".into()],
    };
    let card = render_event(&event(1, gap));
    assert!(card.embed.title.as_deref().unwrap().contains("Feed gap"));
    let text = description(&card);
    assert!(text.contains("**kills**"));
    assert!(text.contains("<t:1699996400:f>") && text.contains("<t:1700000000:f>"));
    assert!(text.contains("PRC only keeps its most recent log entries"));
    assert_eq!(card.embed.colour, Some(colours::WARNING));
}

#[test]
fn unknown_payloads_get_a_generic_card() {
    let payload = serde_json::json!({"kind": "future_thing", "who": "@everyone <@1>", "count": 3, "nested": {"a": 1}});
    let card = render_event(&unknown_event(1, "future/thing", payload));
    assert_eq!(card.embed.title.as_deref(), Some("Event: future/thing"));
    assert!(description(&card).contains("`future/thing`"));
    assert_eq!(field(&card, "count"), Some("3"));
    assert_eq!(field(&card, "nested"), None);
    assert_eq!(
        field(&card, "who"),
        Some("@\u{200B}everyone <\u{200B}@\u{200B}1\\>")
    );
    for odd in [
        serde_json::json!(null),
        serde_json::json!([1, 2]),
        serde_json::json!("text"),
    ] {
        let card = render_event(&unknown_event(1, "kill", odd));
        assert!(card.embed.within_limits());
    }
}

#[test]
fn hostile_names_are_escaped_everywhere() {
    let nasty = PlayerInfo {
        name: "@everyone **x** <@&1> [y](https://evil)\n<#2> `z` ||s||".into(),
        id: Some(7),
        team: Some("Police\n@here".into()),
        permission: Some("<@3>".into()),
        callsign: Some("<t:1:R>".into()),
    };
    let long = player(&"W".repeat(300), 8, "Police");
    let mut swaps = 0;
    for payload in every_kind() {
        let json = serde_json::to_string(&payload).unwrap();
        for replacement in [&nasty, &long] {
            let swapped_json = json.replace(
                r#"{"name":"Roblox","id":1,"team":"Police"}"#,
                &serde_json::to_string(replacement).unwrap(),
            );
            swaps += usize::from(swapped_json != json);
            let swapped: EventPayload = serde_json::from_str(&swapped_json).unwrap();
            let card = render_event(&event(1, swapped));
            assert!(card.embed.within_limits(), "{}", payload.kind());
            for text in all_text(&card) {
                for bad in ["@everyone", "@here", "<@", "<#", "<t:1:R>", "**x**", "\n<"] {
                    assert!(
                        !text.contains(bad),
                        "{bad:?} in {text:?} ({})",
                        payload.kind()
                    );
                }
            }
        }
    }
    assert!(
        swaps >= 28,
        "the hostile players replaced the fixture's ({swaps})"
    );
    let hostile_text = serde_json::to_string(&nasty.name).unwrap();
    for payload in every_kind() {
        let mut json = serde_json::to_string(&payload).unwrap();
        for plain in [
            "Roblox",
            "Cheater",
            "Liberty RP",
            "Falcon Stallion 350",
            "ABC123",
            "Red",
            "Caller",
            "Shots fired near the bank",
            "Springfield Bank",
            ":pm Victim hello",
            "help",
            "me",
            "kills",
            "Civilian",
        ] {
            json = json.replace(&format!("\"{plain}\""), &hostile_text);
        }
        let card = render_event(&event(1, serde_json::from_str(&json).unwrap()));
        for text in all_text(&card).iter().map(|t| outside_code_spans(t)) {
            for bad in ["@everyone", "<@", "<#", "**x**", "||s||"] {
                assert!(
                    !text.contains(bad),
                    "{bad:?} in {text:?} ({})",
                    payload.kind()
                );
            }
        }
    }
    let card = render_event(&event(1, EventPayload::PlayerJoin { player: nasty }));
    assert!(
        description(&card).starts_with("[@\u{200B}everyone \\*\\*x\\*\\* "),
        "{}",
        description(&card)
    );
}

#[test]
fn odd_numbers_and_empty_names_do_not_break_cards() {
    let wanted = EventPayload::PlayerWanted {
        player: player("", 1, ""),
        from: 0,
        to: u32::MAX,
    };
    let card = render_event(&event(1, wanted));
    assert!(card.embed.within_limits());
    assert!(
        description(&card).starts_with("[(no name)]"),
        "{}",
        description(&card)
    );
    assert!(description(&card).contains("★★★★★★★★★★…"));
    let mut zero_time = event(1, EventPayload::QueueLeave { user_id: 1 });
    zero_time.source_time = 0;
    assert_eq!(render_event(&zero_time).embed.timestamp, None);
}
