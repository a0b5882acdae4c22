//! Coalescing: identical reads that overlap in time share one request and its answer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::{BoxFuture, FutureExt, Shared, WeakShared};

use super::cache::ReadKey;
use super::client::RawResponse;
use super::error::ErlcError;

pub(crate) type ReadResult = Result<RawResponse, ErlcError>;
type ReadFuture = BoxFuture<'static, ReadResult>;
pub(crate) type SharedRead = Shared<ReadFuture>;

/// Reads in flight. Holds only weak handles: when every caller of a read gives up, the read is
/// dropped instead of being kept alive by this map.
#[derive(Default)]
pub(crate) struct Coalescer {
    in_flight: Mutex<HashMap<ReadKey, (u64, WeakShared<ReadFuture>)>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Coalescer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.in_flight.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("Coalescer").field("in_flight", &n).finish()
    }
}

impl Coalescer {
    /// Join the read for `key` already in flight, or start one with `start(id)`. The started
    /// future must call [`Coalescer::finish`] with the same id when it completes. Returns the
    /// shared read and whether this caller joined an existing one.
    pub fn join_or_start(
        &self,
        key: &ReadKey,
        start: impl FnOnce(u64) -> ReadFuture,
    ) -> (SharedRead, bool) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(shared) = in_flight.get(key).and_then(|(_, weak)| weak.upgrade()) {
            return (shared, true);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let shared = start(id).shared();
        if let Some(weak) = shared.downgrade() {
            in_flight.insert(key.clone(), (id, weak));
        }
        (shared, false)
    }

    /// Forget the read `id` for `key` (if it is still the one registered).
    pub fn finish(&self, key: &ReadKey, id: u64) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if in_flight
            .get(key)
            .is_some_and(|(current, _)| *current == id)
        {
            in_flight.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    fn key() -> ReadKey {
        ReadKey {
            key_fp: "fp".into(),
            path: "/v2/server".into(),
            query: Vec::new(),
        }
    }

    #[tokio::test]
    async fn overlapping_reads_share_one_run_and_later_reads_start_fresh() {
        let coalescer = Arc::new(Coalescer::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let (gate_tx, gate_rx) = tokio::sync::oneshot::channel::<()>();
        let gate = futures::future::FutureExt::shared(gate_rx);
        let start = |id: u64| {
            let runs = runs.clone();
            let coalescer = coalescer.clone();
            let gate = gate.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                let _ = gate.await;
                coalescer.finish(&key(), id);
                Ok(RawResponse {
                    status: 200,
                    body: bytes::Bytes::new(),
                    from_cache: false,
                })
            }
            .boxed()
        };
        let (first, joined_first) = coalescer.join_or_start(&key(), start);
        let (second, joined_second) = coalescer.join_or_start(&key(), start);
        assert!(!joined_first && joined_second);
        gate_tx.send(()).unwrap();
        let (a, b) = futures::join!(first, second);
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        let (third, joined_third) = coalescer.join_or_start(&key(), start);
        assert!(!joined_third, "a finished read is not joined");
        assert!(third.await.is_ok());
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn abandoned_reads_are_not_joined() {
        let coalescer = Coalescer::default();
        let (read, _) = coalescer.join_or_start(&key(), |_| futures::future::pending().boxed());
        drop(read);
        let (_, joined) = coalescer.join_or_start(&key(), |_| futures::future::pending().boxed());
        assert!(!joined);
    }
}
