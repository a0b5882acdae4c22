//! The temp-ban scheduler: lifts every temp ban that is due, at start (those that fell due
//! while the bot was down) and then as each one's time comes. It sleeps until the earliest
//! expiry in the store, and looks again every few seconds for temp bans filed meanwhile.

use std::future::Future;
use std::time::Duration;

use crate::actions::Services;

/// Longest sleep between looks, so a temp ban filed meanwhile is lifted at most this late.
const RECHECK: Duration = Duration::from_secs(5);
/// Wait before trying again a temp ban that could not be lifted (its server unreachable).
const RETRY: Duration = Duration::from_secs(30);

/// How long to sleep when the earliest expiry is `next` (Unix ms) at `now_ms`.
fn sleep_for(next: Option<i64>, now_ms: i64) -> Duration {
    match next {
        // Still due after a round: it failed; do not spin on it.
        Some(at) if at <= now_ms => RETRY,
        Some(at) => Duration::from_millis((at - now_ms) as u64).min(RECHECK),
        None => RECHECK,
    }
}

/// Run until `stop` completes.
pub(crate) async fn run(services: Services, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        match services.lift_due_temp_bans().await {
            Ok(0) => {}
            Ok(lifted) => tracing::info!(lifted, "lifted temp bans that were due"),
            Err(error) => tracing::warn!(%error, "could not read the temp bans that are due"),
        }
        let now = services.store().clock().now_ms();
        let next = services.next_temp_ban_expiry().unwrap_or(None);
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(sleep_for(next, now)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_until_the_next_expiry_but_not_past_a_recheck() {
        assert_eq!(sleep_for(None, 0), RECHECK);
        assert_eq!(sleep_for(Some(1_500), 1_000), Duration::from_millis(500));
        assert_eq!(sleep_for(Some(60_000), 0), RECHECK);
        assert_eq!(sleep_for(Some(1_000), 1_000), RETRY);
    }
}
