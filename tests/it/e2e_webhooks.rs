//! End to end against the real `erlc-bot run` process: the simulator saves the bot's webhook
//! URL (taken from `/server webhook`) after a signed probe, then signs and posts batches to
//! it. Broken deliveries are refused and counted in `/metrics`; `;staff` typed in game becomes
//! a mod-call card pinging only the staff role set with `/settings`, plus a `:pm` to the
//! caller; a 911 call seen by webhook and by polling gives one card, edited as it changes;
//! a batch a stopped run left unfinished is finished at the next start.

use erlc_bot::events::EventType;
use erlc_bot::sim::{Location, MessageKind, PlayerSpec, WebhookSendOptions};
use serde_json::json;

use crate::support::bot_process::BotProcess;
use crate::support::e2e::{World, embed_text};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::{StoredMessage, ids};
use crate::support::wait::{WAIT, wait_for_async};
use crate::support::{open_store, stored_of_type};

/// Shown by `/server webhook`; only the token in it matters, PRC never calls it here.
const PUBLIC_URL: &str = "https://bot.example.test";
/// Mod-call cards go here; feeds go to `ids::LOG_CHANNEL`.
const MODCALL_CHANNEL: u64 = ids::GENERAL_CHANNEL;
const STAFF_ROLE: u64 = ids::MODERATOR_ROLE;

