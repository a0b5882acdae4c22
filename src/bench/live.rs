//! `erlc-bot bench live`: the live state stream under load. The app runs in-process against
//! the local simulator with its HTTP server and live state on; N WebSocket clients (SODP over
//! tokio-tungstenite, framed with the bot's own codec) each authenticate and watch `.players`
//! of one of the tracked servers (spread evenly), while a driver changes every server's
//! players once per poll interval. Reported: change-to-delivery latency (from the moment the
//! simulator answered the poll that saw the change, by its request log, to the moment a client
//! read the DELTA; both on the wall clock, the poll's at millisecond resolution) as
//! p50/p99/max, frames per second, resident memory per idle session, resident memory at the
//! start and end of the measured time, and what became of one stalled reader (a client that
//! watches its guild and never reads): evicted or not, with the others' p99 beside it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use tokio::sync::oneshot;

use crate::app::local::{LocalConfig, LocalSim};
use crate::app::{App, FrontEnd, HttpConfig, LiveConfig, Signals};
use crate::config::LiveSecret;
use crate::fingerprint::fingerprint;
use crate::live::frame::{self, Frame, FrameType};
use crate::live::hub::QUEUE_CAPACITY;
use crate::live::key::{Part, StateKey};
use crate::live::session::SessionLimits;
use crate::live::token::{LiveClaims, TokenKeys};
use crate::sim::{PlayerSpec, SimConfig, SimHandle};

use super::{server_place, sim_read_limit};
use crate::tracker::{Tracker, TrackerConfig};

use super::procstat::memory_kib;
use super::{BenchError, CountingSink};

/// Servers per simulated guild, as in `bench tracker`.
/// Clients that connect at once while the sessions are set up.
const CONNECT_CONCURRENCY: usize = 32;
/// The stalled reader's socket receive buffer: small, so its backlog lands in the bot's
/// outbound queue instead of the kernel's.
const STALLED_RECV_BUFFER: u32 = 4096;
/// How often the stalled reader re-WATCHes its keys: 40 a second, under the bot's default
/// limit of 50.
const STALL_REWATCH_EVERY: Duration = Duration::from_millis(25);
/// How long the stalled reader reads after the run, looking for the close of its eviction.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);
/// How long a single protocol step (connect, AUTH, WATCH) may take before the run fails.
const STEP_LIMIT: Duration = Duration::from_secs(30);

/// `erlc-bot bench live`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct LiveBenchArgs {
    /// WebSocket clients, each watching one server's `.players`.
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Simulated servers to track (the clients are spread over them).
    #[arg(long, default_value_t = 100)]
    pub servers: usize,
    /// Seconds between two polls of one server; the players change once per interval.
    #[arg(long, default_value_t = 5)]
    pub interval: u64,
    /// Seconds to measure for, after every client is watching.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Seed of the simulated worlds.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads of the in-process simulator.
    #[arg(long, default_value_t = 1)]
    pub sim_threads: usize,
    /// sled's page cache in MiB (`SLED_CACHE_MB`): the tracker stores every change as events,
    /// and the cache fills with them up to this size, which shows in RSS beside the stream.
    #[arg(long, default_value_t = crate::store::DEFAULT_CACHE_MIB)]
    pub sled_cache_mb: u64,
}

/// What became of the reader that stopped reading.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StalledOutcome {
    /// The bot closed its session (its queue was full) during the run.
    pub evicted: bool,
    /// Frames it found waiting when it read again after the run, before the close (or all).
    pub frames_waiting: u64,
}

/// Memory at one moment of the measured time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemorySample {
    /// Seconds since the measurement started.
    pub at_seconds: f64,
    /// Resident memory of the process, KiB.
    pub rss_kib: u64,
    /// The bot's estimate of what its RESUME rings hold (`erlc_bot_live_resume_bytes`).
    pub resume_bytes: u64,
}

