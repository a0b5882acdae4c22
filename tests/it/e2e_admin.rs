//! End to end: the admin commands through the real binary. A setup with a wrong (rotated) key
//! is refused with the fix and saves nothing; `/server default|remove|webhook` (the webhook
//! URL is the one setup showed, and showing it is audited), `/feed
//! add|remove|list` (preset, typed pattern, invalid pattern), `/permissions set|list` and
//! `/audit search|verify|export` each answer and change what they say they change.

use erlc_bot::sim::{PlayerSpec, SimConfig};

use crate::support::bot_process::BotEnv;
use crate::support::e2e::{World, embed_text, sim_config, webhook_token_in};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::{FakeConfig, ids};
use crate::support::wait::WAIT;

const PUBLIC_URL: &str = "https://erlc-bot.example.test";

fn server_sub(name: &str, label: Option<&str>) -> Vec<Opt> {
    let options = label
        .map(|l| vec![Opt::string("server", l)])
        .unwrap_or_default();
    vec![Opt::sub(name, options)]
}

/// `/server list` as the owner, as text.
async fn server_list(world: &World) -> String {
    embed_text(
        &world
            .slash_ok(ids::OWNER, "server", server_sub("list", None))
            .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_servers_feeds_permissions_and_audit_through_the_binary() {
    let sim = SimConfig {
        servers: 2,
        ..sim_config(1)
    };
    let world = World::start_with(FakeConfig::default(), sim).await;
    let env = BotEnv {
        extra: vec![("PUBLIC_URL".into(), PUBLIC_URL.into())],
        ..world.env()
    };
    let mut bot = world.start_bot_with(&env).await;

    // A key that was regenerated in game (PRC answers 2002): refused with the fix, privately,
    // and nothing is stored.
    let alt = world.sim.server(1).expect("second simulated server");
    let stale_key = world.sim.servers()[1].key.clone();
    let fresh_key = alt.rotate_key();
    let refused = world.setup_server("alt", &stale_key).await;
    assert!(refused.is_ephemeral(), "a failed setup answers privately");
    let text = embed_text(&refused);
    assert!(
        text.contains("2002") || text.contains("regenerat"),
        "{text}"
    );
    assert!(
        text.contains("Private Server Settings") && text.contains("Nothing was saved"),
        "the fix says where the key is: {text}"
    );
    assert!(
        server_list(&world)
            .await
            .contains("No server is connected yet"),
        "a refused key saves nothing"
    );

    // Two servers; the answer carries the webhook URL because PUBLIC_URL is set.
    let main = world.setup_server("main", &world.sim_key()).await;
    let main_text = embed_text(&main);
    assert!(main_text.contains("Connected **main**"), "{main_text}");
    assert!(main_text.contains(PUBLIC_URL), "{main_text}");
    let second = embed_text(&world.setup_server("alt", &fresh_key).await);
    assert!(second.contains("Connected **alt**"), "{second}");
    let listed = server_list(&world).await;
    assert!(listed.contains("2 servers"), "{listed}");

    // /server default: commands without a server now use alt.
    let default = Opt::sub("default", vec![Opt::string("server", "alt")]);
    world.slash_ok(ids::OWNER, "server", vec![default]).await;
    let webhook = world
        .slash_as(ids::OWNER, "server", server_sub("webhook", None))
        .await;
    assert!(webhook.is_ephemeral(), "the webhook URL is shown privately");
    let text = embed_text(&webhook);
    assert!(text.contains("Event webhook for alt"), "{text}");
    assert!(text.contains(&format!("{PUBLIC_URL}/")), "{text}");
    let webhook = embed_text(
        &world
            .slash_as(ids::OWNER, "server", server_sub("webhook", Some("main")))
            .await,
    );
    assert!(webhook.contains("Event webhook for main"), "{webhook}");
    // Setup and `/server webhook` show the same token, of the kind `http::token` documents.
    let token = webhook_token_in(&main_text, PUBLIC_URL);
    assert_eq!(webhook_token_in(&webhook, PUBLIC_URL), token);
    assert_eq!(token.len(), 43, "{token}");

    // /server remove: alt is gone, main becomes the default again.
    let removed = world
        .slash_ok(
            ids::OWNER,
            "server",
            vec![Opt::sub("remove", vec![Opt::string("server", "alt")])],
        )
        .await;
    let text = embed_text(&removed);
    assert!(text.contains("**alt** was removed"), "{text}");
    assert!(text.contains("**main** is now the default"), "{text}");
    let listed = server_list(&world).await;
    assert!(
        listed.contains("1 server") && !listed.contains("alt"),
        "{listed}"
    );

    // /feed add with a preset and with a typed pattern; an invalid pattern is refused.
    let add = |channel: u64, events: &str| {
        vec![Opt::sub(
            "add",
            vec![
                Opt::channel("channel", channel),
                Opt::string("events", events),
            ],
        )]
    };
    let saved = world
        .slash_ok(ids::OWNER, "feed", add(ids::GENERAL_CHANNEL, "joins"))
        .await;
    assert!(embed_text(&saved).contains("Feed saved"));
    let saved = world
        .slash_ok(
            ids::OWNER,
            "feed",
            add(ids::LOG_CHANNEL, "main/player/leave"),
        )
        .await;
    assert!(
        embed_text(&saved).contains("main/player/leave"),
        "{}",
        embed_text(&saved)
    );
    let invalid = world
        .slash_as(
            ids::OWNER,
            "feed",
            add(ids::LOG_CHANNEL, "main/palyer/join"),
        )
        .await;
    assert!(invalid.is_ephemeral(), "an invalid pattern is an error");
    let why = embed_text(&invalid);
    assert!(
        why.contains("`main/palyer/join` matches no event"),
        "the error names the typo: {why}"
    );
    let feeds = embed_text(
        &world
            .slash_ok(ids::OWNER, "feed", vec![Opt::sub("list", vec![])])
            .await,
    );
    assert!(feeds.contains("2 channels"), "{feeds}");
    assert!(
        !feeds.contains("palyer"),
        "nothing of the refused pattern was saved"
    );

    // The new feed works at once: a join after main's first, baseline poll is posted in
    // #general (every server is polled from setup on, so wait for main's own poll).
    let main_server = world.sim.server(0).expect("main");
    world.wait_for_polls_of(&world.sim_key(), 1).await;
    main_server
        .add_player(PlayerSpec::named("FeedJoiner").with_id(4242))
        .expect("add a player");
    world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| embed_text(m).contains("FeedJoiner"),
            WAIT,
        )
        .await;

    let remove = Opt::sub("remove", vec![Opt::channel("channel", ids::LOG_CHANNEL)]);
    let removed = world.slash_ok(ids::OWNER, "feed", vec![remove]).await;
    assert!(embed_text(&removed).contains("Feed removed"));
    let feeds = embed_text(
        &world
            .slash_ok(ids::OWNER, "feed", vec![Opt::sub("list", vec![])])
            .await,
    );
    assert!(
        feeds.contains("1 channel") && !feeds.contains("main/player/leave"),
        "{feeds}"
    );

    // /permissions set|list; an unknown capability is refused with the list of valid ones.
    let set = |caps: &str| {
        vec![Opt::sub(
            "set",
            vec![
                Opt::role("role", ids::MODERATOR_ROLE),
                Opt::string("capabilities", caps),
            ],
        )]
    };
    let saved = world
        .slash_ok(ids::OWNER, "permissions", set("view, message"))
        .await;
    assert!(embed_text(&saved).contains("Permissions saved"));
    let bad = world.slash_as(ids::OWNER, "permissions", set("fly")).await;
    assert!(bad.is_ephemeral(), "{}", embed_text(&bad));
    assert!(embed_text(&bad).contains("fly"), "{}", embed_text(&bad));
    let roles = embed_text(
        &world
            .slash_ok(ids::OWNER, "permissions", vec![Opt::sub("list", vec![])])
            .await,
    );
    assert!(
        roles.contains(&format!("<@&{}>", ids::MODERATOR_ROLE)) && roles.contains("message"),
        "{roles}"
    );
    let denied = world
        .slash_as(ids::MODERATOR, "feed", vec![Opt::sub("list", vec![])])
        .await;
    assert!(denied.is_ephemeral() && embed_text(&denied).contains("manage"));

    // /audit search|verify|export.
    let search = Opt::sub("search", vec![Opt::string("action", "server.add")]);
    let found = embed_text(&world.slash_ok(ids::OWNER, "audit", vec![search]).await);
    assert!(found.contains("server.add"), "{found}");
    let verify = embed_text(
        &world
            .slash_ok(ids::OWNER, "audit", vec![Opt::sub("verify", vec![])])
            .await,
    );
    assert!(verify.contains("Audit log intact"), "{verify}");
    let export = world
        .slash_as(ids::OWNER, "audit", vec![Opt::sub("export", vec![])])
        .await;
    assert!(export.is_ephemeral(), "the export is only for the admin");
    let [file] = export.attachments.as_slice() else {
        panic!("one attachment, got {:?}", export.attachments);
    };
    assert!(
        file.file.filename.ends_with(".jsonl"),
        "{}",
        file.file.filename
    );
    let text = String::from_utf8(file.file.bytes.clone()).expect("UTF-8 JSON Lines");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(
        export
            .content
            .contains(&format!("{} records", records.len()))
    );
    for action in [
        "server.add",
        "server.remove",
        "server.webhook",
        "feed.add",
        "feed.remove",
        "permissions.set",
    ] {
        assert!(text.contains(action), "the export has {action}");
    }
    assert!(
        !text.contains(&fresh_key) && !text.contains(&stale_key),
        "no key in the export"
    );
    assert!(!text.contains(&token), "no webhook token in the export");

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}
