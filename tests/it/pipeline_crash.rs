//! Exactly-once delivery across hard crashes. The parent runs the PRC simulator (activity
//! driven by the parent) and a Discord-like HTTP sink (a repeated nonce answers with the
//! first message). A child process (this test binary again, role chosen by environment)
//! runs store + tracker + feed pipeline against them and is killed with SIGKILL after a
//! random number of deliveries, then restarted on the same data directory, at least ten
//! times. At the end the parent drains the outbox itself and checks that every stored event
//! reached each channel that follows it exactly once: no event lost, none posted twice under
//! different nonces.

use std::collections::{BTreeMap, HashSet};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Json, State};
use axum::http::StatusCode;
use axum::routing::post;
use erlc_bot::erlc::models::Include;
use erlc_bot::erlc::{ClientConfig, ErlcClient, ServerKey};
use erlc_bot::feeds::pipeline::route_of;
use erlc_bot::feeds::{
    BatchConfig, DeliveryRetry, FeedPipeline, FeedRouter, PipelineConfig, RecordingSink, Sink,
    SinkError, SinkFuture, render_event,
};
use erlc_bot::sim::{BucketLimit, SimConfig, Simulator};
use erlc_bot::store::Store;
use erlc_bot::tracker::{TrackedServer, Tracker, TrackerConfig};
use erlc_bot::ui::Message;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::support::child::rerun_test;
use crate::support::open_store;
use crate::support::pipeline::{Running, subscribe};
use crate::support::wait::wait_for;

const CHILD_ENV: &str = "ERLC_PIPELINE_CRASH_CHILD";
const GUILD: u64 = 77;
const LABELS: [&str; 2] = ["main", "side"];
const ROUNDS: usize = 12;

#[derive(Debug, Serialize, Deserialize)]
struct CreateRequest {
    channel_id: u64,
    nonce: String,
    message: Message,
}

#[derive(Debug, Serialize, Deserialize)]
struct EditRequest {
    channel_id: u64,
    message_id: String,
    message: Message,
}

/// What the child needs to find the simulator, the sink and its data.
#[derive(Debug, Serialize, Deserialize)]
struct ChildSetup {
    data_dir: String,
    sim_url: String,
    keys: Vec<String>,
    sink_url: String,
}

/// The child's sink: the parent's HTTP recorder.
struct HttpSink {
    http: reqwest::Client,
    base: String,
}

impl HttpSink {
    async fn post<T: Serialize>(&self, path: &str, body: &T) -> Result<String, SinkError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .map_err(|e| SinkError::retryable(e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| SinkError::retryable(e.to_string()))?;
        if status.is_success() {
            Ok(text)
        } else if status.is_server_error() {
            Err(SinkError::retryable(text))
        } else {
            Err(SinkError::permanent(text))
        }
    }
}

impl Sink for HttpSink {
    fn create<'a>(
        &'a self,
        channel_id: u64,
        message: &'a Message,
        nonce: &'a str,
    ) -> SinkFuture<'a, String> {
        Box::pin(async move {
            let body = CreateRequest {
                channel_id,
                nonce: nonce.to_owned(),
                message: message.clone(),
            };
            self.post("/create", &body).await
        })
    }

    fn edit<'a>(
        &'a self,
        channel_id: u64,
        message_id: &'a str,
        message: &'a Message,
    ) -> SinkFuture<'a, ()> {
        Box::pin(async move {
            let body = EditRequest {
                channel_id,
                message_id: message_id.to_owned(),
                message: message.clone(),
            };
            self.post("/edit", &body).await.map(|_| ())
        })
    }
}

fn fast_pipeline() -> PipelineConfig {
    PipelineConfig {
        batch: BatchConfig { max_delay_ms: 150 },
        retry: DeliveryRetry {
            base: Duration::from_millis(20),
            max: Duration::from_millis(200),
        },
        recheck_interval: Duration::from_millis(300),
        ..PipelineConfig::default()
    }
}

fn tracked(client: &ErlcClient, key: &str, label: &str) -> TrackedServer {
    TrackedServer {
        guild: GUILD,
        label: label.to_owned(),
        handle: client.server(ServerKey::new(key)),
        include: Include::all(),
        want_bans: false,
    }
}

/// The child role: track and deliver until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of exactly_once_across_sigkill; it runs until killed"]
async fn crash_child() {
    let setup: ChildSetup = serde_json::from_str(
        &std::env::var(CHILD_ENV).expect("started by exactly_once_across_sigkill"),
    )
    .expect("setup decodes");
    let store = open_store(std::path::Path::new(&setup.data_dir));
    let client = ErlcClient::new(ClientConfig::with_base_url(setup.sim_url)).unwrap();
    let tracker = Tracker::new(
        store.clone(),
        TrackerConfig {
            interval: Duration::from_millis(300),
            jitter: 0.0,
            ..TrackerConfig::default()
        },
    );
    for (key, label) in setup.keys.iter().zip(LABELS) {
        tracker.add_server(tracked(&client, key, label)).unwrap();
    }
    let sink = Arc::new(HttpSink {
        http: reqwest::Client::new(),
        base: setup.sink_url,
    });
    let pipeline = FeedPipeline::new(store, sink, fast_pipeline()).unwrap();
    let wake = tracker.subscribe_new_events();
    let forever = std::future::pending::<()>;
    let (tracked, piped) = tokio::join!(tracker.run(forever()), pipeline.run(wake, forever()));
    panic!("the child stops only when killed: {tracked:?} {piped:?}");
}