/// One run's results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveBenchReport {
    /// Watching clients (`--clients`).
    pub clients: usize,
    /// Tracked servers (`--servers`).
    pub servers: usize,
    /// The measured time.
    pub seconds: f64,
    /// DELTAs the watching clients read in the measured time.
    pub deliveries: u64,
    /// Change-to-delivery latency, ms: median, 99th percentile, largest.
    pub latency_p50_ms: f64,
    /// See [`LiveBenchReport::latency_p50_ms`].
    pub latency_p99_ms: f64,
    /// See [`LiveBenchReport::latency_p50_ms`].
    pub latency_max_ms: f64,
    /// DELTAs read with no answered poll of their server before them (not in the latencies;
    /// a clock step would show here).
    pub unmatched: u64,
    /// Frames (of every type) all watching clients read per second of measured time.
    pub frames_per_sec: f64,
    /// Resident memory before the clients connected, KiB.
    pub rss_before_kib: u64,
    /// Resident memory with every client connected and watching (start of measurement), KiB.
    pub rss_start_kib: u64,
    /// Resident memory at the end of the measured time, KiB.
    pub rss_end_kib: u64,
    /// Memory over the measured time, a sample every [`memory_sample_every`]: whether it
    /// levels off, and how much of it is the RESUME rings.
    pub memory: Vec<MemorySample>,
    /// (start − before) / clients: what one idle session costs, KiB. Both ends of every
    /// connection live in this process, so this is an upper bound for the bot's side.
    pub per_session_kib: f64,
    /// Sessions the bot evicted during the run (its own counter).
    pub evictions: u64,
    /// The stalled reader.
    pub stalled: StalledOutcome,
    /// Watching clients whose session ended before the run did.
    pub clients_lost: usize,
}

/// Servers as the bench connects them: server `i` is label `s<i % 10>` of guild `1 + i / 10`.
pub fn server_spread(servers: usize) -> Vec<(u64, String)> {
    (0..servers).map(server_place).collect()
}

