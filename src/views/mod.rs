//! Views: pure functions that turn live PRC data, stored events, audit records and guild
//! settings into our own message model ([`Message`]), so every slash-command reply is one
//! call here and the Discord layer only converts messages into serenity builders. No I/O, no
//! serenity, no sled. Game text is always escaped; every message is within Discord's limits.
//!
//! [`Message`]: crate::ui::Message

pub mod activity;
pub mod admin;
pub mod audit;
pub mod cases;
mod common;
pub mod dashboard;
pub mod health;
pub mod leaves;
mod lines;
pub mod links;
pub mod log_filter;
pub mod logs;
pub mod outcome;
pub mod paging;
pub mod player;
pub mod players;
pub mod servers;
pub mod shifts;

#[cfg(test)]
mod tests;

pub use common::Light;
pub use health::ServerHealthView;
pub use log_filter::{LOG_LINES_PER_PAGE, LogFilter, parse_span};
pub use logs::{LogKind, LogsRequest};
pub use paging::{GUILD_WIDE, PageInfo, PageTarget, PageTargetError, PagedView};
pub use servers::StatusParts;
