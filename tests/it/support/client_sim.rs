//! Shared helpers for the tests that run the real ER:LC client against the real simulator on
//! 127.0.0.1: start both (usually on one manual clock), read the simulator's request log per
//! key and per rate-limit window, and build a populated world.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use erlc_bot::clock::ManualClock;
use erlc_bot::erlc::{ClientConfig, ErlcClient, RetryPolicy, ServerHandle, ServerKey};
use erlc_bot::sim::{
    BucketLimit, Location, PlayerSpec, RecordedRequest, SimConfig, SimHandle, SimServer, Simulator,
    VehicleSpec,
};

use super::START_MS;

/// A simulator with generous limits on a manual clock (tests about limits set their own).
pub fn sim_config(clock: &Arc<ManualClock>) -> SimConfig {
    SimConfig {
        clock: clock.clone(),
        read_limit: BucketLimit::new(10_000, 10),
        command_limit: BucketLimit::new(10_000, 5),
        ..SimConfig::default()
    }
}

pub fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(START_MS))
}

pub async fn start_sim(config: SimConfig) -> SimHandle {
    Simulator::start(config).await.expect("simulator starts")
}

/// Quick retries (no jitter) so retry tests do not wait for the production backoff.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        jitter: false,
    }
}

/// A client aimed at the simulator, on the given clock, with quick retries.
pub fn client_config(sim: &SimHandle, clock: &Arc<ManualClock>) -> ClientConfig {
    ClientConfig {
        clock: clock.clone(),
        retry: fast_retries(),
        ..ClientConfig::with_base_url(sim.base_url())
    }
}

pub fn client(config: ClientConfig) -> ErlcClient {
    ErlcClient::new(config).expect("client builds")
}

/// The simulator server's current key, as the client takes it.
pub fn key_of(sim: &SimHandle, index: usize) -> ServerKey {
    let info = sim.server(index).expect("server exists").info();
    ServerKey::parse(&info.key).expect("the simulator hands out well-formed keys")
}

pub fn handle(client: &ErlcClient, sim: &SimHandle, index: usize) -> ServerHandle {
    client.server(key_of(sim, index))
}

/// The requests the simulator received with this server key.
pub fn requests_with(sim: &SimHandle, key: &ServerKey) -> Vec<RecordedRequest> {
    let fp = key.fingerprint();
    sim.requests()
        .into_iter()
        .filter(|r| r.key_fingerprint.as_deref() == Some(fp.as_str()))
        .collect()
}

/// How many requests fell in each fixed rate-limit window (window index → count), the way the
/// simulator counts them: windows of `window_secs` aligned to the Unix epoch.
pub fn per_window<'a>(
    requests: impl IntoIterator<Item = &'a RecordedRequest>,
    window_secs: i64,
) -> BTreeMap<i64, usize> {
    let mut windows = BTreeMap::new();
    for r in requests {
        *windows
            .entry(r.at_ms.div_euclid(1000 * window_secs))
            .or_insert(0) += 1;
    }
    windows
}

/// Everyone and everything [`populate`] put into a server, for assertions.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub owner: u64,
    pub co_owner: u64,
    pub admin: u64,
    pub moderator: u64,
    pub helper: u64,
    pub police: u64,
    pub civilian: u64,
    pub swat: u64,
    pub queued: Vec<u64>,
    pub banned: (u64, String),
    pub unanswered_call_by: u64,
    pub answered_call: (u64, u64),
    pub emergency_call: u64,
    pub silent_emergency_call: u64,
    /// Every player id, in join order.
    pub players: Vec<u64>,
    /// The in-game command logged under a player's name.
    pub player_command: String,
}

pub const OWNER_NAME: &str = "Owner_Olive";
pub const CIVILIAN_NAME: &str = "minty_pretzel";
pub const POLICE_NAME: &str = "Avery_Cole";