fn key(server: &(u64, String), part: Part) -> String {
    let (guild, label) = server.clone();
    StateKey { guild, label, part }.to_string()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A token for bench member `member` of `guild`, an administrator there, valid for a day.
fn token(keys: &TokenKeys, guild: u64, member: usize) -> String {
    let now = unix_now();
    keys.mint(&LiveClaims {
        sub: (1_000_000_000 + member as u64).to_string(),
        guild: guild.to_string(),
        name: format!("bench{member}"),
        roles: Vec::new(),
        admin: true,
        iat: now,
        exp: now + 24 * 60 * 60,
    })
}

fn rss_kib() -> Result<u64, BenchError> {
    memory_kib("VmRSS")
}

type Ws = WebSocketStream<TcpStream>;

fn live_error(what: impl std::fmt::Display) -> BenchError {
    BenchError::Live(what.to_string())
}

/// Sends one client frame (`seq` is not checked by the bot; 0 keeps the bench simple).
async fn send(ws: &mut Ws, kind: FrameType, stream: u32, body: Value) -> Result<(), BenchError> {
    let frame = Frame {
        kind,
        stream,
        seq: 0,
        body,
    };
    ws.send(Message::Binary(frame::encode(&frame).into()))
        .await
        .map_err(|e| live_error(format!("send: {e}")))
}

/// The next SODP frame, within [`STEP_LIMIT`].
async fn next_frame(ws: &mut Ws) -> Result<Frame, BenchError> {
    loop {
        let message = tokio::time::timeout(STEP_LIMIT, ws.next())
            .await
            .map_err(|_| live_error("the bot did not answer within 30 s"))?
            .ok_or_else(|| live_error("the bot closed the connection"))?
            .map_err(|e| live_error(format!("read: {e}")))?;
        match message {
            Message::Binary(bytes) => {
                return frame::decode(&bytes).map_err(|e| live_error(format!("decode: {e}")));
            }
            Message::Close(close) => {
                return Err(live_error(format!(
                    "the bot closed the connection: {close:?}"
                )));
            }
            _ => {}
        }
    }
}

/// Connects, authenticates and watches `keys`, waiting for every STATE_INIT. With
/// `recv_buffer`, the socket's receive buffer is that small.
async fn open_session(
    addr: SocketAddr,
    token: &str,
    keys: &[String],
    recv_buffer: Option<u32>,
) -> Result<Ws, BenchError> {
    let socket = TcpSocket::new_v4().map_err(|e| live_error(format!("socket: {e}")))?;
    if let Some(size) = recv_buffer {
        socket
            .set_recv_buffer_size(size)
            .map_err(|e| live_error(format!("SO_RCVBUF: {e}")))?;
    }
    let stream = socket.connect(addr).await.map_err(|e| {
        live_error(format!(
            "connect to {addr} (too few file descriptors?): {e}"
        ))
    })?;
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let url = format!("ws://{addr}/live");
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
        .await
        .map_err(|e| live_error(format!("upgrade: {e}")))?;
    let hello = next_frame(&mut ws).await?;
    if hello.kind != FrameType::Hello {
        return Err(live_error(format!("expected HELLO, got {:?}", hello.kind)));
    }
    send(&mut ws, FrameType::Auth, 0, json!({ "token": token })).await?;
    let auth = next_frame(&mut ws).await?;
    if auth.kind != FrameType::AuthOk {
        return Err(live_error(format!("AUTH refused: {}", auth.body)));
    }
    send(&mut ws, FrameType::Watch, 10, json!({ "states": keys })).await?;
    let mut initialized = 0;
    while initialized < keys.len() {
        let frame = next_frame(&mut ws).await?;
        match frame.kind {
            FrameType::StateInit => initialized += 1,
            FrameType::Error => return Err(live_error(format!("WATCH refused: {}", frame.body))),
            _ => {}
        }
    }
    Ok(ws)
}

/// What one watching client saw.
#[derive(Debug, Default)]
struct ClientLog {
    server: usize,
    /// When each DELTA was read, Unix µs.
    deltas: Vec<i64>,
    /// Frames read in the measured time.
    frames: u64,
    /// The session ended before the run did.
    lost: bool,
}

/// Reads until `stop`, noting when each DELTA arrived.
async fn follow(mut ws: Ws, server: usize, mut stop: watch::Receiver<bool>) -> ClientLog {
    let mut log = ClientLog {
        server,
        ..ClientLog::default()
    };
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            message = ws.next() => match message {
                Some(Ok(Message::Binary(bytes))) => {
                    let at = unix_micros();
                    log.frames += 1;
                    // Only the type is needed; the body is the bot's business.
                    if bytes.get(1) == Some(&(FrameType::Delta as u8)) {
                        log.deltas.push(at);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    log.lost = true;
                    break;
                }
            },
        }
    }
    let _ = ws.close(None).await;
    log
}

/// The stalled reader's writes: a WATCH of all its keys again and again, under the bot's
/// WATCH rate limit, each answered by a STATE_INIT per key that it does not read, until the
/// bot closed the connection or `stop`. Its backlog so outgrows the kernel's socket buffers
/// in seconds, where polls alone would take many minutes.
async fn stall(mut ws: Ws, keys: Vec<String>, mut stop: watch::Receiver<bool>) -> Ws {
    let mut tick = tokio::time::interval(STALL_REWATCH_EVERY);
    loop {
        let rewatch = async {
            tick.tick().await;
            send(&mut ws, FrameType::Watch, 10, json!({ "states": keys })).await
        };
        // A bot that stops reading leaves the writes pending: `stop` ends them too.
        let sent = tokio::select! {
            _ = stop.changed() => false,
            sent = rewatch => sent.is_ok(),
        };
        if !sent {
            return ws;
        }
    }
}

/// After the run, the stalled reader reads what waits for it: evicted if a close (or the end
/// of the connection) comes before it has read for [`DRAIN_LIMIT`] (polls keep adding frames
/// to a session that was never evicted, so reading to the end would never end).
async fn drain(mut ws: Ws) -> StalledOutcome {
    let mut outcome = StalledOutcome::default();
    let deadline = tokio::time::Instant::now() + DRAIN_LIMIT;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Binary(_)))) => outcome.frames_waiting += 1,
            Ok(Some(Ok(Message::Close(_))) | Some(Err(_)) | None) => {
                outcome.evicted = true;
                return outcome;
            }
            Ok(Some(Ok(_))) => {}
            // Still open after reading that long: never evicted.
            Err(_) => return outcome,
        }
    }
}

