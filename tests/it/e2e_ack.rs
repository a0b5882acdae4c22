//! End to end: every interaction is acknowledged within Discord's 3 s, whatever PRC does.
//! With the simulator holding every PRC request for 4 s, one interaction of every kind the
//! bot serves (each slash command and subcommand that reads PRC or the store, each button:
//! page, player panel, mod-call card, Confirm/Cancel and `;report` card, form submits and
//! autocomplete) gets its first callback (reply, deferral, form or choices) while PRC has
//! answered nothing that was asked since it was dispatched. Then PRC answers and each final
//! answer is the right one, not an error card.
//!
//! "Before PRC answered" is checked causally, never against a clock: the simulator logs
//! requests in the order it answers them, numbered in the order they arrived, and the fake
//! Discord reads the length of that log the instant each callback arrives. The interactions
//! go out in bursts, all of a burst at once while nothing is in flight: the client shares
//! identical reads in flight (coalescing), so an interaction dispatched while another's read
//! is pending could wait on that older request; within a burst every request is newer than
//! the burst itself, so waiting on any of them shows.

use erlc_bot::sim::{FaultKind, FaultPlan, MessageKind, PlayerSpec, SimConfig, SimServer};

use crate::support::e2e::{World, applied, embed_text, message_sent, page_button, sim_config};
use crate::support::fake_discord::dispatch::InteractionHandle;
use crate::support::fake_discord::interactions::Interaction;
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::{FakeConfig, StoredMessage, ids};
use crate::support::fake_discord::world::Response;
use crate::support::wait::{WAIT, wait_for};

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

