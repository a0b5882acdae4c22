//! Hostile game text in every slot of every view: nothing can ping, open a link, format
//! text or break out of a code span, and every message stays within Discord's limits.

use serde_json::Value;

use super::fixtures::*;
use super::{all_text, assert_fits};
use crate::actions::{ModAction, SetupWarning};
use crate::erlc::api::Confirmation;
use crate::erlc::models::{IdMap, Location, Permission, PlayerRef, StaffV2, Team};
use crate::events::Pattern;
use crate::events::fixtures::{event, every_kind};
use crate::store::audit::{AuditActor, AuditOutcome};
use crate::store::events::Page;
use crate::store::settings::{FeedFilters, FeedSubscription, ServerStatus};
use crate::ui::message::Message;
use crate::views::admin::feed_list;
use crate::views::audit::{AuditFilter, audit_page};
use crate::views::health::{ServerHealthView, health};
use crate::views::log_filter::LogFilter;
use crate::views::logs::{LogKind, LogsRequest, logs_page};
use crate::views::outcome::{action_report, cancelled, confirm_prompt, error};
use crate::views::player::player_panel;
use crate::views::players::{
    bans_page, emergency_calls, players_page, queue, staff, vehicles_page,
};
use crate::views::servers::{server_list, server_status, setup_result};

const HOSTILE: &[&str] = &[
    "@everyone",
    "@here hi",
    "<@123456789>",
    "<@&42>",
    "<#99>",
    "<t:1:R>",
    "**bold** __under__",
    "[click](https://evil.example)",
    "`code` ``` block",
    "||spoiler||",
    "# heading\n> quote\n- list",
    "\u{202E}rtl\u{0007}bell",
    "a\\b*c_d~e|f>g",
    "",
];

/// Text with inline code spans removed: markdown inside them renders literally.
fn outside_code_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_span = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            '`' if !escaped => in_span = !in_span,
            _ if !in_span => out.push(c),
            _ => {}
        }
        escaped = c == '\\' && !escaped;
    }
    out
}

/// Nothing in the message can ping anyone.
fn assert_no_ping(message: &Message, hostile: &str) {
    assert_fits(message);
    let text = all_text(message);
    for raw in ["@everyone", "@here", "<@"] {
        assert!(
            !text.contains(raw),
            "{raw:?} survived from {hostile:?} in:\n{text}"
        );
    }
}

/// Text a hostile string must never leave behind in a view.
fn assert_inert(message: &Message, hostile: &str) {
    assert_no_ping(message, hostile);
    let text = outside_code_spans(&all_text(message));
    for raw in [
        "<#99>",
        "<t:1:R>",
        "**bold**",
        "](https://evil",
        "||spoiler||",
        "\u{202E}",
        "\u{0007}",
    ] {
        assert!(
            !text.contains(raw),
            "{raw:?} survived from {hostile:?} in:\n{text}"
        );
    }
}

/// Every string in a payload (but its `kind`) replaced by `hostile`.
fn poison(value: &mut Value, hostile: &str) {
    match value {
        Value::String(text) => *text = hostile.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|v| poison(v, hostile)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key != "kind" {
                    poison(v, hostile);
                }
            }
        }
        _ => {}
    }
}

fn hostile_events(hostile: &str) -> Vec<crate::events::Event> {
    every_kind()
        .into_iter()
        .enumerate()
        .map(|(i, payload)| {
            let mut e = event(i as u64, payload);
            poison(&mut e.payload, hostile);
            e
        })
        .collect()
}

fn hostile_player(hostile: &str, id: u64) -> crate::erlc::models::Player {
    let mut p = player(
        hostile,
        id,
        Team::Other(hostile.into()),
        Permission::Other(hostile.into()),
    );
    p.callsign = Some(hostile.into());
    p.wanted_stars = Some(3);
    p.location = Some(Location {
        postal_code: Some(hostile.into()),
        street_name: Some(hostile.into()),
        building_number: Some(hostile.into()),
        ..location("1", "x")
    });
    p
}

#[test]
fn live_views_keep_game_text_inert() {
    for &hostile in HOSTILE {
        let players: Vec<_> = (0..30).map(|i| hostile_player(hostile, i)).collect();
        let mut server = snapshot(players.clone(), vec![1, 2]);
        server.info.name = hostile.into();
        server.info.join_key = hostile.into();
        assert_inert(&server_status("main", &server, NOW), hostile);
        assert_inert(
            &players_page("main", &players, Some(&Team::Other(hostile.into())), 0, 20).0,
            hostile,
        );
        assert_inert(&players_page("main", &players, None, 0, 20).0, hostile);
        let names: IdMap = [(1, hostile.to_owned()), (2, hostile.to_owned())]
            .into_iter()
            .collect();
        let roster = StaffV2 {
            admins: names.clone(),
            mods: names.clone(),
            helpers: names.clone(),
            extra: Default::default(),
        };
        assert_inert(&staff("main", &players, Some(&roster), &[1]), hostile);
        assert_inert(
            &queue("main", &[1, 2, 3], &|_| Some(hostile.to_owned())),
            hostile,
        );
        let cars = vec![vehicle(hostile, hostile, hostile, hostile, hostile)];
        assert_inert(&vehicles_page("main", &cars, 0, 15).0, hostile);
        assert_inert(&bans_page("main", &names, 0, 25).0, hostile);
        let mut call = emergency(1, 3, vec![4, 5], hostile);
        call.position_descriptor = Some(hostile.into());
        call.team = Team::Other(hostile.into());
        assert_inert(&emergency_calls("main", &[call], &players, NOW), hostile);
    }
}

