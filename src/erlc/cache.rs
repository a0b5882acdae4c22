//! Optional TTL cache of successful reads, keyed by (key fingerprint, path, query), with
//! per-server invalidation that also stops reads already in flight from refilling it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::SharedClock;

use super::client::RawResponse;

/// Cache settings. Off by default (`default_ttl: None` and no overrides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// TTL for paths without an override; `None` means do not cache.
    pub default_ttl: Option<Duration>,
    /// Per-path TTL overrides (path as passed to `get_*`, leading `/` optional);
    /// `None` turns caching off for that path.
    pub path_ttl: HashMap<String, Option<Duration>>,
    /// Most entries kept; expired then oldest entries are dropped first.
    pub max_entries: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            default_ttl: None,
            path_ttl: HashMap::new(),
            max_entries: 1024,
        }
    }
}

impl CacheConfig {
    /// Cache every path for `ttl` unless overridden.
    pub fn with_default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = Some(ttl);
        self
    }

    /// Override the TTL of one path (`None` = never cache it).
    pub fn with_path_ttl(mut self, path: &str, ttl: Option<Duration>) -> Self {
        self.path_ttl
            .insert(super::route::normalize_path(path), ttl);
        self
    }

    /// The TTL that applies to `path` (normalised, without query).
    pub fn ttl_for(&self, path: &str) -> Option<Duration> {
        match self.path_ttl.get(path) {
            Some(ttl) => *ttl,
            None => self.default_ttl,
        }
        .filter(|ttl| !ttl.is_zero())
    }
}

/// Identity of one read: the same key for the cache and for coalescing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ReadKey {
    pub key_fp: String,
    pub path: String,
    /// Query pairs in the order given.
    pub query: Vec<(String, String)>,
}

#[derive(Debug)]
struct Entry {
    stored_ms: i64,
    expires_ms: i64,
    response: RawResponse,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<ReadKey, Entry>,
    /// Bumped by `invalidate`; a read started under an older generation may not store.
    generations: HashMap<String, u64>,
}

#[derive(Debug)]
pub(crate) struct ResponseCache {
    config: CacheConfig,
    clock: SharedClock,
    state: Mutex<State>,
}