/// What an interaction's final answer must be once PRC has answered.
enum Then {
    /// A reply or follow-up everyone sees, not an error card, containing this text.
    Public(&'static str),
    /// A reply or follow-up only the invoker sees, not an error card, containing this text.
    Private(&'static str),
    /// A private refusal naming the capability needed.
    Refused(&'static str),
    /// The clicked message, redrawn (not into an error card) with this text.
    Redrawn(Box<StoredMessage>, &'static str),
    /// Autocomplete choices, one starting with each of these.
    Choices(&'static [&'static str]),
    /// Nothing beyond the first callback: a form (its submit is another interaction).
    Nothing,
}

/// One interaction waiting for the next burst.
struct Queued {
    what: String,
    interaction: Interaction,
    kind: u8,
    then: Then,
}

/// One dispatched interaction and its first callback.
struct Acked {
    what: String,
    handle: InteractionHandle,
    first: Response,
}

impl Acked {
    /// The reply, or the first follow-up after a deferral or a form.
    async fn answer(&self) -> StoredMessage {
        if self.first.kind == REPLY {
            return self.handle.original_message().expect("the reply is stored");
        }
        self.handle.await_followups(1, WAIT).await.remove(0)
    }

    /// Fails unless the final answer is what `then` says.
    async fn check(&self, world: &World, then: &Then) {
        let what = &self.what;
        match then {
            Then::Public(text) | Then::Private(text) => {
                let message = self.answer().await;
                let shown = embed_text(&message);
                assert!(
                    !is_error(&message),
                    "{what} answered with an error:\n{shown}"
                );
                let private = matches!(then, Then::Private(_));
                assert_eq!(message.is_ephemeral(), private, "{what}: who sees it");
                assert!(shown.contains(text), "{what}: no {text:?} in\n{shown}");
            }
            Then::Refused(needed) => {
                let message = self.answer().await;
                let shown = embed_text(&message);
                assert!(message.is_ephemeral(), "{what}: a public refusal");
                assert!(
                    is_error(&message) && shown.contains(needed),
                    "{what}: {shown}"
                );
            }
            Then::Redrawn(clicked, text) => {
                let redrawn = world
                    .fake
                    .wait_for_message(
                        clicked.channel_id,
                        |m| m.id == clicked.id && m.edit_count > clicked.edit_count,
                        WAIT,
                    )
                    .await;
                let shown = embed_text(&redrawn);
                assert!(!is_error(&redrawn), "{what} drew an error:\n{shown}");
                assert!(shown.contains(text), "{what}: no {text:?} in\n{shown}");
            }
            Then::Choices(starts) => {
                let choices = self.first.choice_names();
                for start in *starts {
                    assert!(
                        choices.iter().any(|c| c.starts_with(start)),
                        "{what}: no {start:?}… in {choices:?}"
                    );
                }
            }
            Then::Nothing => {}
        }
    }
}

/// An error card or a refusal (see `views::outcome`).
fn is_error(message: &StoredMessage) -> bool {
    message.embeds.iter().any(|embed| {
        let title = embed["title"].as_str().unwrap_or_default();
        title.starts_with('❌') || title.starts_with('🔒')
    })
}

/// Interactions sent while PRC is slow, a burst at a time.
struct Slow<'w> {
    world: &'w World,
    queued: Vec<Queued>,
    /// Every interaction of the bursts so far, for the ones that follow up on them.
    acked: Vec<Acked>,
}

impl<'w> Slow<'w> {
    fn new(world: &'w World) -> Self {
        Self {
            world,
            queued: Vec::new(),
            acked: Vec::new(),
        }
    }

    /// Queues `interaction` for the next burst: its first callback must be of type `kind`,
    /// and its final answer what `then` says.
    fn queue(&mut self, what: &str, interaction: Interaction, kind: u8, then: Then) {
        self.queued.push(Queued {
            what: what.to_owned(),
            interaction,
            kind,
            then,
        });
    }

    fn slash(&mut self, user: u64, name: &str, options: Vec<Opt>, kind: u8, then: Then) {
        let interaction = self
            .world
            .fake
            .slash(name, options)
            .unwrap_or_else(|e| panic!("/{name}: {e}"))
            .as_member(user);
        let what = format!("/{name} {}", options_text(interaction.data()));
        self.queue(what.trim_end(), interaction, kind, then);
    }

    fn click(&mut self, user: u64, message: &StoredMessage, custom_id: &str, kind: u8, then: Then) {
        let interaction = self
            .world
            .fake
            .button(message.id, custom_id)
            .unwrap_or_else(|e| panic!("click {custom_id}: {e}"))
            .as_member(user);
        let what = format!("{custom_id} by {user}");
        self.queue(&what, interaction, kind, then);
    }

    /// Submits the player form the button `custom_id` opened in an earlier burst.
    fn submit(&mut self, custom_id: &str, text: &str) {
        let submit = self
            .world
            .fake
            .modal_submit(custom_id, &[("text", text)])
            .unwrap_or_else(|e| panic!("submit {custom_id}: {e}"))
            .as_member(ids::MODERATOR);
        let what = format!("the form of {custom_id}");
        self.queue(&what, submit, DEFERRED, Then::Private(""));
    }

    fn complete(
        &mut self,
        command: &str,
        options: Vec<Opt>,
        focused: &str,
        starts: &'static [&'static str],
    ) {
        let typing = self
            .world
            .fake
            .autocomplete(command, options, focused)
            .unwrap_or_else(|e| panic!("/{command} completes {focused}: {e}"))
            .as_member(ids::MODERATOR);
        let what = format!("/{command} completing {focused}");
        self.queue(&what, typing, CHOICES, Then::Choices(starts));
    }

    /// An interaction of an earlier burst.
    fn acked(&self, what: &str) -> &Acked {
        self.acked
            .iter()
            .find(|a| a.what == what)
            .unwrap_or_else(|| panic!("no {what} was sent"))
    }

    /// Once nothing is in flight, holds every PRC request 4 s and dispatches the queued
    /// interactions all at once. Each first callback must come while PRC has answered none
    /// of the requests that arrived after the burst began: the burst's own, the tracker's
    /// (held as well, so answered before an acknowledgement only if that took longer than
    /// the latency, too late for Discord anyway). Then PRC answers at its usual speed and
    /// every final answer is checked.
    async fn burst(&mut self) {
        let world = self.world;
        wait_for("PRC to answer everything asked so far", || {
            world.sim.arrivals() as usize == world.sim.requests().len()
        })
        .await;
        let latency = FaultKind::Latency { ms: LATENCY_MS };
        world.sim.set_faults(FaultPlan::probability(1.0, latency));
        let mark = world.sim.arrivals();
        let dispatched: Vec<_> = std::mem::take(&mut self.queued)
            .into_iter()
            .map(|queued| {
                let Queued {
                    what,
                    interaction,
                    kind,
                    then,
                } = queued;
                (what, world.fake.dispatch(interaction), kind, then)
            })
            .collect();
        let mut acked = Vec::new();
        for (what, handle, kind, then) in dispatched {
            let first = handle.await_response(WAIT).await;
            check_first(world, &what, kind, &first, mark);
            acked.push((
                Acked {
                    what,
                    handle,
                    first,
                },
                then,
            ));
        }
        world.sim.clear_faults();
        for (acked, then) in acked {
            acked.check(world, &then).await;
            self.acked.push(acked);
        }
    }
}

/// The first callback is of the type expected, and when it arrived PRC had answered none of
/// the requests that arrived after `mark`.
fn check_first(world: &World, what: &str, kind: u8, first: &Response, mark: u64) {
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
}

/// A subcommand's name (and a group's), for messages.
fn options_text(data: &serde_json::Value) -> String {
    let mut names = Vec::new();
    let mut options = &data["options"];
    while let Some(sub) = options
        .as_array()
        .and_then(|o| o.first())
        .filter(|o| matches!(o["type"].as_u64(), Some(1 | 2)))
    {
        names.push(sub["name"].as_str().unwrap_or_default().to_owned());
        options = &sub["options"];
    }
    names.join(" ")
}

fn sub(name: &str, options: Vec<Opt>) -> Vec<Opt> {
    vec![Opt::sub(name, options)]
}

fn player(player: (u64, &str)) -> Opt {
    Opt::string("player", player.1)
}

fn id_starting(message: &StoredMessage, prefix: &str) -> String {
    message
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}… in {:?}", message.custom_ids()))
}

