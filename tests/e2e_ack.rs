//! End to end: every interaction is acknowledged within Discord's 3 s, whatever PRC does.
//! With the simulator holding every PRC request for 4 s, one interaction of every kind the
//! bot serves (each slash command and subcommand that reads PRC or the store, each button:
//! page, player panel, mod-call card, Confirm/Cancel and `;report` card, form submits and
//! autocomplete) gets its first callback (reply, deferral, form or choices) while PRC has
//! answered none of the requests that reached it after the dispatch. Then PRC answers and
//! each final reply is the right one, not an error card.
//!
//! "Before PRC answered" is checked causally, never against a clock: the simulator logs
//! requests in the order it answers them, numbered in the order they arrived, and the fake
//! Discord reads the length of that log the instant each callback arrives.

mod support;

use erlc_bot::sim::{FaultKind, FaultPlan, MessageKind, PlayerSpec, SimConfig, SimServer};
use support::e2e::{WAIT, World, answer, embed_text, sim_config, wait_for};
use support::fake_discord::dispatch::InteractionHandle;
use support::fake_discord::interactions::Interaction;
use support::fake_discord::options::Opt;
use support::fake_discord::state::{FakeConfig, StoredMessage, ids};
use support::fake_discord::world::Response;

/// How long the simulator holds each PRC request: past Discord's 3 s, so an interaction
/// that waited for PRC before acknowledging would be too late on Discord as well.
const LATENCY_MS: u64 = 4_000;
/// Where `;report` cards go (slash replies land there too); mod-call feed cards go to
/// `ids::LOG_CHANNEL`.
const MODCALL_CHANNEL: u64 = ids::GENERAL_CHANNEL;
/// Only the token in the webhook URL matters; PRC never calls this address.
const PUBLIC_URL: &str = "https://bot.example.test";

// One player per action that removes someone, so that no two actions race for one player.
const KICKED: (u64, &str) = (1001, "AckKicked");
const BANNED: (u64, &str) = (1002, "AckBanned");
/// Messaged, made wanted and jailed (none of which removes them); their panel's PM, Wanted
/// and Refresh buttons.
const MESSAGED: (u64, &str) = (1003, "AckMessaged");
const PANEL_KICKED: (u64, &str) = (1004, "AckPanelKicked");
const PANEL_BANNED: (u64, &str) = (1005, "AckPanelBanned");
const REPORTED: (u64, &str) = (1006, "AckReported");
const REPORTER: (u64, &str) = (1007, "AckReporter");
const CLAIM_CALLER: (u64, &str) = (1008, "AckCallerOne");
const RESOLVE_CALLER: (u64, &str) = (1009, "AckCallerTwo");
/// On the ban list before the test; `/unban` lifts it.
const UNBANNED: (u64, &str) = (1999, "AckUnbanned");
/// A destructive command that disturbs nobody online, run with Confirm.
const CONFIRMED: &str = ":ban 4242";

// Interaction callback types.
const REPLY: u8 = 4;
const DEFERRED: u8 = 5;
const UPDATE: u8 = 6;
const CHOICES: u8 = 8;
const FORM: u8 = 9;

/// One dispatched interaction and its first callback.
struct Acked {
    what: String,
    handle: InteractionHandle,
    first: Response,
}

