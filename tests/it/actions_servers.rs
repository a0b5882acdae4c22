//! Server management through `Services`: live key checks before saving, the sandbox (and its
//! key surviving a restart), trusted-IP warnings, and keys kept out of the audit log.

use erlc_bot::actions::{ActionError, ModAction, SetupWarning};
use erlc_bot::sim::MessageKind;
use erlc_bot::store::{AuditOutcome, AuditQuery, Source, tracker_scope};

use crate::support::actions::*;
use crate::support::open_store;

#[tokio::test]
async fn a_rejected_key_saves_nothing_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim().await;
    let services = services(open_store(dir.path()), sim.base_url());

    let malformed = services
        .setup_server(GUILD, &admin(), "main", "not a key")
        .await
        .unwrap_err();
    assert!(matches!(malformed, ActionError::BadKey(_)), "{malformed:?}");
    assert!(malformed.user_message().contains("Private Server Settings"));

    let wrong_key = "WrongSecret12345-abcdef";
    let rejected = services
        .setup_server(GUILD, &admin(), "main", wrong_key)
        .await
        .unwrap_err();
    assert!(
        matches!(rejected, ActionError::KeyRejected(_)),
        "{rejected:?}"
    );
    let message = rejected.user_message();
    assert!(message.contains("Nothing was saved"), "{message}");
    assert!(message.contains("setup again"), "{message}");
    assert!(
        services
            .list_servers(GUILD, &admin())
            .await
            .unwrap()
            .is_empty()
    );

    let entries = audit_entries(&services, "server.add");
    assert_eq!(entries.len(), 1, "the malformed key never reached PRC");
    assert!(
        matches!(
            entries[0].outcome(),
            AuditOutcome::PrcError { code: 2002, .. }
        ),
        "{:?}",
        entries[0].outcome()
    );

    let bad_label = services
        .setup_server(GUILD, &admin(), "main server!", &sim_key(&sim))
        .await
        .unwrap_err();
    assert!(
        bad_label
            .user_message()
            .contains("cannot be a server label")
    );

    let none = services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, hint("hi"))
        .await
        .unwrap_err();
    assert!(
        none.user_message().contains("run /server setup"),
        "{none:?}"
    );

    let export = services.audit_export(GUILD, &admin()).await.unwrap();
    let text = String::from_utf8(export).unwrap();
    assert!(!text.contains("WrongSecret12345"), "{text}");
}

fn hint(text: &str) -> ModAction {
    ModAction::Hint { text: text.into() }
}

#[tokio::test]
async fn commands_not_authorized_saves_with_the_trusted_ip_steps() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim().await;
    sim.server(0).unwrap().set_trusted_ips(vec![]);
    let services = services(open_store(dir.path()), sim.base_url());
    let report = services
        .setup_server(GUILD, &admin(), "Main", &sim_key(&sim))
        .await
        .unwrap();
    assert_eq!(report.record.label, "main");
    assert!(report.record.is_default && !report.record.sandbox);
    match report.warnings.as_slice() {
        [SetupWarning::CommandsNotAuthorized { fix: Some(fix) }] => {
            assert!(fix.contains("Trusted IP"), "{fix}");
        }
        other => panic!("{other:?}"),
    }
    // The same kind of token `/server webhook` makes: 256 bits, 43 URL-safe characters.
    assert_eq!(report.webhook_token.len(), 43);
    assert!(
        report
            .webhook_token
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    assert_eq!(
        report.record.webhook_token.as_deref(),
        Some(report.webhook_token.as_str())
    );
    assert_eq!(
        services
            .store()
            .settings()
            .find_by_webhook_token(&report.webhook_token)
            .unwrap(),
        Some((GUILD, "main".to_owned()))
    );

    let error = services
        .run_action(GUILD, &admin(), Source::SlashCommand, None, hint("hello"))
        .await
        .unwrap_err();
    assert!(error.user_message().contains("Trusted IP"), "{error:?}");
    let entries = audit_entries(&services, "command.hint");
    assert!(matches!(
        entries[0].outcome(),
        AuditOutcome::PrcError { code: 4000, .. }
    ));

    let duplicate = services
        .setup_server(GUILD, &admin(), "main", &sim_key(&sim))
        .await
        .unwrap_err();
    assert!(
        duplicate.user_message().contains("already exists"),
        "{duplicate:?}"
    );
}

