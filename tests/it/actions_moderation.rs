//! In-game actions through `Services` against the simulator: player resolution, permission
//! refusals, command-injection safety, raw-command confirmation, and the audit trail.

use erlc_bot::actions::{ActionError, ModAction};
use erlc_bot::erlc::api::Confirmation;
use erlc_bot::erlc::{ErlcError, PolicyViolation};
use erlc_bot::store::{Actor as AuditActor, Capability, Outcome, Source};

use crate::support::actions::*;

const MODERATOR_ROLE: u64 = 500;
const RAW_ROLE: u64 = 600;

fn online_names(env: &Env) -> Vec<String> {
    env.sim
        .server(0)
        .unwrap()
        .players()
        .into_iter()
        .map(|(_, name)| name)
        .collect()
}

#[tokio::test]
async fn kick_by_prefix_removes_the_player_and_audits_intent_and_outcome() {
    let env = env().await;
    let caps = env
        .services
        .permissions_set(GUILD, &admin(), MODERATOR_ROLE, "view, moderate")
        .await
        .unwrap();
    assert!(caps.contains(&Capability::Moderate));
    let moderator = member(42, &[MODERATOR_ROLE]);

    let kick = ModAction::Kick {
        player: "mint".into(),
        reason: Some("  RDM   twice ".into()),
    };
    let report = env
        .services
        .run_action(GUILD, &moderator, Source::SlashCommand, None, kick)
        .await
        .unwrap();
    assert_eq!(report.server_label, "main");
    assert_eq!(report.command_text, ":kick Minty RDM twice");
    let player = report.player.clone().unwrap();
    assert_eq!((player.name.as_str(), player.id), ("Minty", Some(1003)));
    assert!(
        matches!(report.confirmation, Confirmation::Confirmed { .. }),
        "{:?}",
        report.confirmation
    );
    assert!(!online_names(&env).contains(&"Minty".to_owned()));

    let entries = audit_entries(&env.services, "command.kick");
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.intent.seq, report.audit_seq);
    assert_eq!(
        entry.intent.actor,
        AuditActor::Discord {
            id: 42,
            name: "member42".into()
        }
    );
    assert_eq!(
        entry.intent.outcome,
        Outcome::Pending,
        "intent written first"
    );
    assert_eq!(entry.outcome(), &Outcome::Ok);
    assert_eq!(entry.intent.target.as_deref(), Some("Minty"));
    assert_eq!(entry.intent.args["command"], ":kick Minty RDM twice");
    assert!(
        env.services
            .store()
            .audit()
            .verify(GUILD)
            .unwrap()
            .is_intact()
    );
}

#[tokio::test]
async fn a_refusal_is_audited_and_explains_the_grant() {
    let env = env().await;
    let nobody = member(7, &[123]);
    let kick = ModAction::Kick {
        player: "Minty".into(),
        reason: None,
    };
    let error = env
        .services
        .run_action(GUILD, &nobody, Source::Button, None, kick)
        .await
        .unwrap_err();
    match &error {
        ActionError::PermissionDenied { needed, .. } => assert_eq!(*needed, Capability::Moderate),
        other => panic!("{other:?}"),
    }
    let message = error.user_message();
    assert!(message.contains("`moderate`"), "{message}");
    assert!(
        message.contains("/permissions set role:@Role capabilities:moderate"),
        "{message}"
    );
    assert!(error.is_user_error());
    assert!(online_names(&env).contains(&"Minty".to_owned()));
    assert!(!applied(&env.sim).contains(&"kick".to_owned()));

    let entries = audit_entries(&env.services, "command.kick");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].intent.source, Source::Button);
    assert!(matches!(entries[0].outcome(), Outcome::PermissionDenied(_)));
}

#[tokio::test]
async fn an_ambiguous_or_unknown_name_lists_the_candidates_and_sends_nothing() {
    let env = env().await;
    let wanted = ModAction::Wanted {
        player: "av".into(),
    };
    let error = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, Some("main"), wanted)
        .await
        .unwrap_err();
    match &error {
        ActionError::AmbiguousPlayer { candidates, .. } => {
            assert_eq!(candidates, &["Avalon", "Avery_Cole"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(error.user_message().contains("Avalon, Avery_Cole"));

    let jail = ModAction::Jail {
        player: "zed".into(),
    };
    let error = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, jail)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ActionError::PlayerNotFound { .. }),
        "{error:?}"
    );
    assert!(error.user_message().contains("Sam_Ward"));

    let other_server = ModAction::Hint { text: "hi".into() };
    let error = env
        .services
        .run_action(
            GUILD,
            &admin(),
            Source::SlashCommand,
            Some("side"),
            other_server,
        )
        .await
        .unwrap_err();
    assert!(
        error.user_message().contains("Pick one of: main"),
        "{error:?}"
    );

    let suggestions = env
        .services
        .suggest_players(GUILD, None, "A")
        .await
        .unwrap();
    assert_eq!(suggestions, ["Avalon", "Avery_Cole"]);
    let viewer = member(8, &[]);
    let refused = env
        .services
        .server_for_reading(GUILD, &viewer, Source::SlashCommand, None, "read.players")
        .await
        .unwrap_err();
    assert!(matches!(refused, ActionError::PermissionDenied { .. }));
    let (record, _) = env
        .services
        .server_for_reading(GUILD, &admin(), Source::SlashCommand, None, "read.players")
        .await
        .unwrap();
    assert_eq!(record.label, "main");

    assert_eq!(applied(&env.sim), ["log"], "only the setup probe ran");
}