impl ResponseCache {
    pub fn new(config: CacheConfig, clock: SharedClock) -> Self {
        Self {
            config,
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether reads of `path` are cached at all.
    pub fn applies_to(&self, path: &str) -> bool {
        self.config.ttl_for(path).is_some()
    }

    /// A fresh cached response, marked `from_cache`.
    pub fn get(&self, key: &ReadKey) -> Option<RawResponse> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        match state.entries.get(key) {
            Some(entry) if now < entry.expires_ms => Some(RawResponse {
                from_cache: true,
                ..entry.response.clone()
            }),
            Some(_) => {
                state.entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// The invalidation generation of a server, taken before a read starts.
    pub fn generation(&self, key_fp: &str) -> u64 {
        self.lock().generations.get(key_fp).copied().unwrap_or(0)
    }

    /// Store a successful read, unless the server was invalidated since `generation`.
    pub fn put(&self, key: &ReadKey, response: &RawResponse, generation: u64) {
        let Some(ttl) = self.config.ttl_for(&key.path) else {
            return;
        };
        if self.config.max_entries == 0 {
            return;
        }
        let now = self.clock.now_ms();
        let mut state = self.lock();
        if state.generations.get(&key.key_fp).copied().unwrap_or(0) != generation {
            return;
        }
        if !state.entries.contains_key(key) && state.entries.len() >= self.config.max_entries {
            state.entries.retain(|_, e| now < e.expires_ms);
            while state.entries.len() >= self.config.max_entries {
                let oldest = state
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.stored_ms)
                    .map(|(k, _)| k.clone());
                match oldest {
                    Some(k) => state.entries.remove(&k),
                    None => break,
                };
            }
        }
        state.entries.insert(
            key.clone(),
            Entry {
                stored_ms: now,
                expires_ms: now.saturating_add(ttl.as_millis() as i64),
                response: RawResponse {
                    from_cache: false,
                    ..response.clone()
                },
            },
        );
    }

    /// Drop every cached read of one server.
    pub fn invalidate(&self, key_fp: &str) {
        let mut state = self.lock();
        state.entries.retain(|k, _| k.key_fp != key_fp);
        *state.generations.entry(key_fp.to_owned()).or_insert(0) += 1;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    fn key(fp: &str, path: &str) -> ReadKey {
        ReadKey {
            key_fp: fp.into(),
            path: path.into(),
            query: Vec::new(),
        }
    }

    fn response(body: &'static str) -> RawResponse {
        RawResponse {
            status: 200,
            body: bytes::Bytes::from_static(body.as_bytes()),
            from_cache: false,
        }
    }

    fn cache(config: CacheConfig) -> (Arc<ManualClock>, ResponseCache) {
        let clock = Arc::new(ManualClock::new(0));
        (clock.clone(), ResponseCache::new(config, clock))
    }

    #[test]
    fn per_path_ttls_and_expiry() {
        let config = CacheConfig::default()
            .with_default_ttl(Duration::from_secs(5))
            .with_path_ttl("v1/server/bans", Some(Duration::from_secs(60)))
            .with_path_ttl("/v1/server/queue", None);
        assert!(CacheConfig::default().ttl_for("/v2/server").is_none());
        let (clock, cache) = cache(config);
        assert!(cache.applies_to("/v2/server"));
        assert!(!cache.applies_to("/v1/server/queue"));

        cache.put(&key("a", "/v2/server"), &response("s"), 0);
        cache.put(&key("a", "/v1/server/bans"), &response("b"), 0);
        cache.put(&key("a", "/v1/server/queue"), &response("q"), 0);
        let hit = cache.get(&key("a", "/v2/server")).unwrap();
        assert!(hit.from_cache);
        assert_eq!(&hit.body[..], b"s");
        assert!(cache.get(&key("a", "/v1/server/queue")).is_none());
        assert!(
            cache.get(&key("b", "/v2/server")).is_none(),
            "keyed by server"
        );

        clock.advance_ms(5_000);
        assert!(
            cache.get(&key("a", "/v2/server")).is_none(),
            "expired at the TTL"
        );
        assert!(cache.get(&key("a", "/v1/server/bans")).is_some());
        clock.advance_ms(55_000);
        assert!(cache.get(&key("a", "/v1/server/bans")).is_none());
    }

    #[test]
    fn invalidation_is_per_server_and_blocks_stale_fills() {
        let (_, cache) = cache(CacheConfig::default().with_default_ttl(Duration::from_secs(5)));
        let started = cache.generation("a");
        cache.put(&key("a", "/v2/server"), &response("1"), started);
        cache.put(
            &key("b", "/v2/server"),
            &response("2"),
            cache.generation("b"),
        );
        cache.invalidate("a");
        assert!(cache.get(&key("a", "/v2/server")).is_none());
        assert!(cache.get(&key("b", "/v2/server")).is_some());
        cache.put(&key("a", "/v2/server"), &response("stale"), started);
        assert!(
            cache.get(&key("a", "/v2/server")).is_none(),
            "read from before the command"
        );
        cache.put(
            &key("a", "/v2/server"),
            &response("3"),
            cache.generation("a"),
        );
        assert!(cache.get(&key("a", "/v2/server")).is_some());
    }

    #[test]
    fn bounded_size_drops_oldest() {
        let mut config = CacheConfig::default().with_default_ttl(Duration::from_secs(50));
        config.max_entries = 2;
        let (clock, cache) = cache(config);
        for (n, path) in ["/a", "/b", "/c"].into_iter().enumerate() {
            clock.set_ms(n as i64);
            cache.put(&key("k", path), &response("x"), 0);
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&key("k", "/a")).is_none());
        assert!(cache.get(&key("k", "/c")).is_some());
    }
}
