//! End to end against the real `erlc-bot run` process: shifts. A manual shift with a break
//! through `/shift`, with its refusals and its feed cards; `:log shift start|end` typed in
//! game by a linked staff member, answered with a `:pm`; and an automatic shift started by
//! a linked staff member joining the server, ended by their leaving while the bot was
//! stopped (closed at restart from the stored leave, not counted twice), then another from
//! join to leave while it runs. The on-shift role given and taken through Discord, and
//! Discord's refusal (no Manage Roles) explained without failing the shift.

use erlc_bot::sim::{MessageKind, PlayerSpec, SimServer};
use erlc_bot::store::links::{AccountLink, LinkedBy};

use crate::support::e2e::{World, embed_text, sim_config};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::{FakeConfig, RoleSpec, ids, perms};
use crate::support::open_store;
use crate::support::wait::{WAIT, wait_for};

const STAFF: u64 = 5_000_000_201;

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

/// Before the bot starts: link the Roblox account `STAFF` to the Discord moderator and,
/// with `automatic`, turn automatic shifts on.
fn link_staff_and_configure(world: &World, automatic: bool) {
    let store = open_store(world.data.path());
    let guild = world.fake.guild_id();
    let link = AccountLink {
        guild,
        roblox_id: STAFF,
        roblox_name: "Staff_Dana".into(),
        discord_id: ids::MODERATOR,
        linked_at_ms: 0,
        linked_by: LinkedBy::Admin { admin: ids::OWNER },
    };
    store.links().put(&link).expect("link the staff member");
    store
        .settings()
        .update_guild_settings(guild, |g| g.shifts.automatic = automatic)
        .expect("shift settings");
    store.flush().expect("flush");
}

async fn shift(world: &World, user: u64, sub: &str, options: Vec<Opt>) -> String {
    let reply = world
        .slash_as(user, "shift", vec![Opt::sub(sub, options)])
        .await;
    embed_text(&reply)
}

