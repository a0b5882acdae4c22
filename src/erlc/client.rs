//! The shared ER:LC client: one connection pool, rate limiter, cache, coalescer and breaker set
//! for every server it talks to, and cheap per-server handles that carry a server key.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;

use crate::clock::{self, SharedClock};

use super::breaker::{BreakerConfig, Breakers};
use super::cache::{CacheConfig, ReadKey, ResponseCache};
use super::coalesce::Coalescer;
use super::command::CommandPolicy;
use super::decode::decode;
use super::error::ErlcError;
use super::key::{GlobalKey, ServerKey};
use super::ratelimit::{BucketSnapshot, RateLimiter};
use super::retry::RetryPolicy;
use super::route::{HttpMethod, Route};
use super::send::Request;
use super::stats::{ClientStats, Counters, RequestLog, RequestRecord};

/// Where the client sends requests and how it behaves.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// PRC API root; a trailing `/` is tolerated. Default `https://api.erlc.gg`.
    pub base_url: String,
    /// Sent raw (no `Bearer `) in `Authorization` when set.
    pub global_key: Option<GlobalKey>,
    /// Per-attempt limit for one HTTP request. Default 10 s.
    pub request_timeout: Duration,
    /// Retries for reads; commands are never retried.
    pub retry: RetryPolicy,
    /// TTL cache of reads; off by default.
    pub cache: CacheConfig,
    /// Circuit breakers; default 5 consecutive failures, 30 s cool-off.
    pub breaker: BreakerConfig,
    /// Command bucket (requests, window) per key until PRC's headers say otherwise. Default 1 per 5 s.
    pub command_bucket_default: (u32, Duration),
    /// `User-Agent` header sent with every request. Default `erlc-bot/<version>`.
    pub user_agent: String,
    /// Extra wait after a bucket's reset time, because PRC reports whole seconds and clocks
    /// differ slightly. Default 100 ms.
    pub reset_grace: Duration,
    /// Requests kept for [`ErlcClient::recent_requests`]. Default 256.
    pub request_log_capacity: usize,
    /// Wall clock for rate-limit resets, cache expiry and breaker cool-offs.
    pub clock: SharedClock,
    /// What commands may be sent at all (length, single line, deny list).
    pub command_policy: CommandPolicy,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.erlc.gg".into(),
            global_key: None,
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            cache: CacheConfig::default(),
            breaker: BreakerConfig::default(),
            command_bucket_default: (1, Duration::from_secs(5)),
            user_agent: concat!("erlc-bot/", env!("CARGO_PKG_VERSION")).into(),
            reset_grace: Duration::from_millis(100),
            request_log_capacity: 256,
            clock: clock::system(),
            command_policy: CommandPolicy::default(),
        }
    }
}

impl ClientConfig {
    /// Defaults with another base URL (e.g. a local simulator).
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }
}

/// A successful answer (2xx), or a cached copy of one.
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// HTTP status PRC answered with (always 2xx).
    pub status: u16,
    /// The response body exactly as received, not yet decoded.
    pub body: bytes::Bytes,
    /// True when served from the read cache without asking PRC.
    pub from_cache: bool,
}

/// State shared by every handle of one client.
pub(crate) struct Inner {
    pub http: reqwest::Client,
    /// Base URL without a trailing `/`.
    pub base_url: String,
    pub global_key: Option<GlobalKey>,
    pub global_header: Option<HeaderValue>,
    pub retry: RetryPolicy,
    pub clock: SharedClock,
    pub limiter: RateLimiter,
    pub breakers: Arc<Breakers>,
    pub cache: ResponseCache,
    pub coalescer: Coalescer,
    pub counters: Counters,
    pub log: RequestLog,
    pub command_policy: CommandPolicy,
}

/// The ER:LC API client. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct ErlcClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ErlcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErlcClient")
            .field("base_url", &self.inner.base_url)
            .field("global_key", &self.inner.global_key)
            .finish_non_exhaustive()
    }
}

