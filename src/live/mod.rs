//! The live state stream, wire-compatible with SODP 1.0 (the State-Oriented Data Protocol):
//! clients WATCH a state key, get its value once, then versioned deltas; they may RESUME
//! after a drop, hold presence entries that vanish with their session, and CALL actions.
//!
//! The protocol without sockets: [`frame`] (the msgpack wire), [`delta`] (ops, diff, apply),
//! [`states`] (versions and delta rings), [`key`] (state key names and who may watch them)
//! and [`token`] (the JWTs that authenticate a session). On top of it: [`project`] (a poll as
//! the values of a server's keys), [`hub`] (the table fed by the tracker, fan-out, presence,
//! eviction), [`session`] (one client, independent of the transport), [`calls`] (CALL methods
//! as actions), [`dashboard`] (minting tokens), [`outbound`] and [`metrics`]. The WebSocket
//! itself is served by `http`.

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
