//! Shared helpers for integration tests: the fake Discord harness.
#![allow(dead_code)]

pub mod fake_discord;
