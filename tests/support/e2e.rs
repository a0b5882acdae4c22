//! One end-to-end world: the fake Discord, a PRC simulator and a data directory, with the
//! real bot binary started against them.

use std::time::Duration;

use erlc_bot::sim::{BucketLimit, SimConfig, SimHandle, Simulator};
use tempfile::TempDir;

use super::bot_process::{BotEnv, BotProcess};
use super::fake_discord::FakeDiscord;
use super::fake_discord::state::FakeConfig;

/// Generous: a slow, shared test machine must not turn waits into failures.
pub const WAIT: Duration = Duration::from_secs(30);

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
        let bot = BotProcess::start(&self.env(), &["run"]);
        self.fake
            .wait_for_ready_count(self.fake.ready_count() + 1, WAIT)
            .await;
        self.fake.wait_for_commands_registered(WAIT).await;
        bot
    }
}
