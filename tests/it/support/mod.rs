//! Shared helpers for integration tests: the fake Discord harness and the real bot binary.
#![allow(dead_code)]

pub mod bot_process;
pub mod e2e;
pub mod fake_discord;
