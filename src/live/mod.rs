//! The live state stream, wire-compatible with SODP 1.0 (the State-Oriented Data Protocol):
//! clients WATCH a state key, get its value once, then versioned deltas; they may RESUME
//! after a drop and hold presence entries that vanish with their session.
//!
//! This part is the protocol without sockets: [`frame`] (the msgpack wire), [`delta`] (ops,
//! diff, apply), [`states`] (versions and delta rings), [`key`] (state key names and who may
//! watch them) and [`token`] (the JWTs that authenticate a session).

pub mod delta;
pub mod frame;
pub mod key;
pub mod states;
pub mod token;
