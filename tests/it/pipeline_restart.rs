//! Restarting the feed pipeline mid-way (queued messages undelivered, more events stored
//! while it was down) loses nothing and posts nothing twice.

use std::sync::Arc;

use erlc_bot::events::catalog::EventPayload;
use erlc_bot::feeds::RecordingSink;

use crate::support::open_store;
use crate::support::pipeline::*;
use crate::support::wait::wait_for;

const JOINS: u64 = 100;

fn joins_from(first_id: u64, count: u64) -> Vec<EventPayload> {
    (first_id..first_id + count)
        .map(|id| EventPayload::PlayerJoin {
            player: player(&format!("P{id}"), id, "Civilian"),
        })
        .collect()
}

#[tokio::test]
async fn a_restart_mid_way_loses_nothing_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Counts every create, even with a repeated nonce: a repeat would show.
    let sink = Arc::new(RecordingSink::new());
    {
        let store = open_store(dir.path());
        subscribe(&store, 1, JOINS, &["?/player/join"], &[]);
        store_events(&store, 1, "main", joins_from(1, 15));
        let running = Running::start(&store, sink.clone(), fast_config());
        wait_for("the first two messages", || sink.creates().len() == 2).await;

        // The sink goes down: the next batch is queued but cannot be delivered.
        sink.fail_next(usize::MAX, true);
        store_events(&store, 1, "main", joins_from(16, 25));
        running.poke();
        wait_for("a failed attempt on the queued batch", || {
            sink.failed_calls() >= 1 && store.outbox().depth().unwrap() == 3
        })
        .await;
        running.abort().await;
        // Stored while nothing was routing.
        store_events(&store, 1, "main", joins_from(41, 20));
    }
    sink.fail_next(0, true);
    let store = open_store(dir.path());
    let running = Running::start(&store, sink.clone(), fast_config());
    wait_for("every join", || {
        sink.creates()
            .iter()
            .map(|c| c.message.embeds.len())
            .sum::<usize>()
            == 60
    })
    .await;
    running.stop().await;

    assert!(sink.duplicated_nonces().is_empty());
    let sizes: Vec<usize> = sink
        .creates()
        .iter()
        .map(|c| c.message.embeds.len())
        .collect();
    assert_eq!(sizes, [10, 5, 10, 10, 5, 10, 10]);
    let descriptions: Vec<String> = sink
        .creates()
        .into_iter()
        .flat_map(|c| c.message.embeds)
        .filter_map(|e| e.description)
        .collect();
    for id in 1..=60 {
        let url = format!("users/{id}/profile");
        assert_eq!(
            descriptions.iter().filter(|d| d.contains(&url)).count(),
            1,
            "player {id}"
        );
    }
    assert_eq!(store.outbox().depth().unwrap(), 0);
    assert_eq!(store.outbox().route_cursor(1, "main").unwrap(), 60);
}
