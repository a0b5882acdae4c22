//! Events: what happened on an ER:LC server, named by `/`-separated types, and the patterns
//! feeds and features subscribe with. Knows nothing of Discord or sled.

pub mod catalog;
pub mod event;
pub mod index;
pub mod types;

#[cfg(test)]
pub(crate) mod fixtures;

pub use event::{Event, NewEvent};
pub use index::SubscriptionIndex;
pub use types::{EventType, EventTypeError, Pattern, PatternSegment, validate_segment};
