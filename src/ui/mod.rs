//! The UI kit every front end and feed builds on: our own message model with Discord's limits
//! ([`Message`]), escaping of game text, restart-proof button ids, colours, names, teams and
//! times. Knows nothing of serenity, sled, feeds or views; it reads only event and PRC model
//! data, so a reply, a panel and a feed card look alike because they share these pieces.

pub mod colours;
pub mod custom_id;
pub mod escape;
pub mod message;
pub mod names;
pub mod stars;
pub mod team;
pub mod time;

pub use custom_id::{ButtonAction, CustomId, CustomIdError};
pub use message::{Button, ButtonStyle, Embed, EmbedField, Message};
pub use team::TeamStyle;
