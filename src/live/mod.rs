//! The live state stream (SODP 1.0, wire-compatible with the published clients): dashboards
//! WATCH a server's state keys, get the value once and then only versioned deltas, RESUME
//! after a drop, hold presence, and CALL actions.
//!
//! The pure protocol: `frame` (the msgpack frames), `delta` (diff and apply), `states` (the
//! versioned table with its delta rings), `key` (state keys and their ACL), `token` (the JWTs).
//! On top: `project` (a poll as key values), `hub` (the table fed by the tracker, fan-out,
//! presence, eviction), `session` (one client, independent of the transport), `calls` (CALL
//! methods as actions), `dashboard` (minting tokens), `outbound` and `metrics`. The WebSocket
//! itself is in `http`.

pub mod calls;
pub mod dashboard;
pub mod delta;
pub mod frame;
pub mod hub;
pub mod key;
pub mod metrics;
pub mod outbound;
pub mod project;
pub mod session;
pub mod states;
pub mod token;

#[cfg(test)]
mod tests;
