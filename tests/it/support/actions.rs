//! Shared setup for the actions tests: a simulator on 127.0.0.1 with generous limits, a store
//! in a temporary directory, and `Services` pointed at the simulator.

use std::time::Duration;

use erlc_bot::actions::{Member, Services, ServicesOptions};
use erlc_bot::erlc::{ClientConfig, ErlcClient};
use erlc_bot::sandbox::SandboxOptions;
use erlc_bot::sim::{BucketLimit, PlayerSpec, SimConfig, SimHandle, Simulator};
use erlc_bot::store::{AuditEntry, AuditQuery, Store};

use super::open_store;

pub const GUILD: u64 = 900_001;

/// Online at the start, in join order.
pub const PLAYERS: &[(&str, u64)] = &[
    ("Avery_Cole", 1001),
    ("Avalon", 1002),
    ("Minty", 1003),
    ("Sam_Ward", 1004),
];

pub fn admin() -> Member {
    Member {
        discord_id: 1,
        name: "owner".into(),
        roles: vec![],
        is_admin: true,
    }
}

pub fn member(discord_id: u64, roles: &[u64]) -> Member {
    Member {
        discord_id,
        name: format!("member{discord_id}"),
        roles: roles.to_vec(),
        is_admin: false,
    }
}

/// Client settings that never wait on a learned command bucket in tests.
pub fn client_config(base_url: String) -> ClientConfig {
    ClientConfig {
        command_bucket_default: (1_000, Duration::from_secs(1)),
        ..ClientConfig::with_base_url(base_url)
    }
}

pub fn services(store: Store, base_url: String) -> Services {
    let client = ErlcClient::new(client_config(base_url)).expect("client");
    let options = ServicesOptions {
        sandbox: SandboxOptions {
            activity: None,
            ..SandboxOptions::default()
        },
        ..ServicesOptions::default()
    };
    Services::new(store, client, options)
}

pub async fn start_sim() -> SimHandle {
    let sim = Simulator::start(SimConfig {
        seed: 77,
        read_limit: BucketLimit::new(10_000, 10),
        command_limit: BucketLimit::new(10_000, 5),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let server = sim.server(0).expect("server 0");
    for (name, id) in PLAYERS {
        server
            .add_player(PlayerSpec::named(name).with_id(*id))
            .expect("player joins");
    }
    sim
}

pub fn sim_key(sim: &SimHandle) -> String {
    sim.servers()[0].key.clone()
}

pub struct Env {
    /// Holds the store's directory until the test ends.
    _dir: tempfile::TempDir,
    pub sim: SimHandle,
    pub services: Services,
}

/// A simulator with [`PLAYERS`], and the guild set up with it as `main`.
pub async fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_sim().await;
    let services = services(open_store(dir.path()), sim.base_url());
    services
        .setup_server(GUILD, &admin(), "main", &sim_key(&sim))
        .await
        .expect("setup with the simulator's key");
    Env {
        _dir: dir,
        sim,
        services,
    }
}

/// The guild's audit entries for one action, oldest first.
pub fn audit_entries(services: &Services, action: &str) -> Vec<AuditEntry> {
    let query = AuditQuery {
        action: Some(action.into()),
        ..AuditQuery::default()
    };
    services
        .store()
        .audit()
        .search(GUILD, &query)
        .expect("audit search")
        .entries
}

/// Names of the commands the simulated server applied, oldest first.
pub fn applied(sim: &SimHandle) -> Vec<String> {
    sim.server(0)
        .expect("server 0")
        .applied_commands()
        .into_iter()
        .map(|c| c.name)
        .collect()
}
