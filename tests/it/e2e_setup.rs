//! End to end: `/server setup` through the key form against the simulator; the key never
//! shows up in Discord or in the logs, and the new server is tracked at once.

use crate::support::e2e::{World, embed_text};
use crate::support::wait::WAIT;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_through_the_form_connects_and_tracks_the_server() {
    let world = World::start(3).await;
    let mut bot = world.start_bot().await;
    let key = world.sim_key();

    let answer = world.setup_server("main", &key).await;
    assert!(
        answer.is_ephemeral(),
        "the setup answer shows a webhook token"
    );
    let text = embed_text(&answer);
    assert!(text.contains("Connected **main**"), "{text}");

    // The key went into the form only: nothing the bot sent or registered contains it.
    for call in world.fake.calls() {
        let body = call.body.to_string();
        assert!(
            !body.contains(&key),
            "{} {} carries the key",
            call.method,
            call.path
        );
    }
    // The tracker polls the new server without a restart.
    world.wait_for_polls(1).await;
    assert!(!bot.stderr().contains(&key), "the key is never logged");

    assert!(bot.stop(WAIT).await.success());
    world.fake.assert_no_violations();
    world.fake.assert_no_unknown_routes();
}
