//! Server status and the live lists: key facts, paging of huge lists, empty lists.

use std::collections::HashSet;

use super::fixtures::*;
use super::{all_text, assert_fits, labels};
use crate::erlc::models::{IdMap, Permission, StaffV2, Team};
use crate::ui::custom_id::CustomId;
use crate::ui::team;
use crate::views::paging::{PageTarget, PagedView};
use crate::views::players::{
    BANS_PER_PAGE, PLAYERS_PER_PAGE, VEHICLES_PER_PAGE, bans_page, emergency_calls, players_page,
    queue, staff, vehicles_page,
};
use crate::views::servers::server_status;

#[test]
fn status_shows_counts_join_code_and_teams() {
    let mut players = crowd(12);
    players[1].permission = Permission::Administrator;
    let server = snapshot(players, vec![7, 8, 9]);
    let message = server_status("main", &server, NOW);
    assert_fits(&message);
    let text = all_text(&message);
    for fact in [
        "Riverside County RP",
        "**12/40** players",
        "3 in queue",
        "3 staff online",
        "`RCRPx`",
        "https://erlc.gg/join/RCRPx",
        "🔵 Police **2**",
        "⚪ Civilian **2**",
        "Email",
        "Team balance",
        "1 co-owner",
    ] {
        assert!(text.contains(fact), "missing {fact:?} in {text}");
    }
    assert_eq!(message.embeds[0].timestamp, Some(NOW));
}

#[test]
fn status_from_v1_info_alone_says_what_was_not_fetched() {
    let server = info("Empty Server", "abc", 0);
    let message = server_status("side", &server, NOW);
    assert_fits(&message);
    let text = all_text(&message);
    assert!(
        text.contains("⚪ Empty Server") && text.contains("not fetched"),
        "{text}"
    );
    assert!(!text.contains("Teams"));
    let odd = info("Odd", "a b)", 1);
    let text = all_text(&server_status("side", &odd, NOW));
    assert!(
        !text.contains("erlc.gg/join"),
        "odd join keys are never linked: {text}"
    );
}

