//! End to end: numbered cases through the real binary. `/warn` files case #1 and reaches the
//! game as a `:pm` naming it; a `/kick` files its own case; `/case view`, `/cases` and
//! `/case void` work and refuse members without the capability; case events reach a feed.

use erlc_bot::sim::{MessageKind, PlayerSpec};

use crate::support::e2e::{World, applied, embed_text, message_sent};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::ids;
use crate::support::wait::{WAIT, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_and_kicks_become_numbered_cases() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/case/*"]);
    let server = world.sim.server(0).expect("simulated server");
    for (id, name) in [(1001, "Builderman"), (1002, "Noob")] {
        server
            .add_player(PlayerSpec::named(name).with_id(id))
            .expect("add a player");
    }
    let mut bot = world.start_bot().await;
    let grant = |capabilities: &str| {
        vec![Opt::sub(
            "set",
            vec![
                Opt::role("role", ids::MODERATOR_ROLE),
                Opt::string("capabilities", capabilities),
            ],
        )]
    };
    world
        .slash_ok(ids::OWNER, "permissions", grant("view, message, moderate"))
        .await;
    let warn = vec![
        Opt::string("player", "Builderman"),
        Opt::string("reason", "spamming the radio"),
    ];
    let refused = world.slash_as(ids::MODERATOR, "warn", warn.clone()).await;
    assert!(refused.is_ephemeral(), "{}", embed_text(&refused));
    assert!(
        embed_text(&refused).contains("cases"),
        "{}",
        embed_text(&refused)
    );
    world
        .slash_ok(
            ids::OWNER,
            "permissions",
            grant("view, message, moderate, cases"),
        )
        .await;

    let warned = world.slash_ok(ids::MODERATOR, "warn", warn).await;
    let text = embed_text(&warned);
    assert!(
        text.contains("#1") && text.contains("Told in game"),
        "{text}"
    );
    assert!(message_sent(
        &server,
        MessageKind::PrivateMessage,
        "case #1): spamming the radio"
    ));

    let kick = vec![
        Opt::string("player", "Noob"),
        Opt::string("reason", "random killing"),
    ];
    let kicked = world.slash_ok(ids::MODERATOR, "kick", kick).await;
    assert!(applied(&server, "kick", 1002));
    assert!(
        embed_text(&kicked).contains("#2"),
        "{}",
        embed_text(&kicked)
    );
    let view = |n: i64| vec![Opt::sub("view", vec![Opt::integer("number", n)])];
    let case = world.slash_ok(ids::MODERATOR, "case", view(2)).await;
    let text = embed_text(&case);
    assert!(
        text.contains("kick") && text.contains("active") && text.contains("random killing"),
        "{text}"
    );
    let missing = world.slash_as(ids::MODERATOR, "case", view(99)).await;
    assert!(missing.is_ephemeral() && embed_text(&missing).contains("no case #99"));

    let void = vec![Opt::sub(
        "void",
        vec![
            Opt::integer("number", 1),
            Opt::string("reason", "wrong player"),
        ],
    )];
    let refused = world.slash_as(ids::MODERATOR, "case", void.clone()).await;
    assert!(refused.is_ephemeral(), "voiding needs case_admin");
    let voided = world.slash_ok(ids::OWNER, "case", void).await;
    assert!(
        embed_text(&voided).contains("voided"),
        "{}",
        embed_text(&voided)
    );

    let list = vec![Opt::string("player", "1001")];
    let listed = world.slash_ok(ids::MODERATOR, "cases", list).await;
    let text = embed_text(&listed);
    assert!(text.contains("#1") && text.contains("voided"), "{text}");

    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("Case #2 filed"),
            WAIT,
        )
        .await;
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("Case #1 voided"),
            WAIT,
        )
        .await;

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temp_ban_is_lifted_when_due_across_a_restart() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/case/*"]);
    let server = world.sim.server(0).expect("simulated server");
    // Someone stays online: PRC refuses commands to an empty server.
    for (id, name) in [(1001, "Builderman"), (1003, "Guest")] {
        server
            .add_player(PlayerSpec::named(name).with_id(id))
            .expect("add a player");
    }
    let mut bot = world.start_bot().await;
    let tempban = |duration: &str| {
        vec![
            Opt::string("player", "Guest"),
            Opt::string("duration", duration),
            Opt::string("reason", "cooling off"),
        ]
    };
    let bad = world.slash_as(ids::OWNER, "tempban", tempban("3x")).await;
    assert!(bad.is_ephemeral(), "{}", embed_text(&bad));
    assert!(embed_text(&bad).contains("`3x`"), "{}", embed_text(&bad));
    assert!(
        !applied(&server, "ban", 1003),
        "nothing sent for a bad duration"
    );

    let banned = world.slash_ok(ids::OWNER, "tempban", tempban("3s")).await;
    assert!(
        embed_text(&banned).contains("#1"),
        "{}",
        embed_text(&banned)
    );
    assert!(applied(&server, "ban", 1003));
    assert!(bot.stop(WAIT).await.success());
    world.fake.wait_for_disconnected(WAIT).await;

    let mut bot = world.start_bot().await;
    wait_for("the temp ban to be lifted", || {
        applied(&server, "unban", 1003)
    })
    .await;
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("Case #1 updated"),
            WAIT,
        )
        .await;
    let view = vec![Opt::sub("view", vec![Opt::integer("number", 1)])];
    let case = world.slash_ok(ids::OWNER, "case", view).await;
    let text = embed_text(&case);
    assert!(
        text.contains("expired") && text.contains("Ended") && text.contains("temp ban"),
        "{text}"
    );

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_request_is_approved_by_another_member_with_ban() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/case/*"]);
    let server = world.sim.server(0).expect("simulated server");
    for (id, name) in [(1001, "Builderman"), (1003, "Guest")] {
        server
            .add_player(PlayerSpec::named(name).with_id(id))
            .expect("add a player");
    }
    let mut bot = world.start_bot().await;
    let set = vec![Opt::sub(
        "set",
        vec![
            Opt::role("role", ids::MODERATOR_ROLE),
            Opt::string("capabilities", "view, message, moderate, cases"),
        ],
    )];
    world.slash_ok(ids::OWNER, "permissions", set).await;
    let ban = vec![
        Opt::string("player", "Guest"),
        Opt::string("reason", "exploiting"),
    ];
    let card = world.slash_ok(ids::MODERATOR, "ban", ban).await;
    assert!(
        embed_text(&card).contains("Ban request"),
        "{}",
        embed_text(&card)
    );
    assert!(
        !applied(&server, "ban", 1003),
        "nothing sent before approval"
    );
    let approve = card
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with("erlc:ban_ok:"))
        .expect("an Approve button");

    // The requester cannot approve it.
    let own = world.click(ids::MODERATOR, card.id, &approve);
    own.await_response(WAIT).await;
    world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.is_ephemeral() && embed_text(m).contains("`ban`"),
            WAIT,
        )
        .await;
    assert!(!applied(&server, "ban", 1003));

    let approved = world.click(ids::OWNER, card.id, &approve);
    assert_eq!(approved.await_response(WAIT).await.kind, 6);
    wait_for("the approved ban", || applied(&server, "ban", 1003)).await;
    let done = world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.id == card.id && embed_text(m).contains("Case"),
            WAIT,
        )
        .await;
    assert!(embed_text(&done).contains("#1"), "{}", embed_text(&done));
    let view = vec![Opt::sub("view", vec![Opt::integer("number", 1)])];
    let case = world.slash_ok(ids::MODERATOR, "case", view).await;
    let text = embed_text(&case);
    assert!(text.contains("ban") && text.contains("active"), "{text}");

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}
