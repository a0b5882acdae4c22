use super::*;
use crate::events::catalog::EventPayload;
use crate::events::fixtures::{call, event, player};
use crate::ui::message::{Embed, char_len};

/// A card of `text_len + 1` counted characters (title "t", the rest in description and fields).
fn card(text_len: usize) -> Card {
    let mut embed = Embed::new()
        .title("t")
        .description(&"x".repeat(text_len.min(4_000)));
    let mut rest = text_len.saturating_sub(4_000);
    while rest > 0 {
        let value = rest.min(1_000);
        embed = embed.field("f", &"y".repeat(value - 1), false);
        rest -= value;
    }
    assert_eq!(embed.char_count(), text_len + 1);
    Card {
        embed,
        buttons: Vec::new(),
        live: None,
    }
}

fn reference(id: u64) -> EventRef {
    EventRef {
        guild: 1,
        server: "main".into(),
        id,
    }
}

#[test]
fn eleven_cards_make_two_messages() {
    let mut batcher = Batcher::new(BatchConfig::default());
    for id in 0..11 {
        batcher.push(5, card(10), reference(id), 0, 1_000);
    }
    let first = batcher.due(1_000);
    assert_eq!(first.len(), 1, "the full batch of ten closes at once");
    assert_eq!(first[0].message.embeds.len(), 10);
    assert!(first[0].message.within_limits());
    assert!(
        batcher.due(2_999).is_empty(),
        "the eleventh waits for company"
    );
    let second = batcher.due(3_000);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].events, vec![reference(10)]);
    assert_eq!(batcher.pending_cards(), 0);
}

#[test]
fn character_limit_splits_messages() {
    let mut batcher = Batcher::new(BatchConfig::default());
    batcher.push(5, card(5_000), reference(1), 0, 0);
    batcher.push(5, card(1_200), reference(2), 0, 0);
    let messages = batcher.flush_all();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].events, vec![reference(1)]);
    assert_eq!(messages[1].events, vec![reference(2)]);
    assert!(messages.iter().all(|m| m.message.char_count() <= 6_000));
    let mut batcher = Batcher::new(BatchConfig::default());
    batcher.push(5, card(5_000), reference(1), 0, 0);
    batcher.push(5, card(900), reference(2), 0, 0);
    assert_eq!(
        batcher.flush_all().len(),
        1,
        "5,001 + 901 characters fit together"
    );
}

#[test]
fn delay_is_honoured_per_channel() {
    let mut batcher = Batcher::new(BatchConfig { max_delay_ms: 500 });
    assert_eq!(batcher.next_due_ms(), None);
    batcher.push(1, card(5), reference(1), 0, 100);
    batcher.push(2, card(5), reference(2), 0, 300);
    batcher.push(1, card(5), reference(3), 0, 550);
    assert_eq!(batcher.next_due_ms(), Some(600));
    assert!(batcher.due(599).is_empty());
    let due = batcher.due(600);
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].channel_id, due[0].events.len()), (1, 2));
    assert_eq!(batcher.next_due_ms(), Some(800));
    let due = batcher.due(10_000);
    assert_eq!(
        due.iter().map(|m| m.channel_id).collect::<Vec<_>>(),
        vec![2]
    );
    assert!(batcher.due(20_000).is_empty());
}

