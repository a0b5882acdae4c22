//! The ER:LC (PRC Private Server API) client. Knows nothing of Discord or sled.

pub mod command;
pub mod error;
pub mod key;
pub mod models;
pub mod webhook;

pub use command::{
    CommandBuildError, CommandPolicy, FireKind, GameCommand, PlayerName, Target, Targets, Weather,
    canonical_command_name,
};
pub use error::{ErlcError, ErrorKind, PolicyViolation, PrcErrorInfo};
pub use key::{GlobalKey, KeyFormatError, ServerKey};
pub use models::{
    AccVerifiedReq, Bans, CommandLog, CommandResponse, EmergencyCall, IdMap, Include, JoinLog,
    KillLog, Location, ModCall, Permission, Player, PlayerRef, ServerInfo, StaffV1, StaffV2, Team,
    V2Server, Vehicle,
};
pub use webhook::{
    WebhookBatch, WebhookEmergencyCall, WebhookEvent, WebhookEventData, WebhookKeyError,
    WebhookRejection, WebhookVerifier, decode_batch,
};
