//! Circuit breakers: after repeated transient failures on one bucket, stop sending for a
//! cool-off, then let exactly one probe through to decide whether to resume.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::SharedClock;

use super::error::ErlcError;

/// Circuit breaker settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive transient failures that open the breaker. 0 disables breakers.
    pub threshold: u32,
    /// How long an open breaker fails fast before letting one probe through.
    pub cool_off: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            threshold: 5,
            cool_off: Duration::from_secs(30),
        }
    }
}

/// Whether an error says PRC, Roblox or the network is struggling (as opposed to PRC answering
/// coherently that something is wrong with the request).
pub(crate) fn is_transient_failure(err: &ErlcError) -> bool {
    match err {
        ErlcError::Network { .. }
        | ErlcError::Unknown(_)
        | ErlcError::RobloxCommunication(_)
        | ErlcError::InternalError(_) => true,
        ErlcError::Http { status, .. } => *status >= 500,
        ErlcError::UnrecognizedCode { info, .. } => info.http_status >= 500,
        _ => false,
    }
}

/// How one call ended, from the breaker's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallOutcome {
    /// PRC answered coherently (2xx, or a deliberate refusal).
    Healthy,
    /// A transient failure: counts towards opening.
    Failed,
    /// Says nothing about health (a 429): neither resets nor counts.
    Neutral,
}