#[test]
fn mod_call_new_then_answered_is_one_create_and_one_edit() {
    let mut batcher = Batcher::new(BatchConfig::default());
    let joined = event(
        1,
        EventPayload::PlayerJoin {
            player: player("A", 1, "Police"),
        },
    );
    let new = event(
        2,
        EventPayload::ModCallNew {
            call_key: "1-17".into(),
            caller: player("A", 1, "Police"),
        },
    );
    let answered = event(
        3,
        EventPayload::ModCallAnswered {
            call_key: "1-17".into(),
            caller: player("A", 1, "Police"),
            moderator: player("M", 2, "Police"),
        },
    );
    batcher.push_event(&[9], &joined, 0);
    batcher.push_event(&[9], &new, 100);
    let mut planned = batcher.due(2_000);
    assert_eq!(
        planned.len(),
        2,
        "the batch, then the call that waited behind it"
    );
    batcher.push_event(&[9], &answered, 5_000);
    planned.extend(batcher.due(5_000));
    assert_eq!(planned.len(), 3);
    assert_eq!(
        planned[0].events,
        vec![EventRef::of(&joined)],
        "earlier cards go first"
    );
    let create = &planned[1];
    assert_eq!(create.idempotency_key, "card:1:main:modcall:1-17:9");
    assert_eq!(create.edit, None);
    assert_eq!(create.message.buttons.len(), 2);
    assert_eq!(create.message.embeds.len(), 1);
    let edit = &planned[2];
    assert_eq!(
        edit.edit,
        Some(EditTarget {
            card_key: create.idempotency_key.clone()
        })
    );
    assert_ne!(edit.idempotency_key, create.idempotency_key);
    assert!(edit.message.buttons.is_empty());
    assert_eq!(edit.events, vec![EventRef::of(&answered)]);
    for message in &planned {
        let stored = serde_json::to_string(message).unwrap();
        let back: PlannedMessage = serde_json::from_str(&stored).unwrap();
        assert_eq!(&back, message, "planned messages survive the outbox");
    }
}

#[test]
fn emergency_updates_edit_the_card_of_their_channel() {
    let mut batcher = Batcher::new(BatchConfig::default());
    let started = event(
        1,
        EventPayload::EmergencyStarted {
            call: call(4, Vec::new()),
        },
    );
    let responded = event(
        2,
        EventPayload::EmergencyResponded {
            call: call(4, vec![player("R", 3, "Police")]),
        },
    );
    let ended = event(
        3,
        EventPayload::EmergencyEnded {
            call: call(4, vec![player("R", 3, "Police")]),
        },
    );
    for (e, at) in [(&started, 0), (&responded, 10), (&ended, 20)] {
        batcher.push_event(&[7, 8], e, at);
    }
    let planned = batcher.flush_all();
    assert_eq!(planned.len(), 6);
    for channel in [7, 8] {
        let mine: Vec<&PlannedMessage> =
            planned.iter().filter(|p| p.channel_id == channel).collect();
        let card_key = format!(
            "card:1:main:emergency:4-{}:{channel}",
            crate::events::fixtures::TIME - 60
        );
        assert_eq!(mine[0].idempotency_key, card_key);
        assert_eq!(mine[0].edit, None);
        for update in &mine[1..] {
            assert_eq!(
                update.edit.as_ref().map(|e| e.card_key.as_str()),
                Some(card_key.as_str())
            );
        }
    }
}

