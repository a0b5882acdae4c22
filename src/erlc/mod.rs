//! The ER:LC (PRC Private Server API) client. Knows nothing of Discord or sled.

pub mod command;
pub mod error;
pub mod key;
pub mod models;

pub use error::{ErlcError, ErrorKind, PolicyViolation, PrcErrorInfo};
pub use key::{GlobalKey, KeyFormatError, ServerKey};
