//! Guild configuration replies: feeds (`/feed list|add|remove`), role permissions
//! (`/permissions list|set`) and what each capability allows. Channels and roles appear as
//! `<#id>` / `<@&id>`: our own text, which Discord renders as names and never pings in embeds.

use std::collections::{BTreeMap, BTreeSet};

use crate::feeds::message::FeedMessage;
use crate::store::settings::{Capability, FeedSubscription};

/// `/feed list`.
pub fn feed_list(feeds: &[FeedSubscription]) -> FeedMessage {
    let _ = feeds;
    todo!()
}

/// `/feed add`: what the channel now receives.
pub fn feed_saved(feed: &FeedSubscription) -> FeedMessage {
    let _ = feed;
    todo!()
}

/// `/feed remove`: `existed` says whether the channel had a feed.
pub fn feed_removed(channel_id: u64, existed: bool) -> FeedMessage {
    let _ = (channel_id, existed);
    todo!()
}

/// `/permissions list`: role → capabilities.
pub fn permissions_list(roles: &BTreeMap<u64, BTreeSet<Capability>>) -> FeedMessage {
    let _ = roles;
    todo!()
}

/// `/permissions set`: the role's capabilities now (empty: removed).
pub fn permissions_saved(role_id: u64, capabilities: &BTreeSet<Capability>) -> FeedMessage {
    let _ = (role_id, capabilities);
    todo!()
}

/// What each capability allows, for `/permissions` help.
pub fn capabilities_help() -> FeedMessage {
    todo!()
}