#[test]
fn keys_are_deterministic_and_distinct() {
    let plan = |ids: &[u64], channel: u64| {
        let mut batcher = Batcher::new(BatchConfig::default());
        for &id in ids {
            batcher.push(channel, card(5), reference(id), 0, 0);
        }
        batcher.flush_all().remove(0).idempotency_key
    };
    assert_eq!(plan(&[1, 2, 3], 5), plan(&[1, 2, 3], 5));
    assert_ne!(plan(&[1, 2, 3], 5), plan(&[1, 2], 5));
    assert_ne!(plan(&[1, 2, 3], 5), plan(&[1, 2, 3], 6));
    assert!(plan(&[1, 2], 5).starts_with("feed:5:1:main:1:"));
    let nonce = nonce_for(&plan(&[1], 5));
    assert!(nonce.len() <= MAX_NONCE);
    assert_eq!(nonce, nonce_for(&plan(&[1], 5)));
    assert_ne!(nonce, nonce_for(&plan(&[2], 5)));
    assert!(
        nonce
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
}

#[test]
fn push_event_renders_once_for_every_channel_and_ignores_none() {
    let mut batcher = Batcher::new(BatchConfig::default());
    let joined = event(
        1,
        EventPayload::PlayerJoin {
            player: player("A", 1, "Police"),
        },
    );
    batcher.push_event(&[], &joined, 0);
    assert_eq!(batcher.pending_cards(), 0);
    batcher.push_event(&[3, 4], &joined, 0);
    let planned = batcher.flush_all();
    assert_eq!(planned.len(), 2);
    assert_eq!(planned[0].message, planned[1].message);
    assert_ne!(planned[0].idempotency_key, planned[1].idempotency_key);
}

/// A card whose digest line is exactly `line_len` characters: `**t** · ` and the description.
fn line_card(line_len: usize) -> Card {
    let card = card(line_len - 8);
    assert_eq!(char_len(&digest_line(&card.embed)), line_len);
    card
}

fn digest_batcher() -> Batcher {
    Batcher::new(BatchConfig::default()).packed(Packing::Digest)
}

#[test]
fn a_digest_fills_a_message_to_the_character_limit() {
    // 100-character lines: 40 fill one description (4,039 characters), 19 more fit in the
    // 1,961 left of the message's 6,000.
    for (cards, messages) in [(10, 1), (11, 1), (59, 1), (60, 2), (118, 2), (119, 3)] {
        let mut batcher = digest_batcher();
        for id in 0..cards {
            batcher.push(5, line_card(100), reference(id), 0, 0);
        }
        let planned = batcher.flush_all();
        assert_eq!(planned.len(), messages, "{cards} cards");
        let events: Vec<EventRef> = planned.iter().flat_map(|p| p.events.clone()).collect();
        assert_eq!(events, (0..cards).map(reference).collect::<Vec<_>>());
        assert!(planned.iter().all(|p| p.message.within_limits()));
    }
    let mut batcher = digest_batcher();
    for id in 0..59 {
        batcher.push(5, line_card(100), reference(id), 0, 0);
    }
    let full = batcher.flush_all().remove(0).message;
    let lengths: Vec<usize> = full.embeds.iter().map(Embed::char_count).collect();
    assert_eq!(lengths, [4_039, 1_918]);
}

#[test]
fn a_quiet_channel_keeps_one_embed_per_card_in_a_digest() {
    let mut batcher = digest_batcher();
    for id in 0..10 {
        batcher.push(5, card(50), reference(id), 0, 0);
    }
    let planned = batcher.flush_all();
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].message.embeds.len(), 10);
    assert_eq!(planned[0].message.embeds[3], card(50).embed);
}

#[test]
fn a_digest_of_real_cards_is_one_line_each_and_live_cards_stay_alone() {
    let mut batcher = digest_batcher();
    let kill = |i: u64| {
        event(
            i,
            EventPayload::Kill {
                killer: player("Killer_one", 10 + i, "Criminal"),
                killed: player("Victim*two", 20 + i, "Civilian"),
            },
        )
    };
    for id in 1..=20 {
        batcher.push_event(&[5], &kill(id), 0);
    }
    let call = event(
        21,
        EventPayload::EmergencyStarted {
            call: call(4, vec![]),
        },
    );
    batcher.push_event(&[5], &call, 0);
    batcher.push_event(&[5], &kill(22), 0);
    let planned = batcher.flush_all();
    let sizes: Vec<usize> = planned.iter().map(|p| p.events.len()).collect();
    assert_eq!(
        sizes,
        [21, 1],
        "the digest (the kill after the call joins it), then the live card alone"
    );
    let digest = &planned[0].message;
    let text: Vec<&str> = digest
        .embeds
        .iter()
        .filter_map(|e| e.description.as_deref())
        .flat_map(|d| d.lines())
        .collect();
    assert_eq!(text.len(), 21);
    assert!(text.iter().all(|line| line.starts_with("**")), "{text:?}");
    assert!(
        text[0].contains("Victim\\*two"),
        "game text stays escaped: {}",
        text[0]
    );
    assert_eq!(planned[1].events, vec![EventRef::of(&call)]);
    assert_eq!(planned[1].message.embeds.len(), 1);
}

