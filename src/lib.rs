//! erlc-bot: a Discord bot for ER:LC private-server communities.
//!
//! Layers, each using only those listed before it: `erlc` (PRC API client), `sim` (PRC API
//! simulator), `events`, `store`, then the tracker, feeds, HTTP server and Discord front end.

pub mod actions;
pub mod app;
pub mod bench;
pub mod clock;
pub mod config;
pub mod custom_commands;
pub mod demo;
pub mod discord;
pub mod erlc;
pub mod events;
pub mod feeds;
pub mod http;
pub mod sandbox;
pub mod sim;
pub mod store;
pub mod tracker;
pub mod views;

/// Slash commands live at the top level of the repository (one file per group).
#[path = "../commands/mod.rs"]
pub mod commands;