#[tokio::test]
async fn text_with_line_breaks_cannot_add_a_second_command() {
    let env = env().await;
    let kick = ModAction::Kick {
        player: "Avery_Cole".into(),
        reason: Some("bye\n:shutdown\r\n:kick all".into()),
    };
    let report = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, kick)
        .await
        .unwrap();
    assert_eq!(
        report.command_text,
        ":kick Avery_Cole bye :shutdown :kick all"
    );
    let pm = ModAction::Pm {
        player: "sam".into(),
        text: "hello\u{2028}:shutdown".into(),
    };
    env.services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, pm)
        .await
        .unwrap();

    assert_eq!(applied(&env.sim), ["log", "kick", "pm"]);
    let kicks = env.sim.server(0).unwrap().applied_commands();
    assert_eq!(kicks[1].targets, [1001], "exactly one player kicked");
    assert_eq!(online_names(&env), ["Avalon", "Minty", "Sam_Ward"]);
}

#[tokio::test]
async fn destructive_raw_commands_wait_for_the_asker_or_an_admin() {
    let env = env().await;
    env.services
        .permissions_set(GUILD, &admin(), RAW_ROLE, "raw_command")
        .await
        .unwrap();
    let asker = member(10, &[RAW_ROLE]);
    let colleague = member(11, &[RAW_ROLE]);

    let harmless = ModAction::Raw {
        text: ":h server restart soon".into(),
    };
    let report = env
        .services
        .run_action(GUILD, &asker, Source::SlashCommand, None, harmless)
        .await
        .unwrap();
    assert_eq!(report.command_text, ":h server restart soon");

    let shutdown = ModAction::Raw {
        text: ":shutdown".into(),
    };
    let token = match env
        .services
        .run_action(GUILD, &asker, Source::SlashCommand, None, shutdown)
        .await
    {
        Err(ActionError::NeedsConfirmation {
            token,
            command_text,
            ..
        }) => {
            assert_eq!(command_text, ":shutdown");
            token
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        applied(&env.sim),
        ["log", "h"],
        "nothing sent before confirming"
    );

    let refused = env.services.confirm(GUILD, &colleague, &token).await;
    assert!(
        matches!(refused, Err(ActionError::NotYourConfirmation)),
        "{refused:?}"
    );
    assert!(
        env.services
            .confirm(GUILD + 1, &asker, &token)
            .await
            .is_err()
    );

    let report = env.services.confirm(GUILD, &asker, &token).await.unwrap();
    assert_eq!(report.command_text, ":shutdown");
    assert_eq!(applied(&env.sim), ["log", "h", "shutdown"]);
    assert!(online_names(&env).is_empty());
    let again = env.services.confirm(GUILD, &asker, &token).await;
    assert!(
        matches!(again, Err(ActionError::ConfirmationExpired)),
        "{again:?}"
    );

    let entries = audit_entries(&env.services, "command.raw");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].intent.source, Source::Button);
    assert_eq!(entries[1].intent.args["confirmed"], true);
    assert_eq!(entries[1].intent.args["requested_by"], 10);
    assert_eq!(entries[1].outcome(), &Outcome::Ok);
}

#[tokio::test]
async fn raw_text_the_policy_refuses_is_audited_and_not_sent() {
    let env = env().await;
    let sneaky = ModAction::Raw {
        text: ":h hi\n:shutdown".into(),
    };
    let error = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, sneaky)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ActionError::Erlc(ErlcError::Policy(PolicyViolation::MultiLine))
        ),
        "{error:?}"
    );
    assert!(error.user_message().contains("more than one line"));
    let entries = audit_entries(&env.services, "command.raw");
    assert!(matches!(entries[0].outcome(), Outcome::RefusedByPolicy(_)));
    assert_eq!(applied(&env.sim), ["log"]);
}

#[tokio::test]
async fn bans_reach_offline_players_and_unbans_use_the_ban_list() {
    let env = env().await;
    let ban = ModAction::Ban {
        player: "sam_w".into(),
        reason: Some("exploiting".into()),
    };
    let report = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, ban)
        .await
        .unwrap();
    assert_eq!(report.command_text, ":ban Sam_Ward exploiting");

    let unban = ModAction::Unban {
        player: "SAM_WARD".into(),
    };
    let report = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, unban)
        .await
        .unwrap();
    assert_eq!(
        report.command_text, ":unban 1004",
        "name looked up in the ban list"
    );

    let offline = ModAction::Ban {
        player: "5873310294".into(),
        reason: None,
    };
    let report = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, offline)
        .await
        .unwrap();
    assert_eq!(report.command_text, ":ban 5873310294");

    let partial = ModAction::Ban {
        player: "zq".into(),
        reason: None,
    };
    let error = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, partial)
        .await
        .unwrap_err();
    assert!(error.user_message().contains("full username"), "{error:?}");
    assert_eq!(applied(&env.sim), ["log", "ban", "unban", "ban"]);
}

#[tokio::test]
async fn prc_errors_are_recorded_with_their_code_and_explained() {
    let env = env().await;
    let hint = ModAction::Hint {
        text: "this has a badword in it".into(),
    };
    let error = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, hint)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ActionError::Erlc(ErlcError::ProhibitedMessage(_))
    ));
    assert!(error.user_message().contains("Reword"), "{error:?}");
    let entries = audit_entries(&env.services, "command.hint");
    assert!(
        matches!(entries[0].outcome(), Outcome::PrcError { code: 4003, .. }),
        "{:?}",
        entries[0].outcome()
    );
}
