//! Every PRC error code the simulator can produce reaches the caller of the real client as its
//! own `ErlcError` variant, with the right code, PRC's message and a plain-English explanation
//! and fix; and `validate_key` sorts each situation into the right verdict.

use erlc_bot::erlc::api::{CommandOptions, KeyValidation, PROBE_COMMAND};
use erlc_bot::erlc::{ClientConfig, ErlcError, GlobalKey, RetryPolicy, ServerHandle, ServerKey};
use erlc_bot::sim::{BucketLimit, FaultKind, FaultPlan, PlayerSpec, Quirks, SimConfig, SimHandle};

use crate::support::client_sim::*;

/// What a code must look like to the person reading it.
struct Expect {
    code: i64,
    http_status: u16,
    explanation_says: &'static str,
    fix_says: &'static str,
}

const fn expect(
    code: i64,
    http_status: u16,
    explanation_says: &'static str,
    fix_says: &'static str,
) -> Expect {
    Expect {
        code,
        http_status,
        explanation_says,
        fix_says,
    }
}

fn is_variant(err: &ErlcError, code: i64) -> bool {
    use ErlcError::*;
    match code {
        0 => matches!(err, Unknown(_)),
        1001 => matches!(err, RobloxCommunication(_)),
        1002 => matches!(err, InternalError(_)),
        2000 => matches!(err, MissingServerKey(_)),
        2001 => matches!(err, MalformedServerKey(_)),
        2002 => matches!(err, InvalidServerKey(_)),
        2003 => matches!(err, InvalidGlobalKey(_)),
        2004 => matches!(err, BannedServerKey(_)),
        3001 => matches!(err, InvalidCommand(_)),
        3002 => matches!(err, ServerOffline(_)),
        4000 => matches!(err, NotAuthorized(_)),
        4002 => matches!(err, RestrictedCommand(_)),
        4003 => matches!(err, ProhibitedMessage(_)),
        9998 => matches!(err, RestrictedResource(_)),
        9999 => matches!(err, ModuleOutdated(_)),
        _ => false,
    }
}

fn check(err: &ErlcError, want: &Expect, endpoint: &str) {
    let code = want.code;
    assert!(is_variant(err, code), "code {code} gave {err:?}");
    assert_eq!(err.prc_code(), Some(code));
    let info = err.prc_info().expect("PRC's details are kept");
    assert_eq!(info.endpoint, endpoint, "{code}");
    assert_eq!(info.http_status, want.http_status, "{code}");
    assert!(!info.message.is_empty(), "PRC's message is kept for {code}");
    assert!(err.to_string().contains(&format!("(code {code})")), "{err}");
    assert!(
        err.explanation().contains(want.explanation_says),
        "{code}: {}",
        err.explanation()
    );
    let fix = err.fix().expect("every PRC code has a fix");
    assert!(fix.contains(want.fix_says), "{code}: {fix}");
    assert!(!err.is_retryable() || matches!(code, 1001 | 1002), "{code}");
}

fn no_retries(
    sim: &SimHandle,
    clock: &std::sync::Arc<erlc_bot::clock::ManualClock>,
) -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy::none(),
        ..client_config(sim, clock)
    }
}

/// A simulator whose first server has a player (so commands can run) and a client for it.
async fn rig() -> (
    SimHandle,
    std::sync::Arc<erlc_bot::clock::ManualClock>,
    ServerHandle,
) {
    let clock = manual_clock();
    let sim = start_sim(SimConfig {
        servers: 2,
        ..sim_config(&clock)
    })
    .await;
    sim.server(0)
        .unwrap()
        .add_player(PlayerSpec::named("Avery_Cole"))
        .unwrap();
    let client = client(no_retries(&sim, &clock));
    let server = handle(&client, &sim, 0);
    (sim, clock, server)
}

