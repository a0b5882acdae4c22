//! erlc-bot: a Discord bot for ER:LC private-server communities.
//!
//! Layers, each using only those listed before it: `erlc` (PRC API client), `sim` (PRC API
//! simulator), `events`, `store`, then the tracker, feeds, HTTP server and Discord front end.

pub mod bench;
pub mod clock;
pub mod config;
pub mod demo;
pub mod erlc;
pub mod events;
pub mod feeds;
pub mod sim;
pub mod stack;
pub mod store;
pub mod tracker;
