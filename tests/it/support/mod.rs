//! Shared harnesses for the integration tests: the fake Discord, the real bot binary as a child
//! process, and the set-up each area of tests shares (a simulator, a store, a client, a
//! pipeline, the HTTP server, a scriptable PRC stub).

pub mod actions;
pub mod bot_process;
pub mod child;
pub mod client_sim;
pub mod e2e;
pub mod fake_discord;
pub mod pipeline;
pub mod sim;
pub mod tracker;
pub mod transport_stub;
pub mod webhook;