/// Dispatches `interaction` and waits for its first callback, which must be of type `kind`
/// and must have come while PRC had answered none of the requests that arrived after the
/// dispatch, so nothing the interaction asked PRC was answered yet. Requests of the tracker
/// or of earlier interactions that arrive after the dispatch are held 4 s as well: they can
/// be answered first only if the acknowledgement took longer than that, too late for
/// Discord anyway.
async fn acked(world: &World, what: &str, interaction: Interaction, kind: u8) -> Acked {
    let mark = world.sim.arrivals();
    let handle = world.fake.dispatch(interaction);
    let first = handle.await_response(WAIT).await;
    let answered = first.probe.expect("every callback is probed") as usize;
    let early: Vec<String> = world
        .sim
        .requests()
        .iter()
        .take(answered)
        .filter(|r| r.arrival >= mark)
        .map(|r| {
            format!(
                "{} {}?{}",
                r.method,
                r.path,
                r.query.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert!(
        early.is_empty(),
        "{what} was acknowledged only after PRC had answered {early:?}"
    );
    assert!(
        first.accepted && first.kind == kind,
        "{what}: first callback of type {} (accepted: {}), expected {kind}: {}",
        first.kind,
        first.accepted,
        first.data
    );
    Acked {
        what: what.to_owned(),
        handle,
        first,
    }
}

impl Acked {
    /// The reply, or after a deferral the follow-up, which must not be an error card.
    async fn reply(&self) -> StoredMessage {
        let message = answer(&self.handle).await;
        assert!(
            !is_error(&message),
            "{} answered with an error:\n{}",
            self.what,
            embed_text(&message)
        );
        message
    }

    /// [`Acked::reply`], shown to everyone.
    async fn public(&self) -> StoredMessage {
        let message = self.reply().await;
        assert!(!message.is_ephemeral(), "{} answered privately", self.what);
        message
    }

    /// [`Acked::reply`], shown only to the invoker.
    async fn private(&self) -> StoredMessage {
        let message = self.reply().await;
        assert!(message.is_ephemeral(), "{} answered publicly", self.what);
        message
    }

    /// A refusal of `needed`: private, whether it is the first callback or follows a
    /// private deferral.
    async fn refused(&self, needed: &str) {
        let message = answer(&self.handle).await;
        let text = embed_text(&message);
        assert!(message.is_ephemeral(), "{}: a public refusal", self.what);
        assert!(
            is_error(&message) && text.contains(needed),
            "{}: {text}",
            self.what
        );
    }
}

/// An error card or a refusal (see `views::outcome`).
fn is_error(message: &StoredMessage) -> bool {
    message.embeds.iter().any(|embed| {
        let title = embed["title"].as_str().unwrap_or_default();
        title.starts_with('❌') || title.starts_with('🔒')
    })
}

fn slash(world: &World, user: u64, name: &str, options: Vec<Opt>) -> Interaction {
    world
        .fake
        .slash(name, options)
        .unwrap_or_else(|e| panic!("/{name}: {e}"))
        .as_member(user)
}

fn sub(name: &str, options: Vec<Opt>) -> Vec<Opt> {
    vec![Opt::sub(name, options)]
}

fn click(world: &World, user: u64, message: &StoredMessage, custom_id: &str) -> Interaction {
    world
        .fake
        .button(message.id, custom_id)
        .unwrap_or_else(|e| panic!("click {custom_id}: {e}"))
        .as_member(user)
}

/// The panel form opened by the button `custom_id`, submitted with `text`.
fn submit(world: &World, custom_id: &str, text: &str) -> Interaction {
    world
        .fake
        .modal_submit(custom_id, &[("text", text)])
        .unwrap_or_else(|e| panic!("submit {custom_id}: {e}"))
        .as_member(ids::MODERATOR)
}

/// The message `message` became once a click redrew it.
async fn redrawn(world: &World, message: &StoredMessage) -> StoredMessage {
    let redrawn = world
        .fake
        .wait_for_message(
            message.channel_id,
            |m| m.id == message.id && m.edit_count > message.edit_count,
            WAIT,
        )
        .await;
    assert!(!is_error(&redrawn), "{}", embed_text(&redrawn));
    redrawn
}

fn id_starting(message: &StoredMessage, prefix: &str) -> String {
    message
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}… in {:?}", message.custom_ids()))
}

/// The page button of `message` that opens page `page` (from 0).
fn page_button(message: &StoredMessage, page: usize) -> String {
    let token = format!("-{page}-");
    message
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with("erlc:page:") && id.contains(&token))
        .unwrap_or_else(|| panic!("no button to page {page} in {:?}", message.custom_ids()))
}

fn panel_button(action: &str, player: (u64, &str)) -> String {
    format!("erlc:{action}:main:{}", player.0)
}

fn applied(server: &SimServer, name: &str, target: u64) -> bool {
    server
        .applied_commands()
        .iter()
        .any(|c| c.name == name && c.targets.contains(&target))
}

fn message_sent(server: &SimServer, kind: MessageKind, text: &str) -> bool {
    server
        .messages()
        .iter()
        .any(|m| m.kind == kind && m.text.contains(text))
}

fn online(server: &SimServer, player: (u64, &str)) -> bool {
    server.players().iter().any(|(id, _)| *id == player.0)
}

/// Waits for the mod-call card of `caller`'s call in the feed channel.
async fn mod_call_card(world: &World, caller: &str) -> StoredMessage {
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| {
                embed_text(m).contains(caller)
                    && m.custom_ids()
                        .iter()
                        .any(|id| id.starts_with("erlc:mc_claim:"))
            },
            WAIT,
        )
        .await
}