/// When the simulator answered each server's polls (`/v2/server`, Unix ms), by server index,
/// ascending.
fn poll_answers(sim: &SimHandle) -> Vec<Vec<i64>> {
    let index: HashMap<String, usize> = sim
        .servers()
        .iter()
        .enumerate()
        .map(|(i, server)| (fingerprint(&server.key), i))
        .collect();
    let mut answers = vec![Vec::new(); index.len()];
    for request in sim.requests() {
        let server = request.key_fingerprint.as_ref().and_then(|f| index.get(f));
        if let (Some(&i), "/v2/server", 200) = (server, request.path.as_str(), request.status) {
            answers[i].push(request.at_ms);
        }
    }
    for times in &mut answers {
        times.sort_unstable();
    }
    answers
}

/// The latency of a delivery read at `at_us` (Unix µs) of a server whose polls were answered
/// at `polls_ms` (Unix ms, ascending): from the last answer before it. `None` when there is
/// none.
fn latency(polls_ms: &[i64], at_us: i64) -> Option<Duration> {
    let after = polls_ms.partition_point(|p| p.saturating_mul(1000) <= at_us);
    let poll_us = polls_ms.get(after.checked_sub(1)?)?.saturating_mul(1000);
    Some(Duration::from_micros(u64::try_from(at_us - poll_us).ok()?))
}

fn unix_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Every server's players change once per `interval`: one player joins, and leaves again the
/// next time.
async fn drive_players(
    sim: SimHandle,
    servers: usize,
    interval: Duration,
    stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(interval);
    let mut joined = false;
    while !*stop.borrow() {
        tick.tick().await;
        for i in 0..servers {
            if let Ok(server) = sim.server(i) {
                let id = 9_000_000_000 + i as u64;
                // A player already there or already gone is no failure of the bench.
                let _ = if joined {
                    server.remove_player(id)
                } else {
                    server
                        .add_player(PlayerSpec::named(&format!("Bench{i}")).with_id(id))
                        .map(|_| ())
                };
            }
        }
        joined = !joined;
    }
}

/// Connects `clients` clients (client `i` watches `.players` of server `i % servers`).
async fn connect_all(
    addr: SocketAddr,
    keys: &TokenKeys,
    servers: &[(u64, String)],
    clients: usize,
) -> Result<Vec<(usize, Ws)>, BenchError> {
    let mut sessions = Vec::with_capacity(clients);
    let mut pending = futures::stream::iter((0..clients).map(|i| {
        let server = i % servers.len();
        let token = token(keys, servers[server].0, i);
        let watched = vec![key(&servers[server], Part::Players)];
        async move {
            open_session(addr, &token, &watched, None)
                .await
                .map(|ws| (server, ws))
        }
    }))
    .buffer_unordered(CONNECT_CONCURRENCY);
    while let Some(session) = pending.next().await {
        sessions.push(session?);
    }
    Ok(sessions)
}