#[tokio::test]
async fn the_sandbox_works_and_its_stored_key_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // The real API base is never used by a sandbox; nothing listens here.
    let unused_base = "http://127.0.0.1:9".to_owned();
    let first = services(open_store(dir.path()), unused_base.clone());
    let report = first
        .setup_server(GUILD, &admin(), "try", " Sandbox ")
        .await
        .unwrap();
    assert!(report.record.sandbox);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let (record, handle) = first.directory().resolve(GUILD, None).await.unwrap();
    assert_eq!(record.label, "try");
    let players = handle.players().await.unwrap();
    assert_eq!(players.len(), 8);
    let info = handle.server_info().await.unwrap();
    assert_eq!(Some(info.name.clone()), report.server_name);
    first.shutdown().await.unwrap();
    drop((first, handle));

    let second = services(open_store(dir.path()), unused_base);
    let (_, handle) = second.directory().resolve(GUILD, None).await.unwrap();
    assert_eq!(handle.server_info().await.unwrap().name, info.name);
    let report = second
        .run_action(
            GUILD,
            &admin(),
            Source::SlashCommand,
            None,
            hint("welcome to the sandbox"),
        )
        .await
        .unwrap();
    assert_eq!(report.server_label, "try");
    let sandbox = second.directory().sandbox().running(GUILD).await.unwrap();
    let messages = sandbox.sim().server(0).unwrap().messages();
    assert!(
        messages
            .iter()
            .any(|m| m.kind == MessageKind::Hint && m.text == "welcome to the sandbox"),
        "{messages:?}"
    );
    let all = second.directory().all().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(second.directory().labels(GUILD).unwrap(), ["try"]);

    let removed = second.remove_server(GUILD, &admin(), "try").await.unwrap();
    assert!(removed.sandbox);
    assert!(second.directory().sandbox().running(GUILD).await.is_none());
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn keys_never_reach_the_audit_log() {
    let env = env().await;
    let key = sim_key(&env.sim);
    let secret = key.split_once('-').unwrap().0.to_owned();
    let services = &env.services;
    services
        .setup_server(GUILD, &admin(), "side", "sandbox")
        .await
        .unwrap();
    services
        .set_default_server(GUILD, &admin(), "side")
        .await
        .unwrap();
    services
        .feeds_add(GUILD, &admin(), 77, "joins main/kill", Default::default())
        .await
        .unwrap();
    let feeds = services.feeds_list(GUILD, &admin()).await.unwrap();
    assert_eq!(feeds[0].patterns.len(), 3);
    services
        .permissions_set(GUILD, &admin(), 5, "view")
        .await
        .unwrap();
    services
        .run_action(
            GUILD,
            &admin(),
            Source::SlashCommand,
            Some("main"),
            ModAction::Raw {
                text: format!(":log {key}"),
            },
        )
        .await
        .unwrap();
    assert!(services.feeds_remove(GUILD, &admin(), 77).await.unwrap());
    // What a tracker left for the server is forgotten with it, so a server connected later
    // under the same label starts from a fresh baseline.
    let store = services.store();
    store
        .events()
        .append_with_checkpoint(GUILD, "main", vec![], b"last view")
        .unwrap();
    store
        .dedupe()
        .set_watermark(&tracker_scope(GUILD, "main", "kills"), "newest", 10)
        .unwrap();
    services
        .remove_server(GUILD, &admin(), "main")
        .await
        .unwrap();
    assert_eq!(store.events().checkpoint(GUILD, "main").unwrap(), None);
    assert_eq!(
        store
            .dedupe()
            .watermark(&tracker_scope(GUILD, "main", "kills"), "newest")
            .unwrap(),
        None
    );

    let sandbox_key = services
        .directory()
        .sandbox()
        .running(GUILD)
        .await
        .unwrap()
        .key()
        .expose()
        .to_owned();
    let export = services.audit_export(GUILD, &admin()).await.unwrap();
    let text = String::from_utf8(export).unwrap();
    assert!(!text.contains(&secret), "the key leaked into the audit log");
    assert!(!text.contains(&sandbox_key), "the sandbox key leaked");
    assert!(text.contains("server.add") && text.contains("feed.add"));
    let lines = text.lines().count();
    let report = services.audit_verify(GUILD, &admin()).await.unwrap();
    assert!(report.is_intact());
    assert_eq!(report.records as usize, lines);

    let page = services
        .audit_search(
            GUILD,
            &admin(),
            &AuditQuery {
                action: Some("server.add".into()),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 2);
    assert!(
        page.entries
            .iter()
            .all(|e| e.outcome() == &AuditOutcome::Ok)
    );

    let viewer = member(3, &[5]);
    let denied = services.audit_export(GUILD, &viewer).await.unwrap_err();
    assert!(
        denied.user_message().contains("capabilities:manage"),
        "{denied:?}"
    );
    assert_eq!(
        services.list_servers(GUILD, &viewer).await.unwrap().len(),
        1
    );
    services.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_webhook_token_is_the_one_setup_made_and_showing_it_is_audited() {
    let env = env().await;
    let services = &env.services;
    let settings = services.store().settings();
    let made_at_setup = settings.server(GUILD, "main").unwrap().webhook_token;
    let (record, token) = services.webhook_token(GUILD, &admin(), None).await.unwrap();
    assert_eq!(record.label, "main");
    assert_eq!(Some(token.clone()), made_at_setup);

    // A server stored without a token gets one of the same kind, and keeps it.
    settings.set_webhook_token(GUILD, "main", None).unwrap();
    let (_, made) = services
        .webhook_token(GUILD, &admin(), Some("main"))
        .await
        .unwrap();
    assert_eq!(made.len(), token.len());
    assert_ne!(made, token);
    let (_, again) = services.webhook_token(GUILD, &admin(), None).await.unwrap();
    assert_eq!(again, made);

    let viewer = member(3, &[]);
    let denied = services
        .webhook_token(GUILD, &viewer, None)
        .await
        .unwrap_err();
    assert!(
        matches!(denied, ActionError::PermissionDenied { .. }),
        "{denied:?}"
    );
    let entries = audit_entries(services, "server.webhook");
    let outcomes: Vec<&AuditOutcome> = entries.iter().map(|e| e.outcome()).collect();
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    assert!(
        outcomes[..3].iter().all(|o| **o == AuditOutcome::Ok),
        "{outcomes:?}"
    );
    assert!(matches!(outcomes[3], AuditOutcome::PermissionDenied(_)));
    let export = services.audit_export(GUILD, &admin()).await.unwrap();
    let text = String::from_utf8(export).unwrap();
    assert!(
        !text.contains(&token) && !text.contains(&made),
        "webhook tokens stay out of the audit log"
    );
}
