//! Waiting with a deadline, for state that has no change notification of its own (the
//! simulator's request log, a recording sink, the store): re-check often, and fail saying what
//! was awaited. Tests wait on conditions, never on fixed sleeps, and never assert on time.

use std::future::Future;
use std::time::Duration;

/// How long any condition may take before a test gives up. Generous: a slow, shared machine
/// must not turn waits into failures.
pub const WAIT: Duration = Duration::from_secs(30);

/// How often a condition is re-checked.
const RECHECK: Duration = Duration::from_millis(10);

/// Re-checks `condition` until it holds; fails with `what` after [`WAIT`].
pub async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    wait_for_async_within(WAIT, what, || std::future::ready(condition())).await;
}

/// Like [`wait_for`], for a condition that has to await (a store read, an HTTP call).
pub async fn wait_for_async<F, Fut>(what: &str, condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for_async_within(WAIT, what, condition).await;
}

/// Like [`wait_for_async`] with a longer limit, for work known to take long.
pub async fn wait_for_async_within<F, Fut>(limit: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(RECHECK).await;
    }
}

/// Awaits `future`, failing with `what` after [`WAIT`] instead of hanging.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {WAIT:?}: {what}"))
}
