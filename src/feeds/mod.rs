//! Feeds: turn stored events into channel posts. Route each event to the channels whose
//! patterns and filters want it, render it as a card in the [`crate::ui`] message model, batch
//! cards within Discord's limits, and hand planned messages to a [`Sink`]. Knows nothing of
//! serenity or sled. The [`pipeline`] ties it together with the store: routing cursors,
//! the outbox, and delivery with retries (see [`deliver`]).

pub mod batch;
pub mod deliver;
pub mod pipeline;
pub mod render;
pub mod route;
pub mod sink;

pub use batch::{BatchConfig, Batcher, EditTarget, EventRef, Packing, PlannedMessage, nonce_for};
pub use deliver::DeliveryRetry;
pub use pipeline::{FeedPipeline, PipelineConfig, PipelineError, PipelineStats, StatsSnapshot};
pub use render::{Card, LiveCard, ModCallProgress, mod_call_progress, render_event};
pub use route::{FeedRoute, FeedRouter, Preset, RouteFilters, preset, presets};
pub use sink::{ConsoleSink, RecordingSink, Sink, SinkError, SinkFuture};