use proptest::strategy::Strategy as _;

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(48))]
    #[test]
    fn packing_keeps_order_and_limits_and_no_two_messages_could_be_one(
        sizes in proptest::collection::vec(
            proptest::prop_oneof![1usize..4_000, (5usize..7).prop_map(|k| k * 1_000)],
            1..60,
        ),
        digest in proptest::bool::ANY,
    ) {
        let packing = if digest { Packing::Digest } else { Packing::Cards };
        let mut batcher = Batcher::new(BatchConfig::default()).packed(packing);
        let cards: Vec<Card> = sizes.iter().map(|&n| card(n)).collect();
        for (id, card) in cards.iter().enumerate() {
            batcher.push(5, card.clone(), reference(id as u64), 0, 0);
        }
        let planned = batcher.flush_all();
        let events: Vec<u64> = planned.iter().flat_map(|p| p.events.iter().map(|e| e.id)).collect();
        proptest::prop_assert_eq!(events, (0..sizes.len() as u64).collect::<Vec<_>>());
        let mut first = 0;
        for (i, message) in planned.iter().enumerate() {
            proptest::prop_assert!(message.message.within_limits());
            let count = message.events.len();
            if let Some(next) = planned.get(i + 1) {
                // The next message's first card would have broken a limit here.
                let mut with_next: Vec<Embed> =
                    cards[first..first + count].iter().map(|c| clamped(&c.embed)).collect();
                with_next.push(clamped(&cards[first + count].embed));
                let chars: usize = with_next.iter().map(Embed::char_count).sum();
                let as_cards = with_next.len() <= MAX_EMBEDS && chars <= MAX_EMBED_TOTAL;
                let lines: Vec<String> = with_next.iter().map(digest_line).collect();
                proptest::prop_assert!(!as_cards);
                proptest::prop_assert!(!(digest && digest_fits(&lines)));
                proptest::prop_assert_eq!(next.events[0].id, (first + count) as u64);
            }
            first += count;
        }
    }
}

fn clamped(embed: &Embed) -> Embed {
    let mut embed = embed.clone();
    embed.clamp();
    embed
}

fn at(server: &str, id: u64) -> EventRef {
    EventRef {
        guild: 1,
        server: server.into(),
        id,
    }
}

fn channels_of(planned: &[PlannedMessage]) -> Vec<u64> {
    planned.iter().map(|p| p.channel_id).collect()
}

#[test]
fn due_whole_takes_along_every_batch_with_older_events_of_the_same_servers() {
    let mut batcher = Batcher::new(BatchConfig {
        max_delay_ms: 1_000,
    });
    batcher.push(1, card(5), at("main", 1), 0, 0);
    batcher.push(2, card(5), at("main", 2), 0, 100);
    batcher.push(2, card(5), at("side", 2), 0, 100);
    batcher.push(1, card(5), at("main", 3), 0, 100);
    batcher.push(3, card(5), at("side", 1), 0, 200);
    batcher.push(4, card(5), at("main", 4), 0, 300);
    batcher.push(5, card(5), at("side", 3), 0, 300);
    batcher.push(6, card(5), at("other", 1), 0, 0);
    assert!(batcher.due_whole(999).is_empty(), "nothing is due yet");
    let released = batcher.due_whole(1_000);
    let mut channels = channels_of(&released);
    channels.sort_unstable();
    assert_eq!(
        channels,
        [1, 2, 3, 6],
        "1 and 6 are due; 2 holds main 2 < 3; then 3 holds side 1 < 2"
    );
    let lowest = batcher.lowest_held();
    assert_eq!(lowest.len(), 2);
    assert_eq!(lowest[&(1, "main".to_owned())], 4);
    assert_eq!(lowest[&(1, "side".to_owned())], 3);
    assert_eq!(
        batcher.pending_cards(),
        2,
        "batches with only newer events stay open"
    );
    assert_eq!(batcher.next_due_ms(), Some(1_300));
}

