//! Persistence in sled. The only module that names sled; everything else uses its typed API.

pub mod dedupe;
pub mod error;
pub mod events;
pub mod keys;
pub mod outbox;

pub use dedupe::DedupeSet;
pub use error::StoreError;
pub use events::{
    Cursor, EventQuery, EventStore, Order, Page, PartitionRule, RetentionConfig, RetentionPolicy,
};
pub use outbox::{Outbox, OutboxEntry, PendingDelivery};
