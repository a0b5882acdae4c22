//! Commands end to end: typed commands built by the real client change the simulated world,
//! are confirmed through the command logs, dry runs send nothing, and the local policy refuses
//! bad text before anything leaves the process.

use std::time::Duration;

use erlc_bot::erlc::api::{ApiVersion, CommandOptions, Confirmation};
use erlc_bot::erlc::{
    ClientConfig, CommandBuildError, CommandPolicy, ErlcError, GameCommand, PolicyViolation,
    Target, Targets,
};
use erlc_bot::sim::{MessageKind, PlayerSpec, Quirks, SimConfig, SimHandle};

use crate::support::START_MS;
use crate::support::client_sim::*;
use crate::support::wait::within;

fn posts(sim: &SimHandle) -> Vec<erlc_bot::sim::RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect()
}

fn confirm() -> CommandOptions {
    CommandOptions {
        confirm_within: Some(Duration::from_secs(5)),
        ..CommandOptions::default()
    }
}

#[tokio::test]
async fn typed_kick_removes_the_player_and_is_confirmed_in_the_logs() {
    let clock = manual_clock();
    let sim = start_sim(sim_config(&clock)).await;
    let game = sim.server(0).unwrap();
    game.add_player(PlayerSpec::named(POLICE_NAME)).unwrap();
    let minty = game
        .add_player(PlayerSpec::named(CIVILIAN_NAME).with_id(5_873_310_294))
        .unwrap();
    let server = handle(&client(client_config(&sim, &clock)), &sim, 0);

    let kick = GameCommand::Kick {
        targets: Targets::one(Target::name("minty").unwrap()),
        reason: Some("RDM\nagain".into()),
    };
    let receipt = server.run(&kick, &confirm()).await.unwrap();
    assert_eq!(receipt.text, ":kick minty RDM again", "one line");
    assert!(!receipt.dry_run);
    let response = receipt.response.unwrap();
    assert_eq!(response.message.as_deref(), Some("Success"));
    assert!(response.command_id.is_some());
    assert_eq!(
        receipt.confirmation,
        Confirmation::Confirmed {
            logged_at: START_MS / 1000
        }
    );

    let players = server.players().await.unwrap();
    assert_eq!(players.len(), 1);
    assert_eq!(players[0].player.name, POLICE_NAME);
    let leave = server.join_logs().await.unwrap().pop().unwrap();
    assert_eq!((leave.join, leave.player.id), (false, Some(minty)));
    let logged = server.command_logs().await.unwrap().pop().unwrap();
    assert!(logged.player.is_remote_server());
    assert_eq!(logged.command, receipt.text);
    let applied = game.applied_commands();
    assert_eq!(applied.len(), 1);
    assert_eq!(
        (applied[0].name.as_str(), &applied[0].targets),
        ("kick", &vec![minty])
    );

    let sent = posts(&sim);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v2/server/command");
    assert_eq!(sent[0].command.as_deref(), Some(":kick minty RDM again"));
    sim.shutdown().await;
}

#[tokio::test]
async fn ban_unban_and_messages_reach_the_game_through_v1_and_v2() {
    let clock = manual_clock();
    let sim = start_sim(sim_config(&clock)).await;
    let game = sim.server(0).unwrap();
    let avery = game.add_player(PlayerSpec::named(POLICE_NAME)).unwrap();
    let minty = game.add_player(PlayerSpec::named(CIVILIAN_NAME)).unwrap();
    let server = handle(&client(client_config(&sim, &clock)), &sim, 0);
    let v1 = CommandOptions {
        version: ApiVersion::V1,
        ..CommandOptions::default()
    };

    server
        .run(&GameCommand::Hint("Session starting".into()), &v1)
        .await
        .unwrap();
    let pm = GameCommand::Pm {
        targets: Targets::parse("avery").unwrap(),
        text: "Please come to the station".into(),
    };
    server.run(&pm, &CommandOptions::default()).await.unwrap();
    let messages = game.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        (messages[0].kind, messages[0].text.as_str()),
        (MessageKind::Hint, "Session starting")
    );
    assert_eq!(messages[1].kind, MessageKind::PrivateMessage);
    assert_eq!(messages[1].targets, vec![avery]);

    let ban = GameCommand::Ban {
        target: Target::Id(minty),
        reason: Some("exploiting".into()),
    };
    server.run(&ban, &v1).await.unwrap();
    assert!(server.bans().await.unwrap().contains_key(&minty));
    assert_eq!(server.players().await.unwrap().len(), 1, "a ban also kicks");
    let unban = GameCommand::Unban {
        target: Target::Id(minty),
    };
    server
        .run(&unban, &CommandOptions::default())
        .await
        .unwrap();
    assert!(server.bans().await.unwrap().is_empty());

    let paths: Vec<_> = posts(&sim).into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/v1/server/command",
            "/v2/server/command",
            "/v1/server/command",
            "/v2/server/command"
        ]
    );
    sim.shutdown().await;
}