#[test]
fn players_are_sorted_by_team_then_name_with_badges() {
    let mut players = vec![
        player("zed", 1, Team::Civilian, Permission::Normal),
        player("Amy", 2, Team::Civilian, Permission::Normal),
        player("bob", 3, Team::Police, Permission::Moderator),
    ];
    players[2].callsign = Some("1A-12".into());
    players[2].wanted_stars = Some(0);
    players[0].wanted_stars = Some(3);
    let (message, info) = players_page("main", &players, None, 0, PLAYERS_PER_PAGE);
    assert_fits(&message);
    assert_eq!((info.total, info.pages), (Some(3), Some(1)));
    let text = all_text(&message);
    let order: Vec<usize> = [
        "**🔵 Police** · 1",
        "bob",
        "`1A-12`",
        "🛡 Mod",
        "**⚪ Civilian** · 2",
        "Amy",
        "zed",
        "★★★",
    ]
    .iter()
    .map(|needle| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(labels(&message), ["↻ Refresh"]);
}

#[test]
fn five_hundred_players_page_within_limits_and_show_everyone_once() {
    let players = crowd(500);
    let mut seen = HashSet::new();
    let mut page = 0;
    loop {
        let (message, info) = players_page("main", &players, None, page, PLAYERS_PER_PAGE);
        assert_fits(&message);
        let text = all_text(&message);
        for p in &players {
            if let Some(id) = p.player.id
                && text.contains(&format!("users/{id}/profile"))
            {
                assert!(seen.insert(id), "player {id} on two pages");
            }
        }
        if !info.has_next {
            assert_eq!(info.pages, Some(500usize.div_ceil(PLAYERS_PER_PAGE)));
            break;
        }
        let next = message
            .buttons
            .iter()
            .find(|b| b.label.starts_with("Next"))
            .expect("a next button");
        let target =
            PageTarget::from_custom_id(&CustomId::parse(&next.custom_id).unwrap()).unwrap();
        assert_eq!((target.view, target.page), (PagedView::Players, page + 1));
        page = target.page;
    }
    assert_eq!(seen.len(), 500);
}

#[test]
fn team_filter_keeps_one_team_and_survives_in_buttons() {
    let players = crowd(100);
    let (message, info) = players_page("main", &players, Some(&Team::Police), 0, 5);
    assert_fits(&message);
    let police = players.iter().filter(|p| p.team == Team::Police).count();
    assert_eq!(info.total, Some(police));
    let text = all_text(&message);
    assert!(
        text.contains(&format!("Police players ({police} of 100)")),
        "{text}"
    );
    assert!(!text.contains("Civilian"), "{text}");
    let next = CustomId::parse(&message.buttons.last().unwrap().custom_id).unwrap();
    let token = PageTarget::from_custom_id(&next).unwrap().filter;
    assert_eq!(token, "Police");
    assert_eq!(team::parse(&token), Team::Police);

    let coast_guard = Team::Other("Coast Guard".into());
    let (message, info) = players_page("main", &players, Some(&coast_guard), 3, 5);
    assert_fits(&message);
    assert_eq!((info.page, info.total), (0, Some(0)));
    assert!(all_text(&message).contains("Nobody is on the team **Coast Guard**"));
}

#[test]
fn empty_lists_say_so() {
    let (message, _) = players_page("main", &[], None, 4, PLAYERS_PER_PAGE);
    assert_fits(&message);
    assert!(all_text(&message).contains("Nobody is in the server"));
    let (message, _) = vehicles_page("main", &[], 0, VEHICLES_PER_PAGE);
    assert!(all_text(&message).contains("No vehicles"));
    let (message, _) = bans_page("main", &IdMap::new(), 0, BANS_PER_PAGE);
    assert!(all_text(&message).contains("Nobody is banned"));
    let message = queue("main", &[], &|_| None);
    assert!(all_text(&message).contains("Nobody is waiting"));
    let message = staff("main", &[], None, &[]);
    assert!(all_text(&message).contains("No staff in game"));
    let message = emergency_calls("main", &[], &[], NOW);
    assert_fits(&message);
    assert!(all_text(&message).contains("No active 911 calls"));
}

#[test]
fn staff_marks_who_is_online() {
    let online = vec![
        player(
            "Avery_Cole",
            2_419_834_401,
            Team::Police,
            Permission::Administrator,
        ),
        player("minty", 5, Team::Civilian, Permission::Normal),
    ];
    let roster = StaffV2 {
        admins: [(2_419_834_401, "Avery_Cole".to_string())]
            .into_iter()
            .collect(),
        mods: [(77, "offline_mod".to_string())].into_iter().collect(),
        helpers: IdMap::new(),
        extra: Default::default(),
    };
    let message = staff("main", &online, Some(&roster), &[3_371_029_946]);
    assert_fits(&message);
    let text = all_text(&message);
    assert!(text.contains("Staff in game (1)"), "{text}");
    assert!(text.contains("🟢 [Avery\\_Cole]"), "{text}");
    assert!(text.contains("⚫ [offline\\_mod]"), "{text}");
    assert!(
        text.contains("Helpers (0)") && text.contains("Co-owners"),
        "{text}"
    );
}

#[test]
fn queue_names_known_users_in_order() {
    let message = queue("main", &[30, 10, 20], &|id| {
        (id == 10).then(|| "Known".to_owned())
    });
    let text = all_text(&message);
    assert!(text.contains("3 waiting"));
    let first = text.find("User 30").unwrap();
    let second = text
        .find("[Known](https://www.roblox.com/users/10/profile)")
        .unwrap();
    assert!(first < second, "{text}");
    let huge: Vec<u64> = (0..2000).collect();
    let message = queue("main", &huge, &|_| None);
    assert_fits(&message);
    assert!(all_text(&message).contains("more"));
}

#[test]
fn vehicles_and_bans_page_with_key_facts() {
    let cars: Vec<_> = (0..200)
        .map(|i| {
            vehicle(
                "2019 Falcon Interceptor",
                &format!("owner{i:03}"),
                &format!("RCP {i}"),
                "#1F5FD1",
                "Blue",
            )
        })
        .collect();
    let (message, info) = vehicles_page("main", &cars, 1, VEHICLES_PER_PAGE);
    assert_fits(&message);
    assert_eq!(info.pages, Some(200usize.div_ceil(VEHICLES_PER_PAGE)));
    let text = all_text(&message);
    assert!(
        text.contains("🟦 **2019 Falcon Interceptor** · `RCP 15` · Blue · owner015"),
        "{text}"
    );
    assert!(labels(&message).contains(&"◀ Previous"));

    let list: Vec<(u64, String)> = (0..300).map(|i| (i, format!("cheater{i:03}"))).collect();
    let refs: Vec<(u64, &str)> = list.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let (message, info) = bans_page("main", &bans(&refs), 99, BANS_PER_PAGE);
    assert_fits(&message);
    assert_eq!(info.page, 11, "clamped to the last page");
    assert!(
        all_text(&message)
            .contains("[cheater299](https://www.roblox.com/users/299/profile) · `299`")
    );
}

#[test]
fn emergency_calls_name_callers_and_responders() {
    let players = vec![player("Caller_One", 11, Team::Civilian, Permission::Normal)];
    let calls = vec![
        emergency(17, 11, vec![], "shots fired near the docks"),
        emergency(18, 99, vec![11, 12], "car fire"),
    ];
    let message = emergency_calls("main", &calls, &players, NOW);
    assert_fits(&message);
    let text = all_text(&message);
    assert!(
        text.contains("#17 · Police") && text.contains("#18 · Police"),
        "{text}"
    );
    assert!(text.contains("[Caller\\_One]"), "{text}");
    assert!(text.contains("User 99"), "unknown callers by id: {text}");
    assert!(text.contains("Harbor Road, Postal 307"));
    assert!(text.contains("1 call waiting for responders"), "{text}");
    let many: Vec<_> = (0..60)
        .map(|i| emergency(i, i as u64, (0..40).collect(), &"x".repeat(400)))
        .collect();
    let message = emergency_calls("main", &many, &players, NOW);
    assert_fits(&message);
    assert!(all_text(&message).contains("more"));
}
