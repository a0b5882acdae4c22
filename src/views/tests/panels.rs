//! The player panel and log pages: timelines from the event catalog, buttons, empty pages.

use super::fixtures::*;
use super::{all_text, assert_fits, labels};
use crate::erlc::models::{Permission, PlayerRef, Team};
use crate::events::catalog::EventPayload;
use crate::events::fixtures::{event, every_kind, player as info_player, unknown_event};
use crate::store::events::Page;
use crate::ui::custom_id::{ButtonAction, CustomId};
use crate::views::log_filter::LogFilter;
use crate::views::logs::{LogKind, LogsRequest, logs_page};
use crate::views::paging::{PageTarget, PagedView};
use crate::views::player::player_panel;

fn timeline() -> Vec<crate::events::Event> {
    let me = || info_player("Avery_Cole", 7, "Police");
    let other = || info_player("minty", 8, "Civilian");
    let mut events = vec![
        event(1, EventPayload::PlayerJoin { player: me() }),
        event(
            2,
            EventPayload::Kill {
                killer: me(),
                killed: other(),
            },
        ),
        event(
            3,
            EventPayload::Kill {
                killer: other(),
                killed: me(),
            },
        ),
        event(
            4,
            EventPayload::Command {
                player: me(),
                command: ":pm minty hi".into(),
            },
        ),
        event(
            5,
            EventPayload::ModCallNew {
                call_key: "7-1".into(),
                caller: me(),
            },
        ),
        event(
            6,
            EventPayload::PlayerTeam {
                player: me(),
                from: "Civilian".into(),
                to: "Police".into(),
            },
        ),
    ];
    for (i, e) in events.iter_mut().enumerate() {
        e.source_time = NOW - 600 + i as i64 * 60;
    }
    events
}

#[test]
fn online_panel_shows_live_facts_timeline_and_five_buttons() {
    let mut live = player("Avery_Cole", 7, Team::Police, Permission::Moderator);
    live.callsign = Some("1A-12".into());
    live.wanted_stars = Some(2);
    live.location = Some(location("307", "Harbor Road"));
    let message = player_panel("main", &live.player.clone(), Some(&live), &timeline(), NOW);
    assert_fits(&message);
    let text = all_text(&message);
    for fact in [
        "Avery\\_Cole",
        "In game",
        "Police",
        "🛡 Mod",
        "`1A-12`",
        "★★ (2)",
        "Postal 307 · 12 Harbor Road",
        "https://www.roblox.com/users/7/profile",
        "Kills **1** · Deaths **1** · Commands **1** · Mod calls **1**",
        "🔫 killed [minty]",
        "💀 killed by [minty]",
        "⌨️ ran `:pm minty hi`",
        "📣 called a moderator",
        "🔁 team **Civilian** → **Police**",
        "📥 joined",
    ] {
        assert!(text.contains(fact), "missing {fact:?} in {text}");
    }
    let newest = text.find("🔁 team").unwrap();
    let oldest = text.find("📥 joined").unwrap();
    assert!(newest < oldest, "newest first: {text}");
    assert_eq!(labels(&message), ["Kick", "Ban", "PM", "Wanted", "Refresh"]);
    let kick = CustomId::parse(&message.buttons[0].custom_id).unwrap();
    assert_eq!(
        (kick.action(), kick.server(), kick.roblox_id()),
        (ButtonAction::PlayerKick, "main", Some(7))
    );
}

#[test]
fn offline_panel_says_last_seen_and_offers_ban_and_refresh() {
    let who = PlayerRef::new("Avery_Cole", Some(7));
    let events = timeline();
    let message = player_panel("main", &who, None, &events, NOW);
    assert_fits(&message);
    let text = all_text(&message);
    assert!(text.contains("Not in game"), "{text}");
    assert!(
        text.contains(&format!("last seen <t:{}:R>", NOW - 600 + 5 * 60)),
        "{text}"
    );
    assert_eq!(labels(&message), ["Ban", "Refresh"]);

    let message = player_panel("main", &who, None, &[], NOW);
    assert_fits(&message);
    assert!(all_text(&message).contains("no activity stored"));
    let nameless = PlayerRef::new("ghost", None);
    let message = player_panel("main", &nameless, None, &[], NOW);
    assert!(
        message.buttons.is_empty(),
        "no id, no buttons that cannot work"
    );
}