#[test]
fn what_due_whole_leaves_is_newer_than_all_it_takes_per_server() {
    // Whatever the interleaving, after a partial release every held event of a server is
    // newer than every released one: a cursor below the oldest held event covers exactly
    // what was released.
    for seed in 0..200u64 {
        let mut batcher = Batcher::new(BatchConfig {
            max_delay_ms: 1_000,
        });
        let mut next_id = [0u64; 2];
        let mut state = seed;
        for step in 0..40i64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let server = (state >> 33) as usize % 2;
            let channel = (state >> 40) % 4;
            next_id[server] += 1;
            let name = ["main", "side"][server];
            batcher.push(channel, card(5), at(name, next_id[server]), 0, step * 60);
        }
        let released = batcher.due_whole(1_500);
        let lowest = batcher.lowest_held();
        for event in released.iter().flat_map(|p| &p.events) {
            if let Some(held) = lowest.get(&(event.guild, event.server.clone())) {
                assert!(
                    event.id < *held,
                    "seed {seed}: {event:?} released after {held}"
                );
            }
        }
    }
}

#[test]
fn digest_batches_of_a_quiet_channel_are_not_cut_short_by_others() {
    let mut batcher = Batcher::new(BatchConfig {
        max_delay_ms: 1_000,
    })
    .packed(Packing::Digest);
    batcher.push(1, card(50), at("main", 1), 0, 0);
    for id in 1..=30 {
        batcher.push(2, card(50), at("side", id), 0, id as i64 * 30);
    }
    let released = batcher.due_whole(1_000);
    assert_eq!(
        channels_of(&released),
        [1],
        "channel 2's batch keeps gathering"
    );
    let released = batcher.due_whole(1_030);
    assert_eq!(channels_of(&released), [2]);
    assert_eq!(
        released[0].events.len(),
        30,
        "one digest message carries every card that waited"
    );
}

/// A live card of `subject`: its post, or (`update`) an edit of it.
fn live(subject: &str, update: bool, title: &str) -> Card {
    Card {
        embed: Embed::new().title(title),
        buttons: Vec::new(),
        live: Some(crate::feeds::render::LiveCard {
            subject: subject.into(),
            update,
        }),
    }
}

#[test]
fn a_live_card_waits_behind_the_open_batch_which_keeps_filling() {
    let mut batcher = Batcher::new(BatchConfig {
        max_delay_ms: 1_000,
    });
    batcher.push(5, card(5), reference(1), 10, 0);
    batcher.push(5, live("modcall:a", false, "new"), reference(2), 20, 100);
    batcher.push(5, card(5), reference(3), 30, 200);
    batcher.push(6, live("modcall:b", false, "alone"), at("side", 1), 40, 300);
    assert_eq!(batcher.pending_cards(), 4);
    assert_eq!(batcher.lowest_held()[&(1, "main".to_owned())], 1);
    let alone = batcher.due(300);
    assert_eq!(
        alone.iter().map(|p| p.channel_id).collect::<Vec<_>>(),
        [6],
        "a channel with no open batch posts its live card at once"
    );
    assert!(batcher.due(999).is_empty(), "the call waits with its batch");
    assert_eq!(batcher.next_due_ms(), Some(1_000));
    let planned = batcher.due(1_000);
    assert_eq!(planned.len(), 2);
    assert_eq!(
        planned[0].events,
        [reference(1), reference(3)],
        "cards before and after the call share one message"
    );
    assert_eq!(planned[0].first_stored_at_ms, Some(10));
    assert_eq!(planned[1].idempotency_key, "card:1:main:modcall:a:5");
    assert_eq!(planned[1].first_stored_at_ms, Some(20));
    assert_eq!(batcher.pending_cards(), 0);
}

