//! End to end against the real `erlc-bot run` process: in-game actions become cases. A linked
//! moderator's `:kick` without a reason files a case and posts the "Add reason" card in the
//! cases channel; a member who is neither the moderator nor a case admin is refused, the
//! moderator's form sets the reason and redraws the card. `:log warn` files a warning answered
//! with a `:pm` naming the case; an unlinked staff member's `:log warn` is refused in game,
//! while their `:kick` still files a case under their Roblox name. The player panel lists the
//! player's cases, and its Ban from a member without `ban` posts a ban request. A kick the bot
//! runs (logged as `Remote Server`) files exactly one case.

use erlc_bot::sim::{MessageKind, PlayerSpec, SimServer};

use crate::support::e2e::{World, answer, applied, embed_text};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::ids;
use crate::support::wait::{WAIT, wait_for};

const STAFF: u64 = 2_001;
const UNLINKED_STAFF: u64 = 2_002;

fn pms_to(server: &SimServer, id: u64) -> Vec<String> {
    server
        .messages()
        .into_iter()
        .filter(|m| m.kind == MessageKind::PrivateMessage && m.targets == [id])
        .map(|m| m.text)
        .collect()
}

async fn pm_saying(server: &SimServer, id: u64, text: &str) {
    wait_for(&format!("a :pm to {id} saying {text:?}"), || {
        pms_to(server, id).iter().any(|pm| pm.contains(text))
    })
    .await;
}

