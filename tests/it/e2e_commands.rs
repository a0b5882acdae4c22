//! End to end: moderation through the real binary. A kick from the player panel's form
//! reaches the simulator; a member without the capability is refused privately and the
//! refusal is audited; the read commands answer with embeds.

use std::time::Duration;

use erlc_bot::sim::PlayerSpec;

use crate::support::e2e::{World, answer, embed_text};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::ids;
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