fn panel_button(action: &str, player: (u64, &str)) -> String {
    format!("erlc:{action}:main:{}", player.0)
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
    /// Page 2 of `/players`, three times: one each for Previous, Refresh and Next.
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

    world.hook_server(server, bot_http, PUBLIC_URL).await;
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

    let mut pages = Vec::new();
    for _ in 0..3 {
        let second = vec![Opt::integer("page", 2)];
        pages.push(world.slash_ok(ids::MODERATOR, "players", second).await);
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

/// The live reads: deferred, then drawn from PRC (`/logs` reads the event store, and PRC
/// only to find a player named as a filter).
fn reads(slow: &mut Slow<'_>) {
    let moderator = ids::MODERATOR;
    for name in ["players", "staff", "queue", "vehicles", "bans", "emergency"] {
        slow.slash(moderator, name, vec![], DEFERRED, Then::Public(""));
    }
    let joins = sub("joins", vec![player(MESSAGED)]);
    slow.slash(moderator, "logs", joins, DEFERRED, Then::Public("Page"));
    for kind in ["kills", "commands", "modcalls", "emergency"] {
        slow.slash(
            moderator,
            "logs",
            sub(kind, vec![]),
            DEFERRED,
            Then::Public(""),
        );
    }
    let name = vec![Opt::string("name", MESSAGED.1)];
    slow.slash(
        moderator,
        "player",
        name,
        DEFERRED,
        Then::Public(MESSAGED.1),
    );
    let status = sub("status", vec![]);
    slow.slash(ids::OWNER, "server", status, DEFERRED, Then::Public(""));
}

/// The in-game actions: the permission check answers at once (a refusal privately), then a
/// deferral; a destructive `/command` asks for Confirm.
fn actions(slow: &mut Slow<'_>) {
    let text = |name: &str, value: &str| Opt::string(name, value);
    let unbanned = UNBANNED.0.to_string();
    for (name, options) in [
        ("kick", vec![player(KICKED)]),
        ("ban", vec![player(BANNED), text("reason", "exploiting")]),
        ("unban", vec![text("player", &unbanned)]),
        ("pm", vec![player(MESSAGED), text("message", "hello there")]),
        ("hint", vec![text("message", "restart soon")]),
        ("announce", vec![text("message", "event at noon")]),
        ("wanted", vec![player(MESSAGED)]),
        ("jail", vec![player(MESSAGED)]),
    ] {
        slow.slash(ids::MODERATOR, name, options, DEFERRED, Then::Public(""));
    }
    let weather = vec![text("command", ":weather rain")];
    let then = Then::Private(":weather rain");
    slow.slash(ids::OWNER, "command", weather, DEFERRED, then);
    let shutdown = vec![text("command", ":shutdown")];
    slow.slash(
        ids::OWNER,
        "command",
        shutdown,
        DEFERRED,
        Then::Private("Confirm"),
    );
    let kick = vec![player(KICKED)];
    slow.slash(ids::MEMBER, "kick", kick, REPLY, Then::Refused("moderate"));
}

/// Settings and history, answered from the store at once. `/feed remove` and `/audit
/// search` follow in a later burst: they show what this one stored.
fn stored(slow: &mut Slow<'_>) {
    let owner = ids::OWNER;
    let channel = |id: u64| Opt::channel("channel", id);
    let main = vec![Opt::string("server", "main")];
    let old = vec![Opt::string("server", "old")];
    let joins = vec![
        channel(ids::GENERAL_CHANNEL),
        Opt::string("events", "joins"),
    ];
    let capabilities = vec![
        Opt::role("role", ids::MODERATOR_ROLE),
        Opt::string("capabilities", "view, message, moderate, ban"),
    ];
    let modcall = vec![channel(MODCALL_CHANNEL)];
    let ingame = vec![Opt::boolean("enabled", true)];
    for (user, name, options, then) in [
        (owner, "server", sub("list", vec![]), Then::Public("main")),
        (owner, "server", sub("default", main), Then::Public("main")),
        (
            owner,
            "server",
            sub("webhook", vec![]),
            Then::Private(PUBLIC_URL),
        ),
        (
            owner,
            "server",
            sub("remove", old),
            Then::Public("**old** was removed"),
        ),
        (owner, "feed", sub("add", joins), Then::Public("Feed saved")),
        (owner, "feed", sub("list", vec![]), Then::Public("Feeds")),
        (
            owner,
            "permissions",
            sub("set", capabilities),
            Then::Public("Permissions saved"),
        ),
        (
            owner,
            "permissions",
            sub("list", vec![]),
            Then::Public("moderate"),
        ),
        (owner, "settings", sub("modcall", modcall), Then::Public("")),
        (owner, "settings", sub("ingame", ingame), Then::Public("")),
        (
            owner,
            "audit",
            sub("verify", vec![]),
            Then::Public("Audit log intact"),
        ),
        (
            owner,
            "audit",
            sub("export", vec![]),
            Then::Private("records"),
        ),
        (ids::MODERATOR, "health", vec![], Then::Public("main")),
    ] {
        slow.slash(user, name, options, REPLY, then);
    }
}

/// What shows the earlier bursts' changes: the refused `/kick` is audited, the feed added
/// can be removed.
fn stored_after(slow: &mut Slow<'_>) {
    let owner = ids::OWNER;
    let kicks = vec![Opt::string("action", "command.kick")];
    slow.slash(
        owner,
        "audit",
        sub("search", kicks),
        REPLY,
        Then::Public("regular"),
    );
    let general = vec![Opt::channel("channel", ids::GENERAL_CHANNEL)];
    let then = Then::Public("Feed removed");
    slow.slash(owner, "feed", sub("remove", general), REPLY, then);
}

/// `/server setup` opens its form at once; autocomplete answers from what the tracker and
/// the store hold.
fn setup_and_autocomplete(slow: &mut Slow<'_>) {
    let label = vec![Opt::string("label", "alt")];
    slow.slash(
        ids::OWNER,
        "server",
        sub("setup", label),
        FORM,
        Then::Nothing,
    );
    let typed = vec![Opt::string("player", "AckMess")];
    slow.complete("kick", typed, "player", &[MESSAGED.1]);
    let typed = vec![Opt::string("server", "ma")];
    slow.complete("players", typed, "server", &["main"]);
    let typed = sub("add", vec![Opt::string("events", "jo")]);
    slow.complete("feed", typed, "events", &["joins"]);
}

/// Page buttons, the player panels' and the `;report` card's buttons (the forms open
/// at once), mod-call cards and Confirm / Cancel.
fn buttons(slow: &mut Slow<'_>, posted: &Posted) {
    let moderator = ids::MODERATOR;
    for (message, page) in posted.pages.iter().zip(0..) {
        let then = Then::Redrawn(Box::new(message.clone()), "Page");
        slow.click(
            moderator,
            message,
            &page_button(message, page),
            UPDATE,
            then,
        );
    }

    let [messaged, kicked, banned] = &posted.panels;
    let report = &posted.report_card;
    for (message, action, player) in [
        (messaged, "pl_pm", MESSAGED),
        (kicked, "pl_kick", PANEL_KICKED),
        (banned, "pl_ban", PANEL_BANNED),
        (report, "pl_kick", REPORTED),
        (report, "pl_ban", REPORTED),
        (report, "pl_pm", REPORTED),
    ] {
        let id = panel_button(action, player);
        slow.click(moderator, message, &id, FORM, Then::Nothing);
    }
    // Wanted acts at once, after a private deferral; a refusal follows it privately too.
    let wanted = panel_button("pl_wanted", MESSAGED);
    let then = Then::Private(MESSAGED.1);
    slow.click(moderator, messaged, &wanted, DEFERRED, then);
    let then = Then::Refused("moderate");
    slow.click(ids::MEMBER, messaged, &wanted, DEFERRED, then);
    // A panel's Refresh redraws it in place; a card's Player button shows the panel privately
    // and leaves the card as the channel sees it.
    let then = Then::Redrawn(Box::new(messaged.clone()), MESSAGED.1);
    let refresh = panel_button("pl_refresh", MESSAGED);
    slow.click(moderator, messaged, &refresh, UPDATE, then);
    let open = panel_button("pl_open", REPORTED);
    slow.click(
        moderator,
        report,
        &open,
        DEFERRED,
        Then::Private(REPORTED.1),
    );

    // A moderator takes the mod calls; the owner answers the prompts of the commands they ran.
    for (user, card, button, shown) in [
        (
            moderator,
            &posted.claim_card,
            "erlc:mc_claim:",
            "Claimed by **modperson**",
        ),
        (
            moderator,
            &posted.resolve_card,
            "erlc:mc_resolve:",
            "Resolved by **modperson**",
        ),
        (
            ids::OWNER,
            &posted.confirm_prompt,
            "erlc:cmd_confirm:",
            CONFIRMED,
        ),
        (
            ids::OWNER,
            &posted.cancel_prompt,
            "erlc:cmd_cancel:",
            "Cancelled",
        ),
    ] {
        let then = Then::Redrawn(Box::new(card.clone()), shown);
        slow.click(user, card, &id_starting(card, button), UPDATE, then);
    }
}

/// The forms opened in earlier bursts, submitted: each is deferred privately before its
/// action reaches PRC, and the key form is acknowledged before the key is checked with PRC.
fn submits(slow: &mut Slow<'_>) {
    for (action, player, text) in [
        ("pl_pm", MESSAGED, "please stop"),
        ("pl_kick", PANEL_KICKED, "RDM"),
        ("pl_ban", PANEL_BANNED, "exploiting"),
        ("pl_pm", REPORTED, "calm down"),
    ] {
        slow.submit(&panel_button(action, player), text);
    }
    let form = &slow.acked("/server setup").first.data;
    let form_id = form["custom_id"].as_str().expect("the key form's id");
    let input = form["components"][0]["components"][0]["custom_id"]
        .as_str()
        .expect("the key form has a text input");
    let alt_key = slow.world.sim.servers()[1].key.clone();
    let submit = slow
        .world
        .fake
        .modal_submit(form_id, &[(input, alt_key.as_str())])
        .expect("submit the key form");
    slow.queue("the key form", submit, UPDATE, Then::Nothing);
}

/// What the game shows once PRC has answered.
async fn check_the_game(server: &SimServer) {
    wait_for("the kick", || !online(server, KICKED)).await;
    wait_for("the ban", || applied(server, "ban", BANNED.0)).await;
    wait_for("the unban", || applied(server, "unban", UNBANNED.0)).await;
    for (kind, text) in [
        (MessageKind::PrivateMessage, "hello there"),
        (MessageKind::Hint, "restart soon"),
        (MessageKind::Message, "event at noon"),
        (MessageKind::PrivateMessage, "please stop"),
        (MessageKind::PrivateMessage, "calm down"),
    ] {
        wait_for(text, || message_sent(server, kind, text)).await;
    }
    wait_for("wanted", || applied(server, "wanted", MESSAGED.0)).await;
    wait_for("jail", || applied(server, "jail", MESSAGED.0)).await;
    wait_for("the panel kick", || !online(server, PANEL_KICKED)).await;
    wait_for("the panel ban", || applied(server, "ban", PANEL_BANNED.0)).await;
    wait_for("the claimed call's caller told in game", || {
        server.messages().iter().any(|m| {
            m.kind == MessageKind::PrivateMessage
                && m.targets == [CLAIM_CALLER.0]
                && m.text.contains("modperson")
        })
    })
    .await;
    wait_for("the confirmed command", || {
        server
            .applied_commands()
            .iter()
            .any(|c| c.name == "ban" && c.argument.contains("4242"))
    })
    .await;
    assert!(
        !server
            .applied_commands()
            .iter()
            .any(|c| c.name == "shutdown"),
        "nothing confirmed the shutdowns"
    );
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

    // Five bursts; the last submits the forms the fourth opened and shows what the third
    // stored.
    let slow_from = world.sim.arrivals();
    let mut slow = Slow::new(&world);
    reads(&mut slow);
    slow.burst().await;
    actions(&mut slow);
    slow.burst().await;
    stored(&mut slow);
    slow.burst().await;
    setup_and_autocomplete(&mut slow);
    buttons(&mut slow, &posted);
    slow.burst().await;
    let card = world
        .fake
        .message(posted.report_card.id)
        .expect("the report card");
    assert!(
        embed_text(&card).contains("Player report"),
        "the card's Player button left the card as the channel sees it"
    );
    stored_after(&mut slow);
    submits(&mut slow);
    slow.burst().await;

    let setup = slow.acked("/server setup");
    let connected = setup.handle.await_followups(1, WAIT).await.remove(0);
    assert!(
        connected.is_ephemeral(),
        "the setup answer shows a webhook token"
    );
    let connected = embed_text(&connected);
    assert!(connected.contains("Connected **alt**"), "{connected}");
    check_the_game(&server).await;
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
