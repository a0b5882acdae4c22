//! Setup, server list, health, audit, admin and outcome replies.

use std::collections::{BTreeMap, BTreeSet};

use super::fixtures::*;
use super::{all_text, assert_fits, labels};
use crate::actions::{ActionReport, ModAction, SetupReport, SetupWarning};
use crate::erlc::api::Confirmation;
use crate::events::Pattern;
use crate::store::audit::{AuditActor, AuditOutcome, VerifyReport};
use crate::store::settings::{
    Capability, FeedFilters, FeedSubscription, ServerRecord, ServerStatus,
};
use crate::ui::custom_id::{ButtonAction, CustomId};
use crate::views::admin::{
    capabilities_help, feed_list, feed_removed, feed_saved, permissions_list, permissions_saved,
};
use crate::views::audit::{AuditFilter, audit_page, audit_verify};
use crate::views::health::{ServerHealthView, health};
use crate::views::outcome::{
    action_report, cancelled, confirm_prompt, erlc_error, error, permission_denied,
};
use crate::views::servers::{removed, server_list, setup_result};
use crate::views::{Light, PageTarget, PagedView};

fn setup(report: &SetupReport, webhook_url: Option<&str>) -> String {
    let message = setup_result(report, webhook_url);
    assert_fits(&message);
    all_text(&message)
}

#[test]
fn setup_results_cover_success_warnings_and_the_sandbox() {
    let ok = setup_report(Some("Riverside County RP"), vec![]);
    let url = "https://bot.example.org/prc/webhook/tok43";
    let text = setup(&ok, Some(url));
    for fact in [
        "ER:LC server connected",
        "Connected **main** to Riverside County RP.",
        "`fp:1a2b3c4d`",
        "Default\nyes",
        "Event Webhook",
        "`https://bot.example.org/prc/webhook/tok43`",
        "Audit record #7",
    ] {
        assert!(text.contains(fact), "missing {fact:?} in {text}");
    }
    assert!(!text.contains("To finish"), "{text}");
    assert!(
        !setup(&ok, None).contains("Webhook URL"),
        "no public address"
    );

    let blocked = SetupWarning::CommandsNotAuthorized {
        fix: prc_error(4000).fix(),
    };
    let text = setup(
        &setup_report(Some("Riverside County RP"), vec![blocked]),
        None,
    );
    assert!(
        text.contains("may not run commands on Riverside County RP yet"),
        "{text}"
    );
    assert!(text.contains("Trusted IP"), "the trusted-IP steps: {text}");
    let without_fix = SetupWarning::CommandsNotAuthorized { fix: None };
    let text = setup(&setup_report(None, vec![without_fix]), None);
    assert!(text.contains("Trusted IPs"), "our own steps: {text}");

    let offline = setup_report(None, vec![SetupWarning::ServerOffline]);
    let text = setup(&offline, None);
    assert!(text.contains("Connected **main** to the server."), "{text}");
    assert!(
        text.contains("offline, so the key could only be partly checked"),
        "{text}"
    );
    let colour = |report: &SetupReport| setup_result(report, None).embeds[0].colour;
    assert_ne!(colour(&ok), colour(&offline), "warnings change the colour");

    let mut sandbox = setup_report(Some("Sandbox"), vec![]);
    sandbox.record.sandbox = true;
    let text = setup(&sandbox, None);
    assert!(text.contains("to the built-in sandbox server"), "{text}");
}

#[test]
fn server_list_shows_status_fix_and_markers() {
    let servers = vec![
        record("main", ServerStatus::Ok, true, "Ann"),
        record("side", ServerStatus::KeyInvalid, false, "Bob"),
        ServerRecord {
            sandbox: true,
            ..record("sandbox", ServerStatus::Ok, false, "Ann")
        },
    ];
    let message = server_list(&servers);
    assert_fits(&message);
    let text = all_text(&message);
    for fact in [
        "✅ main · ⭐ default",
        "⛔ side",
        "🧪 sandbox",
        "`fp:1a2b3c4d`",
        "invalid or was regenerated",
        "**How to fix:** Copy the current key",
        "Added by Ann <t:1700000000:R>",
        "1 server needs attention",
    ] {
        assert!(text.contains(fact), "missing {fact:?} in {text}");
    }
    let many: Vec<_> = (0..40)
        .map(|i| record(&format!("s{i}"), ServerStatus::Offline, false, "x"))
        .collect();
    let message = server_list(&many);
    assert_fits(&message);
    assert!(all_text(&message).contains("…and 16 more"));
    let message = server_list(&[]);
    assert!(all_text(&message).contains("/server setup"));
    let message = removed("side", Some("main"));
    assert!(all_text(&message).contains("**main** is now the default"));
}

