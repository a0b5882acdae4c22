//! End to end: every in-game action command through the real binary reaches the simulator
//! (`/ban`, `/unban`, `/pm`, `/hint`, `/announce`, `/wanted` and its clear, `/jail` and its
//! release, `/command` with its Confirm/Cancel for destructive commands, also across a
//! restart), the player panel's Ban/PM forms and Wanted/Refresh buttons work (and never act
//! on everyone for a player named `All`), and `/players` pages with its buttons.

use erlc_bot::sim::{MessageKind, PlayerSpec};

use crate::support::e2e::{World, answer, applied, embed_text, message_sent};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::{StoredMessage, ids};
use crate::support::wait::{WAIT, wait_for};

fn id_starting(message: &StoredMessage, prefix: &str) -> String {
    message
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}… in {:?}", message.custom_ids()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_command_reaches_the_game() {
    let world = World::start(30).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/player/join"]);
    let server = world.sim.server(0).expect("simulated server");
    for (id, name) in [(1001, "Builderman"), (1002, "Noob"), (1003, "Guest")] {
        server
            .add_player(PlayerSpec::named(name).with_id(id).with_team("Civilian"))
            .expect("add a player");
    }
    let mut bot = world.start_bot().await;
    world.grant_moderators().await;
    let player = |name: &str| vec![Opt::string("player", name)];
    let with = |mut options: Vec<Opt>, name: &str, value: &str| {
        options.push(Opt::string(name, value));
        options
    };

    let pm = with(player("Builderman"), "message", "hello there");
    world.slash_ok(ids::MODERATOR, "pm", pm).await;
    assert!(message_sent(
        &server,
        MessageKind::PrivateMessage,
        "hello there"
    ));
    let hint = vec![Opt::string("message", "restart soon")];
    world.slash_ok(ids::MODERATOR, "hint", hint).await;
    assert!(message_sent(&server, MessageKind::Hint, "restart soon"));
    let announce = vec![Opt::string("message", "event at noon")];
    world.slash_ok(ids::MODERATOR, "announce", announce).await;
    assert!(message_sent(&server, MessageKind::Message, "event at noon"));
    world
        .slash_ok(ids::MODERATOR, "wanted", player("Builderman"))
        .await;
    assert!(applied(&server, "wanted", 1001));
    world.slash_ok(ids::MODERATOR, "jail", player("Noob")).await;
    assert!(applied(&server, "jail", 1002));
    let undo = |name: &str, flag: &str| {
        let mut options = player(name);
        options.push(Opt::boolean(flag, true));
        options
    };
    world
        .slash_ok(ids::MODERATOR, "wanted", undo("Builderman", "clear"))
        .await;
    assert!(applied(&server, "unwanted", 1001));
    world
        .slash_ok(ids::MODERATOR, "jail", undo("Noob", "release"))
        .await;
    assert!(applied(&server, "unjail", 1002));
    let ban = with(player("Guest"), "reason", "exploiting");
    world.slash_ok(ids::MODERATOR, "ban", ban).await;
    assert!(applied(&server, "ban", 1003));
    world
        .slash_ok(ids::MODERATOR, "unban", player("1003"))
        .await;
    assert!(applied(&server, "unban", 1003));

    // /command: a harmless one runs at once; a destructive one waits for Confirm.
    let raw = |text: &str| vec![Opt::string("command", text)];
    let ran = world
        .slash_as(ids::OWNER, "command", raw(":weather rain"))
        .await;
    assert!(ran.is_ephemeral());
    wait_for("the weather command", || {
        server
            .applied_commands()
            .iter()
            .any(|c| c.name == "weather")
    })
    .await;
    let prompt = world
        .slash_as(ids::OWNER, "command", raw(":shutdown"))
        .await;
    let cancel = id_starting(&prompt, "erlc:cmd_cancel:");
    let cancelled = world.click(ids::OWNER, prompt.id, &cancel);
    assert_eq!(cancelled.await_response(WAIT).await.kind, 6);
    world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.id == prompt.id && m.embed_title() == "Cancelled",
            WAIT,
        )
        .await;
    assert!(
        !server
            .applied_commands()
            .iter()
            .any(|c| c.name == "shutdown")
    );
    let prompt = world
        .slash_as(ids::OWNER, "command", raw(":shutdown"))
        .await;
    assert!(
        embed_text(&prompt).contains("Confirm"),
        "{}",
        embed_text(&prompt)
    );
    let confirm = id_starting(&prompt, "erlc:cmd_confirm:");
    let confirmed = world.click(ids::OWNER, prompt.id, &confirm);
    assert_eq!(confirmed.await_response(WAIT).await.kind, 6);
    wait_for("the shutdown to empty the server", || {
        server.players().is_empty()
    })
    .await;

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirm_prompt_posted_before_a_restart_works_after_it() {
    let world = World::start(3).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/player/join"]);
    let server = world.sim.server(0).expect("simulated server");
    let mut bot = world.start_bot().await;
    let shutdown = vec![Opt::string("command", ":shutdown")];
    let prompt = world.slash_as(ids::OWNER, "command", shutdown).await;
    let confirm = id_starting(&prompt, "erlc:cmd_confirm:");

    assert!(bot.stop(WAIT).await.success(), "SIGTERM is a clean exit");
    world.fake.wait_for_disconnected(WAIT).await;
    let mut bot = world.start_bot().await;

    let confirmed = world.click(ids::OWNER, prompt.id, &confirm);
    assert_eq!(confirmed.await_response(WAIT).await.kind, 6);
    wait_for("the shutdown to empty the server", || {
        server.players().is_empty()
    })
    .await;
    let done = world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.id == prompt.id && !m.custom_ids().contains(&confirm),
            WAIT,
        )
        .await;
    assert!(
        embed_text(&done).contains(":shutdown") && !embed_text(&done).contains("expired"),
        "{}",
        embed_text(&done)
    );

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn player_panel_buttons_and_player_pages() {
    let world = World::start(30).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/player/join"]);
    let server = world.sim.server(0).expect("simulated server");
    for (id, name) in [(1001, "Builderman"), (1002, "Noob")] {
        server
            .add_player(PlayerSpec::named(name).with_id(id))
            .expect("add a player");
    }
    let mut bot = world.start_bot().await;
    world.grant_moderators().await;

    // /players with more players than one page: Next redraws the same message.
    let players = world.slash_ok(ids::MODERATOR, "players", vec![]).await;
    let next = id_starting(&players, "erlc:page:");
    let paged = world.click(ids::MODERATOR, players.id, &next);
    assert_eq!(paged.await_response(WAIT).await.kind, 6);
    world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.id == players.id && m.edit_count >= 1,
            WAIT,
        )
        .await;

    let panel = world
        .slash_ok(
            ids::MODERATOR,
            "player",
            vec![Opt::string("name", "Builderman")],
        )
        .await;
    // PM form.
    let pm = "erlc:pl_pm:main:1001";
    let form = world.click(ids::MODERATOR, panel.id, pm);
    assert_eq!(form.await_response(WAIT).await.kind, 9, "PM opens a form");
    let submit = world
        .fake
        .modal_submit(pm, &[("text", "please stop")])
        .expect("submit")
        .as_member(ids::MODERATOR);
    assert!(answer(&world.fake.dispatch(submit)).await.is_ephemeral());
    wait_for("the panel PM", || {
        message_sent(&server, MessageKind::PrivateMessage, "please stop")
    })
    .await;
    // Wanted acts at once, privately.
    let wanted = answer(&world.click(ids::MODERATOR, panel.id, "erlc:pl_wanted:main:1001")).await;
    assert!(wanted.is_ephemeral());
    assert!(applied(&server, "wanted", 1001));
    // Refresh redraws the panel in place.
    let refresh = world.click(ids::MODERATOR, panel.id, "erlc:pl_refresh:main:1001");
    assert_eq!(refresh.await_response(WAIT).await.kind, 6);
    world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.id == panel.id && m.edit_count >= 1,
            WAIT,
        )
        .await;
    // Ban form.
    let ban = "erlc:pl_ban:main:1001";
    let form = world.click(ids::MODERATOR, panel.id, ban);
    assert_eq!(form.await_response(WAIT).await.kind, 9, "Ban opens a form");
    let submit = world
        .fake
        .modal_submit(ban, &[("text", "RDM")])
        .expect("submit")
        .as_member(ids::MODERATOR);
    assert!(answer(&world.fake.dispatch(submit)).await.is_ephemeral());
    wait_for("the panel ban", || applied(&server, "ban", 1001)).await;

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_of_a_player_named_all_never_acts_on_everyone() {
    let world = World::start(3).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/player/join"]);
    let server = world.sim.server(0).expect("simulated server");
    for (id, name) in [(1001, "All"), (1002, "Noob")] {
        server
            .add_player(PlayerSpec::named(name).with_id(id))
            .expect("add a player");
    }
    let everyone = server.players();
    assert_eq!(everyone.len(), 5);
    let mut bot = world.start_bot().await;
    world.grant_moderators().await;
    let panel = world
        .slash_ok(ids::MODERATOR, "player", vec![Opt::string("name", "All")])
        .await;
    let submit_form = async |custom_id: &str, text: &str| {
        let form = world.click(ids::MODERATOR, panel.id, custom_id);
        assert_eq!(
            form.await_response(WAIT).await.kind,
            9,
            "{custom_id} opens a form"
        );
        let submit = world
            .fake
            .modal_submit(custom_id, &[("text", text)])
            .expect("submit")
            .as_member(ids::MODERATOR);
        answer(&world.fake.dispatch(submit)).await
    };

    // `:kick` takes names only, and the game reads `All` as everyone: refused, nothing sent.
    let refused = submit_form("erlc:pl_kick:main:1001", "spam").await;
    assert!(refused.is_ephemeral());
    assert!(
        embed_text(&refused).contains("several players"),
        "{}",
        embed_text(&refused)
    );
    assert_eq!(server.players(), everyone, "nobody was kicked");
    assert!(!server.applied_commands().iter().any(|c| c.name == "kick"));

    // `:ban` takes the user id: exactly that player goes.
    submit_form("erlc:pl_ban:main:1001", "RDM").await;
    wait_for("the panel ban", || applied(&server, "ban", 1001)).await;
    let ban = server
        .applied_commands()
        .into_iter()
        .find(|c| c.name == "ban");
    assert_eq!(ban.expect("a ban").targets, [1001]);
    let mut left = everyone;
    left.retain(|(id, _)| *id != 1001);
    assert_eq!(server.players(), left, "everyone else is still there");

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}
