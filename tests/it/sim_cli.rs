//! `erlc-bot sim` and the background activity task.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use erlc_bot::sim::cli::{SimArgs, banner, config, keys_text};
use erlc_bot::sim::{ActivityConfig, BucketLimit, SimConfig, Simulator};

#[tokio::test]
async fn background_activity_ticks_until_shutdown() {
    let sim = Simulator::start(SimConfig {
        activity: Some(ActivityConfig {
            interval: Duration::from_millis(10),
            target_players: 5,
        }),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let server = sim.server(0).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.players().is_empty() {
        assert!(Instant::now() < deadline, "activity never added a player");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn banner_tells_how_to_use_the_simulator() {
    let args = SimArgs {
        port: 0,
        bind: "127.0.0.1".parse().unwrap(),
        servers: 2,
        seed: 3,
        players: 2,
        no_activity: true,
        activity_interval: Duration::from_secs(2),
        read_limit: Some(500),
        keys_out: None,
    };
    let config = config(&args);
    assert!(config.activity.is_none());
    assert_eq!(config.read_limit, BucketLimit::new(500, 10));
    let sim = Simulator::start(config).await.unwrap();
    let text = banner(&sim);
    let base = sim.base_url();
    assert!(text.contains(&format!("ERLC_API_BASE={base}")));
    assert!(text.contains(&sim.webhook_public_key_spki_base64()));
    for s in sim.servers() {
        assert!(text.contains(&s.key) && text.contains(&s.name) && text.contains(&s.join_key));
    }
    assert!(text.contains(&format!(
        "curl -s -H 'Server-Key: {}'",
        sim.servers()[0].key
    )));
    let keys: Vec<String> = sim.servers().into_iter().map(|s| s.key).collect();
    assert_eq!(keys_text(&sim), format!("{}\n", keys.join("\n")));
    sim.shutdown().await;
}

#[test]
fn binary_serves_until_interrupted() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_erlc-bot"))
        .args(["sim", "--port", "0", "--servers", "1", "--no-activity"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let url = first.rsplit(' ').next().expect("url").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");

    let body = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            let r = client
                .get(format!("{url}/_sim/servers"))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        })
    })
    .join()
    .unwrap();
    assert_eq!(body, 200);

    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "simulator did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "clean exit: {status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(
        rest.last().map(String::as_str),
        Some("stopping the simulator")
    );
}