#[test]
fn the_cases_section_lists_the_newest_cases_escaped() {
    use crate::store::{Case, CaseModerator, CasePage, CaseSource, CaseStatus, CaseTarget};
    let who = PlayerRef::new("Avery_Cole", Some(7));
    let case = |number| Case {
        guild: 1,
        number,
        kind: "warning".into(),
        target: CaseTarget {
            id: Some(7),
            name: "Avery_Cole".into(),
        },
        moderator: CaseModerator::discord(5, "Mod"),
        reason: Some("**spam** @everyone".into()),
        server: Some("main".into()),
        created_at_ms: NOW * 1000,
        source: CaseSource::InGame,
        status: CaseStatus::Active,
        expires_at_ms: None,
        audit_seq: None,
        history: Vec::new(),
    };
    let page = CasePage {
        cases: vec![case(9), case(4)],
        has_more: true,
    };
    let panel = player_panel("main", &who, None, &[], NOW);
    let buttons: Vec<String> = labels(&panel).iter().map(|l| l.to_string()).collect();
    let message = crate::views::player::with_cases(panel, &page);
    assert_fits(&message);
    assert_eq!(labels(&message), buttons, "the buttons stay");
    let text = all_text(&message);
    assert!(text.contains("`#9`") && text.contains("`#4`"), "{text}");
    assert!(text.contains("/cases"), "{text}");
    assert!(
        !text.contains("**spam**") && !text.contains("@everyone"),
        "{text}"
    );
}

#[test]
fn panel_renders_every_kind_and_a_huge_timeline() {
    let mut events: Vec<_> = every_kind()
        .into_iter()
        .enumerate()
        .map(|(i, p)| event(i as u64, p))
        .collect();
    events.push(unknown_event(
        99,
        "future/thing",
        serde_json::json!({"kind": "future"}),
    ));
    let who = PlayerRef::new("Roblox", Some(1));
    let message = player_panel("main", &who, None, &events, NOW);
    assert_fits(&message);
    let flood: Vec<_> = (0..5000)
        .map(|i| {
            event(
                i,
                EventPayload::Command {
                    player: info_player("Roblox", 1, "Police"),
                    command: "x".repeat(500),
                },
            )
        })
        .collect();
    let message = player_panel("main", &who, None, &flood, NOW);
    assert_fits(&message);
    assert!(all_text(&message).contains("Commands **5000**"));
}

fn request(kind: LogKind, page: usize) -> LogsRequest<'static> {
    LogsRequest {
        server: "main",
        filter: LogFilter {
            kind,
            span_secs: Some(86_400),
            player: Some(1),
        },
        page,
    }
}

#[test]
fn logs_list_events_compactly_with_paging() {
    let events: Vec<_> = every_kind()
        .into_iter()
        .enumerate()
        .map(|(i, p)| event(i as u64, p))
        .collect();
    let page = Page {
        events,
        more_follows: true,
        next: None,
    };
    let (message, info) = logs_page(&request(LogKind::Kills, 1), &page);
    assert_fits(&message);
    assert!(info.has_prev && info.has_next);
    let text = all_text(&message);
    assert!(
        text.contains("🔫 Kills") && text.contains("last 1 day · player **Roblox**"),
        "{text}"
    );
    assert!(
        text.contains("🔫 [Roblox](https://www.roblox.com/users/1/profile) killed [Victim]"),
        "{text}"
    );
    assert!(text.contains(&format!("<t:{}:R>", crate::events::fixtures::TIME)));
    assert_eq!(labels(&message), ["◀ Previous", "↻ Refresh", "Next ▶"]);
    let next = CustomId::parse(&message.buttons[2].custom_id).unwrap();
    let target = PageTarget::from_custom_id(&next).unwrap();
    assert_eq!((target.view, target.page), (PagedView::Logs, 2));
    assert_eq!(
        LogFilter::from_token(&target.filter),
        Some(request(LogKind::Kills, 1).filter),
        "the button redoes the same query"
    );
}

#[test]
fn empty_logs_suggest_widening_the_range() {
    let empty = Page {
        events: Vec::new(),
        more_follows: false,
        next: None,
    };
    for kind in LogKind::ALL {
        let (message, info) = logs_page(&request(kind, 0), &empty);
        assert_fits(&message);
        assert!(!info.has_next);
        let text = all_text(&message);
        assert!(text.contains("Try a wider time range"), "{text}");
        assert!(
            text.contains("player **1**"),
            "no event names the player: {text}"
        );
        assert_eq!(kind.as_str().parse::<LogKind>(), Ok(kind));
        let patterns = kind.patterns(Some("main")).unwrap();
        assert_eq!(patterns.len(), kind.event_kinds().len());
        assert!(kind.patterns(None).unwrap()[0].as_str().starts_with("?/"));
    }
    assert!("bogus".parse::<LogKind>().is_err());
}

#[test]
fn a_thousand_log_lines_fit() {
    let events: Vec<_> = (0..1000)
        .map(|i| {
            event(
                i,
                EventPayload::Command {
                    player: info_player(&"w".repeat(40), i, "Police"),
                    command: ":m ".to_owned() + &"y".repeat(300),
                },
            )
        })
        .collect();
    let page = Page {
        events,
        more_follows: false,
        next: None,
    };
    let (message, _) = logs_page(&request(LogKind::Commands, 0), &page);
    assert_fits(&message);
    assert!(all_text(&message).contains("more"));
}
