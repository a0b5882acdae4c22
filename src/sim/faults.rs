//! Fault injection: scripted or seeded-random failures (5xx, PRC error codes, broken JSON,
//! dropped connections, latency), optionally scoped to a path and method.

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// A bare HTTP status with a non-JSON body, as a proxy in front of PRC would send.
    Status {
        /// The HTTP status to answer with.
        status: u16,
    },
    /// A PRC error body `{code, message}` (1001 also carries `commandId`) at its usual status.
    Prc {
        /// PRC's error code, e.g. 1001 or 9999.
        code: u16,
    },
    /// HTTP 200 whose body is not valid JSON.
    MalformedJson,
    /// The connection is closed without any response.
    Drop,
    /// The request is delayed, then served normally.
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
}

/// When a rule fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "when", rename_all = "snake_case")]
pub enum FaultTrigger {
    /// The next `count` matching requests.
    Next {
        /// Requests left to fail; the rule is spent at 0.
        count: u32,
    },
    /// Each matching request with probability `p`, drawn from the seeded generator.
    Probability {
        /// Chance per request, from 0.0 (never) to 1.0 (always).
        p: f64,
    },
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// What goes wrong.
    pub fault: FaultKind,
    /// Which matching requests it hits.
    pub trigger: FaultTrigger,
    /// Only requests whose path starts with this (e.g. `/v2/server`).
    #[serde(default)]
    pub path: Option<String>,
    /// Only requests with this method (e.g. `POST`).
    #[serde(default)]
    pub method: Option<String>,
}

/// A set of rules; the first matching rule that fires decides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// The rules, checked in order.
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// The next `count` requests fail with `fault`.
    pub fn next(count: u32, fault: FaultKind) -> Self {
        Self::single(fault, FaultTrigger::Next { count })
    }

    /// Each request fails with `fault` with probability `p`.
    pub fn probability(p: f64, fault: FaultKind) -> Self {
        Self::single(fault, FaultTrigger::Probability { p })
    }

    fn single(fault: FaultKind, trigger: FaultTrigger) -> Self {
        Self {
            rules: vec![FaultRule {
                fault,
                trigger,
                path: None,
                method: None,
            }],
        }
    }

    /// Scopes every rule to paths starting with `path`.
    pub fn on_path(mut self, path: &str) -> Self {
        for rule in &mut self.rules {
            rule.path = Some(path.to_owned());
        }
        self
    }

    /// Scopes every rule to one method.
    pub fn on_method(mut self, method: &str) -> Self {
        for rule in &mut self.rules {
            rule.method = Some(method.to_ascii_uppercase());
        }
        self
    }

    /// Both plans' rules, this one's first.
    pub fn and(mut self, other: FaultPlan) -> Self {
        self.rules.extend(other.rules);
        self
    }
}

/// Live fault rules plus the seeded generator for probabilistic ones.
#[derive(Debug)]
pub struct FaultState {
    rules: Vec<FaultRule>,
    rng: StdRng,
}

impl FaultState {
    /// No rules; probabilities drawn from a generator derived from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rules: Vec::new(),
            rng: StdRng::seed_from_u64(seed ^ 0xFA17),
        }
    }

    /// Replace the rules with `plan`'s.
    pub fn set(&mut self, plan: FaultPlan) {
        self.rules = plan.rules;
    }

    /// Remove every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The fault for this request, if any (consumes one use of a `Next` rule).
    pub fn take(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let mut fired = None;
        for (i, rule) in self.rules.iter_mut().enumerate() {
            let path_ok = rule.path.as_deref().is_none_or(|p| path.starts_with(p));
            let method_ok = rule
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method));
            if !(path_ok && method_ok) {
                continue;
            }
            let fires = match &mut rule.trigger {
                FaultTrigger::Next { count } if *count > 0 => {
                    *count -= 1;
                    true
                }
                FaultTrigger::Next { .. } => false,
                FaultTrigger::Probability { p } => {
                    let p = if p.is_finite() {
                        p.clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    self.rng.gen_bool(p)
                }
            };
            if fires {
                fired = Some((i, rule.fault.clone()));
                break;
            }
        }
        self.rules
            .retain(|r| !matches!(r.trigger, FaultTrigger::Next { count: 0 }));
        fired.map(|(_, fault)| fault)
    }
}

/// The HTTP status PRC answers a code with.
pub fn status_for_code(code: u16) -> u16 {
    match code {
        2000..=2004 | 4000 | 9998 => 403,
        3001 | 4002 | 4003 => 400,
        3002 => 422,
        4001 => 429,
        _ => 500,
    }
}

/// PRC's message for a code.
pub fn message_for_code(code: u16) -> &'static str {
    match code {
        0 => "Unknown error. If this persists, contact PRC via an API ticket.",
        1001 => "An error occurred communicating with Roblox / the in-game private server.",
        1002 => "An internal system error occurred.",
        3001 => "You did not provide a valid command in the request body.",
        3002 => "The server you are attempting to reach is currently offline (has no players).",
        4000 => "You are not authorized to perform this action on this server.",
        4001 => "You are being rate limited!",
        4002 => "The command you are attempting to run is restricted.",
        4003 => "The message you're trying to send is prohibited.",
        9998 => "The resource you are accessing is restricted.",
        9999 => {
            "The module running on the in-game server is out of date, please kick all and try again."
        }
        _ => "Unknown error.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_rules_fire_count_times_on_matching_paths_only() {
        let mut f = FaultState::new(1);
        f.set(FaultPlan::next(2, FaultKind::Prc { code: 1002 }).on_path("/v2/"));
        assert_eq!(f.take("GET", "/v1/server"), None);
        assert!(f.take("GET", "/v2/server").is_some());
        assert!(f.take("GET", "/v2/server").is_some());
        assert_eq!(f.take("GET", "/v2/server"), None);
    }

    #[test]
    fn probability_rules_are_seeded() {
        let draw = |seed| {
            let mut f = FaultState::new(seed);
            f.set(FaultPlan::probability(0.5, FaultKind::Drop));
            (0..32)
                .map(|_| f.take("GET", "/").is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(9), draw(9));
        assert!(draw(9).iter().any(|x| *x) && draw(9).iter().any(|x| !*x));
    }
}