/// Fill server `index` with players of every staff tier and team (ids above 2^32 and one
/// below it), queue, kills, an in-game command, mod calls (unanswered and answered), emergency
/// calls (with and without a description and responders), vehicles and a ban. The clock moves
/// one second between log entries so timestamps differ.
pub fn populate(server: &SimServer, clock: &ManualClock) -> Fixture {
    let tick = || clock.advance_ms(1_000);
    let add = |spec: PlayerSpec| server.add_player(spec).expect("player joins");
    let staff = |name: &str, id: u64, permission: &str, team: &str| {
        add(PlayerSpec::named(name)
            .with_id(id)
            .with_permission(permission)
            .with_team(team))
    };
    let owner = staff(OWNER_NAME, 9_100_000_001, "Server Owner", "Sheriff");
    tick();
    let co_owner = staff("CoOwner_Cam", 9_100_000_002, "Server Co-Owner", "Fire");
    tick();
    let admin = staff("Admin_Ada", 9_100_000_003, "Server Administrator", "DOT");
    tick();
    let moderator = staff("Mod_Max", 9_100_000_004, "Server Moderator", "Police");
    tick();
    let helper = staff("Helper_Hal", 9_100_000_005, "Server Helper", "Civilian");
    tick();
    let police = add(PlayerSpec {
        location: Some(Location {
            x: -412.7,
            z: 288.1,
            postal: "214".into(),
            street: "Elm Street".into(),
            building: "1180".into(),
        }),
        ..PlayerSpec::named(POLICE_NAME)
            .with_id(2_419_834_401)
            .with_team("Police")
    });
    tick();
    let civilian = add(PlayerSpec {
        wanted_stars: 3,
        ..PlayerSpec::named(CIVILIAN_NAME).with_id(5_873_310_294)
    });
    tick();
    let swat = add(PlayerSpec::named("Swat_Sam").with_id(9_100_000_008));
    server
        .set_team(swat, "SWAT")
        .expect("unknown teams are allowed");
    tick();

    let queued = vec![9_200_000_001, 9_200_000_002];
    for id in &queued {
        server.queue_push(*id);
    }
    server.add_kill(police, civilian).expect("kill");
    tick();
    server.add_kill(civilian, swat).expect("kill");
    tick();
    let player_command = format!(":wanted {CIVILIAN_NAME}");
    server
        .player_command(moderator, &player_command)
        .expect("in-game command");
    tick();
    server.add_mod_call(civilian).expect("mod call");
    tick();
    let answered = server.add_mod_call(swat).expect("mod call");
    server
        .answer_mod_call(answered, moderator)
        .expect("answer mod call");
    tick();
    let emergency_call = server
        .start_emergency_call(civilian, "Police", "shots fired near the docks")
        .expect("911 call");
    server
        .respond_emergency_call(emergency_call, police)
        .expect("respond");
    let silent_emergency_call = server
        .start_emergency_call(swat, "Fire", "")
        .expect("911 call");
    server
        .spawn_vehicle(
            police,
            VehicleSpec {
                plate: Some("RCP 118".into()),
                texture: Some("Standard".into()),
                ..VehicleSpec::default()
            },
        )
        .expect("vehicle");
    server
        .spawn_vehicle(
            civilian,
            VehicleSpec {
                name: Some("2015 Bullhorn Prancer".into()),
                color_hex: Some("#AA0000".into()),
                color_name: Some("Red".into()),
                ..VehicleSpec::default()
            },
        )
        .expect("vehicle");
    let banned = (9_300_000_001, "rdm_enjoyer".to_owned());
    server.add_ban(banned.0, &banned.1);
    Fixture {
        owner,
        co_owner,
        admin,
        moderator,
        helper,
        police,
        civilian,
        swat,
        queued,
        banned,
        unanswered_call_by: civilian,
        answered_call: (swat, moderator),
        emergency_call,
        silent_emergency_call,
        players: vec![
            owner, co_owner, admin, moderator, helper, police, civilian, swat,
        ],
        player_command,
    }
}
