//! End to end against the real `erlc-bot run` process: linked accounts. A member's `/link`
//! code typed in game as `;verify CODE` (a PRC webhook) links the player, and one typed by
//! staff as `:log verify CODE` (seen by the tracker in the command logs, acted on by the
//! durable consumer) links the staff member; each gets a private follow-up in Discord and a
//! `:pm` in game; a code typed twice is refused. `/whois` answers both ways, links survive a
//! restart, a restart does not act on a command twice, and `/unlink` removes a link.

use erlc_bot::sim::{MessageKind, PlayerSpec, SimServer};

use crate::support::bot_process::BotProcess;
use crate::support::e2e::{World, embed_text};
use crate::support::fake_discord::dispatch::InteractionHandle;
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::ids;
use crate::support::wait::{WAIT, wait_for};

/// Only the token in it matters; PRC never calls it here.
const PUBLIC_URL: &str = "https://bot.example.test";
const PLAYER: u64 = 5_000_000_101;
const STAFF: u64 = 5_000_000_102;
const LATER_STAFF: u64 = 5_000_000_103;

/// Starts the bot with webhook verification on, and has the simulated server send its
/// webhooks to it (the URL from `/server webhook`).
async fn start_hooked(world: &World) -> BotProcess {
    let bot = world.start_bot_with(&world.webhook_env(PUBLIC_URL)).await;
    let base = bot.http_base(WAIT).await;
    world.hook_server(&server(world), &base, PUBLIC_URL).await;
    bot
}

fn server(world: &World) -> SimServer {
    world.sim.server(0).expect("simulated server")
}

fn pms_to(server: &SimServer, id: u64) -> Vec<String> {
    server
        .messages()
        .into_iter()
        .filter(|m| m.kind == MessageKind::PrivateMessage && m.targets == [id])
        .map(|m| m.text)
        .collect()
}

/// `/link` as `user`: the private reply's code, and the interaction (its follow-ups).
async fn link_code(world: &World, user: u64) -> (String, InteractionHandle) {
    let interaction = world
        .fake
        .slash("link", Vec::new())
        .expect("/link registered")
        .as_member(user);
    let handle = world.fake.dispatch(interaction);
    let response = handle.await_response(WAIT).await;
    assert_eq!(response.kind, 4, "/link answers at once");
    let reply = handle.original_message().expect("the reply is stored");
    assert!(reply.is_ephemeral(), "the code is private");
    let text = embed_text(&reply);
    let code: String = text
        .split_once("Your code is **")
        .map(|(_, rest)| rest.chars().take_while(|c| *c != '*').collect())
        .unwrap_or_else(|| panic!("no code in the /link reply:\n{text}"));
    assert_eq!(code.len(), 6, "{text}");
    assert!(text.contains(&format!(";verify {code}")), "{text}");
    (code, handle)
}

/// Waits for the private follow-up saying the account was linked, and checks it names it.
async fn linked_followup(handle: &InteractionHandle, roblox_name: &str) {
    let followup = handle.await_followups(1, WAIT).await.remove(0);
    assert!(followup.is_ephemeral(), "the confirmation is private");
    let text = embed_text(&followup);
    assert!(
        text.contains("Account linked") && text.contains(roblox_name),
        "{text}"
    );
}

async fn whois(world: &World, option: Opt) -> String {
    let reply = world.slash_as(ids::OWNER, "whois", vec![option]).await;
    assert!(reply.is_ephemeral(), "whois answers privately");
    embed_text(&reply)
}

fn whois_player(text: &str) -> Opt {
    Opt::sub("player", vec![Opt::string("player", text)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_link_through_verify_and_log_verify_and_survive_a_restart() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/kill"]);
    let game = server(&world);
    for (id, name) in [
        (PLAYER, "Link_Player"),
        (STAFF, "Staff_Bob"),
        (LATER_STAFF, "Staff_Cleo"),
    ] {
        game.add_player(PlayerSpec::named(name).with_id(id))
            .expect("add a player");
    }
    let mut bot = start_hooked(&world).await;
    // The first poll is the tracker's silent baseline: commands logged before it are history.
    world.wait_for_polls(1).await;
    let ingame = Opt::sub("ingame", vec![Opt::boolean("enabled", true)]);
    world.slash_ok(ids::OWNER, "settings", vec![ingame]).await;

    // `;verify CODE` through the event webhook.
    let (code, waiting) = link_code(&world, ids::MEMBER).await;
    game.player_chat(PLAYER, &format!(";verify {}", code.to_lowercase()))
        .expect("the player types in chat");
    linked_followup(&waiting, "Link\\_Player").await;
    wait_for("the player's in-game :pm", || {
        pms_to(&game, PLAYER)
            .iter()
            .any(|text| text.contains("now linked"))
    })
    .await;

    // `:log verify CODE` through the command logs, then the same code again.
    let (code, waiting) = link_code(&world, ids::MODERATOR).await;
    game.player_command(STAFF, &format!(":log verify {code}"))
        .expect("staff type a command");
    linked_followup(&waiting, "Staff\\_Bob").await;
    wait_for("the staff member's :pm", || {
        pms_to(&game, STAFF)
            .iter()
            .any(|text| text.contains("now linked"))
    })
    .await;
    game.player_command(STAFF, &format!(":log verify {code}"))
        .expect("staff type it again");
    wait_for("the second use refused in game", || {
        pms_to(&game, STAFF)
            .iter()
            .any(|text| text.contains("already used"))
    })
    .await;

    // `/whois` both ways.
    let text = whois(&world, whois_player("link_player")).await;
    assert!(text.contains(&format!("<@{}>", ids::MEMBER)), "{text}");
    let member = Opt::sub("member", vec![Opt::user("member", ids::MODERATOR)]);
    let text = whois(&world, member).await;
    assert!(
        text.contains("Staff\\_Bob") && text.contains(&STAFF.to_string()),
        "{text}"
    );

    // A restart: links stay, and the commands already handled are not handled again (a
    // later one is answered, so everything before it was read).
    assert!(bot.stop(WAIT).await.success(), "SIGTERM is a clean exit");
    let pms_before = pms_to(&game, STAFF).len();
    let _bot = world.start_bot().await;
    let text = whois(&world, whois_player(&STAFF.to_string())).await;
    assert!(text.contains(&format!("<@{}>", ids::MODERATOR)), "{text}");
    let (code, waiting) = link_code(&world, ids::OWNER).await;
    game.player_command(LATER_STAFF, &format!(":LOG VERIFY {code}"))
        .expect("another staff member types a command");
    linked_followup(&waiting, "Staff\\_Cleo").await;
    wait_for("the later staff member's :pm", || {
        !pms_to(&game, LATER_STAFF).is_empty()
    })
    .await;
    assert_eq!(
        pms_to(&game, STAFF).len(),
        pms_before,
        "nothing before the restart was acted on again"
    );

    // `/unlink`.
    let reply = world.slash_as(ids::MEMBER, "unlink", Vec::new()).await;
    assert!(
        embed_text(&reply).contains("no longer linked"),
        "{}",
        embed_text(&reply)
    );
    let text = whois(&world, whois_player(&PLAYER.to_string())).await;
    assert!(text.contains("Nothing is linked"), "{text}");
    let again = world.slash_as(ids::MEMBER, "unlink", Vec::new()).await;
    assert!(
        again.is_ephemeral() && embed_text(&again).contains("not linked"),
        "{}",
        embed_text(&again)
    );
    world.assert_clean();
}
