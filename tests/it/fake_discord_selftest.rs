//! Self-test of the fake Discord harness: serenity's Http and an in-process poise bot talk to
//! it exactly as the real binary will, and the Discord-side checks are shown to fire.

mod bot;

use poise::serenity_prelude as serenity;
use serde_json::json;

use crate::support::fake_discord::FakeDiscord;
use crate::support::fake_discord::checks::ViolationKind;
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::{FakeConfig, ids};
use crate::support::wait::WAIT;

async fn fake_with_bot() -> (FakeDiscord, bot::RunningBot) {
    let fake = FakeDiscord::start().await;
    let bot = bot::start(&fake).await;
    let identify = fake.wait_for_ready(WAIT).await;
    assert_eq!(identify["d"]["token"], "<redacted: matches>");
    assert_eq!(identify["d"]["shard"], json!([0, 1]));
    let commands = fake.wait_for_commands_registered(WAIT).await;
    assert!(
        commands.iter().any(|c| c["name"] == "status"),
        "registered: {commands:?}"
    );
    (fake, bot)
}

fn http_for(fake: &FakeDiscord, token: &str) -> serenity::Http {
    serenity::HttpBuilder::new(token)
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_payloads_parse_as_serenity_types() {
    let fake = FakeDiscord::start().await;
    let http = http_for(&fake, &fake.token());
    let guild = serenity::GuildId::new(ids::GUILD);
    let general = serenity::ChannelId::new(ids::GENERAL_CHANNEL);

    assert_eq!(
        http.get_gateway().await.expect("gateway").url,
        fake.gateway_url()
    );
    assert_eq!(http.get_bot_gateway().await.expect("bot gateway").shards, 1);
    let app = http
        .get_current_application_info()
        .await
        .expect("application");
    assert_eq!(app.id.get(), ids::APPLICATION);
    assert!(http.get_current_user().await.expect("current user").bot);
    assert_eq!(
        http.get_guild(guild).await.expect("guild").name,
        "ER:LC Test Server"
    );
    let roles = http.get_guild_roles(guild).await.expect("roles");
    assert_eq!(roles.len(), 4, "@everyone plus three roles");
    assert_eq!(http.get_channels(guild).await.expect("channels").len(), 2);
    let member = http
        .get_member(guild, serenity::UserId::new(ids::MODERATOR))
        .await
        .expect("member");
    assert_eq!(member.roles, [serenity::RoleId::new(ids::MODERATOR_ROLE)]);
    let channel = http.get_channel(general).await.expect("channel");
    assert_eq!(channel.guild().map(|c| c.name), Some("general".to_string()));

    let dm = serenity::UserId::new(ids::MEMBER)
        .create_dm_channel(&http)
        .await
        .expect("dm channel");
    assert_eq!(fake.dm_channel_of(ids::MEMBER), Some(dm.id.get()));

    let file = serenity::CreateAttachment::bytes(b"a,b\n1,2\n".to_vec(), "cases.csv");
    let post = serenity::CreateMessage::new()
        .content("with a file")
        .add_file(file);
    let sent = general
        .send_message(&http, post)
        .await
        .expect("multipart message");
    assert_eq!(sent.attachments.len(), 1);
    let stored = fake.message(sent.id.get()).expect("stored message");
    assert_eq!(stored.attachments[0].file.filename, "cases.csv");
    assert_eq!(stored.attachments[0].file.bytes, b"a,b\n1,2\n");

    let edit = serenity::EditMessage::new().content("edited");
    let edited = general
        .edit_message(&http, sent.id, edit)
        .await
        .expect("edit");
    assert_eq!(edited.content, "edited");
    assert_eq!(
        http.get_message(general, sent.id)
            .await
            .expect("get")
            .content,
        "edited"
    );
    general
        .delete_message(&http, sent.id)
        .await
        .expect("delete");
    assert!(fake.messages(ids::GENERAL_CHANNEL).is_empty());

    fake.assert_no_violations();
    fake.assert_no_unknown_routes();

    let wrong = http_for(&fake, "not-the-token");
    assert!(wrong.get_current_user().await.is_err());
    http.set_application_id(serenity::ApplicationId::new(ids::APPLICATION));
    let bad = json!([{ "name": "Bad Name", "description": "" }]);
    assert!(
        http.create_guild_commands(guild, &bad).await.is_err(),
        "Discord refuses this schema"
    );
    assert!(fake.registered_commands().is_empty());
    let kinds: Vec<ViolationKind> = fake.take_violations().into_iter().map(|v| v.kind).collect();
    let invalid = ViolationKind::InvalidCommand;
    assert_eq!(kinds, [ViolationKind::BadToken, invalid, invalid]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poise_bot_round_trips_every_interaction_kind() {
    let (fake, bot) = fake_with_bot().await;

    // Slash command with an embed; the guild name comes from serenity's cache (GUILD_CREATE).
    let status = fake.dispatch(fake.slash("status", vec![]).expect("registered"));
    let response = status.await_response(WAIT).await;
    assert_eq!(response.kind, 4);
    assert_eq!(response.data["embeds"][0]["title"], "Server status");
    assert_eq!(
        response.data["embeds"][0]["description"],
        "ER:LC Test Server: 4 roles, 2 channels"
    );
    let original = status.original_message().expect("response message stored");
    assert_eq!(
        original
            .allowed_mentions
            .expect("allowed_mentions recorded")["parse"],
        json!([])
    );

    let secret = fake.dispatch(fake.slash("secret", vec![]).expect("registered"));
    let response = secret.await_response(WAIT).await;
    assert_eq!((response.kind, response.flags()), (4, 64));

    let slow = fake.dispatch(fake.slash("slow", vec![]).expect("registered"));
    assert_eq!(slow.await_response(WAIT).await.kind, 5);
    let followups = slow.await_followups(1, WAIT).await;
    assert_eq!(followups[0].content, "finished the slow work");

    let typing = fake
        .autocomplete("lookup", vec![Opt::string("player", "player3")], "player")
        .expect("autocomplete");
    let response = fake.dispatch(typing).await_response(WAIT).await;
    assert_eq!(response.kind, 8);
    assert_eq!(response.choice_names().len(), 10);
    let everything = fake
        .autocomplete("lookup", vec![Opt::string("player", "")], "player")
        .expect("autocomplete");
    assert_eq!(
        fake.dispatch(everything)
            .await_response(WAIT)
            .await
            .choice_names()
            .len(),
        25
    );

    // A button handled in the framework's event handler edits its message (type 7).
    let panel = fake.dispatch(fake.slash("panel", vec![]).expect("registered"));
    assert_eq!(panel.await_response(WAIT).await.kind, 4);
    let message = panel.original_message().expect("panel message");
    let click = fake
        .button(message.id, "panel:refresh:Builderman")
        .expect("button exists")
        .as_member(ids::OWNER);
    assert_eq!(fake.dispatch(click).await_response(WAIT).await.kind, 7);
    let edited = fake.message(message.id).expect("panel still there");
    assert_eq!(edited.content, "Refreshed Builderman for owner");
    assert!(edited.components.is_empty());

    // A modal opened from a slash command, then submitted.
    let appeal = fake.dispatch(fake.slash("appeal", vec![]).expect("registered"));
    assert_eq!(appeal.await_response(WAIT).await.kind, 9);
    let modal_id = appeal.modal_custom_id().expect("modal custom_id");
    assert_eq!(
        modal_id,
        appeal.id().to_string(),
        "poise uses the interaction id"
    );
    let submit = fake
        .modal_submit(
            &modal_id,
            &[("username", "Builderman"), ("reason", "sorry")],
        )
        .expect("modal");
    assert_eq!(fake.dispatch(submit).await_response(WAIT).await.kind, 6);
    let followups = appeal.await_followups(1, WAIT).await;
    assert_eq!(
        followups[0].content,
        "Appeal from Builderman received: sorry"
    );

    // Subcommand with typed options (user, role, channel, string, integer, boolean) → channel post.
    let note = Opt::sub(
        "note",
        vec![
            Opt::user("user", ids::MEMBER),
            Opt::role("role", ids::MODERATOR_ROLE),
            Opt::channel("channel", ids::LOG_CHANNEL),
            Opt::string("text", "keeps spawn killing"),
            Opt::integer("severity", 3),
            Opt::boolean("urgent", true),
        ],
    );
    let noted = fake.dispatch(fake.slash("moderation", vec![note]).expect("registered"));
    assert_eq!(
        noted.await_response(WAIT).await.content(),
        "note saved in #mod-log"
    );
    let expected = "Note on regular (Moderator) severity 3 urgent true: keeps spawn killing";
    let post = fake
        .wait_for_message(ids::LOG_CHANNEL, |m| m.content == expected, WAIT)
        .await;
    assert_eq!(
        post.allowed_mentions.expect("allowed_mentions recorded")["parse"],
        json!([])
    );

    let group = Opt::group("settings", vec![Opt::sub("show", vec![])]);
    let shown = fake.dispatch(fake.slash("admin", vec![group]).expect("registered"));
    assert_eq!(
        shown.await_response(WAIT).await.content(),
        "settings: default"
    );

    let dm = fake.dispatch(
        fake.slash("dm", vec![Opt::user("user", ids::MEMBER)])
            .expect("registered"),
    );
    assert_eq!(dm.await_response(WAIT).await.content(), "sent");
    let dm_channel = fake.dm_channel_of(ids::MEMBER).expect("DM opened");
    assert_eq!(fake.messages(dm_channel)[0].content, "hello from the bot");

    // Reply edits and follow-ups through the interaction webhook (@original and by id).
    let countdown = fake.dispatch(fake.slash("countdown", vec![]).expect("registered"));
    fake.wait_for_call("DELETE", "/webhooks/*/*/messages/*", WAIT)
        .await;
    let original = countdown.original_message().expect("original reply");
    assert_eq!((original.content.as_str(), original.edit_count), ("2", 1));
    assert_eq!(
        fake.calls_matching("GET", "/webhooks/*/*/messages/@original")
            .len(),
        1
    );
    let followups = countdown.await_followups(2, WAIT).await;
    let contents: Vec<&str> = followups.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(
        contents,
        ["follow-up edited"],
        "the deleted follow-up is gone"
    );

    let export = fake.dispatch(fake.slash("export", vec![]).expect("registered"));
    let response = export.await_response(WAIT).await;
    assert_eq!(response.files[0].filename, "audit.jsonl");
    assert_eq!(response.files[0].bytes, b"{\"case\":1}\n");
    assert_eq!(
        export.original_message().expect("stored").attachments.len(),
        1
    );

    fake.assert_no_violations();
    fake.assert_no_unknown_routes();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_rules_are_enforced() {
    let (fake, bot) = fake_with_bot().await;

    fake.dispatch(fake.slash("doubleack", vec![]).expect("registered"));
    fake.wait_for_message(
        ids::LOG_CHANNEL,
        |m| m.content == "second ack refused: 40060",
        WAIT,
    )
    .await;

    let long = fake.dispatch(fake.slash("longpost", vec![]).expect("registered"));
    assert_eq!(
        long.await_response(WAIT).await.content(),
        "long post refused: 50035"
    );

    let options = vec![Opt::string("player", "x"), Opt::string("other", "")];
    let too_many = fake
        .autocomplete("lookup", options, "other")
        .expect("autocomplete");
    let response = fake.dispatch(too_many).await_response(WAIT).await;
    assert_eq!(
        (
            response.kind,
            response.accepted,
            response.choice_names().len()
        ),
        (8, false, 30)
    );

    let late = fake.dispatch(fake.slash("latemodal", vec![]).expect("registered"));
    assert_eq!(
        late.await_followups(1, WAIT).await[0].content,
        "modal refused: 40060"
    );

    let early = fake.dispatch(fake.slash("earlyfollowup", vec![]).expect("registered"));
    assert_eq!(
        early.await_response(WAIT).await.content(),
        "follow-up refused: 10015"
    );

    let pin = fake.dispatch(fake.slash("pin", vec![]).expect("registered"));
    assert_eq!(pin.await_response(WAIT).await.content(), "pin failed: 0");
    let unknown = fake.unknown_routes();
    assert_eq!(
        unknown,
        [format!(
            "PUT /api/v10/channels/{}/pins/1",
            ids::GENERAL_CHANNEL
        )]
    );

    assert!(
        fake.slash("nope", vec![]).is_err(),
        "unregistered commands cannot be built"
    );
    assert!(
        fake.slash("lookup", vec![Opt::integer("player", 1)])
            .is_err(),
        "option types are checked"
    );
    assert!(
        fake.slash("moderation", vec![]).is_err(),
        "a subcommand is required"
    );

    let mut kinds: Vec<ViolationKind> =
        fake.take_violations().into_iter().map(|v| v.kind).collect();
    kinds.retain(|k| *k != ViolationKind::LateAck);
    let expected = [
        ViolationKind::DoubleAck,
        ViolationKind::ContentTooLong,
        ViolationKind::TooManyChoices,
        ViolationKind::ModalNotFirst,
        ViolationKind::FollowupBeforeAck,
        ViolationKind::UnregisteredCommand,
    ];
    assert_eq!(kinds, expected);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_resumes_and_reconnects_after_restart() {
    let (fake, bot) = fake_with_bot().await;
    let first_ids: Vec<serde_json::Value> = fake
        .registered_commands()
        .iter()
        .map(|c| c["id"].clone())
        .collect();

    // Discord asks for a reconnect: serenity resumes the same session.
    fake.request_reconnect();
    fake.wait_for_resumed(1, WAIT).await;
    let secret = fake.dispatch(fake.slash("secret", vec![]).expect("registered"));
    assert_eq!(secret.await_response(WAIT).await.kind, 4);

    // The bot process restarts: a fresh IDENTIFY, READY and registration.
    bot.stop().await;
    fake.wait_for_disconnected(WAIT).await;
    let bot = bot::start(&fake).await;
    fake.wait_for_ready_count(2, WAIT).await;
    fake.wait_for_commands_registered(WAIT).await;
    let second_ids: Vec<serde_json::Value> = fake
        .registered_commands()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(
        first_ids, second_ids,
        "command ids are stable across re-registration"
    );
    assert_eq!(fake.identifies().len(), 2);

    let secret = fake.dispatch(fake.slash("secret", vec![]).expect("registered"));
    assert_eq!(
        secret.await_response(WAIT).await.content(),
        "only you can see this"
    );
    fake.assert_no_violations();
    fake.assert_no_unknown_routes();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_guild_config_is_served() {
    let mut config = FakeConfig::default();
    config.guild = config.guild.with_channel(700_000_000_000_000_099, "feeds");
    config.guild.name = "Custom".into();
    let fake = FakeDiscord::start_with(config).await;
    let http = http_for(&fake, &fake.token());
    let guild = serenity::GuildId::new(ids::GUILD);
    assert_eq!(http.get_guild(guild).await.expect("guild").name, "Custom");
    assert_eq!(http.get_channels(guild).await.expect("channels").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "the bot broke Discord's rules")]
async fn assert_no_violations_fails_loudly() {
    let fake = FakeDiscord::start().await;
    let http = http_for(&fake, &fake.token());
    let general = serenity::ChannelId::new(ids::GENERAL_CHANNEL);
    let refused = http
        .send_message(general, vec![], &json!({ "content": "x".repeat(2001) }))
        .await;
    assert!(
        refused.is_err(),
        "Discord refuses content over 2,000 characters"
    );
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "routes the fake does not implement")]
async fn assert_no_unknown_routes_fails_loudly() {
    let fake = FakeDiscord::start().await;
    let http = http_for(&fake, &fake.token());
    assert!(
        http.get_bans(serenity::GuildId::new(ids::GUILD), None, None)
            .await
            .is_err()
    );
    assert_eq!(
        fake.unknown_routes(),
        [format!("GET /api/v10/guilds/{}/bans", ids::GUILD)]
    );
    fake.assert_no_unknown_routes();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforced_nonce_returns_the_first_post() {
    let fake = FakeDiscord::start().await;
    let http = http_for(&fake, &fake.token());
    let general = serenity::ChannelId::new(ids::GENERAL_CHANNEL);
    let post = |nonce: &str, enforce: bool| {
        serenity::CreateMessage::new()
            .content("feed card")
            .nonce(serenity::Nonce::String(nonce.to_string()))
            .enforce_nonce(enforce)
    };
    let first = general
        .send_message(&http, post("n-1", true))
        .await
        .expect("post");
    let again = general
        .send_message(&http, post("n-1", true))
        .await
        .expect("retry");
    assert_eq!(
        first.id, again.id,
        "a retry with the same nonce is the same message"
    );
    let other = general
        .send_message(&http, post("n-2", true))
        .await
        .expect("post");
    assert_ne!(other.id, first.id);
    let loose = general
        .send_message(&http, post("n-1", false))
        .await
        .expect("post");
    assert_ne!(
        loose.id, first.id,
        "without enforce_nonce Discord posts again"
    );
    assert_eq!(fake.messages(ids::GENERAL_CHANNEL).len(), 3);
    fake.assert_no_violations();
}
