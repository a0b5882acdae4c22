//! End to end: moderation through the real binary. Player options suggest who is in game; a
//! kick from the player panel's form reaches the simulator; a member without the capability
//! is refused privately and the refusal is audited; the read commands answer with embeds, show
//! what only PRC's v2 server object carries (wanted stars, plates, colours), and their page
//! buttons redraw the same.

use std::time::Duration;

use erlc_bot::sim::{PlayerSpec, VehicleSpec};

use crate::support::e2e::{World, answer, embed_text, page_button};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::{StoredMessage, ids};
use crate::support::wait::WAIT;

async fn wait_until_gone(world: &World, id: u64) {
    let server = world.sim.server(0).expect("simulated server");
    let deadline = tokio::time::Instant::now() + WAIT;
    while server.players().iter().any(|(p, _)| *p == id) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "player {id} is still in game"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_kick_reaches_the_game_and_members_are_refused() {
    let world = World::start(2).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/player/join"]);
    let server = world.sim.server(0).expect("simulated server");
    server
        .add_player(
            PlayerSpec::named("Builderman")
                .with_id(1001)
                .with_team("Police"),
        )
        .expect("add a player");
    let mut bot = world.start_bot().await;
    world.grant_moderators().await;

    // Autocomplete offers who was in game at the tracker's latest poll, matching any part of
    // the name in any case. A server's second poll starts only once its first is kept, so
    // waiting for two means there is a latest poll to suggest from.
    world.wait_for_polls(2).await;
    let typing = world
        .fake
        .autocomplete("kick", vec![Opt::string("player", "DERM")], "player")
        .expect("/kick completes player names")
        .as_member(ids::MODERATOR);
    let response = world.fake.dispatch(typing).await_response(WAIT).await;
    assert_eq!(response.choice_names(), ["Builderman"]);

    let name = vec![Opt::string("name", "Builderman")];
    let panel = world.slash_ok(ids::MODERATOR, "player", name).await;
    let kick_id = "erlc:pl_kick:main:1001";
    assert!(
        panel.custom_ids().iter().any(|id| id == kick_id),
        "{:?}",
        panel.custom_ids()
    );

    let click = world
        .fake
        .button(panel.id, kick_id)
        .expect("the panel has Kick")
        .as_member(ids::MODERATOR);
    let opened = world.fake.dispatch(click);
    let form = opened.await_response(WAIT).await;
    assert_eq!(form.kind, 9, "Kick opens a form for the reason");
    let submit = world
        .fake
        .modal_submit(kick_id, &[("text", "RDM\n:kick all")])
        .expect("submit the reason")
        .as_member(ids::MODERATOR);
    let report = answer(&world.fake.dispatch(submit)).await;
    assert!(report.is_ephemeral());
    wait_until_gone(&world, 1001).await;
    let applied = server.applied_commands();
    assert_eq!(
        applied.len(),
        1,
        "a newline in the reason never adds a command"
    );
    assert_eq!(
        (applied[0].name.as_str(), applied[0].targets.as_slice()),
        ("kick", &[1001][..])
    );

    // A member without `moderate` is refused, privately, with the fix; the refusal is audited.
    let kick = vec![Opt::string("player", "Noob")];
    let refused = world.slash_as(ids::MEMBER, "kick", kick).await;
    assert!(refused.is_ephemeral(), "refusals are private");
    let text = embed_text(&refused);
    assert!(text.contains("moderate"), "{text}");
    let search = Opt::sub("search", vec![Opt::string("action", "command.kick")]);
    let audit = world.slash_ok(ids::OWNER, "audit", vec![search]).await;
    let log = embed_text(&audit);
    assert!(
        log.contains("regular") && log.contains("modperson"),
        "{log}"
    );
    let refused = world.slash_as(ids::MEMBER, "players", vec![]).await;
    assert!(refused.is_ephemeral(), "refusals are private");
    let text = embed_text(&refused);
    assert!(text.contains("`view`"), "{text}");
    let search = Opt::sub("search", vec![Opt::string("action", "view.players")]);
    let audit = world.slash_ok(ids::OWNER, "audit", vec![search]).await;
    let log = embed_text(&audit);
    assert!(log.contains("regular"), "{log}");

    // The read commands answer publicly with embeds.
    for (command, options) in [
        ("players", vec![]),
        ("staff", vec![]),
        ("queue", vec![]),
        ("vehicles", vec![]),
        ("bans", vec![]),
        ("emergency", vec![]),
        ("health", vec![]),
        (
            "logs",
            vec![Opt::sub("joins", vec![Opt::string("since", "1h")])],
        ),
        ("server", vec![Opt::sub("status", vec![])]),
        ("server", vec![Opt::sub("list", vec![])]),
    ] {
        let shown = world.slash_ok(ids::OWNER, command, options).await;
        assert!(!shown.embeds.is_empty(), "/{command} answers with an embed");
    }

    assert!(bot.stop(WAIT).await.success());
    world.fake.assert_no_violations();
    world.fake.assert_no_unknown_routes();
}

/// Clicks `custom_id` on `message` as a moderator and returns the message once the click has
/// redrawn it.
async fn redrawn(world: &World, message: &StoredMessage, custom_id: &str) -> StoredMessage {
    let click = world.click(ids::MODERATOR, message.id, custom_id);
    assert_eq!(
        click.await_response(WAIT).await.kind,
        6,
        "{custom_id} updates"
    );
    world
        .fake
        .wait_for_message(
            message.channel_id,
            |m| m.id == message.id && m.edit_count > message.edit_count,
            WAIT,
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_reads_show_v2_facts_and_page_buttons_redraw_them() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/player/join"]);
    let server = world.sim.server(0).expect("simulated server");
    server
        .add_player(PlayerSpec::named("Builderman").with_id(1001))
        .expect("add a player");
    server.set_wanted(1001, 3).expect("make them wanted");
    let car = VehicleSpec {
        name: Some("Falcon Stallion 350".into()),
        plate: Some("RCP 118".into()),
        color_name: Some("Crimson".into()),
        ..VehicleSpec::default()
    };
    server.spawn_vehicle(1001, car).expect("spawn a car");
    let mut bot = world.start_bot().await;
    world.grant_moderators().await;
    // The first poll is the baseline (who is there did not just join); then a log longer
    // than a page.
    world.wait_for_polls(1).await;
    for i in 0..20 {
        server
            .add_player(PlayerSpec::named(&format!("Joiner{i:02}")).with_id(2000 + i))
            .expect("add a player");
    }

    // Wanted stars, plates and colours exist only in v2: v1 leaves them out.
    let players = world.slash_ok(ids::MODERATOR, "players", vec![]).await;
    assert!(
        embed_text(&players).contains("★★★"),
        "{}",
        embed_text(&players)
    );
    let vehicles = world.slash_ok(ids::MODERATOR, "vehicles", vec![]).await;
    let text = embed_text(&vehicles);
    assert!(
        text.contains("RCP 118") && text.contains("Crimson"),
        "{text}"
    );
    let name = vec![Opt::string("name", "Builderman")];
    let panel = world.slash_ok(ids::MODERATOR, "player", name).await;
    assert!(
        embed_text(&panel).contains("★★★ (3)"),
        "{}",
        embed_text(&panel)
    );

    // The buttons redraw from the same reads as the commands.
    let players = redrawn(&world, &players, &page_button(&players, 0)).await;
    assert!(
        embed_text(&players).contains("★★★"),
        "{}",
        embed_text(&players)
    );
    let vehicles = redrawn(&world, &vehicles, &page_button(&vehicles, 0)).await;
    assert!(embed_text(&vehicles).contains("RCP 118"));
    let panel = redrawn(&world, &panel, "erlc:pl_refresh:main:1001").await;
    assert!(
        embed_text(&panel).contains("★★★ (3)"),
        "{}",
        embed_text(&panel)
    );

    // Once the joins are stored (and posted), Next shows page 2 of the same query.
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("Joiner19"),
            WAIT,
        )
        .await;
    let since = vec![Opt::sub("joins", vec![Opt::string("since", "1h")])];
    let logs = world.slash_ok(ids::MODERATOR, "logs", since).await;
    let next = redrawn(&world, &logs, &page_button(&logs, 1)).await;
    let text = embed_text(&next);
    assert!(
        text.contains("Page 2") && text.contains("last 1 hour"),
        "{text}"
    );

    assert!(bot.stop(WAIT).await.success());
    world.fake.assert_no_violations();
    world.fake.assert_no_unknown_routes();
}
