//! One end-to-end world: the fake Discord, a PRC simulator and a data directory, with the
//! real bot binary started against them.

use erlc_bot::erlc::ServerKey;
use erlc_bot::events::Pattern;
use erlc_bot::sim::{BucketLimit, MessageKind, SimConfig, SimHandle, SimServer, Simulator};
use erlc_bot::store::{FeedFilters, FeedSubscription};
use tempfile::TempDir;

use super::bot_process::{BotEnv, BotProcess};
use super::fake_discord::FakeDiscord;
use super::fake_discord::dispatch::InteractionHandle;
use super::fake_discord::interactions::Interaction;
use super::fake_discord::options::Opt;
use super::fake_discord::state::{FakeConfig, StoredMessage, ids};
use super::open_store;
use super::wait::{WAIT, wait_for};

pub struct World {
    pub fake: FakeDiscord,
    pub sim: SimHandle,
    pub data: TempDir,
}

/// Simulator limits high enough that tests never wait on PRC rate limits.
pub fn sim_config(initial_players: usize) -> SimConfig {
    SimConfig {
        seed: 7,
        initial_players,
        read_limit: BucketLimit::new(10_000, 10),
        command_limit: BucketLimit::new(10_000, 5),
        ..SimConfig::default()
    }
}

impl World {
    pub async fn start(initial_players: usize) -> World {
        World::start_with(FakeConfig::default(), sim_config(initial_players)).await
    }

    pub async fn start_with(fake: FakeConfig, sim: SimConfig) -> World {
        let fake = FakeDiscord::start_with(fake).await;
        let sim = Simulator::start(sim).await.expect("simulator starts");
        let data = tempfile::tempdir().expect("temp data dir");
        World { fake, sim, data }
    }

    pub fn env(&self) -> BotEnv {
        BotEnv::new(self.fake.base_url(), self.sim.base_url(), self.data.path())
    }

    /// The first simulated server's key.
    pub fn sim_key(&self) -> String {
        self.sim.servers()[0].key.clone()
    }

    /// Starts `erlc-bot run` and waits until it is READY with its commands registered.
    pub async fn start_bot(&self) -> BotProcess {
        self.start_bot_with(&self.env()).await
    }

    /// Like [`World::start_bot`] with a changed environment (e.g. `PUBLIC_URL` in `extra`).
    pub async fn start_bot_with(&self, env: &BotEnv) -> BotProcess {
        let bot = BotProcess::start(env, &["run"]);
        self.fake
            .wait_for_ready_count(self.fake.ready_count() + 1, WAIT)
            .await;
        self.fake.wait_for_commands_registered(WAIT).await;
        bot
    }
}

/// The token of the `<public_url>/prc/webhook/<token>` URL in a reply's text.
pub fn webhook_token_in(text: &str, public_url: &str) -> String {
    let prefix = format!("{public_url}/prc/webhook/");
    text.split_once(&prefix)
        .map(|(_, rest)| rest.chars().take_while(|c| *c != '`').collect())
        .unwrap_or_else(|| panic!("no webhook URL under {public_url} in:\n{text}"))
}

impl World {
    /// The environment of a bot behind `public_url` that verifies webhooks with the
    /// simulator's key.
    pub fn webhook_env(&self, public_url: &str) -> BotEnv {
        let mut env = self.env();
        env.extra = vec![
            (
                "PRC_WEBHOOK_PUBLIC_KEY".into(),
                self.sim.webhook_public_key_spki_base64(),
            ),
            ("PUBLIC_URL".into(), public_url.into()),
        ];
        env
    }

    /// Has simulated `server` send its webhooks to the bot at `bot_http`, under the token
    /// `/server webhook` shows the owner (behind `public_url`); returns the token. The game
    /// keeps the URL only when the bot answers its signed probe.
    pub async fn hook_server(
        &self,
        server: &SimServer,
        bot_http: &str,
        public_url: &str,
    ) -> String {
        let shown = self
            .slash_as(ids::OWNER, "server", vec![Opt::sub("webhook", Vec::new())])
            .await;
        let token = webhook_token_in(&embed_text(&shown), public_url);
        server
            .set_webhook_url(Some(format!("{bot_http}/prc/webhook/{token}")))
            .await
            .expect("the bot answers the signed probe");
        token
    }
}