impl CallOutcome {
    pub fn of(result: Result<(), &ErlcError>) -> Self {
        match result {
            Ok(()) => CallOutcome::Healthy,
            Err(ErlcError::RateLimited { .. }) => CallOutcome::Neutral,
            Err(err) if is_transient_failure(err) => CallOutcome::Failed,
            Err(_) => CallOutcome::Healthy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until_ms: i64 },
    HalfOpen { probing: bool },
}

#[derive(Debug)]
pub(crate) struct Breakers {
    config: BreakerConfig,
    clock: SharedClock,
    states: Mutex<HashMap<String, State>>,
}

/// Permission to send one call; report how it went with [`Ticket::record`]. Dropping it
/// unrecorded (the caller gave up) frees the probe slot for the next caller.
#[derive(Debug)]
pub(crate) struct Ticket {
    breakers: Arc<Breakers>,
    name: String,
    probe: bool,
    recorded: bool,
}

impl Breakers {
    pub fn new(config: BreakerConfig, clock: SharedClock) -> Self {
        Self {
            config,
            clock,
            states: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        self.states.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ask to send a call under breaker `name`. `Err` carries how long until a probe may go.
    pub fn admit(self: &Arc<Self>, name: &str) -> Result<Ticket, Duration> {
        let ticket = |probe| Ticket {
            breakers: Arc::clone(self),
            name: name.to_owned(),
            probe,
            recorded: false,
        };
        if self.config.threshold == 0 {
            return Ok(ticket(false));
        }
        let now = self.clock.now_ms();
        let mut states = self.lock();
        let state = states
            .entry(name.to_owned())
            .or_insert(State::Closed { failures: 0 });
        match *state {
            State::Closed { .. } => Ok(ticket(false)),
            State::Open { until_ms } if now < until_ms => Err(ms(until_ms - now)),
            State::Open { .. } | State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                Ok(ticket(true))
            }
            State::HalfOpen { probing: true } => Err(Duration::ZERO),
        }
    }

    /// Breakers currently refusing calls, with the time until their probe, sorted by name.
    pub fn open(&self) -> Vec<(String, Duration)> {
        let now = self.clock.now_ms();
        let mut open: Vec<_> = self
            .lock()
            .iter()
            .filter_map(|(name, state)| match state {
                State::Open { until_ms } if now < *until_ms => {
                    Some((name.clone(), ms(until_ms - now)))
                }
                _ => None,
            })
            .collect();
        open.sort();
        open
    }

    /// Returns true when this outcome opened the breaker.
    fn record(&self, name: &str, probe: bool, outcome: CallOutcome) -> bool {
        let now = self.clock.now_ms();
        let open_until = now.saturating_add(self.config.cool_off.as_millis() as i64);
        let mut states = self.lock();
        let state = states
            .entry(name.to_owned())
            .or_insert(State::Closed { failures: 0 });
        match (*state, outcome) {
            (State::HalfOpen { .. }, _) if !probe => false,
            (State::HalfOpen { .. }, CallOutcome::Healthy) => {
                *state = State::Closed { failures: 0 };
                false
            }
            (State::HalfOpen { .. }, CallOutcome::Failed) => {
                *state = State::Open {
                    until_ms: open_until,
                };
                true
            }
            (State::HalfOpen { .. }, CallOutcome::Neutral) => {
                *state = State::HalfOpen { probing: false };
                false
            }
            (State::Closed { .. }, CallOutcome::Healthy) => {
                *state = State::Closed { failures: 0 };
                false
            }
            (State::Closed { failures }, CallOutcome::Failed) => {
                let failures = failures.saturating_add(1);
                if failures >= self.config.threshold {
                    *state = State::Open {
                        until_ms: open_until,
                    };
                    true
                } else {
                    *state = State::Closed { failures };
                    false
                }
            }
            // Late answers to calls admitted before the breaker opened change nothing.
            (State::Closed { .. }, CallOutcome::Neutral) | (State::Open { .. }, _) => false,
        }
    }

    fn abandon_probe(&self, name: &str) {
        let mut states = self.lock();
        if let Some(state @ State::HalfOpen { probing: true }) = states.get_mut(name) {
            *state = State::HalfOpen { probing: false };
        }
    }
}

impl Ticket {
    /// Report how the call went. Returns true when this opened the breaker.
    pub fn record(mut self, outcome: CallOutcome) -> bool {
        self.recorded = true;
        if self.breakers.config.threshold == 0 {
            return false;
        }
        self.breakers.record(&self.name, self.probe, outcome)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.recorded && self.probe {
            self.breakers.abandon_probe(&self.name);
        }
    }
}

fn ms(millis: i64) -> Duration {
    Duration::from_millis(millis.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn setup() -> (Arc<ManualClock>, Arc<Breakers>) {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let config = BreakerConfig {
            threshold: 3,
            cool_off: Duration::from_secs(10),
        };
        (clock.clone(), Arc::new(Breakers::new(config, clock)))
    }

    fn fail(b: &Arc<Breakers>) -> bool {
        b.admit("bucket").unwrap().record(CallOutcome::Failed)
    }

    #[test]
    fn opens_after_threshold_then_probes_once_then_closes() {
        let (clock, b) = setup();
        assert!(!fail(&b));
        assert!(!fail(&b));
        assert!(fail(&b), "third consecutive failure opens");
        assert_eq!(b.admit("bucket").unwrap_err(), Duration::from_secs(10));
        assert_eq!(
            b.open(),
            vec![("bucket".to_owned(), Duration::from_secs(10))]
        );
        assert!(b.admit("other").is_ok(), "breakers are per name");

        clock.advance_ms(10_000);
        let probe = b.admit("bucket").expect("one probe after cool-off");
        assert!(
            b.admit("bucket").is_err(),
            "concurrent callers still fail fast"
        );
        assert!(!probe.record(CallOutcome::Healthy));
        assert!(b.admit("bucket").is_ok(), "closed again");
        assert!(!fail(&b), "failure count restarted from zero");
    }

    #[test]
    fn failed_probe_reopens_and_success_resets_count() {
        let (clock, b) = setup();
        fail(&b);
        fail(&b);
        b.admit("bucket").unwrap().record(CallOutcome::Healthy);
        assert!(!fail(&b) && !fail(&b), "success reset the streak");
        assert!(fail(&b));
        clock.advance_ms(10_000);
        assert!(
            b.admit("bucket").unwrap().record(CallOutcome::Failed),
            "probe failure reopens"
        );
        assert_eq!(b.admit("bucket").unwrap_err(), Duration::from_secs(10));
    }

    #[test]
    fn abandoned_or_neutral_probe_frees_the_slot() {
        let (clock, b) = setup();
        for _ in 0..3 {
            fail(&b);
        }
        clock.advance_ms(10_000);
        drop(b.admit("bucket").unwrap());
        let probe = b.admit("bucket").expect("slot freed by the dropped probe");
        assert!(!probe.record(CallOutcome::Neutral));
        assert!(
            b.admit("bucket").is_ok(),
            "a 429 probe lets the next caller probe"
        );
        // Neutral outcomes while closed neither count nor reset.
        let (_, b) = setup();
        fail(&b);
        fail(&b);
        b.admit("bucket").unwrap().record(CallOutcome::Neutral);
        assert!(fail(&b));
    }

    #[test]
    fn threshold_zero_disables() {
        let clock = Arc::new(ManualClock::new(0));
        let b = Arc::new(Breakers::new(
            BreakerConfig {
                threshold: 0,
                cool_off: Duration::from_secs(1),
            },
            clock,
        ));
        for _ in 0..10 {
            assert!(!fail(&b));
        }
    }

    #[test]
    fn classifies_outcomes() {
        let info = crate::erlc::error::PrcErrorInfo {
            endpoint: "GET /v2/server".into(),
            http_status: 500,
            message: String::new(),
            command_id: None,
        };
        assert_eq!(
            CallOutcome::of(Err(&ErlcError::from_code(1001, info.clone()))),
            CallOutcome::Failed
        );
        assert_eq!(
            CallOutcome::of(Err(&ErlcError::from_code(0, info.clone()))),
            CallOutcome::Failed
        );
        assert_eq!(
            CallOutcome::of(Err(&ErlcError::from_code(2002, info.clone()))),
            CallOutcome::Healthy
        );
        assert_eq!(
            CallOutcome::of(Err(&ErlcError::from_code(4001, info))),
            CallOutcome::Neutral
        );
        let http = |status| ErlcError::Http {
            endpoint: String::new(),
            status,
            body_snippet: String::new(),
        };
        assert_eq!(CallOutcome::of(Err(&http(503))), CallOutcome::Failed);
        assert_eq!(CallOutcome::of(Err(&http(404))), CallOutcome::Healthy);
        assert_eq!(CallOutcome::of(Ok(())), CallOutcome::Healthy);
    }
}
