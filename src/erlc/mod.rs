//! The ER:LC (PRC Private Server API) client. Knows nothing of Discord or sled.
//!
//! `client` (one shared [`ErlcClient`], per-server [`ServerHandle`]s) moves bytes with learned
//! rate limits, retries, coalescing, caching and breakers; `api` adds the typed endpoints;
//! `models`, `command` and `webhook` are pure logic.

pub mod api;
pub mod breaker;
pub mod cache;
pub mod client;
mod coalesce;
pub mod command;
pub mod decode;
pub mod error;
pub mod key;
pub mod models;
pub mod ratelimit;
pub mod response;
pub mod retry;
mod route;
mod send;
pub mod stats;
pub mod webhook;

pub use breaker::BreakerConfig;
pub use cache::CacheConfig;
pub use client::{ClientConfig, ErlcClient, RawResponse, ServerHandle};
pub use command::{
    CommandBuildError, CommandPolicy, FireKind, GameCommand, PlayerName, Target, Targets, Weather,
    canonical_command_name, is_destructive,
};
pub use decode::decode;
pub use error::{ErlcError, ErrorKind, PolicyViolation, PrcErrorInfo};
pub use key::{GlobalKey, KeyFormatError, ServerKey};
pub use models::{
    AccVerifiedReq, Bans, CommandLog, CommandResponse, EmergencyCall, IdMap, Include, JoinLog,
    KillLog, Location, ModCall, Permission, Player, PlayerRef, ServerInfo, StaffV1, StaffV2, Team,
    V2Server, Vehicle,
};
pub use ratelimit::BucketSnapshot;
pub use retry::RetryPolicy;
pub use route::HttpMethod;
pub use stats::{ClientStats, RequestRecord};
pub use webhook::{
    WebhookBatch, WebhookEmergencyCall, WebhookEvent, WebhookEventData, WebhookKeyError,
    WebhookRejection, WebhookVerifier, decode_batch,
};