async fn record_create(
    State(sink): State<Arc<RecordingSink>>,
    Json(request): Json<CreateRequest>,
) -> Result<String, (StatusCode, String)> {
    sink.create(request.channel_id, &request.message, &request.nonce)
        .await
        .map_err(|e| (StatusCode::BAD_REQUEST, e.message))
}

async fn record_edit(
    State(sink): State<Arc<RecordingSink>>,
    Json(request): Json<EditRequest>,
) -> Result<String, (StatusCode, String)> {
    sink.edit(request.channel_id, &request.message_id, &request.message)
        .await
        .map(|()| String::new())
        .map_err(|e| (StatusCode::BAD_REQUEST, e.message))
}

fn spawn_child(setup: &ChildSetup) -> Child {
    rerun_test(module_path!(), "crash_child")
        .env(CHILD_ENV, serde_json::to_string(setup).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("child starts")
}

/// Calls that reached the sink, creates (one per nonce) and edits.
fn deliveries(sink: &RecordingSink) -> usize {
    sink.creates().len() + sink.edits().len()
}

/// What identifies a rendered card: its visible text.
type CardText = (Option<String>, Option<String>, Option<String>, Option<i64>);

fn card_text(embed: &erlc_bot::ui::Embed) -> CardText {
    (
        embed.title.clone(),
        embed.description.clone(),
        embed.footer.clone(),
        embed.timestamp,
    )
}

/// Per channel, the sorted cards of every stored event routed there.
fn expected_cards(store: &Store) -> BTreeMap<u64, Vec<CardText>> {
    let mut router = FeedRouter::new();
    let routes = store
        .settings()
        .feed_subscriptions(GUILD)
        .unwrap()
        .into_iter()
        .map(route_of)
        .collect();
    router.set_guild_routes(GUILD, routes);
    let mut cards: BTreeMap<u64, Vec<CardText>> = BTreeMap::new();
    for label in LABELS {
        for event in store
            .events()
            .events_since(GUILD, label, 0, usize::MAX)
            .unwrap()
        {
            let mut embed = render_event(&event).embed;
            embed.clamp();
            for channel in router.destinations(&event) {
                cards.entry(channel).or_default().push(card_text(&embed));
            }
        }
    }
    cards.values_mut().for_each(|c| c.sort());
    cards
}

/// Per channel, the sorted cards the sink shows: every create (one per nonce) and every
/// distinct edit (an edit repeated after a crash changes nothing).
fn delivered_cards(sink: &RecordingSink) -> BTreeMap<u64, Vec<CardText>> {
    let mut cards: BTreeMap<u64, Vec<CardText>> = BTreeMap::new();
    for create in sink.creates() {
        let texts = create.message.embeds.iter().map(card_text);
        cards.entry(create.channel_id).or_default().extend(texts);
    }
    let mut seen = HashSet::new();
    for edit in sink.edits() {
        if seen.insert(format!("{}{:?}", edit.message_id, edit.message)) {
            let texts = edit.message.embeds.iter().map(card_text);
            cards.entry(edit.channel_id).or_default().extend(texts);
        }
    }
    cards.values_mut().for_each(|c| c.sort());
    cards
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_once_across_sigkill() {
    let sim = Simulator::start(SimConfig {
        servers: LABELS.len(),
        seed: 11,
        initial_players: 6,
        read_limit: BucketLimit::new(100_000, 10),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let sink = Arc::new(RecordingSink::discord_like());
    let app = axum::Router::new()
        .route("/create", post(record_create))
        .route("/edit", post(record_edit))
        .with_state(sink.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    {
        let store = open_store(dir.path());
        subscribe(&store, GUILD, 1, &["?/player/join", "?/player/leave"], &[]);
        subscribe(&store, GUILD, 2, &["?/kill", "?/command"], &[]);
        subscribe(&store, GUILD, 3, &["?/modcall/*", "main/feed/*"], &[]);
    }
    let setup = ChildSetup {
        data_dir: dir.path().display().to_string(),
        sim_url: sim.base_url(),
        keys: sim.servers().into_iter().map(|s| s.key).collect(),
        sink_url,
    };
    // The game goes on whether or not the bot is up.
    let activity = {
        let sim = sim.clone();
        tokio::spawn(async move {
            loop {
                sim.tick_activity();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let mut rng = rand::thread_rng();
    for round in 0..ROUNDS {
        let mut child = spawn_child(&setup);
        let target = deliveries(&sink) + rng.gen_range(1..=6);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while deliveries(&sink) < target {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("round {round}: the child exited by itself ({status})");
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round}: no delivery within 120 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        child.kill().expect("SIGKILL sent");
        child.wait().unwrap();
    }
    activity.abort();

    // Deliver whatever the last child left queued or unrouted.
    let store = open_store(dir.path());
    let running = Running::start(&store, sink.clone(), fast_pipeline());
    wait_for("every stored event routed and delivered", || {
        let outbox = store.outbox();
        outbox.depth().unwrap() == 0
            && store
                .events()
                .heads()
                .unwrap()
                .iter()
                .all(|h| outbox.route_cursor(h.guild, &h.server).unwrap() == h.last_id)
    })
    .await;
    running.stop().await;

    let expected = expected_cards(&store);
    let delivered = delivered_cards(&sink);
    let total: usize = expected.values().map(Vec::len).sum();
    assert!(total >= ROUNDS, "the rounds produced feed events ({total})");
    assert_eq!(
        delivered.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (channel, cards) in &expected {
        assert_eq!(
            delivered.get(channel),
            Some(cards),
            "channel {channel}: delivered cards differ from the stored events"
        );
    }
    assert!(store.outbox().parked(10).unwrap().is_empty());
}