#[test]
fn updates_of_a_waiting_live_card_fold_into_one_message() {
    let mut batcher = Batcher::new(BatchConfig::default());
    batcher.push(5, card(5), reference(1), 0, 0);
    batcher.push(5, live("modcall:a", false, "new"), reference(2), 0, 0);
    batcher.push(5, live("modcall:a", true, "claimed"), reference(3), 0, 0);
    batcher.push(5, live("modcall:b", true, "b answered"), reference(4), 0, 0);
    batcher.push(5, live("modcall:b", true, "b resolved"), reference(5), 0, 0);
    batcher.push(5, live("modcall:a", true, "resolved"), reference(6), 0, 0);
    let planned = batcher.flush_all();
    assert_eq!(planned.len(), 3, "the batch, call a, one edit of call b");
    let create = &planned[1];
    assert_eq!(create.idempotency_key, "card:1:main:modcall:a:5");
    assert_eq!(create.edit, None, "a's post carries its updates");
    assert_eq!(create.events, [reference(2), reference(3), reference(6)]);
    assert_eq!(
        create.message.embeds[0].title.as_deref(),
        Some("resolved"),
        "the newest state is what gets posted"
    );
    let edit = &planned[2];
    assert_eq!(
        edit.edit.as_ref().map(|e| e.card_key.as_str()),
        Some("card:1:main:modcall:b:5")
    );
    assert_eq!(edit.events, [reference(4), reference(5)]);
    assert_eq!(edit.message.embeds[0].title.as_deref(), Some("b resolved"));
}

#[test]
fn due_whole_takes_a_batch_whose_waiting_live_card_is_older() {
    let mut batcher = Batcher::new(BatchConfig {
        max_delay_ms: 1_000,
    });
    batcher.push(1, card(5), at("main", 3), 0, 0);
    batcher.push(2, card(5), at("side", 1), 0, 500);
    batcher.push(2, live("modcall:a", false, "new"), at("main", 2), 0, 500);
    let released = batcher.due_whole(1_000);
    assert_eq!(
        channels_of(&released),
        [1, 2, 2],
        "main 2 waits behind channel 2's batch and is older than main 3"
    );
    assert_eq!(batcher.pending_cards(), 0);
}

#[test]
fn with_live_cards_what_due_whole_leaves_is_newer_than_all_it_takes_per_server() {
    for seed in 0..200u64 {
        let mut batcher = Batcher::new(BatchConfig {
            max_delay_ms: 1_000,
        });
        let mut next_id = [0u64; 2];
        let mut state = seed;
        for step in 0..40i64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let server = (state >> 33) as usize % 2;
            let channel = (state >> 40) % 4;
            next_id[server] += 1;
            let name = ["main", "side"][server];
            let shown = match (state >> 50) % 4 {
                0 => live(&format!("call:{}", (state >> 52) % 3), false, "new"),
                1 => live(&format!("call:{}", (state >> 52) % 3), true, "update"),
                _ => card(5),
            };
            batcher.push(channel, shown, at(name, next_id[server]), 0, step * 60);
        }
        let held = batcher.pending_cards();
        let released = batcher.due_whole(1_500);
        let lowest = batcher.lowest_held();
        let released_events: usize = released.iter().map(|p| p.events.len()).sum();
        assert_eq!(
            released_events + batcher.pending_cards(),
            held,
            "seed {seed}"
        );
        for event in released.iter().flat_map(|p| &p.events) {
            if let Some(held) = lowest.get(&(event.guild, event.server.clone())) {
                assert!(
                    event.id < *held,
                    "seed {seed}: {event:?} released after {held}"
                );
            }
        }
    }
}
