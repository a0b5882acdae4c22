//! Accepted webhook batches survive a stop before they are processed: each is kept in the
//! store's inbox from before PRC's 200 until its commands ran, and a new start replays what
//! is left, skipping the commands that already ran and storing no event twice.

use erlc_bot::http;
use erlc_bot::sim::PlayerSpec;

use crate::support::wait::wait_for_async;
use crate::support::webhook::{Bot, GUILD, LABEL, enable_custom_commands};

async fn bot_with_modcalls() -> Bot {
    let bot = Bot::start().await;
    enable_custom_commands(&bot, &[]);
    bot
}

/// A batch of `;staff` calls from these players, kept as a stopped run would have left it
/// with `done` of its commands run.
fn unfinished(bot: &Bot, callers: &[u64], done: u32) -> u64 {
    add_players(bot, callers);
    let id = bot
        .store
        .inbox()
        .put(GUILD, LABEL, &staff_batch(callers))
        .unwrap();
    bot.store.inbox().set_commands_done(id, done).unwrap();
    id
}

/// A PRC batch of `;staff` calls, one per player id.
fn staff_batch(callers: &[u64]) -> String {
    let events: Vec<serde_json::Value> = callers
        .iter()
        .enumerate()
        .map(|(i, id)| {
            serde_json::json!({
                "event": "CustomCommand",
                "origin": id.to_string(),
                "timestamp": 1_767_225_600 + i as i64,
                "data": {"command": "staff", "argument": format!("help {i}")}
            })
        })
        .collect();
    serde_json::json!({"server": "sim", "events": events}).to_string()
}

fn add_players(bot: &Bot, ids: &[u64]) {
    for (i, id) in ids.iter().enumerate() {
        bot.server
            .add_player(PlayerSpec::named(&format!("Caller_{i}")).with_id(*id))
            .unwrap();
    }
}

#[tokio::test]
async fn a_processed_batch_leaves_the_inbox() {
    let bot = bot_with_modcalls().await;
    bot.register_webhook().await;
    let caller = bot
        .server
        .add_player(PlayerSpec::named("Caller_One").with_id(5_000_000_001))
        .unwrap();
    bot.server.player_chat(caller, ";staff need help").unwrap();
    wait_for_async("the card", || async { bot.sink.creates().len() == 1 }).await;
    wait_for_async("an empty inbox", || async {
        bot.store.inbox().pending().unwrap().is_empty()
    })
    .await;
    bot.shutdown().await;
}

#[tokio::test]
async fn a_start_replays_unfinished_batches_once_skipping_commands_already_run() {
    let bot = bot_with_modcalls().await;
    // As a run that stopped after the first command of this batch ran.
    unfinished(&bot, &[5_000_000_011, 5_000_000_012, 5_000_000_013], 1);

    assert_eq!(http::replay_inbox(&bot.state).await, 1);
    let creates = bot.sink.creates();
    assert_eq!(creates.len(), 2, "the two commands that had not run");
    let described: Vec<String> = creates.iter().map(|c| format!("{:?}", c.message)).collect();
    assert!(
        described.iter().all(|d| !d.contains("help 0")),
        "{described:?}"
    );
    assert!(
        described.iter().any(|d| d.contains("help 1")),
        "{described:?}"
    );
    assert!(
        described.iter().any(|d| d.contains("help 2")),
        "{described:?}"
    );
    assert_eq!(bot.events_of("customcommand"), 3);
    assert!(bot.store.inbox().pending().unwrap().is_empty());

    assert_eq!(http::replay_inbox(&bot.state).await, 0, "nothing left");
    assert_eq!(bot.sink.creates().len(), 2);
    bot.shutdown().await;
}

#[tokio::test]
async fn a_replay_after_the_events_were_stored_stores_none_twice() {
    let bot = bot_with_modcalls().await;
    let callers = [5_000_000_021, 5_000_000_022];
    let id = unfinished(&bot, &callers, 2);
    assert_eq!(http::replay_inbox(&bot.state).await, 1);
    assert_eq!(bot.events_of("customcommand"), 2);
    // The same delivery kept again, as when a run stored its events and ran its commands
    // but stopped before dropping it: the replay stores none of its events twice.
    let again = bot
        .store
        .inbox()
        .put(GUILD, LABEL, &staff_batch(&callers))
        .unwrap();
    assert_ne!(again, id);
    bot.store.inbox().set_commands_done(again, 2).unwrap();
    assert_eq!(http::replay_inbox(&bot.state).await, 1);
    assert_eq!(bot.events_of("customcommand"), 2);
    assert!(bot.sink.creates().is_empty(), "every command had run");
    bot.shutdown().await;
}