fn view(label: &str) -> ServerHealthView {
    ServerHealthView {
        label: label.into(),
        polling: true,
        status: "ok".into(),
        last_poll_ms: Some(NOW * 1000 - 5_000),
        lag_ms: Some(4_000),
        consecutive_errors: 0,
        last_error: None,
        headroom: Some((35, 40, Some(12))),
        next_poll_ms: Some(NOW * 1000 + 3_000),
    }
}

#[test]
fn health_lights_and_the_fix_for_the_last_error() {
    let green = view("main");
    let mut amber = view("side");
    amber.consecutive_errors = 1;
    let mut red = view("third");
    red.consecutive_errors = 4;
    red.last_error = Some((
        Some(2002),
        "The server key is not valid any more.".into(),
        Some("Copy the new key.".into()),
    ));
    let mut low = view("low");
    low.headroom = Some((1, 40, None));
    assert_eq!(
        [green.light(), amber.light(), red.light(), low.light()],
        [Light::Green, Light::Amber, Light::Red, Light::Amber]
    );
    let stopped = ServerHealthView {
        polling: false,
        ..view("stopped")
    };
    assert_eq!(stopped.light(), Light::Red);

    let message = health(&[green, amber, red], NOW * 1000);
    assert_fits(&message);
    assert_eq!(message.embeds[0].colour, Some(Light::Red.colour()));
    let text = all_text(&message);
    assert!(
        text.find("🔴 third").unwrap() < text.find("🟢 main").unwrap(),
        "worst first: {text}"
    );
    for fact in [
        "(PRC code 2002)",
        "**How to fix:** Copy the new key.",
        "Rate limit: 35/40 left, resets in 12 s",
        "Last poll late by: 4 s",
        "2 need attention",
    ] {
        assert!(text.contains(fact), "missing {fact:?} in {text}");
    }
    assert_fits(&health(&[], NOW * 1000));
    let many: Vec<_> = (0..40).map(|i| view(&format!("s{i}"))).collect();
    assert_fits(&health(&many, NOW * 1000));
}

#[test]
fn audit_pages_and_verification() {
    let entries = vec![
        audit_entry(
            1,
            AuditActor::Discord {
                id: 9,
                name: "Ann".into(),
            },
            "command.kick",
            "minty",
            AuditOutcome::Ok,
        ),
        audit_entry(
            3,
            AuditActor::System("tracker".into()),
            "server.status",
            "main",
            AuditOutcome::PrcError {
                code: 2002,
                message: "bad key".into(),
            },
        ),
        audit_entry(
            5,
            AuditActor::Player {
                id: Some(7),
                name: "Avery".into(),
            },
            "modcall.claim",
            "x",
            AuditOutcome::Pending,
        ),
    ];
    let filter = AuditFilter::new(Some(" Ann~ "), None);
    let (message, info) = audit_page(&entries, 0, true, &filter);
    assert_fits(&message);
    assert!(info.has_next);
    let text = all_text(&message);
    for fact in [
        "`#1`",
        "✅ **command.kick** → minty · by **Ann**",
        "reason: `RDM in the city`",
        "❌ **server.status**",
        "PRC error 2002: bad key",
        "⏳ **modcall.claim**",
        "(in game)",
    ] {
        assert!(text.contains(fact), "missing {fact:?} in {text}");
    }
    let next = CustomId::parse(&message.buttons.last().unwrap().custom_id).unwrap();
    let target = PageTarget::from_custom_id(&next).unwrap();
    assert_eq!(
        (
            target.view,
            target.page,
            target.filter.as_str(),
            next.server()
        ),
        (PagedView::Audit, 1, "Ann~", "_")
    );
    assert_eq!(AuditFilter::from_token(&target.filter), filter);
    assert!(text.contains("-# by Ann\n"), "{text}");
    let both = AuditFilter::new(Some("9"), Some("command.kick"));
    assert_eq!(AuditFilter::from_token(&both.token()), both);
    let (message, _) = audit_page(&[], 0, false, &both);
    assert!(all_text(&message).contains("match by 9, action command.kick"));
    let (message, _) = audit_page(&[], 0, false, &AuditFilter::default());
    assert!(all_text(&message).contains("No audit records match all actions"));
    let many: Vec<_> = (0..1000)
        .map(|i| {
            audit_entry(
                i,
                AuditActor::System("cli".into()),
                "a",
                "t",
                AuditOutcome::Ok,
            )
        })
        .collect();
    assert_fits(&audit_page(&many, 0, false, &AuditFilter::default()).0);

    let intact = audit_verify(&VerifyReport {
        records: 42,
        first_broken: None,
    });
    assert!(all_text(&intact).contains("Checked **42** records"));
    let broken = audit_verify(&VerifyReport {
        records: 7,
        first_broken: Some((8, "hash mismatch".into())),
    });
    let text = all_text(&broken);
    assert!(
        text.contains("Record **#8**")
            && text.contains("hash mismatch")
            && text.contains("How to fix"),
        "{text}"
    );
}