#[test]
fn stored_and_settings_views_keep_game_text_inert() {
    for &hostile in HOSTILE {
        let events = hostile_events(hostile);
        let live = hostile_player(hostile, 1);
        let who = PlayerRef::new(hostile, Some(1));
        assert_inert(
            &player_panel("main", &who, Some(&live), &events, NOW),
            hostile,
        );
        assert_inert(&player_panel("main", &who, None, &events, NOW), hostile);
        let page = Page {
            events,
            more_follows: true,
            next: None,
        };
        let request = LogsRequest {
            server: "main",
            filter: LogFilter {
                kind: LogKind::Commands,
                span_secs: Some(3600),
                player: Some(1),
            },
            page: 0,
        };
        assert_inert(&logs_page(&request, &page).0, hostile);

        let mut record = record("main", ServerStatus::Error(hostile.into()), true, hostile);
        record.key_fingerprint = hostile.into();
        assert_inert(&server_list(&[record]), hostile);
        // What `/server setup` shows: the in-game server name is the server owner's text.
        let blocked = SetupWarning::CommandsNotAuthorized {
            fix: prc_error(4000).fix(),
        };
        for warnings in [vec![], vec![blocked, SetupWarning::ServerOffline]] {
            let mut report = setup_report(Some(hostile), warnings);
            report.record.label = hostile.into();
            report.record.key_fingerprint = hostile.into();
            assert_inert(&setup_result(&report, Some(hostile)), hostile);
            report.record.sandbox = true;
            assert_inert(&setup_result(&report, None), hostile);
        }
        let view = ServerHealthView {
            label: hostile.into(),
            status: hostile.into(),
            last_error: Some((Some(0), hostile.into(), Some("Try again.".into()))),
            ..ServerHealthView::default()
        };
        assert_inert(&health(&[view], NOW * 1000), hostile);

        let mut entry = audit_entry(
            1,
            AuditActor::Discord {
                id: 1,
                name: hostile.into(),
            },
            hostile,
            hostile,
            AuditOutcome::Failed(hostile.into()),
        );
        entry.intent.args = serde_json::json!({"reason": hostile, "text": hostile});
        let player_entry = audit_entry(
            2,
            AuditActor::Player {
                id: None,
                name: hostile.into(),
            },
            "x",
            hostile,
            AuditOutcome::RefusedByPolicy(hostile.into()),
        );
        assert_inert(
            &audit_page(
                &[entry, player_entry],
                0,
                false,
                &AuditFilter::new(Some(hostile), Some(hostile)),
            )
            .0,
            hostile,
        );

        let pm = ModAction::Pm {
            player: hostile.into(),
            text: hostile.into(),
        };
        let mut report = sent(pm, hostile, Some(hostile), Confirmation::NotSeen);
        report.server_label = hostile.into();
        assert_inert(&action_report(&report), hostile);
        // Explanations, fixes and reasons to confirm are our own words (markdown allowed);
        // they still never ping.
        assert_no_ping(&error(hostile, Some(hostile)), hostile);
        let fix = ServerHealthView {
            last_error: Some((None, "x".into(), Some(hostile.into()))),
            ..ServerHealthView::default()
        };
        assert_no_ping(&health(&[fix], NOW), hostile);
        assert_no_ping(
            &confirm_prompt("main", hostile, hostile, "tok").unwrap(),
            hostile,
        );
        assert_inert(
            &confirm_prompt("main", hostile, "why", "tok").unwrap(),
            hostile,
        );
        assert_inert(&cancelled(hostile), hostile);
        let feed = FeedSubscription {
            channel_id: 5,
            patterns: vec![Pattern::parse("main/*").unwrap()],
            filters: FeedFilters {
                teams: vec![hostile.into()],
                players: vec![],
            },
            added_at_ms: Default::default(),
        };
        assert_inert(&feed_list(&[feed]), hostile);
    }
}

#[test]
fn code_spans_are_skipped_only_when_closed() {
    assert_eq!(outside_code_spans("a `**b**` c"), "a  c");
    assert_eq!(
        outside_code_spans("a \\`**b**\\` c"),
        "a \\`**b**\\` c",
        "escaped backticks open no span"
    );
}

#[test]
fn huge_text_everywhere_still_fits() {
    let long = "W".repeat(3000);
    let players: Vec<_> = (0..500).map(|i| hostile_player(&long, i)).collect();
    for page in 0..30 {
        assert_fits(&players_page("main", &players, None, page, 20).0);
    }
    let mut server = snapshot(players.clone(), (0..500).collect());
    server.info.name = long.clone();
    assert_fits(&server_status("main", &server, NOW));
    let events = hostile_events(&long);
    assert_fits(&player_panel(
        "main",
        &PlayerRef::new(&long, Some(1)),
        Some(&players[1]),
        &events,
        NOW,
    ));
    assert_fits(&error(&long, Some(&long)));
}
