//! End to end: the real binary starts against the fake Discord, answers an interaction, stops
//! cleanly on SIGTERM, and refuses to start (non-zero exit, clear message) when Discord
//! rejects its token or its command registration.

use serde_json::json;

use crate::support::bot_process::{BotEnv, BotProcess};
use crate::support::e2e::World;
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::ids;
use crate::support::wait::WAIT;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_registers_answers_and_stops_cleanly_on_sigterm() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/player/join"]);
    let mut bot = world.start_bot().await;
    let identify = world.fake.identifies().pop().expect("an IDENTIFY");
    assert_eq!(identify["d"]["intents"], 1, "GUILDS only");
    let commands = world.fake.registered_commands();
    let server = commands
        .iter()
        .find(|c| c["name"] == "server")
        .expect("/server registered");
    assert_eq!(server["contexts"], json!([0]), "guild only");
    assert_eq!(server["default_member_permissions"], "32", "Manage Server");
    let kick = commands
        .iter()
        .find(|c| c["name"] == "kick")
        .expect("/kick");
    assert_eq!(kick["default_member_permissions"], "2", "Kick Members");
    for name in [
        "players",
        "staff",
        "queue",
        "vehicles",
        "bans",
        "emergency",
        "logs",
        "player",
        "ban",
        "unban",
        "pm",
        "hint",
        "announce",
        "wanted",
        "jail",
        "command",
        "feed",
        "permissions",
        "settings",
        "audit",
        "health",
        "dashboard",
        "link",
        "unlink",
        "whois",
        "links",
    ] {
        assert!(
            commands.iter().any(|c| c["name"] == name),
            "/{name} registered"
        );
    }

    // Autocomplete of the server label, answered from the stored servers.
    let status = Opt::sub("status", vec![Opt::string("server", "ma")]);
    let typing = world
        .fake
        .autocomplete("server", vec![status], "server")
        .expect("autocomplete");
    let response = world.fake.dispatch(typing).await_response(WAIT).await;
    assert_eq!(response.kind, 8);
    assert_eq!(response.choice_names(), ["main"]);

    let status = bot.stop(WAIT).await;
    assert!(status.success(), "exit status {status:?}");
    bot.wait_for_log("database flushed for shutdown", WAIT)
        .await;
    world.fake.wait_for_disconnected(WAIT).await;
    world.fake.assert_no_violations();
    world.fake.assert_no_unknown_routes();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_exits_non_zero_with_a_clear_message() {
    let world = World::start(0).await;
    let env = BotEnv {
        token: "not-the-token".into(),
        ..world.env()
    };
    let mut bot = BotProcess::start(&env, &["run"]);
    let status = bot.wait_for_exit(WAIT).await;
    assert!(!status.success(), "a bad token must not look like success");
    bot.wait_for_log("Discord rejected the bot token", WAIT)
        .await;
    assert!(
        !bot.stderr().contains("not-the-token"),
        "the token never appears in output"
    );
    assert_eq!(
        world.fake.ready_count(),
        0,
        "never connected to the gateway"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_registration_exits_non_zero_instead_of_idling() {
    let world = World::start(0).await;
    let env = BotEnv {
        dev_guild_id: 800_000_000_000_000_999,
        ..world.env()
    };
    let mut bot = BotProcess::start(&env, &["run"]);
    let status = bot.wait_for_exit(WAIT).await;
    assert!(!status.success(), "exit status {status:?}");
    bot.wait_for_log("Discord refused to register the slash commands", WAIT)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_subcommand_runs_the_bot_when_a_token_is_set() {
    let world = World::start(0).await;
    let mut bot = BotProcess::start(&world.env(), &[]);
    world.fake.wait_for_ready(WAIT).await;
    world.fake.wait_for_commands_registered(WAIT).await;
    assert!(bot.stop(WAIT).await.success());
}