#[test]
fn admin_lists() {
    let feeds = vec![FeedSubscription {
        channel_id: 55,
        patterns: vec![
            Pattern::parse("main/player/*").unwrap(),
            Pattern::parse("?/kill").unwrap(),
        ],
        filters: FeedFilters {
            teams: vec!["Police".into()],
            players: vec![7],
        },
        added_at_ms: Default::default(),
    }];
    let text = all_text(&feed_list(&feeds));
    assert!(
        text.contains("<#55> ← `main/player/*` `?/kill` · teams: Police · 1 player: [User 7]"),
        "{text}"
    );
    assert!(all_text(&feed_list(&[])).contains("/feed add"));
    let saved = all_text(&feed_saved(&feeds[0]));
    assert!(saved.contains("<#55> now receives"), "{saved}");
    assert!(saved.contains("starts now") && saved.contains("from before it are not posted"));
    assert!(all_text(&feed_removed(55, false)).contains("has no feed"));

    let roles = BTreeMap::from([(10, BTreeSet::from([Capability::View, Capability::Ban]))]);
    let text = all_text(&permissions_list(&roles));
    assert!(text.contains("<@&10> → `view`, `ban`"), "{text}");
    assert!(all_text(&permissions_list(&BTreeMap::new())).contains("/permissions set"));
    assert!(
        all_text(&permissions_saved(10, &BTreeSet::new())).contains("no longer has any capability")
    );
    let help = capabilities_help();
    assert_fits(&help);
    assert_eq!(help.embeds[0].fields.len(), Capability::ALL.len());
}

#[test]
fn outcomes_errors_and_confirmation() {
    let kick = ModAction::Kick {
        player: "mint".into(),
        reason: Some("RDM".into()),
    };
    let confirmed = Confirmation::Confirmed { logged_at: NOW };
    let report = sent(kick, ":kick minty RDM", Some("minty"), confirmed);
    let text = all_text(&action_report(&report));
    for fact in [
        "✅ Kick done",
        "`:kick minty RDM`",
        "#12",
        "minty",
        "Confirmed in the server's command logs",
    ] {
        assert!(text.contains(fact), "missing {fact:?} in {text}");
    }
    let text = all_text(&action_report(&ActionReport {
        confirmation: Confirmation::NotSeen,
        ..report.clone()
    }));
    assert!(
        text.contains("⚠️ Kick sent, not seen in the logs yet"),
        "{text}"
    );
    let raw = ModAction::Raw {
        text: ":weather rain".into(),
    };
    let text = all_text(&action_report(&sent(
        raw,
        ":weather rain",
        None,
        Confirmation::NotRequested,
    )));
    assert!(
        text.contains("✅ Command sent") && !text.contains("Target"),
        "{text}"
    );

    let message = error("The player is not in game.", Some("Check the name."));
    assert_fits(&message);
    assert!(all_text(&message).contains("How to fix"));
    let text = all_text(&erlc_error(&prc_error(4000)));
    assert!(
        text.contains("Trusted IP") && text.contains("code 4000"),
        "{text}"
    );
    let text = all_text(&permission_denied(Capability::Ban, Some(4)));
    assert!(
        text.contains("`ban`") && text.contains("audit #4"),
        "{text}"
    );

    let prompt = confirm_prompt(
        "main",
        ":shutdown",
        "This stops the server for everyone.",
        "tok123",
    )
    .unwrap();
    assert_fits(&prompt);
    assert_eq!(labels(&prompt), ["Confirm", "Cancel"]);
    let confirm = CustomId::parse(&prompt.buttons[0].custom_id).unwrap();
    assert_eq!(
        (confirm.action(), confirm.target()),
        (ButtonAction::CommandConfirm, "tok123")
    );
    assert!(confirm_prompt("main", ":shutdown", "why", "bad token").is_err());
    assert!(all_text(&cancelled(":shutdown")).contains("Nothing was sent"));
}

#[test]
fn webhook_instructions_give_the_url_or_the_missing_step() {
    use crate::views::servers::webhook_instructions;
    let with = webhook_instructions("main", Some("https://bot.example.org/prc/webhook/abc"));
    assert_fits(&with);
    let text = all_text(&with);
    assert!(
        text.contains("https://bot.example.org/prc/webhook/abc"),
        "{text}"
    );
    assert!(text.contains("Event Webhook"), "{text}");
    let without = webhook_instructions("main", None);
    assert_fits(&without);
    assert!(all_text(&without).contains("PUBLIC_URL"));
}
