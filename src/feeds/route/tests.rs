use super::*;
use crate::events::catalog::EventPayload;
use crate::events::fixtures::{TIME, call, event, event_on, player};

fn route(channel_id: u64, patterns: &[&str]) -> FeedRoute {
    FeedRoute {
        channel_id,
        patterns: patterns
            .iter()
            .map(|p| Pattern::parse(p).unwrap())
            .collect(),
        filters: RouteFilters::default(),
        added_at_ms: BTreeMap::new(),
    }
}

fn join(team: &str, id: u64) -> EventPayload {
    EventPayload::PlayerJoin {
        player: player("P", id, team),
    }
}

#[test]
fn patterns_with_any_and_rest() {
    let mut router = FeedRouter::new();
    router.set_guild_routes(
        1,
        vec![
            route(10, &["?/player/join", "?/player/leave"]),
            route(20, &["main/*"]),
            route(30, &["*"]),
            route(40, &["side/kill"]),
            route(50, &["?/modcall/*"]),
        ],
    );
    assert_eq!(
        router.destinations(&event(1, join("Police", 1))),
        vec![10, 20, 30]
    );
    let side_kill = EventPayload::Kill {
        killer: player("A", 1, "Police"),
        killed: player("B", 2, "Police"),
    };
    assert_eq!(
        router.destinations(&event_on(1, "side", 2, side_kill.clone())),
        vec![30, 40]
    );
    let modcall = EventPayload::ModCallNew {
        call_key: "k".into(),
        caller: player("C", 3, "Civilian"),
    };
    assert_eq!(router.destinations(&event(3, modcall)), vec![20, 30, 50]);
    assert!(
        router
            .destinations(&event_on(2, "main", 4, side_kill))
            .is_empty(),
        "other guild"
    );
}

#[test]
fn one_channel_appears_once_and_routes_keep_their_own_filters() {
    let mut police_joins = route(10, &["?/player/join"]);
    police_joins.filters.teams = vec!["police".into()];
    let mut router = FeedRouter::new();
    router.set_guild_routes(
        1,
        vec![police_joins, route(10, &["?/kill"]), route(10, &["main/*"])],
    );
    assert_eq!(
        router.destinations(&event(1, join("Fire", 1))),
        vec![10],
        "main/* has no filter"
    );
    router.set_guild_routes(
        1,
        vec![router.guild_routes(1)[0].clone(), route(10, &["?/kill"])],
    );
    assert_eq!(router.destinations(&event(1, join("Police", 1))), vec![10]);
    assert!(router.destinations(&event(1, join("Fire", 1))).is_empty());
}

#[test]
fn team_filter_reads_teams_from_the_payload() {
    let mut kills = route(
        10,
        &["?/kill", "?/emergency/*", "?/player/team", "?/server/*"],
    );
    kills.filters.teams = vec!["Sheriff".into(), "DOT".into()];
    let mut router = FeedRouter::new();
    router.set_guild_routes(1, vec![kills]);
    let kill = |a: &str, b: &str| EventPayload::Kill {
        killer: player("A", 1, a),
        killed: player("B", 2, b),
    };
    assert_eq!(
        router.destinations(&event(1, kill("Civilian", "sheriff"))),
        vec![10]
    );
    assert!(
        router
            .destinations(&event(2, kill("Civilian", "Police")))
            .is_empty()
    );
    let switched = EventPayload::PlayerTeam {
        player: player("A", 1, "Police"),
        from: "DOT".into(),
        to: "Police".into(),
    };
    assert_eq!(
        router.destinations(&event(3, switched)),
        vec![10],
        "leaving DOT counts"
    );
    let mut dot_call = call(1, vec![player("R", 5, "Police")]);
    dot_call.team = "DOT".into();
    assert_eq!(
        router.destinations(&event(4, EventPayload::EmergencyStarted { call: dot_call })),
        vec![10]
    );
    let offline = EventPayload::ServerOffline { name: "x".into() };
    assert!(
        router.destinations(&event(5, offline)).is_empty(),
        "no team involved, filter fails"
    );
}

#[test]
fn player_filter_uses_event_players_and_combines_with_teams() {
    let mut watch = route(10, &["*"]);
    watch.filters.players = vec![2];
    let mut both = route(20, &["*"]);
    both.filters = RouteFilters {
        teams: vec!["Police".into()],
        players: vec![2],
    };
    let mut router = FeedRouter::new();
    router.set_guild_routes(1, vec![watch, both]);
    assert_eq!(router.destinations(&event(1, join("Fire", 2))), vec![10]);
    assert_eq!(
        router.destinations(&event(2, join("Police", 2))),
        vec![10, 20]
    );
    assert!(router.destinations(&event(3, join("Police", 3))).is_empty());
    let ban = EventPayload::BanAdded {
        user_id: 2,
        name: "x".into(),
    };
    assert_eq!(router.destinations(&event(4, ban)), vec![10]);
}