/// The measurement itself, once the app serves `/live` at `addr` with tokens of `keys` and
/// every server had its first poll.
async fn measure(
    args: &LiveBenchArgs,
    addr: SocketAddr,
    keys: &TokenKeys,
    sim: &SimHandle,
) -> Result<LiveBenchReport, BenchError> {
    let http = reqwest::Client::new();
    let servers = server_spread(args.servers);
    let (stop_tx, stop_rx) = watch::channel(false);
    let interval = Duration::from_secs(args.interval);
    let driver = tokio::spawn(drive_players(
        sim.clone(),
        servers.len(),
        interval,
        stop_rx.clone(),
    ));

    let rss_before_kib = rss_kib()?;
    let sessions = connect_all(addr, keys, &servers, args.clients).await?;
    let rss_start_kib = rss_kib()?;
    // The stalled reader watches its guild's players and server state and never reads (see
    // `stall` for how its backlog grows).
    let guild = servers[0].0;
    let watched: Vec<String> = servers
        .iter()
        .filter(|s| s.0 == guild)
        .flat_map(|s| [key(s, Part::Players), key(s, Part::Server)])
        .collect();
    let stalled_token = token(keys, guild, args.clients);
    let stalled = open_session(addr, &stalled_token, &watched, Some(STALLED_RECV_BUFFER)).await?;
    let evictions_before = read_metric(&http, addr, EVICTIONS).await?;

    let started = unix_micros();
    let stalled = tokio::spawn(stall(stalled, watched, stop_rx.clone()));
    let followers: Vec<_> = sessions
        .into_iter()
        .map(|(server, ws)| tokio::spawn(follow(ws, server, stop_rx.clone())))
        .collect();
    let memory = sample_memory(&http, addr, Duration::from_secs(args.duration)).await?;
    let _ = stop_tx.send(true);
    let ended = unix_micros();
    let rss_end_kib = rss_kib()?;
    let evictions = read_metric(&http, addr, EVICTIONS).await? - evictions_before;
    let mut logs = Vec::with_capacity(followers.len());
    for follower in followers {
        logs.push(
            follower
                .await
                .map_err(|e| live_error(format!("a client task failed: {e}")))?,
        );
    }
    driver.abort();
    let stalled = match stalled.await {
        Ok(ws) => drain(ws).await,
        Err(e) => return Err(live_error(format!("the stalled reader's task failed: {e}"))),
    };

    let mut histogram = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)
        .map_err(|e| live_error(format!("histogram: {e}")))?;
    let mut unmatched = 0;
    let mut deliveries = 0;
    let polls = poll_answers(sim);
    for log in &logs {
        for at in log
            .deltas
            .iter()
            .filter(|at| (started..ended).contains(*at))
        {
            let Some(took) = latency(&polls[log.server], *at) else {
                unmatched += 1;
                continue;
            };
            deliveries += 1;
            histogram.saturating_record((took.as_micros() as u64).max(1));
        }
    }
    let seconds = (ended - started) as f64 / 1e6;
    let ms = |quantile: f64| histogram.value_at_quantile(quantile) as f64 / 1000.0;
    Ok(LiveBenchReport {
        clients: args.clients,
        servers: args.servers,
        seconds,
        deliveries,
        latency_p50_ms: ms(0.5),
        latency_p99_ms: ms(0.99),
        latency_max_ms: histogram.max() as f64 / 1000.0,
        unmatched,
        frames_per_sec: logs.iter().map(|l| l.frames).sum::<u64>() as f64 / seconds,
        rss_before_kib,
        rss_start_kib,
        rss_end_kib,
        memory,
        per_session_kib: rss_start_kib.saturating_sub(rss_before_kib) as f64
            / args.clients.max(1) as f64,
        evictions,
        stalled,
        clients_lost: logs.iter().filter(|l| l.lost).count(),
    })
}

/// The local simulator, servers spread over guilds, no feeds (the stream needs none), and no
/// activity of its own: [`drive_players`] makes the changes, one per server per interval.
fn local_config(args: &LiveBenchArgs) -> LocalConfig {
    LocalConfig {
        sim: SimConfig {
            servers: args.servers,
            seed: args.seed,
            initial_players: 10,
            read_limit: sim_read_limit(args.servers, args.interval),
            ..SimConfig::default()
        },
        sim_threads: args.sim_threads,
        tracker: TrackerConfig {
            interval: Duration::from_secs(args.interval),
            ..TrackerConfig::default()
        },
        servers: server_spread(args.servers),
        feeds: Vec::new(),
    }
}

/// A free loopback port for the bot's HTTP server (the app binds it again at once).
fn free_port() -> Result<SocketAddr, BenchError> {
    let probe = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| live_error(format!("no free loopback port: {e}")))?;
    Ok(probe)
}

