//! Tests of the hub and the sessions, driven through channels (no sockets), with a store in a
//! temporary directory and a manual clock for token times.

mod calls;
mod hub;
mod session;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::actions::{Services, ServicesOptions};
use crate::clock::ManualClock;
use crate::erlc::models::Location;
use crate::erlc::{ClientConfig, ErlcClient};
use crate::store::{MasterKeySource, Store, StoreConfig};
use crate::tracker::world::{PlayerState, WorldState};
use crate::tracker::{PolledServer, SnapshotExtras};

use super::frame::{Frame, decode};
use super::hub::Hub;
use super::outbound::{Encoder, Outbound};
use super::session::{SessionLimits, SessionShared};
use super::token::{LiveClaims, TokenKeys};

pub(super) const GUILD: u64 = 7;
pub(super) const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
/// Unix seconds on the manual clock.
pub(super) const NOW: u64 = 1_800_000_000;

pub(super) struct Fixture {
    pub hub: Hub,
    pub shared: SessionShared,
    _dir: tempfile::TempDir,
}

/// Limits with nothing timing out while a test waits (tokio's clock is paused in them).
pub(super) fn calm_limits() -> SessionLimits {
    SessionLimits {
        ping_interval: Duration::from_secs(24 * 3600),
        auth_timeout: Duration::from_secs(24 * 3600),
        ..SessionLimits::default()
    }
}

pub(super) fn fixture(queue: usize, limits: SessionLimits) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(i64::try_from(NOW).unwrap() * 1000));
    let mut config = StoreConfig::new(dir.path(), MasterKeySource::Env("22".repeat(32)));
    config.clock = clock.clone();
    let store = Store::open(config).unwrap();
    let erlc = ErlcClient::new(ClientConfig::with_base_url("http://127.0.0.1:9")).unwrap();
    let services = Services::new(store, erlc, ServicesOptions::default());
    let hub = Hub::new(services, queue);
    let shared = SessionShared {
        hub: hub.clone(),
        keys: Arc::new(TokenKeys::new(SECRET)),
        limits,
        clock,
        server_name: "test".into(),
    };
    Fixture {
        hub,
        shared,
        _dir: dir,
    }
}

/// A token for member `sub` of [`GUILD`], valid `ttl` seconds from [`NOW`].
pub(super) fn token(sub: u64, admin: bool, ttl: u64) -> String {
    TokenKeys::new(SECRET).mint(&LiveClaims {
        sub: sub.to_string(),
        guild: GUILD.to_string(),
        name: format!("member{sub}"),
        roles: Vec::new(),
        admin,
        iat: NOW,
        exp: NOW + ttl,
    })
}

fn player(name: &str, permission: &str) -> PlayerState {
    PlayerState {
        name: name.into(),
        team: "Police".into(),
        permission: permission.into(),
        callsign: Some("P-1".into()),
        wanted: 0,
    }
}

/// Server `main` of [`GUILD`] with these players (id, name, permission).
pub(super) fn polled(players: &[(u64, &str, &str)]) -> Arc<PolledServer> {
    let world = WorldState {
        name: "RP".into(),
        online: !players.is_empty(),
        current_players: u32::try_from(players.len()).unwrap(),
        players: Some(
            players
                .iter()
                .map(|(id, name, permission)| (*id, player(name, permission)))
                .collect(),
        ),
        ..WorldState::default()
    };
    let locations: BTreeMap<u64, Location> = players
        .iter()
        .map(|(id, _, _)| {
            let location = serde_json::from_value(serde_json::json!({
                "LocationX": 1.5, "LocationZ": -2.0, "PostalCode": "307"
            }))
            .unwrap();
            (*id, location)
        })
        .collect();
    Arc::new(PolledServer {
        guild: GUILD,
        label: "main".into(),
        world: Arc::new(world),
        extras: Arc::new(SnapshotExtras {
            max_players: Some(40),
            join_key: Some("code".into()),
            locations,
            mod_calls: Vec::new(),
        }),
        polled_at: 1_000,
        prc_offline: false,
    })
}

/// Decodes what a session queued, as its transport would send it.
pub(super) struct Reader {
    pub rx: mpsc::Receiver<Outbound>,
    encoder: Encoder,
}

impl Reader {
    pub fn new(rx: mpsc::Receiver<Outbound>) -> Self {
        Self {
            rx,
            encoder: Encoder::default(),
        }
    }

    /// The next item, waiting at most a few (paused-clock) seconds.
    pub async fn item(&mut self) -> Option<Outbound> {
        tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next frame (pings skipped); panics on a close or silence.
    pub async fn frame(&mut self) -> Frame {
        loop {
            match self.item().await {
                Some(Outbound::Frame { kind, stream, body }) => {
                    return decode(&self.encoder.encode(kind, stream, &body)).unwrap();
                }
                Some(Outbound::Ping) => continue,
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    }

    /// Nothing queued right now.
    pub fn is_idle(&mut self) -> bool {
        self.rx.try_recv().is_err()
    }
}

/// The `ops` of a DELTA body.
pub(super) fn ops(frame: &Frame) -> Vec<super::delta::Op> {
    super::delta::ops_from_json(&frame.body["ops"]).unwrap()
}

/// `body[field]` as text.
pub(super) fn text<'a>(frame: &'a Frame, field: &str) -> &'a str {
    frame.body[field].as_str().unwrap_or_default()
}
