//! Live lists from a server: players (paged, by team), staff online, the queue, vehicles,
//! bans and active 911 calls.

mod calls;
mod lists;

pub use calls::emergency_calls;
pub use lists::{bans_page, vehicles_page};

use crate::erlc::models::{Player, StaffV2};
use crate::feeds::message::FeedMessage;

use super::paging::PageInfo;

/// Players per page of `/players`.
pub const PLAYERS_PER_PAGE: usize = 20;
/// Vehicles per page of `/vehicles`.
pub const VEHICLES_PER_PAGE: usize = 15;
/// Bans per page of `/bans`.
pub const BANS_PER_PAGE: usize = 25;

/// `/players`: sorted by team then name, with callsign, staff badge and wanted stars.
/// `team_filter` keeps one team (matched ignoring case); `page` counts from 0 and is clamped.
pub fn players_page(
    label: &str,
    players: &[Player],
    team_filter: Option<&str>,
    page: usize,
    per_page: usize,
) -> (FeedMessage, PageInfo) {
    let _ = (label, players, team_filter, page, per_page);
    todo!()
}

/// `/staff`: staff in game now (from the player list), and the roster with who is online.
pub fn staff(
    label: &str,
    online: &[Player],
    roster: Option<&StaffV2>,
    co_owners: &[u64],
) -> FeedMessage {
    let _ = (label, online, roster, co_owners);
    todo!()
}

/// `/queue`: user ids in queue order, named where `name_of` knows them.
pub fn queue(label: &str, queue: &[u64], name_of: &dyn Fn(u64) -> Option<String>) -> FeedMessage {
    let _ = (label, queue, name_of);
    todo!()
}
