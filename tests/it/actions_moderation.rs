//! In-game actions through `Services` against the simulator: player resolution, permission
//! refusals, command-injection safety, players named like a group word, raw-command
//! confirmation (also across a restart), the audit trail, and player name suggestions.

use std::path::Path;
use std::sync::Arc;

use erlc_bot::actions::{ActionError, ModAction};
use erlc_bot::clock::{Clock, ManualClock};
use erlc_bot::erlc::api::Confirmation;
use erlc_bot::erlc::{CommandBuildError, ErlcError, PolicyViolation};
use erlc_bot::sim::{FaultKind, FaultPlan, PlayerSpec};
use erlc_bot::store::maintenance::{MaintenanceConfig, run_once};
use erlc_bot::store::{AuditActor, AuditOutcome, Capability, Source, Store};
use erlc_bot::tracker::{TrackedServer, Tracker, TrackerConfig, sections_for};

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
        AuditOutcome::Pending,
        "intent written first"
    );
    assert_eq!(entry.outcome(), &AuditOutcome::Ok);
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
    assert!(matches!(
        entries[0].outcome(),
        AuditOutcome::PermissionDenied(_)
    ));
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
    assert_eq!(entries[1].outcome(), &AuditOutcome::Ok);
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
    assert!(matches!(
        entries[0].outcome(),
        AuditOutcome::RefusedByPolicy(_)
    ));
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
        matches!(
            entries[0].outcome(),
            AuditOutcome::PrcError { code: 4003, .. }
        ),
        "{:?}",
        entries[0].outcome()
    );
}

#[tokio::test]
async fn a_player_named_all_is_never_named_as_everyone() {
    let env = env().await;
    let server = env.sim.server(0).unwrap();
    server
        .add_player(PlayerSpec::named("All").with_id(2001))
        .unwrap();
    let everyone = online_names(&env);
    assert_eq!(everyone.len(), PLAYERS.len() + 1);

    // The player panel's Kick names the player by user id; `:kick` takes names only, and
    // `:kick All` would kick everyone, so nothing is sent.
    let kick = ModAction::Kick {
        player: "2001".into(),
        reason: Some("spam".into()),
    };
    let error = env
        .services
        .run_action(GUILD, &admin(), Source::Button, None, kick)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ActionError::Erlc(ErlcError::BadCommand(CommandBuildError::GroupWordName { name }))
                if name == "All"
        ),
        "{error:?}"
    );
    let message = error.user_message();
    assert!(
        message.contains("\"All\"") && message.contains("several players"),
        "{message}"
    );
    // Typed in any case, the name resolves to the same player and is refused the same way.
    let typed = ModAction::Pm {
        player: "aLL".into(),
        text: "hello".into(),
    };
    let typed = env
        .services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, typed)
        .await;
    assert!(typed.is_err(), "{typed:?}");
    assert_eq!(online_names(&env), everyone, "nobody was kicked");
    assert_eq!(applied(&env.sim), ["log"], "nothing reached the game");
    assert!(server.messages().is_empty());

    let kicks = audit_entries(&env.services, "command.kick");
    assert_eq!(kicks.len(), 1);
    assert_eq!(kicks[0].intent.source, Source::Button);
    assert_eq!(kicks[0].intent.target.as_deref(), Some("All"));
    assert!(
        matches!(kicks[0].outcome(), AuditOutcome::RefusedByPolicy(why) if why.contains("All")),
        "{:?}",
        kicks[0].outcome()
    );
    assert_eq!(audit_entries(&env.services, "command.pm").len(), 1);

    // `:ban` takes a user id, so the panel's Ban reaches exactly that player.
    let ban = ModAction::Ban {
        player: "2001".into(),
        reason: None,
    };
    let report = env
        .services
        .run_action(GUILD, &admin(), Source::Button, None, ban)
        .await
        .unwrap();
    assert_eq!(report.command_text, ":ban 2001");
    let applied = server.applied_commands();
    assert_eq!(applied.last().unwrap().targets, [2001], "only that player");
    let mut left = everyone;
    left.retain(|name| name != "All");
    assert_eq!(online_names(&env), left, "everyone else is still there");
}