/// Everything shown in a message's embeds (titles, descriptions, field names and values),
/// for `contains` checks.
pub fn embed_text(message: &StoredMessage) -> String {
    let mut out = vec![message.content.clone()];
    for embed in &message.embeds {
        for key in ["title", "description"] {
            out.push(embed[key].as_str().unwrap_or_default().to_string());
        }
        for field in embed["fields"].as_array().into_iter().flatten() {
            out.push(field["name"].as_str().unwrap_or_default().to_string());
            out.push(field["value"].as_str().unwrap_or_default().to_string());
        }
        out.push(
            embed["footer"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    out.join("\n")
}

impl World {
    /// Dispatch and return the message the bot answered with: the reply itself, or, after a
    /// deferral, the first follow-up (which fills or replaces the placeholder).
    pub async fn ask(&self, interaction: Interaction) -> StoredMessage {
        let handle = self.fake.dispatch(interaction);
        answer(&handle).await
    }

    /// `/name options…` as `user`, answered.
    pub async fn slash_as(&self, user: u64, name: &str, options: Vec<Opt>) -> StoredMessage {
        let interaction = self
            .fake
            .slash(name, options)
            .unwrap_or_else(|e| panic!("/{name}: {e}"))
            .as_member(user);
        self.ask(interaction).await
    }

    /// Like [`World::slash_as`], and the answer must be public (errors are ephemeral).
    pub async fn slash_ok(&self, user: u64, name: &str, options: Vec<Opt>) -> StoredMessage {
        let message = self.slash_as(user, name, options).await;
        assert!(
            !message.is_ephemeral(),
            "/{name} answered with an ephemeral message (an error?):\n{}",
            embed_text(&message)
        );
        message
    }

    /// `/server setup label:<label>` as the guild owner, pasting `key` into the form.
    /// Returns the (ephemeral) answer.
    pub async fn setup_server(&self, label: &str, key: &str) -> StoredMessage {
        let setup = Opt::sub("setup", vec![Opt::string("label", label)]);
        let opened = self.fake.dispatch(
            self.fake
                .slash("server", vec![setup])
                .expect("/server registered")
                .as_member(ids::OWNER),
        );
        let response = opened.await_response(WAIT).await;
        assert_eq!(
            response.kind, 9,
            "/server setup opens a form: {:?}",
            response.data
        );
        let modal_id = opened.modal_custom_id().expect("the form's id");
        let input = response.data["components"][0]["components"][0]["custom_id"]
            .as_str()
            .expect("the form has a text input")
            .to_string();
        let submit = self
            .fake
            .modal_submit(&modal_id, &[(input.as_str(), key)])
            .expect("submit the form");
        let acked = self.fake.dispatch(submit).await_response(WAIT).await;
        assert_eq!(acked.kind, 6, "the submit is acknowledged");
        opened.await_followups(1, WAIT).await.remove(0)
    }

    /// Give the Moderator role every capability but `raw_command` and `manage`.
    pub async fn grant_moderators(&self) {
        let set = Opt::sub(
            "set",
            vec![
                Opt::role("role", ids::MODERATOR_ROLE),
                Opt::string("capabilities", "view, message, moderate, ban"),
            ],
        );
        self.slash_ok(ids::OWNER, "permissions", vec![set]).await;
    }
}

/// The message an interaction was answered with (see [`World::ask`]).
pub async fn answer(handle: &InteractionHandle) -> StoredMessage {
    let response = handle.await_response(WAIT).await;
    match response.kind {
        4 => handle.original_message().expect("the reply is stored"),
        5 => handle.await_followups(1, WAIT).await.remove(0),
        other => panic!("expected a reply or a deferral, got callback type {other}"),
    }
}

impl World {
    /// Before the bot starts: store the first simulated server as `label` and a feed of
    /// `patterns` into `channel`, as `/server setup` and `/feed add` would.
    pub fn seed_server_and_feed(&self, label: &str, channel: u64, patterns: &[&str]) {
        let store = open_store(self.data.path());
        let settings = store.settings();
        let guild = self.fake.guild_id();
        settings
            .add_server(
                guild,
                label,
                &ServerKey::new(self.sim_key()),
                ids::OWNER,
                "owner",
            )
            .expect("store the server");
        let patterns = patterns
            .iter()
            .map(|p| Pattern::parse(p).expect("a valid pattern"))
            .collect();
        let feed = FeedSubscription {
            channel_id: channel,
            patterns,
            filters: FeedFilters::default(),
            added_at_ms: Default::default(),
        };
        settings
            .set_feed_subscription(guild, feed)
            .expect("store the feed");
        store.flush().expect("flush");
    }

    /// Waits until the simulator has answered `n` reads of a server snapshot, i.e. the
    /// tracker has polled (any server).
    pub async fn wait_for_polls(&self, n: usize) {
        wait_for(&format!("{n} polls by the tracker"), || {
            self.polls(None) >= n
        })
        .await;
    }

    /// Like [`World::wait_for_polls`], counting only the polls of the server with `key`:
    /// every connected server is polled, so another server's poll says nothing of this one.
    pub async fn wait_for_polls_of(&self, key: &str, n: usize) {
        let fingerprint = erlc_bot::fingerprint::fingerprint(key);
        let what = format!("{n} polls of {fingerprint} by the tracker");
        wait_for(&what, || self.polls(Some(&fingerprint)) >= n).await;
    }

    /// Snapshot reads answered so far, of the server with that key fingerprint or of all.
    fn polls(&self, fingerprint: Option<&str>) -> usize {
        self.sim
            .requests()
            .iter()
            // `/v2/server/command` is not a poll (setup probes commands with it).
            .filter(|r| r.path == "/v2/server" && r.status == 200)
            .filter(|r| fingerprint.is_none_or(|f| r.key_fingerprint.as_deref() == Some(f)))
            .count()
    }
}

/// The message-carrying body of a REST call the bot made (channel post or edit, interaction
/// reply, update, follow-up or edit), or `None` for every other call.
fn message_body(call: &super::fake_discord::transcript::Call) -> Option<&serde_json::Value> {
    use super::fake_discord::transcript::path_matches;
    let sends_message = match call.method.as_str() {
        "POST" => {
            path_matches("/channels/*/messages", &call.path)
                || path_matches("/webhooks/*/*", &call.path)
        }
        "PATCH" => {
            path_matches("/channels/*/messages/*", &call.path)
                || path_matches("/webhooks/*/*/messages/*", &call.path)
        }
        _ => false,
    };
    if sends_message {
        return Some(&call.body);
    }
    let callback = call.method == "POST" && path_matches("/interactions/*/*/callback", &call.path);
    // 4: reply, 7: update the clicked message; the other callback types carry no message.
    (callback && matches!(call.body["type"].as_u64(), Some(4 | 7))).then(|| &call.body["data"])
}

impl World {
    /// Clicks the button `custom_id` on message `message_id` as `user`.
    pub fn click(&self, user: u64, message_id: u64, custom_id: &str) -> InteractionHandle {
        let click = self
            .fake
            .button(message_id, custom_id)
            .unwrap_or_else(|e| panic!("click {custom_id}: {e}"))
            .as_member(user);
        self.fake.dispatch(click)
    }

    /// Every message the bot sent or edited so far said `allowed_mentions: {parse: []}`, so
    /// nothing it wrote (player names, reasons, pasted text) could ping anyone.
    pub fn assert_nothing_pings(&self) {
        let calls = self.fake.calls();
        let bodies: Vec<_> = calls
            .iter()
            .filter_map(|c| message_body(c).map(|b| (c, b)))
            .collect();
        assert!(!bodies.is_empty(), "the bot sent no message at all");
        for (call, body) in bodies {
            assert_eq!(
                body["allowed_mentions"]["parse"],
                serde_json::json!([]),
                "{} {} may ping: {body}",
                call.method,
                call.path
            );
        }
    }

    /// The checks every end-to-end test ends with: no Discord rule broken, no route the fake
    /// does not know, nothing that pings.
    pub fn assert_clean(&self) {
        self.fake.assert_no_violations();
        self.fake.assert_no_unknown_routes();
        self.assert_nothing_pings();
    }
}

/// The page button of `message` that opens page `page` (from 0): on the first page, 0 is
/// Refresh and 1 is Next.
pub fn page_button(message: &StoredMessage, page: usize) -> String {
    let token = format!("-{page}-");
    message
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with("erlc:page:") && id.contains(&token))
        .unwrap_or_else(|| panic!("no button to page {page} in {:?}", message.custom_ids()))
}

/// Whether the game ran `:name` on the player with user id `target`.
pub fn applied(server: &SimServer, name: &str, target: u64) -> bool {
    server
        .applied_commands()
        .iter()
        .any(|c| c.name == name && c.targets.contains(&target))
}

/// Whether the game showed a message of `kind` containing `text`.
pub fn message_sent(server: &SimServer, kind: MessageKind, text: &str) -> bool {
    server
        .messages()
        .iter()
        .any(|m| m.kind == kind && m.text.contains(text))
}