/// A command PRC accepted but that never shows up in the logs is reported as not seen.
#[tokio::test]
async fn a_command_missing_from_the_logs_is_not_seen() {
    let clock = manual_clock();
    let sim = start_sim(SimConfig {
        quirks: Quirks {
            log_retention: 0,
            ..Quirks::default()
        },
        ..sim_config(&clock)
    })
    .await;
    sim.server(0)
        .unwrap()
        .add_player(PlayerSpec::named(POLICE_NAME))
        .unwrap();
    let server = handle(&client(client_config(&sim, &clock)), &sim, 0);
    let options = CommandOptions {
        confirm_within: Some(Duration::from_millis(600)),
        ..CommandOptions::default()
    };
    let receipt = within(
        "confirmation gives up",
        server.send_command(":h hi", &options),
    )
    .await
    .unwrap();
    assert_eq!(receipt.confirmation, Confirmation::NotSeen);
    let looked = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v2/server" && r.query.as_deref() == Some("CommandLogs=true"))
        .count();
    assert!(looked >= 1, "it looked in the command logs");
    sim.shutdown().await;
}

#[tokio::test]
async fn dry_runs_send_nothing() {
    let clock = manual_clock();
    let sim = start_sim(sim_config(&clock)).await;
    sim.server(0)
        .unwrap()
        .add_player(PlayerSpec::named(POLICE_NAME))
        .unwrap();
    let server = handle(&client(client_config(&sim, &clock)), &sim, 0);
    let dry = CommandOptions {
        dry_run: true,
        ..confirm()
    };
    let receipt = server
        .run(
            &GameCommand::Kick {
                targets: Targets::parse("all").unwrap(),
                reason: None,
            },
            &dry,
        )
        .await
        .unwrap();
    assert_eq!(receipt.text, ":kick all");
    assert!(receipt.dry_run && receipt.response.is_none());
    assert_eq!(receipt.confirmation, Confirmation::NotRequested);
    let receipt = server.send_command(":shutdown", &dry).await.unwrap();
    assert!(receipt.dry_run);
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    assert_eq!(sim.server(0).unwrap().players().len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_policy_refuses_bad_commands_before_sending() {
    let clock = manual_clock();
    let sim = start_sim(sim_config(&clock)).await;
    sim.server(0)
        .unwrap()
        .add_player(PlayerSpec::named(POLICE_NAME))
        .unwrap();
    let server = handle(
        &client(ClientConfig {
            command_policy: CommandPolicy::default()
                .with_deny(["shutdown", ":tp"])
                .with_max_len(40),
            ..client_config(&sim, &clock)
        }),
        &sim,
        0,
    );
    let options = CommandOptions::default();
    let refused = |result: Result<_, ErlcError>| match result {
        Err(ErlcError::Policy(violation)) => violation,
        other => panic!("expected a policy refusal, got {other:?}"),
    };
    assert_eq!(
        refused(
            server
                .send_command(":h line one\n:kick all", &options)
                .await
        ),
        PolicyViolation::MultiLine
    );
    assert_eq!(
        refused(
            server
                .send_command(&format!(":h {}", "x".repeat(50)), &options)
                .await
        ),
        PolicyViolation::TooLong { len: 53, max: 40 }
    );
    assert_eq!(
        refused(server.run(&GameCommand::Shutdown, &options).await),
        PolicyViolation::Denied("shutdown".into())
    );
    assert_eq!(
        refused(server.send_command(":teleport avery minty", &options).await),
        PolicyViolation::Denied("tp".into()),
        "aliases of denied commands are denied"
    );
    assert_eq!(
        refused(server.send_command("h hello", &options).await),
        PolicyViolation::MissingColon
    );
    assert_eq!(
        refused(server.send_command("   ", &options).await),
        PolicyViolation::Empty
    );
    let long_hint = GameCommand::Hint("y".repeat(60));
    assert!(matches!(
        refused(server.run(&long_hint, &options).await),
        PolicyViolation::TooLong { .. }
    ));
    assert!(matches!(
        server.run(&GameCommand::Time(25), &options).await,
        Err(ErlcError::BadCommand(CommandBuildError::TimeOutOfRange(25)))
    ));
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    assert!(sim.server(0).unwrap().applied_commands().is_empty());
    sim.shutdown().await;
}
