//! The feed pipeline's wake-up. The pipeline looks for new events when whoever stores them
//! bumps its wake channel; two parts store events (the tracker's polls and PRC's webhooks),
//! each with its own "events stored" counter, so the app merges them into one.

use tokio::sync::watch;

/// One wake channel that changes whenever either source does. It closes once both sources
/// are gone (the pipeline then looks on its recheck timer alone); a source that goes away
/// early, such as the HTTP server stopping before the pipeline, leaves the other one working.
pub(crate) fn merge(
    mut tracker: watch::Receiver<u64>,
    mut webhooks: watch::Receiver<u64>,
) -> watch::Receiver<u64> {
    let (tx, rx) = watch::channel(0u64);
    tokio::spawn(async move {
        let (mut tracker_open, mut webhooks_open) = (true, true);
        while tracker_open || webhooks_open {
            let changed = tokio::select! {
                r = tracker.changed(), if tracker_open => {
                    tracker_open = r.is_ok();
                    r.is_ok()
                }
                r = webhooks.changed(), if webhooks_open => {
                    webhooks_open = r.is_ok();
                    r.is_ok()
                }
            };
            if tx.is_closed() {
                return;
            }
            if changed {
                tx.send_modify(|count| *count = count.wrapping_add(1));
            }
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const WAIT: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn wakes_for_either_source_until_both_are_gone() {
        let (tracker, tracker_rx) = watch::channel(0u64);
        let (webhooks, webhooks_rx) = watch::channel(0u64);
        let mut wake = merge(tracker_rx, webhooks_rx);

        tracker.send_replace(1);
        let woken = tokio::time::timeout(WAIT, wake.changed()).await;
        assert!(matches!(woken, Ok(Ok(()))), "the tracker wakes it");
        webhooks.send_replace(1);
        let woken = tokio::time::timeout(WAIT, wake.changed()).await;
        assert!(matches!(woken, Ok(Ok(()))), "a webhook wakes it");

        drop(webhooks);
        tracker.send_replace(2);
        let woken = tokio::time::timeout(WAIT, wake.changed()).await;
        assert!(
            matches!(woken, Ok(Ok(()))),
            "the tracker still wakes it once the HTTP server is gone"
        );

        drop(tracker);
        let closed = tokio::time::timeout(WAIT, wake.changed()).await;
        assert!(
            matches!(closed, Ok(Err(_))),
            "it closes with both sources gone"
        );
    }
}