impl ErlcClient {
    /// Build a client. Fails with [`ErlcError::Config`] for an unusable base URL or global key.
    pub fn new(config: ClientConfig) -> Result<Self, ErlcError> {
        let base_url = check_base_url(&config.base_url)?;
        let global_header = match &config.global_key {
            Some(global) => Some(sensitive_header(global.expose()).ok_or_else(|| {
                ErlcError::Config(format!(
                    "the global API key {} contains characters that cannot be sent in an HTTP header",
                    global.fingerprint()
                ))
            })?),
            None => None,
        };
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| ErlcError::Config(format!("could not set up HTTP: {e}")))?;
        let clock = config.clock.clone();
        let inner = Inner {
            http,
            base_url,
            global_key: config.global_key,
            global_header,
            retry: config.retry,
            limiter: RateLimiter::new(
                clock.clone(),
                config.command_bucket_default,
                config.reset_grace,
            ),
            breakers: Arc::new(Breakers::new(config.breaker, clock.clone())),
            cache: ResponseCache::new(config.cache, clock.clone()),
            coalescer: Coalescer::default(),
            counters: Counters::default(),
            log: RequestLog::new(config.request_log_capacity),
            command_policy: config.command_policy,
            clock,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// A handle for one private server. Handles share this client's pool, limits and cache.
    pub fn server(&self, key: ServerKey) -> ServerHandle {
        ServerHandle {
            inner: Arc::clone(&self.inner),
            fingerprint: key.fingerprint(),
            key,
        }
    }

    /// Counters since the client was created (requests, retries, 429s, cache hits, …).
    pub fn stats(&self) -> ClientStats {
        self.inner.counters.snapshot()
    }

    /// Every rate-limit bucket learned so far (names redacted), sorted by name.
    pub fn buckets(&self) -> Vec<BucketSnapshot> {
        self.inner.limiter.snapshots()
    }

    /// Circuit breakers currently open (redacted names) and the time until each lets a probe
    /// through.
    pub fn open_breakers(&self) -> Vec<(String, Duration)> {
        self.inner.breakers.open()
    }

    /// The most recent requests, oldest first.
    pub fn recent_requests(&self) -> Vec<RequestRecord> {
        self.inner.log.snapshot()
    }
}

/// Validate the base URL and drop any trailing `/`.
fn check_base_url(raw: &str) -> Result<String, ErlcError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|e| {
        ErlcError::Config(format!(
            "the API base URL {trimmed:?} is not a valid URL ({e}); use e.g. https://api.erlc.gg"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ErlcError::Config(format!(
            "the API base URL {trimmed:?} must be an http:// or https:// address with a host"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ErlcError::Config(format!(
            "the API base URL {trimmed:?} must not contain `?` or `#`"
        )));
    }
    Ok(trimmed.to_owned())
}

/// A header value marked sensitive (hidden from HTTP-level debug output), if it is sendable.
pub(crate) fn sensitive_header(secret: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(secret).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// One private server, seen through the shared client.
#[derive(Clone)]
pub struct ServerHandle {
    inner: Arc<Inner>,
    key: ServerKey,
    fingerprint: String,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("key", &self.key)
            .field("base_url", &self.inner.base_url)
            .finish()
    }
}

impl ServerHandle {
    /// The server key this handle sends (its Debug shows only a fingerprint).
    pub fn key(&self) -> &ServerKey {
        &self.key
    }

    /// The key's fingerprint, safe for logs and audit records.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// GET `path` with `query`: served from the cache when fresh, shared with an identical read
    /// in flight, rate limited, retried on transient failures. Non-2xx answers are errors.
    pub async fn get_raw(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<RawResponse, ErlcError> {
        let inner = &self.inner;
        let route = Route::new(HttpMethod::Get, path, &self.fingerprint);
        let read_key = ReadKey {
            key_fp: self.fingerprint.clone(),
            path: route.path.clone(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        if inner.cache.applies_to(&route.path) {
            if let Some(hit) = inner.cache.get(&read_key) {
                Counters::bump(&inner.counters.cache_hits);
                return Ok(hit);
            }
            Counters::bump(&inner.counters.cache_misses);
        }
        let (read, joined) = inner.coalescer.join_or_start(&read_key, |id| {
            let inner = Arc::clone(inner);
            let key = self.key.clone();
            let read_key = read_key.clone();
            async move {
                let generation = inner.cache.generation(&read_key.key_fp);
                let request = Request {
                    server: &key,
                    route,
                    query: &read_key.query,
                    body: None,
                };
                let result = inner.read_with_retries(&request).await;
                if let Ok(response) = &result {
                    inner.cache.put(&read_key, response, generation);
                }
                inner.coalescer.finish(&read_key, id);
                result
            }
            .boxed()
        });
        if joined {
            Counters::bump(&inner.counters.coalesced);
        }
        read.await
    }

    /// GET and decode the JSON body as `T`; decode errors name the field that did not fit.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ErlcError> {
        let response = self.get_raw(path, query).await?;
        let endpoint = Route::new(HttpMethod::Get, path, &self.fingerprint).endpoint();
        decode(&endpoint, &response.body)
    }

    /// POST `{"command": command_text}` to `path`. Sent at most once: commands are not
    /// idempotent, so failures are returned, never retried. A sent command drops this
    /// server's cached reads.
    pub async fn post_command(
        &self,
        path: &str,
        command_text: &str,
    ) -> Result<RawResponse, ErlcError> {
        let body = serde_json::to_vec(&serde_json::json!({ "command": command_text }))
            .map_err(|e| ErlcError::Config(format!("could not encode the command: {e}")))?;
        let request = Request {
            server: &self.key,
            route: Route::new(HttpMethod::Post, path, &self.fingerprint),
            query: &[],
            body: Some(body),
        };
        let result = self.inner.send_once(&request).await;
        if result.is_ok() {
            self.invalidate_cache();
        }
        result
    }

    /// Drop this server's cached reads, including reads still in flight.
    pub fn invalidate_cache(&self) {
        self.inner.cache.invalidate(&self.fingerprint);
    }

    /// The policy every command sent through this handle must pass.
    pub fn command_policy(&self) -> &CommandPolicy {
        &self.inner.command_policy
    }

    /// The client's clock.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The bucket this key's GET requests are counted in, if learned.
    pub fn read_headroom(&self) -> Option<BucketSnapshot> {
        self.inner.limiter.read_headroom(&self.fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_trimmed() {
        let ok = |url: &str| check_base_url(url).unwrap();
        assert_eq!(ok("https://api.erlc.gg/"), "https://api.erlc.gg");
        assert_eq!(
            ok("http://127.0.0.1:8080/prc//"),
            "http://127.0.0.1:8080/prc"
        );
        for bad in ["", "api.erlc.gg", "ftp://x", "https://x/?a=1", "not a url"] {
            assert!(
                matches!(check_base_url(bad), Err(ErlcError::Config(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            ErlcClient::new(ClientConfig::with_base_url("nope")),
            Err(ErlcError::Config(_))
        ));
    }

    #[test]
    fn unsendable_global_key_is_a_config_error_without_the_key() {
        let config = ClientConfig {
            global_key: Some(GlobalKey::new("bad\nkey-secretpart")),
            ..ClientConfig::default()
        };
        match ErlcClient::new(config) {
            Err(ErlcError::Config(msg)) => assert!(!msg.contains("secretpart"), "{msg}"),
            other => panic!("expected a config error, got {other:?}"),
        }
    }
}