/// A running bot whose webhook URL the simulated server has saved.
struct Hooked {
    world: World,
    bot: BotProcess,
    /// `http://127.0.0.1:<port>` of the bot's HTTP server.
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Hooked {
    /// The first simulated server connected as `main`, a feed of 911 calls into the log
    /// channel, and the bot verifying webhooks with the simulator's key.
    async fn start() -> Hooked {
        let world = World::start(2).await;
        world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/emergency/*"]);
        let bot = world.start_bot_with(&world.webhook_env(PUBLIC_URL)).await;
        let base = bot.http_base(WAIT).await;
        let server = world.sim.server(0).expect("simulated server");
        let token = world.hook_server(&server, &base, PUBLIC_URL).await;
        assert_eq!(token.len(), 43, "a 256-bit URL-safe token: {token}");
        Hooked {
            world,
            bot,
            base,
            token,
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("HTTP client"),
        }
    }

    fn server(&self) -> erlc_bot::sim::SimServer {
        self.world.sim.server(0).expect("simulated server")
    }

    fn webhook_url(&self) -> String {
        format!("{}/prc/webhook/{}", self.base, self.token)
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the bot's HTTP server answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    /// The value of one exact series line in `/metrics` (e.g. `name{label="x"}`), if shown.
    async fn metric(&self, series: &str) -> Option<u64> {
        let (status, text) = self.get("/metrics").await;
        assert_eq!(status, 200, "{text}");
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    async fn send(&self, url: &str, body: &[u8], options: WebhookSendOptions) -> Vec<u16> {
        self.world
            .sim
            .send_webhook_raw(url, body, options)
            .await
            .expect("the delivery reaches the bot")
    }

    /// The tracker's completed polls, from `/metrics`.
    async fn polls(&self) -> u64 {
        self.metric("erlc_bot_polls_total").await.unwrap_or(0)
    }

    /// Waits until the tracker has completed `more` polls after now.
    async fn wait_for_more_polls(&self, more: u64) {
        let target = self.polls().await + more;
        wait_for_async(&format!("{more} more polls"), || async {
            self.polls().await >= target
        })
        .await;
    }

    /// SIGTERM (the bot delivers what is queued, then flushes), and checks the fake Discord
    /// saw nothing wrong. Returns the world to inspect what was posted and stored.
    async fn stop(mut self) -> World {
        assert!(
            self.bot.stop(WAIT).await.success(),
            "SIGTERM is a clean exit"
        );
        self.world.fake.assert_no_violations();
        self.world.fake.assert_no_unknown_routes();
        self.world
    }
}

/// A batch with one 911 call, stamped now (the bot checks only the signature's timestamp).
fn emergency_batch(call_number: i64, description: &str) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    json!({"server": "sim", "events": [{
        "event": "EmergencyCallStarted", "origin": "5873310294", "timestamp": now,
        "data": {"team": "Police", "caller": 5873310294u64, "players": [], "position": [1, 2],
                 "startedAt": now, "callNumber": call_number, "description": description}
    }]})
    .to_string()
    .into_bytes()
}

fn defect(change: impl FnOnce(&mut WebhookSendOptions)) -> WebhookSendOptions {
    let mut options = WebhookSendOptions::default();
    change(&mut options);
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_bot_verifies_every_delivery() {
    let hooked = Hooked::start().await;
    let url = hooked.webhook_url();
    assert_eq!(
        hooked.metric("erlc_bot_webhook_accepted_total").await,
        Some(1),
        "the probe"
    );

    let body = emergency_batch(71, "valid batch");
    assert_eq!(
        hooked
            .send(&url, &body, WebhookSendOptions::default())
            .await,
        [200]
    );
    hooked
        .world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("valid batch"),
            WAIT,
        )
        .await;

    let refused = [
        ("tampered body", defect(|o| o.tamper_body = true)),
        ("wrong key", defect(|o| o.wrong_key = true)),
        ("bad hex", defect(|o| o.bad_hex = true)),
        ("an hour old", defect(|o| o.skew_secs = -3600)),
        ("no headers", defect(|o| o.omit_headers = true)),
    ];
    let other = emergency_batch(72, "never accepted");
    for (what, options) in refused {
        assert_eq!(hooked.send(&url, &other, options).await, [401], "{what}");
    }
    let unknown = format!("{}/prc/webhook/{}", hooked.base, "A".repeat(43));
    assert_eq!(
        hooked
            .send(&unknown, &other, WebhookSendOptions::default())
            .await,
        [404]
    );
    let huge = hooked
        .http
        .post(&url)
        .header("X-Signature-Timestamp", "1")
        .header("X-Signature-Ed25519", "00")
        .body(vec![b' '; 1024 * 1024])
        .send()
        .await
        .expect("the bot answers instead of dropping the connection");
    assert_eq!(huge.status(), 413);

    let replayed = emergency_batch(73, "delivered twice");
    let statuses = hooked
        .send(&url, &replayed, defect(|o| o.duplicate = true))
        .await;
    assert_eq!(statuses, [200, 200], "both deliveries are acknowledged");
    hooked
        .world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("delivered twice"),
            WAIT,
        )
        .await;

    let (status, metrics) = hooked.get("/metrics").await;
    assert_eq!(status, 200);
    for (series, value) in [
        ("erlc_bot_webhook_accepted_total", 3),
        ("erlc_bot_webhook_duplicates_total", 1),
        ("erlc_bot_webhook_stored_events_total", 2),
        (
            "erlc_bot_webhook_rejected_total{reason=\"bad_signature\"}",
            2,
        ),
        (
            "erlc_bot_webhook_rejected_total{reason=\"malformed_signature\"}",
            1,
        ),
        (
            "erlc_bot_webhook_rejected_total{reason=\"stale_timestamp\"}",
            1,
        ),
        (
            "erlc_bot_webhook_rejected_total{reason=\"missing_timestamp\"}",
            1,
        ),
        (
            "erlc_bot_webhook_rejected_total{reason=\"unknown_token\"}",
            1,
        ),
        (
            "erlc_bot_webhook_rejected_total{reason=\"body_too_large\"}",
            1,
        ),
    ] {
        assert!(
            metrics.contains(&format!("\n{series} {value}\n")),
            "{series} {value} in:\n{metrics}"
        );
    }
    assert!(!metrics.contains(&hooked.token), "the token never shows");

    let (status, health) = hooked.get("/healthz").await;
    assert_eq!(status, 200, "{health}");
    let health: serde_json::Value = serde_json::from_str(&health).expect("JSON health");
    assert_eq!(health["store"], "ok", "{health}");
    assert_eq!(health["servers_with_webhook"], 1, "{health}");

    let cards = hooked.world.fake.messages(ids::LOG_CHANNEL);
    let texts: Vec<String> = cards.iter().map(embed_text).collect();
    assert_eq!(cards.len(), 2, "one card per accepted call:\n{texts:#?}");
    assert!(!texts.iter().any(|t| t.contains("never accepted")));
    assert!(
        !hooked.bot.stderr().contains(&hooked.token),
        "logs show the token only as a fingerprint"
    );
    hooked.stop().await;
}

fn player(name: &str, id: u64) -> PlayerSpec {
    PlayerSpec {
        name: Some(name.into()),
        id: Some(id),
        team: Some("Police".into()),
        location: Some(Location {
            x: 10.0,
            z: -20.0,
            postal: "307".into(),
            street: "Harbor Road".into(),
            building: String::new(),
        }),
        ..PlayerSpec::default()
    }
}

fn pms_to(hooked: &Hooked, id: u64) -> Vec<String> {
    hooked
        .server()
        .messages()
        .into_iter()
        .filter(|m| m.kind == MessageKind::PrivateMessage && m.targets == [id])
        .map(|m| m.text)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_typed_in_game_pings_the_staff_role_in_the_modcall_channel() {
    let hooked = Hooked::start().await;
    let world = &hooked.world;
    let modcall = Opt::sub(
        "modcall",
        vec![
            Opt::channel("channel", MODCALL_CHANNEL),
            Opt::role("role", STAFF_ROLE),
        ],
    );
    let refused = world
        .slash_as(ids::MEMBER, "settings", vec![modcall.clone()])
        .await;
    assert!(
        refused.is_ephemeral() && embed_text(&refused).contains("manage"),
        "only Manage may route mod calls:\n{}",
        embed_text(&refused)
    );
    world.slash_ok(ids::OWNER, "settings", vec![modcall]).await;
    let ingame = Opt::sub("ingame", vec![Opt::boolean("enabled", true)]);
    let saved = world.slash_ok(ids::OWNER, "settings", vec![ingame]).await;
    assert!(embed_text(&saved).contains(&format!("<@&{STAFF_ROLE}>")));

    let caller = hooked
        .server()
        .add_player(player("Caller_One", 5_000_000_001))
        .expect("add the caller");
    hooked
        .server()
        .player_chat(caller, ";staff someone is *rdming* @everyone <@&1>")
        .expect("the caller types in chat");

    let card = world
        .fake
        .wait_for_message(MODCALL_CHANNEL, |m| embed_text(m).contains("rdming"), WAIT)
        .await;
    assert!(
        card.content.starts_with(&format!("<@&{STAFF_ROLE}>")),
        "the card pings the staff role: {:?}",
        card.content
    );
    let mentions = card
        .allowed_mentions
        .clone()
        .expect("allowed_mentions sent");
    assert_eq!(
        mentions["roles"],
        json!([STAFF_ROLE.to_string()]),
        "{mentions}"
    );
    assert_eq!(mentions["parse"], json!([]), "{mentions}");
    let embeds = serde_json::to_string(&card.embeds).expect("JSON");
    for shown in [
        "Caller\\\\_One",
        "\\\\*rdming\\\\*",
        "Postal 307, Harbor Road",
    ] {
        assert!(embeds.contains(shown), "{shown} in {embeds}");
    }
    assert!(
        !embeds.contains("@everyone") && !embeds.contains("<@&1>"),
        "game text cannot mention: {embeds}"
    );

    wait_for_async("the caller's in-game :pm", || async {
        pms_to(&hooked, caller) == ["Staff have been notified."]
    })
    .await;
    // Counted once the command is done, which is after its `:pm` (and its audit outcome).
    wait_for_async("the ; command counted once", || async {
        hooked
            .metric("erlc_bot_custom_commands_total{result=\"ran_ok\"}")
            .await
            == Some(1)
    })
    .await;
    let posted: Vec<StoredMessage> = world
        .fake
        .messages(MODCALL_CHANNEL)
        .into_iter()
        .filter(|m| m.interaction_id.is_none())
        .collect();
    assert_eq!(posted.len(), 1, "one card besides the /settings replies");
    hooked.stop().await;
}

fn cards_for_call(world: &World, number: u64) -> Vec<StoredMessage> {
    world
        .fake
        .messages(ids::LOG_CHANNEL)
        .into_iter()
        .filter(|m| embed_text(m).contains(&format!("#{number}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_911_call_by_webhook_and_by_polling_gives_one_card_edited_in_place() {
    let hooked = Hooked::start().await;
    // The first poll is the tracker's silent baseline.
    hooked.world.wait_for_polls(1).await;
    let server = hooked.server();
    let caller = server
        .add_player(player("Caller_911", 5_000_000_010))
        .expect("add the caller");
    let responder = server
        .add_player(player("Officer_Ready", 5_000_000_011))
        .expect("add a responder");

    let number = server
        .start_emergency_call(caller, "Police", "shots fired on Harbor Road")
        .expect("start the call");
    wait_for_async("the webhook copy of the call", || async {
        hooked
            .metric("erlc_bot_webhook_events_total{event=\"EmergencyCallStarted\"}")
            .await
            == Some(1)
    })
    .await;
    // Two more polls: the second one surely began after the call existed.
    hooked.wait_for_more_polls(2).await;
    hooked
        .world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains(&format!("#{number}")),
            WAIT,
        )
        .await;

    server
        .respond_emergency_call(number, responder)
        .expect("respond");
    wait_for_async("the card to show the responder", || async {
        cards_for_call(&hooked.world, number)
            .iter()
            .any(|m| embed_text(m).contains("1 responding"))
    })
    .await;

    server.end_emergency_call(number).expect("end the call");
    wait_for_async("the card to show the end", || async {
        cards_for_call(&hooked.world, number)
            .iter()
            .any(|m| embed_text(m).contains("ended"))
    })
    .await;
    wait_for_async("the webhook copy of the end", || async {
        hooked
            .metric("erlc_bot_webhook_events_total{event=\"EmergencyCallEnded\"}")
            .await
            == Some(1)
    })
    .await;
    hooked.wait_for_more_polls(2).await;

    // A clean stop delivers whatever is still queued, so a late second card would show now.
    let world = hooked.stop().await;
    let cards = cards_for_call(&world, number);
    let texts: Vec<String> = cards.iter().map(embed_text).collect();
    assert_eq!(cards.len(), 1, "one card for call #{number}:\n{texts:#?}");
    assert!(
        cards[0].edit_count >= 2,
        "responded and ended edit the card ({} edits)",
        cards[0].edit_count
    );
    assert_eq!(
        world.fake.messages(ids::LOG_CHANNEL).len(),
        1,
        "no other card either"
    );
    let store = open_store(world.data.path());
    for kind in ["started", "responded", "ended"] {
        let event_type =
            EventType::parse(&format!("main/emergency/{kind}")).expect("an event type");
        let count = stored_of_type(&store, world.fake.guild_id(), &event_type).len();
        assert_eq!(count, 1, "{kind}: the webhook and polled copies merge");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_left_unfinished_by_the_last_run_is_finished_at_the_next_start() {
    let hooked = Hooked::start().await;
    let modcall = Opt::sub(
        "modcall",
        vec![
            Opt::channel("channel", MODCALL_CHANNEL),
            Opt::role("role", STAFF_ROLE),
        ],
    );
    hooked
        .world
        .slash_ok(ids::OWNER, "settings", vec![modcall])
        .await;
    let ingame = Opt::sub("ingame", vec![Opt::boolean("enabled", true)]);
    hooked
        .world
        .slash_ok(ids::OWNER, "settings", vec![ingame])
        .await;
    hooked
        .server()
        .add_player(player("Caller_Two", 5_000_000_002))
        .expect("add the caller");
    let world = hooked.stop().await;

    // What a run that accepted this batch and then died would have left in its database.
    let store = open_store(world.data.path());
    let body = json!({"server": "sim", "events": [{
        "event": "CustomCommand", "origin": "5000000002", "timestamp": 1_767_225_600,
        "data": {"command": "staff", "argument": "left behind by a crash"}
    }]})
    .to_string();
    store
        .inbox()
        .put(world.fake.guild_id(), "main", &body)
        .expect("keep the batch");
    store.flush().expect("flush");
    drop(store);

    let mut bot = world.start_bot().await;
    let card = world
        .fake
        .wait_for_message(
            MODCALL_CHANNEL,
            |m| embed_text(m).contains("left behind by a crash"),
            WAIT,
        )
        .await;
    assert!(
        embed_text(&card).contains("Caller\\_Two"),
        "{}",
        embed_text(&card)
    );
    assert!(bot.stop(WAIT).await.success(), "SIGTERM is a clean exit");
    let store = open_store(world.data.path());
    assert!(
        store.inbox().pending().expect("read the inbox").is_empty(),
        "the batch was dropped once finished"
    );
    world.fake.assert_no_violations();
}