#[tokio::test]
async fn credential_codes_map_to_their_variants() {
    let (sim, clock, _) = rig().await;
    let plain = client(no_retries(&sim, &clock));
    let read = |key: ServerKey| {
        let server = plain.server(key);
        async move { server.server_info().await.unwrap_err() }
    };

    let err = read(ServerKey::new("")).await;
    check(
        &err,
        &expect(2000, 403, "No server key", "Copy the key again"),
        "GET /v1/server",
    );
    let err = read(ServerKey::new("nohyphen")).await;
    check(
        &err,
        &expect(2001, 403, "not in the format", "Copy the key again"),
        "GET /v1/server",
    );
    let old = key_of(&sim, 0);
    sim.server(0).unwrap().rotate_key();
    let err = read(old).await;
    check(
        &err,
        &expect(2002, 403, "not valid any more", "regenerated"),
        "GET /v1/server",
    );
    assert!(err.key_is_unusable());
    sim.server(1).unwrap().ban_key();
    let err = read(key_of(&sim, 1)).await;
    check(
        &err,
        &expect(2004, 403, "banned", "API ticket"),
        "GET /v1/server",
    );
    assert!(err.key_is_unusable());

    let with_global = client(ClientConfig {
        global_key: Some(GlobalKey::new("NotIssuedByPrc")),
        ..no_retries(&sim, &clock)
    });
    let err = with_global
        .server(key_of(&sim, 0))
        .server_info()
        .await
        .unwrap_err();
    check(
        &err,
        &expect(2003, 403, "global API key", "ERLC_GLOBAL_API_KEY"),
        "GET /v1/server",
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn command_codes_map_to_their_variants() {
    let (sim, _clock, server) = rig().await;
    let send = |text: &'static str| {
        let server = server.clone();
        async move {
            server
                .send_command(text, &CommandOptions::default())
                .await
                .unwrap_err()
        }
    };
    let endpoint = "POST /v2/server/command";
    check(
        &send(":notacommand now").await,
        &expect(3001, 400, "did not recognise", "spelling"),
        endpoint,
    );
    check(
        &send(":view Avery_Cole").await,
        &expect(4002, 400, "does not allow this command", "in game"),
        endpoint,
    );
    check(
        &send(":h what a badword").await,
        &expect(4003, 400, "chat filter", "Reword"),
        endpoint,
    );
    sim.server(0).unwrap().set_trusted_ips(Vec::new());
    let err = send(":h hello").await;
    check(
        &err,
        &expect(4000, 403, "not allowed to run commands", "Trusted IP"),
        endpoint,
    );
    assert!(err.user_message().contains("Trusted IP"));

    let empty = handle(
        &client(ClientConfig::with_base_url(sim.base_url())),
        &sim,
        1,
    );
    let err = empty
        .send_command(":h anyone there?", &CommandOptions::default())
        .await
        .unwrap_err();
    check(
        &err,
        &expect(3002, 422, "offline", "Join the server"),
        endpoint,
    );
    assert!(
        err.prc_info().unwrap().command_id.is_some(),
        "3002 names the command"
    );
    let posts = sim.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 5, "each refused command was sent once");
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_server_side_codes_map_to_their_variants() {
    let (sim, _clock, server) = rig().await;
    let table = [
        expect(0, 500, "unknown error", "PRC support"),
        expect(1001, 500, "through Roblox", "temporary"),
        expect(1002, 500, "internal problem", "temporary"),
        expect(9998, 403, "restricts access", "not available"),
        expect(9999, 500, "out of date", "Restart the game server"),
    ];
    for want in table {
        sim.set_faults(FaultPlan::next(
            1,
            FaultKind::Prc {
                code: want.code as u16,
            },
        ));
        let err = server.players().await.unwrap_err();
        check(&err, &want, "GET /v1/server/players");
    }
    sim.shutdown().await;
}

/// With the "GETs fail while empty" quirk, reads of an empty server are 3002 as well.
#[tokio::test]
async fn reads_of_an_empty_server_can_be_3002() {
    let clock = manual_clock();
    let sim = start_sim(SimConfig {
        quirks: Quirks {
            offline_gets_422: true,
            ..Quirks::default()
        },
        ..sim_config(&clock)
    })
    .await;
    let server = handle(&client(no_retries(&sim, &clock)), &sim, 0);
    let err = server
        .snapshot(erlc_bot::erlc::Include::all())
        .await
        .unwrap_err();
    check(
        &err,
        &expect(3002, 422, "offline", "Join the server"),
        "GET /v2/server",
    );
    match server.validate_key(false).await {
        KeyValidation::ServerOffline(e) => assert_eq!(e.prc_code(), Some(3002)),
        other => panic!("expected ServerOffline, got {other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn validate_key_gives_the_matching_verdict() {
    let (sim, clock, server) = rig().await;
    match server.validate_key(false).await {
        KeyValidation::Ok(info) => assert_eq!(info.name, sim.server(0).unwrap().info().name),
        other => panic!("expected Ok, got {other:?}"),
    }
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "no probe unless asked"
    );
    match server.validate_key(true).await {
        KeyValidation::Ok(_) => {}
        other => panic!("expected Ok with a probe, got {other:?}"),
    }
    let probes: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(probes.len(), 1);
    assert_eq!(probes[0].command.as_deref(), Some(PROBE_COMMAND));

    sim.server(0).unwrap().set_trusted_ips(Vec::new());
    match server.validate_key(true).await {
        KeyValidation::NotAuthorized {
            server: info,
            error,
        } => {
            assert_eq!(error.prc_code(), Some(4000));
            assert!(!info.name.is_empty());
        }
        other => panic!("expected NotAuthorized, got {other:?}"),
    }
    assert!(server.validate_key(true).await.can_read());

    sim.set_faults(FaultPlan::next(1, FaultKind::Prc { code: 1002 }));
    assert!(matches!(
        server.validate_key(false).await,
        KeyValidation::Unavailable(ErlcError::InternalError(_))
    ));

    let client = client(no_retries(&sim, &clock));
    let malformed = client.server(ServerKey::new("nohyphen"));
    assert!(matches!(
        malformed.validate_key(false).await,
        KeyValidation::Invalid(ErlcError::MalformedServerKey(_))
    ));
    sim.server(1).unwrap().ban_key();
    let banned = handle(&client, &sim, 1);
    assert!(matches!(
        banned.validate_key(false).await,
        KeyValidation::Banned(ErlcError::BannedServerKey(_))
    ));
    sim.server(0).unwrap().rotate_key();
    let verdict = server.validate_key(false).await;
    assert!(
        matches!(
            &verdict,
            KeyValidation::Invalid(ErlcError::InvalidServerKey(_))
        ),
        "{verdict:?}"
    );
    assert!(verdict.user_message().contains("regenerated"));
    sim.shutdown().await;
}

/// A key checked while someone else has used up the shared GET bucket: rate limited, with
/// PRC's retry_after.
#[tokio::test]
async fn validate_key_reports_rate_limits_with_the_wait() {
    let clock = manual_clock();
    let sim = start_sim(SimConfig {
        servers: 2,
        read_limit: BucketLimit::new(2, 4),
        ..sim_config(&clock)
    })
    .await;
    let raw = reqwest::Client::builder().no_proxy().build().unwrap();
    let other_key = sim.server(1).unwrap().info().key;
    for _ in 0..2 {
        raw.get(format!("{}/v1/server", sim.base_url()))
            .header("Server-Key", &other_key)
            .send()
            .await
            .unwrap();
    }
    let server = handle(&client(no_retries(&sim, &clock)), &sim, 0);
    match server.validate_key(false).await {
        KeyValidation::RateLimited { retry_after } => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(4)));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    let fresh = handle(&client(no_retries(&sim, &clock)), &sim, 0);
    let err = fresh.server_info().await.unwrap_err();
    assert!(
        matches!(&err, ErlcError::RateLimited { bucket: Some(b), info, .. }
            if b == "unauthenticated-global" && info.http_status == 429),
        "{err:?}"
    );
    assert_eq!(err.prc_code(), Some(4001));
    assert!(
        err.explanation().contains("wait 4.0 s"),
        "{}",
        err.explanation()
    );
    assert!(err.fix().unwrap().contains("Wait"));
    assert!(err.is_retryable());
    sim.shutdown().await;
}
