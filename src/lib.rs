//! erlc-bot: a Discord bot for ER:LC private-server communities.
//!
//! # Layers
//!
//! Every module of the library is a row below, and may name (as `crate::…`, or as `super::…`
//! up out of itself) only the modules in its "may use" cell. Rows go from the bottom of the
//! house to the top: a module uses only rows above its own, except that `discord` and
//! `commands` are one front end in two folders (commands use the framework's types, and
//! `discord` registers the commands). `tests/it/layers/` reads this table and fails on any path
//! it does not allow, and when its rows and the modules disagree. Code under `#[cfg(test)]` is
//! not held to it, as a dev-dependency would not be: a test may build fixtures from any layer.
//!
//! The format is part of the check: one row per module, the module name in backticks first,
//! "may use" last, as backticked names separated by commas, or `—` for nothing.
//!
//! | layer | job | may use |
//! |---|---|---|
//! | `clock` | time as a seam, so tests control it | — |
//! | `fingerprint` | short, non-reversible names for secrets, for logs and audit | — |
//! | `latency` | latency histograms (poll lateness, feed lag) for `/metrics` and the bench | — |
//! | `events` | event types, patterns (`?`, `*`) and the subscription index | — |
//! | `erlc` | the ER:LC API client: models, transport, limits, retries, cache, breaker, errors, commands, webhook verification | `clock`, `fingerprint` |
//! | `sim` | the PRC API simulator; it encodes its own JSON, to catch the client's decoding bugs | `clock`, `fingerprint` |
//! | `store` | the only module that names sled: settings, encrypted keys, audit, events, dedupe, outbox, inbox | `clock`, `erlc`, `events`, `fingerprint` |
//! | `config` | the typed configuration, read from the environment and checked at start | `erlc`, `fingerprint`, `store` |
//! | `sandbox` | a simulator inside the bot for a guild that has no API pack yet | `erlc`, `sim` |
//! | `tracker` | poll scheduling, snapshot diff into events, the latest snapshot per server | `erlc`, `events`, `latency`, `store` |
//! | `ui` | our own message model, escaping, custom ids, colours, names, times | `erlc`, `events` |
//! | `feeds` | route events to channels, render cards, batch, outbox, deliver through a `Sink` | `events`, `latency`, `store`, `ui` |
//! | `reports` | staff reports as pure functions: UTC days and weeks, quota arithmetic, CSV, PNG charts | — |
//! | `actions` | the use cases every front end shares: reads, moderation, settings, with capability checks and audit | `clock`, `erlc`, `events`, `feeds`, `reports`, `sandbox`, `store`, `tracker` |
//! | `custom_commands` | in-game `;` commands: parse, cool down, act, answer, audit; the durable consumer of staff commands from the command logs (`:log verify`, `:log shift`) and of staff joins and leaves (automatic shifts) | `actions`, `erlc`, `events`, `feeds`, `store`, `ui` |
//! | `views` | turn an action's result into a `ui` message | `actions`, `erlc`, `events`, `reports`, `store`, `ui` |
//! | `live` | the live state stream (SODP 1.0): frames, deltas, versioned states with delta rings, state keys and their ACL, tokens; the hub fed by tracker snapshots and the sessions | `actions`, `clock`, `erlc`, `events`, `store`, `tracker`, `ui` |
//! | `http` | the axum server: PRC webhooks, the live state WebSocket `/live`, `/metrics`, `/healthz` | `actions`, `clock`, `config`, `custom_commands`, `erlc`, `events`, `feeds`, `fingerprint`, `latency`, `live`, `store`, `tracker` |
//! | `discord` | poise framework, Data, error replies, the Discord sink, buttons and modals | `actions`, `commands`, `config`, `erlc`, `events`, `feeds`, `store`, `tracker`, `ui`, `views` |
//! | `commands` | slash commands, one file per group: parse, call an action, render a view | `actions`, `discord`, `erlc`, `feeds`, `live`, `reports`, `store`, `tracker`, `ui`, `views` |
//! | `app` | the composition root: builds and starts everything, owns the ordered shutdown | `actions`, `clock`, `commands`, `config`, `custom_commands`, `discord`, `erlc`, `events`, `feeds`, `fingerprint`, `http`, `live`, `sandbox`, `sim`, `store`, `tracker`, `ui`, `views` |
//! | `demo` | `erlc-bot demo`: the feed path on the console, against simulated servers | `app`, `events`, `feeds`, `sim`, `store`, `tracker` |
//! | `bench` | `erlc-bot bench`: measurements of the running system against the simulator | `actions`, `app`, `clock`, `config`, `erlc`, `events`, `feeds`, `fingerprint`, `latency`, `live`, `reports`, `sim`, `store`, `tracker`, `ui`, `views` |
//!
//! serenity and poise appear only in `discord` and `commands`, sled only in `store`.

#![warn(missing_docs)]

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
pub mod fingerprint;
pub mod http;
pub mod latency;
pub mod live;
pub mod reports;
pub mod sandbox;
pub mod sim;
pub mod store;
pub mod tracker;
pub mod ui;
pub mod views;

/// Slash commands live at the top level of the repository (one file per group).
#[path = "../commands/mod.rs"]
pub mod commands;
