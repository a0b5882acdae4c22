//! End to end: mod-call cards in a `modcalls` feed. A call answered in game edits the card it
//! was posted as (never a second post); Claim on a card tells the caller in game, shows who
//! took it and is audited; Resolve closes the card.

use erlc_bot::sim::{MessageKind, PlayerSpec};

use crate::support::e2e::{World, answer, embed_text};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::{StoredMessage, ids};
use crate::support::wait::{WAIT, wait_for};

const CALLER: u64 = 2001;
const SECOND_CALLER: u64 = 2002;
const IN_GAME_MOD: u64 = 3001;

/// The `erlc:<action>:main:<call>` id of a card's button whose action is `action`.
fn button(card: &StoredMessage, action: &str) -> Option<String> {
    let prefix = format!("erlc:{action}:main:");
    card.custom_ids()
        .into_iter()
        .find(|id| id.starts_with(&prefix))
}

/// Waits for the mod-call card naming `caller` in the log channel.
async fn card_for(world: &World, caller: &str) -> StoredMessage {
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains(caller) && button(m, "mc_claim").is_some(),
            WAIT,
        )
        .await
}

fn cards_naming(world: &World, name: &str) -> usize {
    world
        .fake
        .messages(ids::LOG_CHANNEL)
        .iter()
        .filter(|m| embed_text(m).contains(name))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mod_call_cards_are_edited_in_place_claimed_and_resolved() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/modcall/*"]);
    let server = world.sim.server(0).expect("simulated server");
    for (id, name) in [
        (CALLER, "CallerOne"),
        (SECOND_CALLER, "CallerTwo"),
        (IN_GAME_MOD, "GameMod"),
    ] {
        server
            .add_player(PlayerSpec::named(name).with_id(id))
            .expect("add a player");
    }
    let mut bot = world.start_bot().await;
    world.grant_moderators().await;
    world.wait_for_polls(1).await;

    // A call answered in game: the same card is edited, nothing new is posted.
    let first = server.add_mod_call(CALLER).expect("a mod call");
    let card = card_for(&world, "CallerOne").await;
    assert!(
        button(&card, "mc_resolve").is_some(),
        "{:?}",
        card.custom_ids()
    );
    server
        .answer_mod_call(first, IN_GAME_MOD)
        .expect("answer the call");
    let answered = world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| m.id == card.id && embed_text(m).contains("GameMod"),
            WAIT,
        )
        .await;
    assert!(answered.edit_count >= 1, "the card was edited");
    let edits = world.fake.calls_matching("PATCH", "/channels/*/messages/*");
    assert!(
        edits
            .iter()
            .any(|c| c.path.ends_with(&format!("/{}", card.id))),
        "the answer is a PATCH of the card"
    );
    assert_eq!(cards_naming(&world, "CallerOne"), 1, "no second post");

    // Claim from a card: acknowledged, the card shows who took it, the caller is told in
    // game, the audit log has it.
    server.add_mod_call(SECOND_CALLER).expect("a second call");
    let card = card_for(&world, "CallerTwo").await;
    let claim = button(&card, "mc_claim").expect("Claim");
    let click = world.click(ids::MODERATOR, card.id, &claim);
    assert_eq!(
        click.await_response(WAIT).await.kind,
        6,
        "Claim acknowledges and then edits the card"
    );
    let claimed = world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| m.id == card.id && embed_text(m).contains("Claimed by **modperson**"),
            WAIT,
        )
        .await;
    assert!(button(&claimed, "mc_claim").is_none(), "claimed only once");
    let resolve = button(&claimed, "mc_resolve").expect("Resolve stays");
    wait_for("the caller's in-game PM", || {
        server.messages().iter().any(|m| {
            m.kind == MessageKind::PrivateMessage
                && m.targets == [SECOND_CALLER]
                && m.text.contains("modperson")
        })
    })
    .await;
    let search = Opt::sub("search", vec![Opt::string("action", "modcall.claim")]);
    let log = embed_text(&world.slash_ok(ids::OWNER, "audit", vec![search]).await);
    assert!(log.contains("modperson"), "{log}");

    // Resolve closes the card: no buttons left.
    let click = world.click(ids::MODERATOR, card.id, &resolve);
    assert_eq!(click.await_response(WAIT).await.kind, 6);
    let resolved = world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| m.id == card.id && embed_text(m).contains("Resolved by **modperson**"),
            WAIT,
        )
        .await;
    assert!(
        resolved.custom_ids().is_empty(),
        "{:?}",
        resolved.custom_ids()
    );
    let search = Opt::sub("search", vec![Opt::string("action", "modcall.resolve")]);
    let log = embed_text(&world.slash_ok(ids::OWNER, "audit", vec![search]).await);
    assert!(log.contains("modperson"), "{log}");
    assert_eq!(
        cards_naming(&world, "CallerTwo"),
        1,
        "every step edited one card"
    );

    // A member without `moderate` cannot claim: told privately, the card is unchanged.
    server.add_mod_call(CALLER).expect("a third call");
    let third = world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| {
                m.id != card.id
                    && embed_text(m).contains("CallerOne")
                    && button(m, "mc_claim").is_some()
            },
            WAIT,
        )
        .await;
    let claim = button(&third, "mc_claim").expect("Claim");
    let refused = answer(&world.click(ids::MEMBER, third.id, &claim)).await;
    assert!(refused.is_ephemeral(), "a refusal is private");
    assert!(
        embed_text(&refused).contains("moderate"),
        "{}",
        embed_text(&refused)
    );
    let unchanged = world.fake.message(third.id).expect("the card");
    assert_eq!(
        unchanged.edit_count, 0,
        "a refused claim does not touch the card"
    );

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}
