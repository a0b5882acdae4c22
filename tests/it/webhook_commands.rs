//! In-game `;` commands end to end: the simulator's player types in chat, the signed
//! CustomCommand webhook reaches the bot, and the router posts cards (pinging only the staff
//! role), replies by `:pm` and audits every use; switches and cooldowns hold; a caller named
//! like a group word gets no reply rather than one sent to everyone.

use std::collections::BTreeMap;

use erlc_bot::sim::{Location, MessageKind, PlayerSpec};
use erlc_bot::store::{AuditActor, AuditOutcome, AuditQuery, Source};
use erlc_bot::ui::CustomId;

use crate::support::wait::wait_for_async;
use crate::support::webhook::{Bot, GUILD, MODCALL_CHANNEL, STAFF_ROLE, enable_custom_commands};

fn player(name: &str, id: u64) -> PlayerSpec {
    PlayerSpec {
        name: Some(name.into()),
        id: Some(id),
        team: Some("Police".into()),
        location: Some(Location {
            x: 10.0,
            z: -20.0,
            postal: "307".into(),
            street: "Harbor Road".into(),
            building: String::new(),
        }),
        ..PlayerSpec::default()
    }
}

async fn configured_bot(disabled: &[&str]) -> Bot {
    let bot = Bot::start().await;
    enable_custom_commands(&bot, disabled);
    bot.register_webhook().await;
    bot
}

fn pms_to(bot: &Bot, id: u64) -> Vec<String> {
    bot.server
        .messages()
        .into_iter()
        .filter(|m| m.kind == MessageKind::PrivateMessage && m.targets == [id])
        .map(|m| m.text)
        .collect()
}

async fn wait_for_result(bot: &Bot, result: &'static str, count: u64) {
    wait_for_async(&format!("{count} `{result}` commands"), || async {
        bot.state.counters.commands().get(result).copied() == Some(count)
    })
    .await;
}

#[tokio::test]
async fn staff_posts_a_card_pinging_the_role_and_pms_the_caller() {
    let bot = configured_bot(&[]).await;
    let caller = bot
        .server
        .add_player(player("Caller_One", 5_000_000_001))
        .unwrap();
    bot.server
        .player_chat(caller, ";staff someone is rdming @everyone <@&1>")
        .unwrap();
    wait_for_result(&bot, "ran_ok", 1).await;

    let creates = bot.sink.creates();
    assert_eq!(creates.len(), 1);
    let card = &creates[0];
    assert_eq!(card.channel_id, MODCALL_CHANNEL);
    assert_eq!(card.message.ping_role, Some(STAFF_ROLE));
    assert_eq!(card.message.allowed_role_mentions(), [STAFF_ROLE]);
    assert!(
        card.message
            .content_with_ping()
            .unwrap()
            .starts_with("<@&777> ")
    );
    let embed = serde_json::to_string(&card.message.embeds).unwrap();
    for shown in [
        "Caller\\\\_One",
        "Postal 307, Harbor Road",
        "Police",
        "someone is rdming",
    ] {
        assert!(embed.contains(shown), "{shown} in {embed}");
    }
    assert!(
        !embed.contains("@everyone") && !embed.contains("<@&1>"),
        "{embed}"
    );
    let pm_button = CustomId::parse(&card.message.buttons[0].custom_id).unwrap();
    assert_eq!(pm_button.roblox_id(), Some(caller));

    assert_eq!(pms_to(&bot, caller), ["Staff have been notified."]);
    let audit = bot
        .store
        .audit()
        .search(
            GUILD,
            &AuditQuery {
                action: Some("custom_command.staff".into()),
                ..AuditQuery::default()
            },
        )
        .unwrap();
    assert_eq!(audit.entries.len(), 1);
    let entry = &audit.entries[0];
    assert_eq!(
        entry.intent.actor,
        AuditActor::Player {
            id: Some(caller),
            name: "Caller_One".into()
        }
    );
    assert_eq!(entry.intent.source, Source::Webhook);
    assert_eq!(entry.outcome(), &AuditOutcome::Ok);
    assert_eq!(
        bot.events_of("customcommand"),
        1,
        "the command is an event too"
    );
    bot.shutdown().await;
}