#[test]
fn feed_gaps_reach_every_channel_following_the_server() {
    let mut filtered = route(10, &["?/kill"]);
    filtered.filters.teams = vec!["Police".into()];
    let mut router = FeedRouter::new();
    router.set_guild_routes(
        1,
        vec![
            filtered,
            route(20, &["main/player/join"]),
            route(30, &["side/*"]),
            route(40, &["*"]),
        ],
    );
    let gap = EventPayload::FeedGap {
        since: 1,
        until: 2,
        logs: vec!["kills".into()],
    };
    assert_eq!(
        router.destinations(&event(1, gap.clone())),
        vec![10, 20, 40]
    );
    assert_eq!(
        router.destinations(&event_on(1, "side", 2, gap)),
        vec![10, 30, 40]
    );
}

#[test]
fn routes_can_be_replaced_and_removed() {
    let mut router = FeedRouter::new();
    router.set_guild_routes(1, vec![route(10, &["*"])]);
    router.set_guild_routes(1, vec![route(11, &["?/kill"])]);
    assert!(router.destinations(&event(1, join("Police", 1))).is_empty());
    router.set_guild_routes(1, Vec::new());
    assert!(router.guild_routes(1).is_empty());
}

#[test]
fn presets_parse_and_match_what_they_say() {
    for preset in presets() {
        assert!(!preset.patterns.is_empty(), "{}", preset.name);
        preset
            .parsed_patterns()
            .unwrap_or_else(|e| panic!("{}: {e}", preset.name));
    }
    let names: Vec<&str> = presets().iter().map(|p| p.name).collect();
    for expected in [
        "joins",
        "kills",
        "commands",
        "modcalls",
        "emergency",
        "staff",
        "moderation",
        "everything",
    ] {
        assert!(names.contains(&expected), "{expected}");
    }
    let mut router = FeedRouter::new();
    let moderation = preset("Moderation").unwrap().parsed_patterns().unwrap();
    router.set_guild_routes(
        1,
        vec![FeedRoute {
            channel_id: 7,
            patterns: moderation,
            filters: RouteFilters::default(),
            added_at_ms: BTreeMap::new(),
        }],
    );
    let command = EventPayload::Command {
        player: player("A", 1, "Police"),
        command: ":kick b".into(),
    };
    let ban = EventPayload::BanRemoved {
        user_id: 1,
        name: "a".into(),
    };
    let answered = EventPayload::ModCallAnswered {
        call_key: "k".into(),
        caller: player("A", 1, "Police"),
        moderator: player("M", 2, "Police"),
    };
    for payload in [command, ban, answered] {
        assert_eq!(router.destinations(&event(1, payload)), vec![7]);
    }
    assert!(router.destinations(&event(2, join("Police", 1))).is_empty());
    assert!(preset("nope").is_none());
}

#[test]
fn a_pattern_takes_only_what_happens_after_it_was_added() {
    let added = TIME * 1000 + 1_500;
    let mut router = FeedRouter::new();
    let mut kills = route(10, &["?/kill", "main/player/join"]);
    kills.added_at_ms = BTreeMap::from([("?/kill".to_owned(), added)]);
    let mut everything = route(20, &["*"]);
    everything.added_at_ms = BTreeMap::from([("*".to_owned(), added)]);
    router.set_guild_routes(1, vec![kills, route(30, &["?/kill"]), everything]);
    let kill = EventPayload::Kill {
        killer: player("A", 1, "Police"),
        killed: player("B", 2, "Police"),
    };
    let at = |source_time: i64, recorded_at_ms: i64, payload: EventPayload| Event {
        source_time,
        recorded_at_ms,
        ..event(1, payload)
    };

    // Stored before the pattern was added: only the route without a start time takes it.
    let stored_before = at(TIME + 1, added - 1, kill.clone());
    assert_eq!(router.destinations(&stored_before), vec![30]);
    // Stored after, but it happened seconds before (a log row read late).
    let happened_before = at(TIME, added + 60_000, kill.clone());
    assert_eq!(router.destinations(&happened_before), vec![30]);
    // PRC times are whole seconds: the second of the addition counts.
    let same_second = at(TIME + 1, added, kill.clone());
    assert_eq!(router.destinations(&same_second), vec![10, 20, 30]);
    let later = at(TIME + 5, added + 4_000, kill);
    assert_eq!(router.destinations(&later), vec![10, 20, 30]);
    // Each pattern keeps its own start: the join pattern of channel 10 has none.
    let old_join = at(TIME - 60, added - 60_000, join("Police", 3));
    assert_eq!(router.destinations(&old_join), vec![10]);

    let gap = |source_time, recorded_at_ms| {
        let payload = EventPayload::FeedGap {
            since: TIME - 100,
            until: TIME,
            logs: vec!["kills".into()],
        };
        at(source_time, recorded_at_ms, payload)
    };
    assert_eq!(router.destinations(&gap(TIME, added - 1)), vec![10, 30]);
    assert_eq!(
        router.destinations(&gap(TIME + 2, added + 500)),
        vec![10, 20, 30]
    );
}
