//! `/vehicles` and `/bans`: paged lists.

use crate::erlc::models::{Bans, Vehicle};
use crate::feeds::message::FeedMessage;

use super::super::paging::PageInfo;

/// `/vehicles`: owner, model, plate and colour (a swatch and its name).
pub fn vehicles_page(
    label: &str,
    vehicles: &[Vehicle],
    page: usize,
    per_page: usize,
) -> (FeedMessage, PageInfo) {
    let _ = (label, vehicles, page, per_page);
    todo!()
}

/// `/bans`: banned users with profile links and ids.
pub fn bans_page(
    label: &str,
    bans: &Bans,
    page: usize,
    per_page: usize,
) -> (FeedMessage, PageInfo) {
    let _ = (label, bans, page, per_page);
    todo!()
}
