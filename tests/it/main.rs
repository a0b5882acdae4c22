//! The integration tests, as one test binary: one module per area, the shared harnesses in
//! [`support`]. One binary links the crate (serenity, poise, axum and all) once instead of
//! once per file, and lets the compiler see which helpers nothing uses.
//!
//! Run one area with a filter on its module path, e.g. `cargo test --test it tracker_`.

mod support;

// The source tree itself: the layer map in src/lib.rs, checked.
mod layers;

// The ER:LC client against a scriptable stub, then against the simulator.
mod client_sim_commands;
mod client_sim_endpoints;
mod client_sim_errors;
mod client_sim_limits;
mod client_sim_resilience;
mod client_sim_secrets;
mod client_sim_webhooks;
mod transport_http;
mod transport_limits;
mod transport_resilience;

// The PRC API simulator on its own, over HTTP and as `erlc-bot sim`.
mod sim_activity_webhooks;
mod sim_auth_limits;
mod sim_cli;
mod sim_commands;
mod sim_endpoints;
mod sim_faults_control;

// Storage, including SIGKILL crash tests and the operator commands.
mod store;
mod store_cli;
mod store_crash;

// The tracker and the feed pipeline.
mod pipeline_crash;
mod pipeline_delivery;
mod pipeline_restart;
mod tracker_events;
mod tracker_restart;
mod tracker_schedule;

// Use cases through `Services`, and PRC's signed webhooks into the HTTP server.
mod actions_moderation;
mod actions_servers;
mod webhook_commands;
mod webhook_emergency_merge;
mod webhook_fuzz;
mod webhook_inbox;
mod webhook_verification;

// The real binary: the demo, and end to end against the fake Discord and the simulator.
mod bench_cli;
mod demo_cli;
mod e2e_ack;
mod e2e_activity;
mod e2e_admin;
mod e2e_cases;
mod e2e_commands;
mod e2e_feeds;
mod e2e_links;
mod e2e_modcalls;
mod e2e_moderation;
mod e2e_setup;
mod e2e_shifts;
mod e2e_start;
mod e2e_webhooks;
mod fake_discord_selftest;
mod live_smoke;
mod live_stream;

// The dashboard IPC through the real binary.
mod ipc;