/// The time between two memory samples: six over the run, at least ten seconds apart.
pub fn memory_sample_every(duration: Duration) -> Duration {
    (duration / 6).max(Duration::from_secs(10))
}

/// Wait out the measured time, sampling memory as it goes (and once at the end).
async fn sample_memory(
    client: &reqwest::Client,
    addr: SocketAddr,
    duration: Duration,
) -> Result<Vec<MemorySample>, BenchError> {
    let started = Instant::now();
    let every = memory_sample_every(duration);
    let mut samples = Vec::new();
    loop {
        let left = duration.saturating_sub(started.elapsed());
        tokio::time::sleep(every.min(left)).await;
        samples.push(MemorySample {
            at_seconds: started.elapsed().as_secs_f64(),
            rss_kib: rss_kib()?,
            resume_bytes: read_metric(client, addr, RESUME_BYTES).await?,
        });
        if started.elapsed() >= duration {
            return Ok(samples);
        }
    }
}

const EVICTIONS: &str = "erlc_bot_live_evictions_total";
const RESUME_BYTES: &str = "erlc_bot_live_resume_bytes";

/// One unlabelled counter or gauge of the bot's `/metrics`.
async fn read_metric(
    client: &reqwest::Client,
    addr: SocketAddr,
    name: &str,
) -> Result<u64, BenchError> {
    let text = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| live_error(format!("GET /metrics: {e}")))?
        .text()
        .await
        .map_err(|e| live_error(format!("GET /metrics: {e}")))?;
    parse_metric(&text, name).ok_or_else(|| live_error(format!("/metrics has no {name}")))
}

/// An unlabelled metric's value in a Prometheus text page (a gauge's `7` or `7.0` alike).
pub fn parse_metric(metrics: &str, name: &str) -> Option<u64> {
    metrics.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(' ')?;
        let value: f64 = value.split_whitespace().next()?.parse().ok()?;
        (value.is_finite() && value >= 0.0).then_some(value as u64)
    })
}

/// Run `bench live`: start the app with live state on, wait until every server had its first
/// poll, connect the clients, measure for `duration` seconds.
pub async fn bench_live(args: &LiveBenchArgs) -> Result<LiveBenchReport, BenchError> {
    if args.clients == 0
        || args.servers == 0
        || args.interval == 0
        || args.duration == 0
        || args.sled_cache_mb == 0
    {
        return Err(BenchError::Arguments);
    }
    let local = LocalSim::start(local_config(args)).await?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let addr = free_port()?;
    let mut config = local.app_config();
    config.store.cache_mib = args.sled_cache_mb;
    config.http = Some(HttpConfig {
        bind: addr,
        webhook_public_key: None,
        live: Some(LiveConfig {
            secret: LiveSecret::generated(secret.clone())
                .ok_or_else(|| live_error("the generated secret is too short"))?,
            public_url: None,
            limits: SessionLimits::default(),
            queue_capacity: QUEUE_CAPACITY,
        }),
    });
    let app = App::build(
        config,
        FrontEnd::Headless(Arc::new(CountingSink::default())),
    )
    .await?;
    local.connect(&app)?;
    let tracker = app.tracker().clone();
    let keys = TokenKeys::new(secret.as_bytes());
    let signals = Signals::listen();
    let (measured_tx, measured_rx) = oneshot::channel();
    let measuring = async {
        let measured = tokio::select! {
            report = warm_up_and_measure(args, addr, &keys, &tracker, local.sim()) => report,
            signal = signals.recv() => Err(BenchError::Interrupted(signal)),
        };
        let _ = measured_tx.send(());
        measured
    };
    let serving = app.run_until_stopped(async {
        let _ = measured_rx.await;
    });
    let (measured, stopped) = tokio::join!(measuring, serving);
    drop(tracker);
    local.stop().await;
    let report = measured?;
    stopped?;
    Ok(report)
}

