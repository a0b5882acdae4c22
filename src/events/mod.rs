//! Events: what happened on an ER:LC server, named by `/`-separated types, and the patterns
//! feeds and features subscribe with. Knows nothing of Discord or sled.

pub mod types;

pub use types::{EventType, EventTypeError, Pattern, PatternSegment, validate_segment};
