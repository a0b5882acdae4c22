//! End to end: a player joining the simulated server becomes a card in the feed channel
//! (tracker → event store → pipeline → Discord sink), and a restarted bot (SIGTERM, same
//! data directory) carries on without posting anything twice.

use erlc_bot::sim::PlayerSpec;

use crate::support::e2e::{World, embed_text};
use crate::support::fake_discord::state::ids;
use crate::support::wait::WAIT;

fn cards_naming(world: &World, name: &str) -> usize {
    world
        .fake
        .messages(ids::LOG_CHANNEL)
        .iter()
        .filter(|m| embed_text(m).contains(name))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_is_posted_once_and_a_restart_posts_nothing_twice() {
    let world = World::start(2).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/player/join"]);
    let server = world.sim.server(0).expect("simulated server");

    let mut bot = world.start_bot().await;
    bot.wait_for_log("tracking stored servers", WAIT).await;
    // The first poll is the baseline: players already there are not "joins".
    world.wait_for_polls(1).await;
    server
        .add_player(PlayerSpec::named("Builderman").with_id(1001))
        .expect("add a player");
    let card = world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("Builderman"),
            WAIT,
        )
        .await;
    assert!(card.nonce.is_some(), "feed posts carry a nonce");
    assert_eq!(
        card.allowed_mentions.as_ref().map(|a| a["parse"].clone()),
        Some(serde_json::json!([])),
        "feed posts never ping"
    );

    assert!(bot.stop(WAIT).await.success(), "SIGTERM is a clean exit");
    bot.wait_for_log("database flushed for shutdown", WAIT)
        .await;
    world.fake.wait_for_disconnected(WAIT).await;

    let mut bot = world.start_bot().await;
    let before = world.sim.requests().len();
    server
        .add_player(PlayerSpec::named("Noob").with_id(1002))
        .expect("add a second player");
    world
        .fake
        .wait_for_message(ids::LOG_CHANNEL, |m| embed_text(m).contains("Noob"), WAIT)
        .await;
    assert!(
        world.sim.requests().len() > before,
        "the restarted bot polls again"
    );
    assert_eq!(
        cards_naming(&world, "Builderman"),
        1,
        "no duplicate after the restart"
    );
    assert_eq!(cards_naming(&world, "Noob"), 1);

    assert!(bot.stop(WAIT).await.success());
    world.fake.assert_no_violations();
    world.fake.assert_no_unknown_routes();
}
