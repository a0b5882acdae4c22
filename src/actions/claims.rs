//! Who claimed or resolved which mod call: the one home of claim state, written by
//! [`Services::mod_call_step`](super::Services::mod_call_step) whichever front end pressed it
//! (a card's button in Discord, a dashboard's CALL), read by anything that shows calls (the live
//! state stream). Kept in memory: the audit log holds the permanent record, and a call older
//! than a restart has long left PRC's window.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use tokio::sync::broadcast;

use super::ModCallStep;

/// Claims kept per server; the oldest go first (their calls left PRC's window long ago).
const PER_SERVER: usize = 500;

/// Change notices buffered per reader before a slow one lags (it then re-reads everything).
const NOTICE_BUFFER: usize = 256;

/// The latest step a moderator took on one mod call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Claimed or resolved.
    pub step: ModCallStep,
    /// Discord user id of the moderator.
    pub by_id: u64,
    /// Their display name at the time.
    pub by_name: String,
    /// Unix milliseconds of the step.
    pub at_ms: i64,
}

/// Claims by server (guild, label), then by call key.
#[derive(Debug)]
pub(super) struct ModCallClaims {
    claims: Mutex<HashMap<(u64, String), BTreeMap<String, Claim>>>,
    changed: broadcast::Sender<(u64, String)>,
}

impl ModCallClaims {
    pub fn new() -> Self {
        Self {
            claims: Mutex::new(HashMap::new()),
            changed: broadcast::channel(NOTICE_BUFFER).0,
        }
    }

    pub fn record(&self, guild: u64, label: &str, call_key: &str, claim: Claim) {
        {
            let mut all = self.claims.lock().unwrap_or_else(PoisonError::into_inner);
            let server = all.entry((guild, label.to_owned())).or_default();
            server.insert(call_key.to_owned(), claim);
            while server.len() > PER_SERVER {
                let oldest = server
                    .iter()
                    .min_by_key(|(_, c)| c.at_ms)
                    .map(|(k, _)| k.clone());
                match oldest {
                    Some(key) => server.remove(&key),
                    None => break,
                };
            }
        }
        // Nobody listening is fine.
        let _ = self.changed.send((guild, label.to_owned()));
    }

    pub fn of_server(&self, guild: u64, label: &str) -> BTreeMap<String, Claim> {
        self.claims
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(guild, label.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<(u64, String)> {
        self.changed.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(at_ms: i64) -> Claim {
        Claim {
            step: ModCallStep::Claim,
            by_id: 1,
            by_name: "mod".into(),
            at_ms,
        }
    }

    #[test]
    fn latest_step_wins_per_call_and_readers_are_told_which_server() {
        let claims = ModCallClaims::new();
        let mut notices = claims.subscribe();
        claims.record(7, "main", "42-100", claim(1));
        let resolved = Claim {
            step: ModCallStep::Resolve,
            ..claim(2)
        };
        claims.record(7, "main", "42-100", resolved.clone());
        assert_eq!(claims.of_server(7, "main")["42-100"], resolved);
        assert!(claims.of_server(7, "side").is_empty());
        assert_eq!(notices.try_recv().unwrap(), (7, "main".to_owned()));
    }

    #[test]
    fn a_server_keeps_only_its_newest_claims() {
        let claims = ModCallClaims::new();
        for i in 0..=PER_SERVER {
            claims.record(7, "main", &format!("k{i}"), claim(i as i64));
        }
        let kept = claims.of_server(7, "main");
        assert_eq!(kept.len(), PER_SERVER);
        assert!(!kept.contains_key("k0") && kept.contains_key("k1"));
    }
}
