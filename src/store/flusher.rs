//! Group commit for async flushes: many tasks asking for durability share one flush.
//!
//! Why not sled's own `flush_async`: sled 0.34 runs it on its IO thread pool (at most 128
//! threads), and a flush that seals a buffer queues the buffer's write on that same pool and
//! waits for it. With enough flushes in flight every pool thread waits for a write that no
//! free thread is left to run, and the whole database stops (seen with 10,000 tracked
//! servers). Here at most one flush per [`GroupFlush`] runs at a time, on tokio's blocking
//! pool, so sled's pool always has threads for the writes. Callers that arrive while a flush
//! runs wait for the next one, which covers all of them: fewer fsyncs under load too.
//!
//! A group may also have a window, for the bulk writers (tracker polls, feed commits):
//! [`GroupFlush::flush_in_window`] starts a flush no sooner than one window after the last one
//! started, so under load every bulk caller of one window shares one flush (group commit); when
//! the last flush is older than the window it flushes at once, so a quiet bot waits no longer.
//! [`GroupFlush::flush`] (a person's action, a webhook answer) never waits for a window.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::StoreError;

/// One flush at a time over a sled tree (flushing any tree flushes the whole database).
/// Cheap to clone; clones share the queue.
#[derive(Clone)]
pub(crate) struct GroupFlush {
    inner: Arc<Inner>,
}

struct Inner {
    tree: sled::Tree,
    /// Tickets handed out: a caller's ticket is taken after its writes.
    requested: AtomicU64,
    /// Every ticket up to this one is durable.
    completed: AtomicU64,
    /// Held for the length of one flush.
    gate: tokio::sync::Mutex<()>,
    /// When the last flush started.
    last_start: std::sync::Mutex<Option<Instant>>,
    /// Shortest time between the starts of two flushes for `flush_in_window`.
    window: Duration,
}

impl GroupFlush {
    pub(crate) fn new(tree: sled::Tree) -> Self {
        Self::with_window(tree, Duration::ZERO)
    }

    /// A group whose flushes start at most once per `window`.
    pub(crate) fn with_window(tree: sled::Tree, window: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                tree,
                requested: AtomicU64::new(0),
                completed: AtomicU64::new(0),
                gate: tokio::sync::Mutex::new(()),
                last_start: std::sync::Mutex::new(None),
                window,
            }),
        }
    }

    /// Return once everything written before the call is on disk.
    pub(crate) async fn flush(&self) -> Result<(), StoreError> {
        let ticket = self.inner.requested.fetch_add(1, Ordering::SeqCst) + 1;
        self.flush_ticket(ticket).await
    }

    /// [`GroupFlush::flush`], sharing the flush with every caller of the same window.
    pub(crate) async fn flush_in_window(&self) -> Result<(), StoreError> {
        let inner = &self.inner;
        let ticket = inner.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let last = *inner
            .last_start
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Callers arriving during the wait take tickets that the next flush covers too.
        if let Some(last) = last
            && !inner.window.is_zero()
        {
            tokio::time::sleep_until(last + inner.window).await;
        }
        self.flush_ticket(ticket).await
    }

    async fn flush_ticket(&self, ticket: u64) -> Result<(), StoreError> {
        let inner = &self.inner;
        let _gate = inner.gate.lock().await;
        if inner.completed.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        *inner
            .last_start
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
        // Every ticket taken before this read belongs to writes made before the flush starts.
        let covered = inner.requested.load(Ordering::SeqCst);
        let tree = inner.tree.clone();
        tokio::task::spawn_blocking(move || tree.flush())
            .await
            .map_err(|e| StoreError::Invalid(format!("the database flush task failed: {e}")))??;
        inner.completed.fetch_max(covered, Ordering::SeqCst);
        Ok(())
    }
}

impl std::fmt::Debug for GroupFlush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupFlush")
            .field("requested", &self.inner.requested.load(Ordering::Relaxed))
            .field("completed", &self.inner.completed.load(Ordering::Relaxed))
            .field("window", &self.inner.window)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_concurrent_flushes_all_complete_and_make_writes_durable() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path().join("db")).unwrap();
        let group = GroupFlush::new((*db).clone());
        let mut tasks = Vec::new();
        // Well past sled's 128 IO threads: with sled's flush_async this many waiters can
        // exhaust its pool; through the group they share a handful of flushes.
        for i in 0..400u32 {
            let db = db.clone();
            let group = group.clone();
            tasks.push(tokio::spawn(async move {
                db.insert(i.to_be_bytes(), vec![7u8; 512]).unwrap();
                group.flush().await.unwrap();
            }));
        }
        let all = futures::future::join_all(tasks);
        tokio::time::timeout(std::time::Duration::from_secs(120), all)
            .await
            .expect("group flushes finish")
            .into_iter()
            .for_each(|r| r.unwrap());
        let requested = group.inner.requested.load(Ordering::SeqCst);
        assert_eq!(requested, 400);
        assert_eq!(group.inner.completed.load(Ordering::SeqCst), requested);
        assert_eq!(db.len(), 400);
    }

    /// Group commit: with a window, callers arriving while a flush waits for its window share
    /// it, and a caller returns only once a flush that started after its call has finished, so
    /// whatever it wrote before calling is durable when it is told so.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_window_makes_callers_share_flushes_and_each_waits_for_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path().join("db")).unwrap();
        let window = std::time::Duration::from_millis(50);
        let group = GroupFlush::with_window((*db).clone(), window);
        // The first flush runs at once: a quiet bot waits for no window.
        group.flush_in_window().await.unwrap();
        assert_eq!(group.inner.completed.load(Ordering::SeqCst), 1);
        let mut tasks = Vec::new();
        for i in 0..20u32 {
            let (db, group) = (db.clone(), group.clone());
            tasks.push(tokio::spawn(async move {
                db.insert(i.to_be_bytes(), vec![1u8; 64]).unwrap();
                group.flush_in_window().await.unwrap();
                // Every ticket up to this caller's is covered by a finished flush.
                group.inner.completed.load(Ordering::SeqCst)
            }));
        }
        let mut covered = Vec::new();
        for task in tasks {
            covered.push(task.await.unwrap());
        }
        let requested = group.inner.requested.load(Ordering::SeqCst);
        assert_eq!(requested, 21);
        assert_eq!(group.inner.completed.load(Ordering::SeqCst), requested);
        assert!(covered.iter().all(|c| *c >= 2), "{covered:?}");
        assert_eq!(db.len(), 20);
    }
}