#[tokio::test]
async fn report_posts_the_reported_players_panel_without_a_ping() {
    let bot = configured_bot(&[]).await;
    let reporter = bot
        .server
        .add_player(player("Reporter", 5_000_000_002))
        .unwrap();
    let reported = bot
        .server
        .add_player(player("Bad_Driver", 5_000_000_003))
        .unwrap();
    bot.server
        .player_chat(reporter, ";report bad_dr ran me over twice")
        .unwrap();
    wait_for_result(&bot, "ran_ok", 1).await;
    let creates = bot.sink.creates();
    assert_eq!(creates.len(), 1);
    let card = &creates[0].message;
    assert_eq!(card.ping_role, None);
    let targets: Vec<Option<u64>> = card
        .buttons
        .iter()
        .map(|b| CustomId::parse(&b.custom_id).unwrap().roblox_id())
        .collect();
    assert_eq!(targets, vec![Some(reported); 4]);
    let embed = serde_json::to_string(&card.embeds).unwrap();
    assert!(embed.contains("ran me over twice") && embed.contains("Bad\\\\_Driver"));
    assert_eq!(
        pms_to(&bot, reporter),
        ["Thanks, your report was sent to staff."]
    );
    bot.shutdown().await;
}

#[tokio::test]
async fn help_discord_aliases_cooldowns_and_switches() {
    let bot = configured_bot(&["report"]).await;
    let id = bot
        .server
        .add_player(player("Helper_Seeker", 5_000_000_004))
        .unwrap();

    bot.server.player_chat(id, ";help").unwrap();
    wait_for_result(&bot, "ran_ok", 1).await;
    let help = pms_to(&bot, id);
    assert_eq!(help.len(), 1);
    assert!(
        help[0].contains(";staff") && help[0].contains(";discord"),
        "{help:?}"
    );
    assert!(
        !help[0].contains(";report"),
        "switched-off commands are not listed"
    );

    bot.server.player_chat(id, ";CMDS").unwrap();
    wait_for_result(&bot, "cooling_down", 1).await;

    bot.server
        .player_chat(id, ";report someone for something")
        .unwrap();
    wait_for_result(&bot, "disabled", 1).await;

    bot.server.player_chat(id, ";invite").unwrap();
    wait_for_result(&bot, "ran_ok", 2).await;
    assert_eq!(
        pms_to(&bot, id).last().map(String::as_str),
        Some("Our Discord: https://discord.gg/erlcbot")
    );

    bot.server.player_chat(id, ";bolo red sedan").unwrap();
    wait_for_result(&bot, "unknown", 1).await;

    bot.clock.advance_ms(11_000);
    bot.server.player_chat(id, ";help").unwrap();
    wait_for_result(&bot, "ran_ok", 3).await;

    bot.store
        .settings()
        .update_guild_settings(GUILD, |g| g.custom_commands_enabled = false)
        .unwrap();
    bot.clock.advance_ms(11_000);
    bot.server.player_chat(id, ";discord").unwrap();
    wait_for_result(&bot, "disabled", 2).await;

    assert_eq!(
        pms_to(&bot, id).len(),
        3,
        "no replies to unknown, cooling or disabled"
    );
    assert!(bot.sink.creates().is_empty());
    let expected: BTreeMap<&str, u64> = [
        ("cooling_down", 1),
        ("disabled", 2),
        ("ran_ok", 3),
        ("unknown", 1),
    ]
    .into();
    assert_eq!(bot.state.counters.commands(), expected);
    bot.shutdown().await;
}

#[tokio::test]
async fn a_caller_named_all_gets_no_reply_rather_than_everyone() {
    let bot = configured_bot(&[]).await;
    let bystander = bot
        .server
        .add_player(player("Bystander", 5_000_000_005))
        .unwrap();
    let caller = bot.server.add_player(player("All", 5_000_000_006)).unwrap();

    bot.server.player_chat(caller, ";help").unwrap();
    wait_for_result(&bot, "ran_failed", 1).await;
    // `:pm All …` would reach every player; `:pm` takes names only, so nothing is sent.
    assert!(pms_to(&bot, caller).is_empty() && pms_to(&bot, bystander).is_empty());
    assert!(
        bot.server
            .messages()
            .iter()
            .all(|m| m.kind != MessageKind::PrivateMessage),
        "{:?}",
        bot.server.messages()
    );
    let query = AuditQuery {
        action: Some("custom_command.help".into()),
        ..AuditQuery::default()
    };
    let entries = bot.store.audit().search(GUILD, &query).unwrap().entries;
    assert_eq!(entries.len(), 1);
    match entries[0].outcome() {
        AuditOutcome::Failed(why) => assert!(why.contains("several players"), "{why}"),
        other => panic!("{other:?}"),
    }
    bot.shutdown().await;
}
