//! Persistence in sled. The only module that names sled; everything else uses its typed API.

pub mod error;

pub use error::StoreError;
