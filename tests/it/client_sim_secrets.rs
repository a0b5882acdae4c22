//! Keys never leak: with every log line of the client and the simulator captured, reads, a
//! command, a command 429 (whose bucket name contains both keys), a 2002 and network failures
//! are made with known keys, and neither a key nor its secret half appears in the logs, in any
//! error's Display or Debug, in the client's request records or buckets, or in the simulator's
//! request log.

use std::io::Write;
use std::sync::{Arc, Mutex};

use erlc_bot::erlc::api::CommandOptions;
use erlc_bot::erlc::{ClientConfig, ErlcClient, ErlcError, GlobalKey, Include, ServerKey};
use erlc_bot::sim::{BucketLimit, FaultKind, FaultPlan, PlayerSpec, SimConfig};

use crate::support::client_sim::*;

const GLOBAL: &str = "GlobalAppSecret9f3k2";

/// Everything the tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

fn describe(err: &ErlcError) -> String {
    format!("{err}\n{err:?}\n{}\n", err.user_message())
}

fn describe_client(client: &ErlcClient) -> String {
    format!(
        "{client:?}\n{:?}\n{:?}\n{:?}\n{:?}\n",
        client.recent_requests(),
        client.buckets(),
        client.open_breakers(),
        client.stats()
    )
}

/// Every test task (client, simulator, hyper) runs on this one thread, so the thread-local
/// subscriber sees all of their logs.
#[tokio::test(flavor = "current_thread")]
async fn keys_never_appear_in_logs_errors_records_or_the_sim_log() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let clock = manual_clock();
    let sim = start_sim(SimConfig {
        servers: 2,
        global_keys: vec![GLOBAL.to_owned()],
        command_limit: BucketLimit::new(1, 5),
        ..sim_config(&clock)
    })
    .await;
    sim.server(0)
        .unwrap()
        .add_player(PlayerSpec::named(POLICE_NAME))
        .unwrap();
    let key = key_of(&sim, 0);
    let old_key = key_of(&sim, 1);
    let mut secrets = vec![GLOBAL.to_owned()];
    for k in [&key, &old_key] {
        secrets.push(k.expose().to_owned());
        let (secret_half, _) = k.expose().split_once('-').unwrap();
        secrets.push(secret_half.to_owned());
    }
    let mut shown = String::new();

    let plain = client(client_config(&sim, &clock));
    let server = plain.server(key.clone());
    server.snapshot(Include::all()).await.unwrap();
    server.players().await.unwrap();
    server
        .send_command(":h keys stay secret", &CommandOptions::default())
        .await
        .unwrap();

    // Commands from an app with a global key count in `command-<global>-<key>`; a second app
    // client that has not learned that bucket yet gets a 429 naming it.
    let app_config = || ClientConfig {
        global_key: Some(GlobalKey::new(GLOBAL)),
        ..client_config(&sim, &clock)
    };
    shown.push_str(&format!("{:?}\n", app_config()));
    let app = client(app_config());
    app.server(key.clone())
        .send_command(":h from the app", &CommandOptions::default())
        .await
        .unwrap();
    let late_app = client(app_config());
    let err = late_app
        .server(key.clone())
        .send_command(":h too soon", &CommandOptions::default())
        .await
        .unwrap_err();
    let fp = key.fingerprint();
    let global_fp = GlobalKey::new(GLOBAL).fingerprint();
    let expected_bucket = format!("command-{global_fp}-{fp}");
    assert!(
        matches!(&err, ErlcError::RateLimited { bucket: Some(b), .. } if *b == expected_bucket),
        "{err:?}"
    );
    shown.push_str(&describe(&err));

    sim.server(1).unwrap().rotate_key();
    let err = plain
        .server(old_key.clone())
        .server_info()
        .await
        .unwrap_err();
    assert_eq!(err.prc_code(), Some(2002));
    shown.push_str(&describe(&err));

    sim.set_faults(FaultPlan::next(10, FaultKind::Drop).on_path("/v1/server/queue"));
    let err = server.queue().await.unwrap_err();
    assert!(matches!(err, ErlcError::Network { .. }), "{err:?}");
    shown.push_str(&describe(&err));
    sim.clear_faults();

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let offline = client(ClientConfig {
        global_key: Some(GlobalKey::new(GLOBAL)),
        ..ClientConfig::with_base_url(nowhere)
    });
    let err = offline.server(key.clone()).server_info().await.unwrap_err();
    assert!(matches!(err, ErlcError::Network { .. }), "{err:?}");
    shown.push_str(&describe(&err));

    for c in [&plain, &app, &late_app, &offline] {
        shown.push_str(&describe_client(c));
    }
    shown.push_str(&format!(
        "{server:?}\n{:?}\n{:?}\n{:?}\n",
        server.read_headroom(),
        ServerKey::new(key.expose()),
        sim.servers()
    ));
    let sim_log = sim.requests();
    shown.push_str(&format!(
        "{sim_log:?}\n{}\n",
        serde_json::to_string(&sim_log).unwrap()
    ));
    sim.shutdown().await;

    let logs = captured.text();
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "{secret} in the logs:\n{logs}"
        );
        assert!(!shown.contains(secret.as_str()), "{secret} shown:\n{shown}");
    }
    // The check means something only if the keys' traces are there, as fingerprints.
    assert!(logs.contains("PRC request") && logs.contains(&fp), "{logs}");
    assert!(shown.contains(&expected_bucket), "{shown}");
    assert!(
        app.buckets().iter().any(|b| b.name == expected_bucket),
        "{:?}",
        app.buckets()
    );
    assert!(
        sim_log
            .iter()
            .any(|r| r.bucket.as_deref() == Some(expected_bucket.as_str()))
    );
    assert!(sim_log.iter().any(|r| r.prc_code == Some(2002)));
    assert!(sim_log.iter().any(|r| r.fault.as_deref() == Some("drop")));
}