/// Everything clicked while PRC is slow, posted while it is fast.
struct Posted {
    pages: [StoredMessage; 3],
    /// The panels of [`MESSAGED`], [`PANEL_KICKED`] and [`PANEL_BANNED`].
    panels: [StoredMessage; 3],
    claim_card: StoredMessage,
    resolve_card: StoredMessage,
    confirm_prompt: StoredMessage,
    cancel_prompt: StoredMessage,
    report_card: StoredMessage,
}

/// Connects a second server (removed later), routes `;` commands to the bot and posts every
/// message whose buttons are clicked later.
async fn post_everything(world: &World, server: &SimServer, bot_http: &str) -> Posted {
    let old_key = world.sim.servers()[2].key.clone();
    let connected = world.setup_server("old", &old_key).await;
    assert!(embed_text(&connected).contains("Connected **old**"));

    let shown = world
        .slash_as(ids::OWNER, "server", sub("webhook", vec![]))
        .await;
    let prefix = format!("{PUBLIC_URL}/prc/webhook/");
    let text = embed_text(&shown);
    let token: String = text
        .split_once(&prefix)
        .map(|(_, rest)| rest.chars().take_while(|c| *c != '`').collect())
        .unwrap_or_else(|| panic!("/server webhook shows no URL:\n{text}"));
    server
        .set_webhook_url(Some(format!("{bot_http}/prc/webhook/{token}")))
        .await
        .expect("the bot answers the signed probe");
    let modcall = vec![Opt::channel("channel", MODCALL_CHANNEL)];
    world
        .slash_ok(ids::OWNER, "settings", sub("modcall", modcall))
        .await;
    let ingame = vec![Opt::boolean("enabled", true)];
    world
        .slash_ok(ids::OWNER, "settings", sub("ingame", ingame))
        .await;
    let report = format!(";report {} spamming in chat", REPORTED.1);
    server
        .player_chat(REPORTER.0, &report)
        .expect("the reporter types in chat");
    let report_kick = panel_button("pl_kick", REPORTED);
    let report_card = world
        .fake
        .wait_for_message(
            MODCALL_CHANNEL,
            |m| m.custom_ids().contains(&report_kick),
            WAIT,
        )
        .await;

    server.add_mod_call(CLAIM_CALLER.0).expect("a mod call");
    server.add_mod_call(RESOLVE_CALLER.0).expect("a mod call");
    let claim_card = mod_call_card(world, CLAIM_CALLER.1).await;
    let resolve_card = mod_call_card(world, RESOLVE_CALLER.1).await;

    let raw = |text: &str| vec![Opt::string("command", text)];
    let confirm_prompt = world.slash_as(ids::OWNER, "command", raw(CONFIRMED)).await;
    let cancel_prompt = world
        .slash_as(ids::OWNER, "command", raw(":shutdown"))
        .await;

    let second_page = || vec![Opt::integer("page", 2)];
    let mut pages = Vec::new();
    for _ in 0..3 {
        pages.push(
            world
                .slash_ok(ids::MODERATOR, "players", second_page())
                .await,
        );
    }
    let mut panels = Vec::new();
    for player in [MESSAGED, PANEL_KICKED, PANEL_BANNED] {
        let name = vec![Opt::string("name", player.1)];
        panels.push(world.slash_ok(ids::MODERATOR, "player", name).await);
    }
    Posted {
        pages: pages.try_into().expect("three pages"),
        panels: panels.try_into().expect("three panels"),
        claim_card,
        resolve_card,
        confirm_prompt,
        cancel_prompt,
        report_card,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_interaction_is_acknowledged_before_prc_answers() {
    // Three servers: `main`, `alt` (connected while PRC is slow) and `old` (removed then);
    // enough players on `main` for three pages of `/players`.
    let sim = SimConfig {
        servers: 3,
        ..sim_config(40)
    };
    let world = World::start_with(FakeConfig::default(), sim).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/modcall/*"]);
    let server = world.sim.server(0).expect("simulated server");
    for (id, name) in [
        KICKED,
        BANNED,
        MESSAGED,
        PANEL_KICKED,
        PANEL_BANNED,
        REPORTED,
        REPORTER,
        CLAIM_CALLER,
        RESOLVE_CALLER,
    ] {
        server
            .add_player(PlayerSpec::named(name).with_id(id))
            .expect("add a player");
    }
    server.add_ban(UNBANNED.0, UNBANNED.1);
    let sim = world.sim.clone();
    world
        .fake
        .probe_callbacks(move || sim.requests().len() as u64);
    let mut env = world.env();
    env.extra = vec![
        (
            "PRC_WEBHOOK_PUBLIC_KEY".into(),
            world.sim.webhook_public_key_spki_base64(),
        ),
        ("PUBLIC_URL".into(), PUBLIC_URL.into()),
    ];
    let mut bot = world.start_bot_with(&env).await;
    // The first poll is the baseline; mod calls after it get cards.
    world.wait_for_polls(1).await;
    world.grant_moderators().await;
    let bot_http = bot.http_base(WAIT).await;
    let posted = post_everything(&world, &server, &bot_http).await;

    world.sim.set_faults(FaultPlan::probability(
        1.0,
        FaultKind::Latency { ms: LATENCY_MS },
    ));
    let slow_from = world.sim.arrivals();
    let (owner, moderator, member) = (ids::OWNER, ids::MODERATOR, ids::MEMBER);
    let w = &world;

    // Live reads: deferred, then drawn from PRC.
    let player_opt = |player: (u64, &str)| vec![Opt::string("player", player.1)];
    let mut reads = Vec::new();
    for name in ["players", "staff", "queue", "vehicles", "bans", "emergency"] {
        let what = format!("/{name}");
        reads.push(acked(w, &what, slash(w, moderator, name, vec![]), DEFERRED).await);
    }
    // `/logs` reads the event store, and PRC only to find a player named as a filter.
    let logs = sub("joins", player_opt(MESSAGED));
    reads.push(
        acked(
            w,
            "/logs joins",
            slash(w, moderator, "logs", logs),
            DEFERRED,
        )
        .await,
    );
    for kind in ["kills", "commands", "modcalls", "emergency"] {
        let what = format!("/logs {kind}");
        let logs = slash(w, moderator, "logs", sub(kind, vec![]));
        reads.push(acked(w, &what, logs, DEFERRED).await);
    }
    let name = vec![Opt::string("name", MESSAGED.1)];
    reads.push(acked(w, "/player", slash(w, moderator, "player", name), DEFERRED).await);
    let status = slash(w, owner, "server", sub("status", vec![]));
    reads.push(acked(w, "/server status", status, DEFERRED).await);

    // In-game actions: the permission check answers at once, then a deferral.
    let with = |mut options: Vec<Opt>, name: &str, value: &str| {
        options.push(Opt::string(name, value));
        options
    };
    let mut actions = Vec::new();
    for (name, options) in [
        ("kick", player_opt(KICKED)),
        ("ban", with(player_opt(BANNED), "reason", "exploiting")),
        (
            "unban",
            vec![Opt::string("player", &UNBANNED.0.to_string())],
        ),
        ("pm", with(player_opt(MESSAGED), "message", "hello there")),
        ("hint", vec![Opt::string("message", "restart soon")]),
        ("announce", vec![Opt::string("message", "event at noon")]),
        ("wanted", player_opt(MESSAGED)),
        ("jail", player_opt(MESSAGED)),
    ] {
        let what = format!("/{name}");
        actions.push(acked(w, &what, slash(w, moderator, name, options), DEFERRED).await);
    }
    let raw = |text: &str| vec![Opt::string("command", text)];
    let weather = slash(w, owner, "command", raw(":weather rain"));
    let weather = acked(w, "/command :weather", weather, DEFERRED).await;
    let shutdown = slash(w, owner, "command", raw(":shutdown"));
    let shutdown = acked(w, "/command :shutdown", shutdown, DEFERRED).await;
    let refused_kick = slash(w, member, "kick", player_opt(KICKED));
    let refused_kick = acked(w, "/kick by a member", refused_kick, REPLY).await;

    // Settings and history: answered from the store at once.
    let channel = |id: u64| Opt::channel("channel", id);
    let mut stored = Vec::new();
    for (what, user, name, options) in [
        ("/server list", owner, "server", sub("list", vec![])),
        (
            "/server default",
            owner,
            "server",
            sub("default", vec![Opt::string("server", "main")]),
        ),
        (
            "/feed add",
            owner,
            "feed",
            sub(
                "add",
                vec![
                    channel(ids::GENERAL_CHANNEL),
                    Opt::string("events", "joins"),
                ],
            ),
        ),
        ("/feed list", owner, "feed", sub("list", vec![])),
        (
            "/feed remove",
            owner,
            "feed",
            sub("remove", vec![channel(ids::GENERAL_CHANNEL)]),
        ),
        (
            "/permissions set",
            owner,
            "permissions",
            sub(
                "set",
                vec![
                    Opt::role("role", ids::MODERATOR_ROLE),
                    Opt::string("capabilities", "view, message, moderate, ban"),
                ],
            ),
        ),
        (
            "/permissions list",
            owner,
            "permissions",
            sub("list", vec![]),
        ),
        (
            "/settings modcall",
            owner,
            "settings",
            sub("modcall", vec![channel(MODCALL_CHANNEL)]),
        ),
        (
            "/settings ingame",
            owner,
            "settings",
            sub("ingame", vec![Opt::boolean("enabled", true)]),
        ),
        ("/audit verify", owner, "audit", sub("verify", vec![])),
        ("/health", moderator, "health", vec![]),
    ] {
        stored.push(acked(w, what, slash(w, user, name, options), REPLY).await);
    }
    let search = sub("search", vec![Opt::string("action", "command.kick")]);
    let audit_search = acked(w, "/audit search", slash(w, owner, "audit", search), REPLY).await;
    let export = slash(w, owner, "audit", sub("export", vec![]));
    let export = acked(w, "/audit export", export, REPLY).await;
    let webhook = slash(w, owner, "server", sub("webhook", vec![]));
    let webhook = acked(w, "/server webhook", webhook, REPLY).await;
    let remove = slash(
        w,
        owner,
        "server",
        sub("remove", vec![Opt::string("server", "old")]),
    );
    let remove = acked(w, "/server remove", remove, REPLY).await;

    // `/server setup`: the form first, then its submit is acknowledged before the key is
    // checked with PRC.
    let setup = slash(
        w,
        owner,
        "server",
        sub("setup", vec![Opt::string("label", "alt")]),
    );
    let setup = acked(w, "/server setup", setup, FORM).await;
    let form_id = setup.handle.modal_custom_id().expect("the key form's id");
    let input = setup.first.data["components"][0]["components"][0]["custom_id"]
        .as_str()
        .expect("the key form has a text input")
        .to_owned();
    let alt_key = world.sim.servers()[1].key.clone();
    let key_submit = w
        .fake
        .modal_submit(&form_id, &[(input.as_str(), alt_key.as_str())])
        .expect("submit the key form");
    acked(w, "the key form", key_submit, UPDATE).await;

    // Autocomplete answers from what the tracker and the store already know.
    let typing = |command: &str, options: Vec<Opt>, focused: &str| {
        w.fake
            .autocomplete(command, options, focused)
            .unwrap_or_else(|e| panic!("/{command} completes {focused}: {e}"))
            .as_member(moderator)
    };
    let names = typing("kick", vec![Opt::string("player", "AckMess")], "player");
    let names = acked(w, "player names", names, CHOICES).await;
    let labels = typing("players", vec![Opt::string("server", "ma")], "server");
    let labels = acked(w, "server labels", labels, CHOICES).await;
    let presets = typing(
        "feed",
        sub("add", vec![Opt::string("events", "jo")]),
        "events",
    );
    let presets = acked(w, "feed presets", presets, CHOICES).await;

    // Page buttons redraw their message.
    let [previous_page, refreshed_page, next_page] = &posted.pages;
    let mut page_clicks = Vec::new();
    for (what, message, page) in [
        ("Previous", previous_page, 0),
        ("Refresh", refreshed_page, 1),
        ("Next", next_page, 2),
    ] {
        let button = click(w, moderator, message, &page_button(message, page));
        page_clicks.push((acked(w, what, button, UPDATE).await, message));
    }

    // The player panels: forms open at once and their submits are deferred privately;
    // Wanted is deferred privately (a member's refusal follows privately too).
    let [messaged_panel, kick_panel, ban_panel] = &posted.panels;
    let mut submits = Vec::new();
    for (panel, action, player, text) in [
        (messaged_panel, "pl_pm", MESSAGED, "please stop"),
        (kick_panel, "pl_kick", PANEL_KICKED, "RDM"),
        (ban_panel, "pl_ban", PANEL_BANNED, "exploiting"),
        (&posted.report_card, "pl_pm", REPORTED, "calm down"),
    ] {
        let id = panel_button(action, player);
        acked(w, &id, click(w, moderator, panel, &id), FORM).await;
        let what = format!("the form of {id}");
        submits.push(acked(w, &what, submit(w, &id, text), DEFERRED).await);
    }
    for action in ["pl_kick", "pl_ban"] {
        let id = panel_button(action, REPORTED);
        acked(w, &id, click(w, moderator, &posted.report_card, &id), FORM).await;
    }
    let wanted_id = panel_button("pl_wanted", MESSAGED);
    let wanted = click(w, moderator, messaged_panel, &wanted_id);
    let wanted = acked(w, "Wanted", wanted, DEFERRED).await;
    let refused_wanted = click(w, member, messaged_panel, &wanted_id);
    let refused_wanted = acked(w, "Wanted by a member", refused_wanted, DEFERRED).await;
    let mut refreshes = Vec::new();
    for (card, player) in [(messaged_panel, MESSAGED), (&posted.report_card, REPORTED)] {
        let id = panel_button("pl_refresh", player);
        let refresh = acked(w, &id, click(w, moderator, card, &id), UPDATE).await;
        refreshes.push((refresh, card, player));
    }

    // Mod-call cards and the Confirm / Cancel prompts are acknowledged, then edited.
    let claim = id_starting(&posted.claim_card, "erlc:mc_claim:");
    let claim = click(w, moderator, &posted.claim_card, &claim);
    acked(w, "Claim", claim, UPDATE).await;
    let resolve = id_starting(&posted.resolve_card, "erlc:mc_resolve:");
    let resolve = click(w, moderator, &posted.resolve_card, &resolve);
    acked(w, "Resolve", resolve, UPDATE).await;
    let confirm = id_starting(&posted.confirm_prompt, "erlc:cmd_confirm:");
    acked(
        w,
        "Confirm",
        click(w, owner, &posted.confirm_prompt, &confirm),
        UPDATE,
    )
    .await;
    let cancel = id_starting(&posted.cancel_prompt, "erlc:cmd_cancel:");
    acked(
        w,
        "Cancel",
        click(w, owner, &posted.cancel_prompt, &cancel),
        UPDATE,
    )
    .await;

    // Everything was acknowledged while PRC held what it was asked: let it answer.
    world.sim.clear_faults();

    for read in &reads {
        read.public().await;
    }
    for action in &actions {
        action.public().await;
    }
    wait_for("the kick", || !online(&server, KICKED)).await;
    wait_for("the ban", || applied(&server, "ban", BANNED.0)).await;
    wait_for("the unban", || applied(&server, "unban", UNBANNED.0)).await;
    wait_for("the PM", || {
        message_sent(&server, MessageKind::PrivateMessage, "hello there")
    })
    .await;
    wait_for("the hint", || {
        message_sent(&server, MessageKind::Hint, "restart soon")
    })
    .await;
    wait_for("the announcement", || {
        message_sent(&server, MessageKind::Message, "event at noon")
    })
    .await;
    wait_for("wanted", || applied(&server, "wanted", MESSAGED.0)).await;
    wait_for("jail", || applied(&server, "jail", MESSAGED.0)).await;
    weather.private().await;
    let prompt = shutdown.private().await;
    id_starting(&prompt, "erlc:cmd_confirm:");
    refused_kick.refused("moderate").await;

    for reply in &stored {
        reply.public().await;
    }
    let found = embed_text(&audit_search.public().await);
    assert!(
        found.contains("regular"),
        "the refused kick is audited: {found}"
    );
    let exported = export.private().await;
    assert_eq!(exported.attachments.len(), 1, "the export is a file");
    let shown = embed_text(&webhook.private().await);
    assert!(shown.contains(PUBLIC_URL), "{shown}");
    let removed = embed_text(&remove.public().await);
    assert!(removed.contains("**old** was removed"), "{removed}");
    let connected = setup.handle.await_followups(1, WAIT).await.remove(0);
    let connected = embed_text(&connected);
    assert!(connected.contains("Connected **alt**"), "{connected}");

    assert_eq!(names.first.choice_names(), [MESSAGED.1]);
    assert_eq!(labels.first.choice_names(), ["main"]);
    let choices = presets.first.choice_names();
    assert!(
        choices.iter().any(|c| c.starts_with("joins")),
        "{choices:?}"
    );

    for (click, message) in &page_clicks {
        let page = embed_text(&redrawn(w, message).await);
        assert!(page.contains("Page"), "{}: {page}", click.what);
    }
    for submitted in &submits {
        submitted.private().await;
    }
    wait_for("the panel PM", || {
        message_sent(&server, MessageKind::PrivateMessage, "please stop")
    })
    .await;
    wait_for("the panel kick", || !online(&server, PANEL_KICKED)).await;
    wait_for("the panel ban", || applied(&server, "ban", PANEL_BANNED.0)).await;
    wait_for("the report card's PM", || {
        message_sent(&server, MessageKind::PrivateMessage, "calm down")
    })
    .await;
    wanted.private().await;
    refused_wanted.refused("moderate").await;
    for (refresh, card, player) in &refreshes {
        let panel = embed_text(&redrawn(w, card).await);
        assert!(panel.contains(player.1), "{}: {panel}", refresh.what);
    }

    let claimed = redrawn(w, &posted.claim_card).await;
    assert!(
        embed_text(&claimed).contains("Claimed by **modperson**"),
        "{}",
        embed_text(&claimed)
    );
    wait_for("the caller's in-game PM", || {
        server.messages().iter().any(|m| {
            m.kind == MessageKind::PrivateMessage
                && m.targets == [CLAIM_CALLER.0]
                && m.text.contains("modperson")
        })
    })
    .await;
    let resolved = redrawn(w, &posted.resolve_card).await;
    assert!(
        embed_text(&resolved).contains("Resolved by **modperson**"),
        "{}",
        embed_text(&resolved)
    );
    let done = redrawn(w, &posted.confirm_prompt).await;
    assert!(
        embed_text(&done).contains(CONFIRMED),
        "{}",
        embed_text(&done)
    );
    wait_for("the confirmed ban", || {
        server
            .applied_commands()
            .iter()
            .any(|c| c.name == "ban" && c.argument.contains("4242"))
    })
    .await;
    let cancelled = redrawn(w, &posted.cancel_prompt).await;
    assert_eq!(cancelled.embed_title(), "Cancelled");
    assert!(
        !server
            .applied_commands()
            .iter()
            .any(|c| c.name == "shutdown"),
        "nothing confirmed the shutdowns"
    );

    let held = format!("latency {LATENCY_MS}ms");
    assert!(
        world
            .sim
            .requests()
            .iter()
            .any(|r| r.arrival >= slow_from && r.fault.as_deref() == Some(held.as_str())),
        "PRC held the requests made while it was slow"
    );
    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}