async fn warm_up_and_measure(
    args: &LiveBenchArgs,
    addr: SocketAddr,
    keys: &TokenKeys,
    tracker: &Tracker,
    sim: &SimHandle,
) -> Result<LiveBenchReport, BenchError> {
    let warm_up = Instant::now();
    let limit = Duration::from_secs(args.interval.saturating_mul(3).saturating_add(60));
    while tracker.metrics().polls < args.servers as u64 {
        if warm_up.elapsed() > limit {
            return Err(BenchError::WarmUp {
                polls: tracker.metrics().polls,
                seconds: limit.as_secs(),
                planned_interval: tracker.plan().interval,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    measure(args, addr, keys, sim).await
}

/// The report as a Markdown table.
pub fn table(r: &LiveBenchReport) -> String {
    let mut out = String::from(
        "| clients | servers | measured s | deliveries | latency p50 / p99 / max ms | unmatched \
         | frames/s | RSS before / start / end MiB | KiB per idle session (upper bound) \
         | stalled reader | evictions | clients lost |\n",
    );
    out.push_str(&format!("|{}\n", "---|".repeat(12)));
    let mib = |kib: u64| kib as f64 / 1024.0;
    let stalled = if r.stalled.evicted {
        format!("evicted ({} frames were waiting)", r.stalled.frames_waiting)
    } else {
        format!("not evicted ({} frames waiting)", r.stalled.frames_waiting)
    };
    out.push_str(&format!(
        "| {} | {} | {:.0} | {} | {:.1} / {:.1} / {:.1} | {} | {:.0} | {:.0} / {:.0} / {:.0} | {:.1} | {} | {} | {} |\n",
        r.clients,
        r.servers,
        r.seconds,
        r.deliveries,
        r.latency_p50_ms,
        r.latency_p99_ms,
        r.latency_max_ms,
        r.unmatched,
        r.frames_per_sec,
        mib(r.rss_before_kib),
        mib(r.rss_start_kib),
        mib(r.rss_end_kib),
        r.per_session_kib,
        stalled,
        r.evictions,
        r.clients_lost,
    ));
    let series: Vec<String> = r
        .memory
        .iter()
        .map(|s| {
            format!(
                "{:.0} s: {:.0} MiB ({:.1} MiB rings)",
                s.at_seconds,
                mib(s.rss_kib),
                s.resume_bytes as f64 / (1024.0 * 1024.0)
            )
        })
        .collect();
    out.push_str(&format!("\nMemory over the run: {}\n", series.join(", ")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_spread_ten_to_a_guild() {
        let spread = server_spread(25);
        assert_eq!(spread.len(), 25);
        assert_eq!(spread[0], (1, "s0".to_owned()));
        assert_eq!(spread[13], (2, "s3".to_owned()));
        assert_eq!(key(&spread[13], Part::Players), "2.s3.players");
    }

    #[test]
    fn metrics_are_read_by_exact_name() {
        let page =
            "# HELP x\nerlc_bot_live_evictions_total 3\nerlc_bot_live_resume_bytes 1048576\n";
        assert_eq!(parse_metric(page, EVICTIONS), Some(3));
        assert_eq!(parse_metric(page, RESUME_BYTES), Some(1 << 20));
        assert_eq!(
            parse_metric("erlc_bot_live_resume_bytes_total 1", RESUME_BYTES),
            None
        );
        assert_eq!(
            parse_metric("erlc_bot_live_resume_bytes NaN", RESUME_BYTES),
            None
        );
        assert_eq!(parse_metric("", EVICTIONS), None);
        assert_eq!(
            memory_sample_every(Duration::from_secs(180)),
            Duration::from_secs(30)
        );
        assert_eq!(
            memory_sample_every(Duration::from_secs(8)),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn a_delivery_is_timed_from_the_last_poll_answered_before_it() {
        let polls = [1_000, 6_000, 11_000];
        assert_eq!(latency(&polls, 6_000_400), Some(Duration::from_micros(400)));
        assert_eq!(latency(&polls, 6_000_000), Some(Duration::ZERO));
        assert_eq!(latency(&polls, 13_000_000), Some(Duration::from_secs(2)));
        assert_eq!(latency(&polls, 999_999), None);
        assert_eq!(latency(&[], 1), None);
    }
}