async fn case_text(world: &World, number: i64) -> String {
    let view = vec![Opt::sub("view", vec![Opt::integer("number", number)])];
    embed_text(&world.slash_ok(ids::OWNER, "case", view).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_game_actions_become_cases_with_an_add_reason_card() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/case/*"]);
    let game = world.sim.server(0).expect("simulated server");
    for (id, name) in [
        (STAFF, "Staff_Bob"),
        (UNLINKED_STAFF, "Staff_Cleo"),
        (1001, "Builderman"),
        (1002, "Noob_Player"),
        (1003, "Guest_Three"),
    ] {
        game.add_player(PlayerSpec::named(name).with_id(id))
            .expect("add a player");
    }
    let mut bot = world.start_bot().await;
    // The first poll is the tracker's silent baseline: commands logged before it are history.
    world.wait_for_polls(1).await;
    let grant = vec![Opt::sub(
        "set",
        vec![
            Opt::role("role", ids::MODERATOR_ROLE),
            Opt::string("capabilities", "view, moderate, cases"),
        ],
    )];
    world.slash_ok(ids::OWNER, "permissions", grant).await;
    let link = vec![Opt::sub(
        "set",
        vec![
            Opt::user("member", ids::MODERATOR),
            Opt::integer("roblox_id", STAFF as i64),
            Opt::string("roblox_name", "Staff_Bob"),
        ],
    )];
    let linked = world.slash_as(ids::OWNER, "links", link).await;
    assert!(embed_text(&linked).contains("Link saved"));
    let settings = vec![Opt::sub(
        "cases",
        vec![Opt::channel("channel", ids::GENERAL_CHANNEL)],
    )];
    let saved = world.slash_ok(ids::OWNER, "settings", settings).await;
    assert!(
        embed_text(&saved).contains("kick, ban, unban, jail"),
        "{}",
        embed_text(&saved)
    );

    // A linked moderator kicks by a name prefix, without a reason.
    game.player_command(STAFF, ":kick Noob")
        .expect("staff kick in game");
    let card = world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| embed_text(m).contains("no reason given"),
            WAIT,
        )
        .await;
    let text = embed_text(&card);
    assert!(
        text.contains("Case #1") && text.contains("Noob\\_Player"),
        "the target resolved from the players seen: {text}"
    );
    let add = "erlc:case_reason:main:1";
    assert_eq!(card.custom_ids(), [add]);

    // Someone else may not fill it in.
    let refused = world.click(ids::MEMBER, card.id, add);
    assert!(answer(&refused).await.is_ephemeral());
    world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.is_ephemeral() && embed_text(m).contains("case_admin"),
            WAIT,
        )
        .await;

    // The moderator who kicked does, through the form.
    let form = world.click(ids::MODERATOR, card.id, add);
    assert_eq!(form.await_response(WAIT).await.kind, 9, "a form opens");
    let submit = world
        .fake
        .modal_submit(add, &[("text", "random killing")])
        .expect("submit the form")
        .as_member(ids::MODERATOR);
    let submitted = world.fake.dispatch(submit);
    assert_eq!(submitted.await_response(WAIT).await.kind, 6);
    world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.id == card.id && embed_text(m).contains("random killing"),
            WAIT,
        )
        .await;
    let text = case_text(&world, 1).await;
    assert!(
        text.contains("kick") && text.contains("random killing") && text.contains("in game"),
        "{text}"
    );

    // `:log warn` from the linked moderator: a warning, confirmed in game.
    game.player_command(STAFF, ":log warn Builderman spamming the radio")
        .expect("staff log a warning");
    pm_saying(&game, STAFF, "Case #2 (Builderman) filed").await;
    let text = case_text(&world, 2).await;
    assert!(
        text.contains("warning") && text.contains("spamming the radio"),
        "{text}"
    );

    // The player's panel lists their cases, and its Ban from a member without `ban` asks
    // for one (two-person rule).
    let panel = world
        .slash_ok(
            ids::MODERATOR,
            "player",
            vec![Opt::string("name", "Builderman")],
        )
        .await;
    let text = embed_text(&panel);
    assert!(
        text.contains("Cases") && text.contains("`#2`") && text.contains("spamming the radio"),
        "{text}"
    );
    let ban = "erlc:pl_ban:main:1001";
    let form = world.click(ids::MODERATOR, panel.id, ban);
    assert_eq!(form.await_response(WAIT).await.kind, 9, "Ban opens a form");
    let submit = world
        .fake
        .modal_submit(ban, &[("text", "exploiting")])
        .expect("submit the ban form")
        .as_member(ids::MODERATOR);
    let request = answer(&world.fake.dispatch(submit)).await;
    assert!(!request.is_ephemeral(), "the request is for others to see");
    assert!(
        embed_text(&request).contains("Ban request"),
        "{}",
        embed_text(&request)
    );
    assert!(
        !applied(&game, "ban", 1001),
        "nothing banned before approval"
    );

    // An unlinked staff member: no warning, but their kick is still a case.
    game.player_command(UNLINKED_STAFF, ":log warn Builderman rude")
        .expect("unlinked staff log a warning");
    pm_saying(&game, UNLINKED_STAFF, "link your Discord account").await;
    game.player_command(UNLINKED_STAFF, ":kick Guest_Three fail rp")
        .expect("unlinked staff kick");
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("Case #3 filed"),
            WAIT,
        )
        .await;

    // A kick the bot runs files its own case, and its `Remote Server` log line none.
    let kick = vec![
        Opt::string("player", "Builderman"),
        Opt::string("reason", "left a note"),
    ];
    world.slash_ok(ids::MODERATOR, "kick", kick).await;
    wait_for("the bot's kick", || applied(&game, "kick", 1001)).await;
    game.player_command(STAFF, ":log note Staff_Cleo asked for a shift")
        .expect("a later line");
    // Lines are read in order: the note's number says what the lines before it filed.
    pm_saying(&game, STAFF, "Case #5 (Staff_Cleo) filed").await;
    let text = case_text(&world, 3).await;
    assert!(
        text.contains("Staff\\_Cleo") && text.contains("fail rp"),
        "an unlinked moderator's case names them by Roblox name: {text}"
    );
    let text = case_text(&world, 4).await;
    assert!(
        text.contains("left a note") && text.contains("Discord"),
        "the bot's kick: {text}"
    );

    assert!(bot.stop(WAIT).await.success());
    world.assert_nothing_pings();
    world.assert_clean();
}