async fn status_of(world: &World, member: u64) -> String {
    shift(
        world,
        ids::OWNER,
        "status",
        vec![Opt::user("member", member)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_shift_with_a_break_and_log_shift_in_game() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/shift/*"]);
    link_staff_and_configure(&world, false);
    let game = server(&world);
    game.add_player(
        PlayerSpec::named("Staff_Dana")
            .with_id(STAFF)
            .with_permission("Server Moderator"),
    )
    .expect("add the staff member");
    let mut bot = world.start_bot().await;
    world.wait_for_polls(1).await;

    // Without the `shifts` capability: refused privately.
    let refused = world
        .slash_as(ids::MEMBER, "shift", vec![Opt::sub("start", Vec::new())])
        .await;
    assert!(refused.is_ephemeral(), "{}", embed_text(&refused));
    assert!(
        embed_text(&refused).contains("shifts"),
        "{}",
        embed_text(&refused)
    );

    let started = world
        .slash_as(ids::OWNER, "shift", vec![Opt::sub("start", Vec::new())])
        .await;
    assert!(started.is_ephemeral(), "changes answer privately");
    let text = embed_text(&started);
    assert!(
        text.contains("On shift: shift #1") && text.contains("general"),
        "{text}"
    );
    let again = shift(&world, ids::OWNER, "start", Vec::new()).await;
    assert!(again.contains("already on shift (#1)"), "{again}");
    let unknown = shift(&world, ids::OWNER, "resume", Vec::new()).await;
    assert!(unknown.contains("not on a break"), "{unknown}");
    let on_break = shift(&world, ids::OWNER, "break", Vec::new()).await;
    assert!(
        on_break.contains("On a break") && on_break.contains("on a break"),
        "{on_break}"
    );
    let twice = shift(&world, ids::OWNER, "break", Vec::new()).await;
    assert!(twice.contains("already on a break"), "{twice}");
    let back = shift(&world, ids::OWNER, "resume", Vec::new()).await;
    assert!(
        back.contains("Back on shift") && back.contains("Breaks\n1 ("),
        "{back}"
    );
    let ended = shift(&world, ids::OWNER, "end", Vec::new()).await;
    assert!(
        ended.contains("Off shift: shift #1") && ended.contains("ended"),
        "{ended}"
    );
    let none = shift(&world, ids::OWNER, "end", Vec::new()).await;
    assert!(none.contains("not on shift"), "{none}");
    let status = status_of(&world, ids::OWNER).await;
    assert!(status.contains("is not on shift"), "{status}");
    let history = shift(&world, ids::OWNER, "history", Vec::new()).await;
    assert!(
        history.contains("`#1`") && history.contains("ended"),
        "{history}"
    );

    // The shift's events reach the feed (a Discord shift is routed under the default server).
    for card in [
        "On shift: shift #1",
        "On a break: shift #1",
        "Off shift: shift #1",
    ] {
        world
            .fake
            .wait_for_message(ids::LOG_CHANNEL, |m| embed_text(m).contains(card), WAIT)
            .await;
    }

    // In game, from the linked staff member.
    game.player_command(STAFF, ":log shift start")
        .expect("staff type a command");
    wait_for("the :pm confirming the start", || {
        pms_to(&game, STAFF)
            .iter()
            .any(|t| t.contains("Shift #2 started"))
    })
    .await;
    let status = status_of(&world, ids::MODERATOR).await;
    assert!(
        status.contains("On shift: #2") && status.contains("in game"),
        "{status}"
    );
    game.player_command(STAFF, ":log shift dance")
        .expect("staff type a command");
    wait_for("the usage answer", || {
        pms_to(&game, STAFF).iter().any(|t| t.contains("Usage"))
    })
    .await;
    game.player_command(STAFF, ":log shift end")
        .expect("staff type a command");
    wait_for("the :pm confirming the end", || {
        pms_to(&game, STAFF)
            .iter()
            .any(|t| t.contains("Shift #2 ended"))
    })
    .await;
    let board = shift(&world, ids::OWNER, "leaderboard", Vec::new()).await;
    assert!(board.contains("Shift leaderboard"), "{board}");

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_automatic_shift_runs_from_join_to_leave_across_a_restart() {
    let world = World::start(0).await;
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/shift/*"]);
    link_staff_and_configure(&world, true);
    let game = server(&world);
    let mut bot = world.start_bot().await;
    world.wait_for_polls(1).await;

    let dana = || {
        PlayerSpec::named("Staff_Dana")
            .with_id(STAFF)
            .with_permission("Server Moderator")
    };
    game.add_player(dana()).expect("the staff member joins");
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("On shift: shift #1"),
            WAIT,
        )
        .await;
    let status = status_of(&world, ids::MODERATOR).await;
    assert!(
        status.contains("On shift: #1") && status.contains("automatic"),
        "{status}"
    );

    // The bot stops; the staff member leaves meanwhile. At restart the tracker stores the
    // leave, and the consumer closes the shift from it.
    assert!(bot.stop(WAIT).await.success(), "SIGTERM is a clean exit");
    game.remove_player(STAFF).expect("the staff member leaves");
    bot = world.start_bot().await;
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("Off shift: shift #1"),
            WAIT,
        )
        .await;
    let status = status_of(&world, ids::MODERATOR).await;
    assert!(status.contains("is not on shift"), "{status}");

    // While it runs: join, then leave.
    game.add_player(dana())
        .expect("the staff member joins again");
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("On shift: shift #2"),
            WAIT,
        )
        .await;
    game.remove_player(STAFF).expect("the staff member leaves");
    world
        .fake
        .wait_for_message(
            ids::LOG_CHANNEL,
            |m| embed_text(m).contains("Off shift: shift #2"),
            WAIT,
        )
        .await;
    let history = shift(
        &world,
        ids::OWNER,
        "history",
        vec![Opt::user("member", ids::MODERATOR)],
    )
    .await;
    assert!(
        history.contains("`#2`") && history.contains("`#1`"),
        "{history}"
    );
    assert!(
        !history.contains("`#3`"),
        "no shift counted twice: {history}"
    );
    assert!(!history.contains("on shift"), "both ended: {history}");

    assert!(bot.stop(WAIT).await.success());
    world.assert_clean();
}

const ON_DUTY: u64 = 810_000_000_000_000_050;

/// The default guild plus an "On Duty" role below the bot's; with `manage_roles` the bot's
/// role may manage roles.
fn guild_with_on_duty_role(manage_roles: bool) -> FakeConfig {
    let mut config = FakeConfig::default();
    config.guild.roles.push(RoleSpec {
        id: ON_DUTY,
        name: "On Duty".into(),
        permissions: 0,
        position: 1,
    });
    if manage_roles {
        for role in config
            .guild
            .roles
            .iter_mut()
            .filter(|r| r.id == ids::BOT_ROLE)
        {
            role.permissions |= perms::MANAGE_ROLES;
        }
    }
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_on_shift_role_is_given_and_taken_or_the_refusal_explained() {
    for manage_roles in [true, false] {
        let world = World::start_with(guild_with_on_duty_role(manage_roles), sim_config(0)).await;
        {
            let store = open_store(world.data.path());
            store
                .settings()
                .update_guild_settings(world.fake.guild_id(), |g| {
                    g.shifts.on_shift_role = Some(ON_DUTY)
                })
                .expect("shift settings");
            store.flush().expect("flush");
        }
        let _bot = world.start_bot().await;
        let started = shift(&world, ids::OWNER, "start", Vec::new()).await;
        assert!(started.contains("On shift: shift #1"), "{started}");
        if manage_roles {
            assert!(!started.contains("not changed"), "{started}");
            assert!(world.fake.member_roles(ids::OWNER).contains(&ON_DUTY));
            let ended = shift(&world, ids::OWNER, "end", Vec::new()).await;
            assert!(ended.contains("Off shift: shift #1"), "{ended}");
            assert!(!world.fake.member_roles(ids::OWNER).contains(&ON_DUTY));
        } else {
            assert!(
                started.contains("not changed") && started.contains("Manage Roles"),
                "the shift starts and the reply says why the role did not: {started}"
            );
            assert!(!world.fake.member_roles(ids::OWNER).contains(&ON_DUTY));
        }
    }
}
