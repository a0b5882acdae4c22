//! The ER:LC (PRC Private Server API) client. Knows nothing of Discord or sled.

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

pub use breaker::BreakerConfig;
pub use cache::CacheConfig;
pub use client::{ClientConfig, ErlcClient, RawResponse, ServerHandle};
pub use decode::decode;
pub use error::{ErlcError, ErrorKind, PolicyViolation, PrcErrorInfo};
pub use key::{GlobalKey, KeyFormatError, ServerKey};
pub use ratelimit::BucketSnapshot;
pub use retry::RetryPolicy;
pub use route::HttpMethod;
pub use stats::{ClientStats, RequestRecord};