/// The store in `dir` on a clock the test moves.
fn open_store_at(dir: &Path, clock: &Arc<ManualClock>) -> Store {
    let mut config = crate::support::store_config(dir);
    config.clock = clock.clone();
    Store::open(config).expect("store opens")
}

#[tokio::test]
async fn a_confirmation_survives_a_restart_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim().await;
    let clock = Arc::new(ManualClock::new(erlc_bot::clock::SystemClock.now_ms()));
    let ask = async |services: &erlc_bot::actions::Services| {
        let shutdown = ModAction::Raw {
            text: ":shutdown".into(),
        };
        match services
            .run_action(GUILD, &admin(), Source::SlashCommand, None, shutdown)
            .await
        {
            Err(ActionError::NeedsConfirmation { token, .. }) => token,
            other => panic!("{other:?}"),
        }
    };
    let (token, late) = {
        let services = services(open_store_at(dir.path(), &clock), sim.base_url());
        services
            .setup_server(GUILD, &admin(), "main", &sim_key(&sim))
            .await
            .unwrap();
        let token = ask(&services).await;
        clock.advance_ms(60_000);
        (token, ask(&services).await)
    };

    // A new process: the prompt's token still works, once.
    let services = services(open_store_at(dir.path(), &clock), sim.base_url());
    let report = services.confirm(GUILD, &admin(), &token).await.unwrap();
    assert_eq!(report.command_text, ":shutdown");
    assert!(sim.server(0).unwrap().players().is_empty());
    let again = services.confirm(GUILD, &admin(), &token).await;
    assert!(
        matches!(again, Err(ActionError::ConfirmationExpired)),
        "{again:?}"
    );

    // Five minutes after it was asked for, the other prompt is refused, and upkeep drops it.
    clock.advance_ms(5 * 60_000);
    let expired = services.confirm(GUILD, &admin(), &late).await.unwrap_err();
    assert!(matches!(expired, ActionError::ConfirmationExpired));
    assert!(
        expired.user_message().contains("expired"),
        "{}",
        expired.user_message()
    );
    let upkeep = run_once(services.store(), &MaintenanceConfig::default()).unwrap();
    assert_eq!(upkeep.confirmations, 1);
    assert_eq!(applied(&sim), ["log", "shutdown"]);
}

/// Autocomplete answers from the tracker's latest poll: with PRC answering in 3.5 s (past
/// Discord's 3 s) the names still come, and no request reaches PRC while suggesting. The
/// guild has no feed, so nothing but the tracker's own needs asks for the player list.
#[tokio::test]
async fn player_suggestions_come_from_the_tracker_without_asking_prc() {
    let env = env().await;
    let services = &env.services;
    let tracker = Tracker::new(services.store().clone(), TrackerConfig::default());
    let handle = services.directory().handle(GUILD, "main").await.unwrap();
    tracker
        .add_server(TrackedServer {
            guild: GUILD,
            label: "main".into(),
            handle,
            include: sections_for("main", &[]).include,
            want_bans: false,
        })
        .unwrap();
    let suggest = |actor, typed| {
        services
            .player_suggestions(&tracker, GUILD, &actor, None, typed)
            .unwrap()
    };
    assert!(
        suggest(admin(), "").is_empty(),
        "nothing before the first poll"
    );
    tracker.poll_once(GUILD, "main").await.unwrap();

    env.sim.set_faults(FaultPlan::probability(
        1.0,
        FaultKind::Latency { ms: 3_500 },
    ));
    env.sim.clear_requests();
    assert_eq!(suggest(admin(), " AV"), ["Avalon", "Avery_Cole"]);
    let mut everyone = online_names(&env);
    everyone.sort_by_key(|name| name.to_lowercase());
    assert_eq!(suggest(admin(), ""), everyone);
    assert!(
        suggest(member(7, &[]), "").is_empty(),
        "only members who may view the server"
    );
    assert_eq!(services.server_suggestions(GUILD, "MA").unwrap(), ["main"]);
    assert_eq!(env.sim.requests(), [], "no PRC request while suggesting");
}
