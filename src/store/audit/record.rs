//! Audit record types and the hash that chains them.
//!
//! A record's hash is SHA-256 over `"erlc-bot audit v1"`, the previous record's hash, and a
//! length-prefixed encoding of every other field (JSON text for the actor, source and outcome;
//! the stored argument text byte for byte). Stored records keep the argument JSON as text, so
//! the hash never depends on how numbers re-serialise.

use sha2::{Digest, Sha256};

use crate::store::StoreError;
use crate::store::db;

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditActor {
    /// A Discord user (id and name at the time).
    Discord {
        /// Discord user id.
        id: u64,
        /// Display name in the guild when they acted.
        name: String,
    },
    /// An in-game player (Roblox id when known).
    Player {
        /// Roblox user id; `None` when only the name was known.
        id: Option<u64>,
        /// Roblox username as the game reported it (`user <id>` when it gave none).
        name: String,
    },
    /// The bot itself or an operator tool, e.g. `tracker` or `cli`.
    System(String),
}

impl AuditActor {
    /// Does `needle` name this actor (decimal id, or name ignoring case)?
    pub fn matches(&self, needle: &str) -> bool {
        let (id, name) = match self {
            Self::Discord { id, name } => (Some(*id), name),
            Self::Player { id, name } => (*id, name),
            Self::System(name) => (None, name),
        };
        id.is_some_and(|id| id.to_string() == needle) || name.eq_ignore_ascii_case(needle)
    }
}

/// Where the action came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A slash command in Discord.
    SlashCommand,
    /// A button on a bot message (player panel, mod call card, confirmation, page).
    Button,
    /// A form opened by a button (kick or ban reason, private message).
    Modal,
    /// A PRC webhook, such as an in-game `;` command.
    Webhook,
    /// The tracker, acting on what it saw while polling a server.
    Tracker,
    /// An operator's `erlc-bot` command line.
    Cli,
    /// A dashboard, through the live state stream's CALLs (`/live`).
    Live,
    /// A dashboard through the bot's IPC (`IPC_SECRET`).
    Ipc,
    /// The bot's own timers, such as lifting a temp ban when it is due.
    Scheduler,
}

/// How the action ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Written before the action runs; stays so if the process died before completing it.
    Pending,
    /// The action did what was asked.
    Ok,
    /// The PRC API refused, with its error code.
    PrcError {
        /// PRC's numeric error code from its response.
        code: u32,
        /// What the error means, in words for the audit reader.
        message: String,
    },
    /// Our command policy refused it before it was sent.
    RefusedByPolicy(String),
    /// The member lacked a capability the action needs; holds which one.
    PermissionDenied(String),
    /// Anything else that stopped the action; holds the explanation shown in `/audit`.
    Failed(String),
}

/// What a caller records before acting.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditIntent {
    /// Who is acting.
    pub actor: AuditActor,
    /// Which way the action came in.
    pub source: Source,
    /// A short verb such as `server.add` or `command.kick`.
    pub action: String,
    /// What it acts on (a player, a server label), if anything; server keys in it are redacted.
    pub target: Option<String>,
    /// Arguments; secrets are redacted before they are stored.
    pub args: serde_json::Value,
}

/// One record of a guild's audit chain: an intent, or the completion of an earlier intent.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Position in the guild's chain: 1 for its first record, then one more for each record
    /// (pruning old records does not renumber the rest).
    pub seq: u64,
    /// Unix milliseconds when the record was written.
    pub time_ms: i64,
    /// Who acted (a completion repeats its intent's actor).
    pub actor: AuditActor,
    /// Which way the action came in.
    pub source: Source,
    /// The verb, such as `command.kick` (a completion repeats its intent's).
    pub action: String,
    /// What was acted on, redacted as stored.
    pub target: Option<String>,
    /// The redacted arguments of an intent; `null` on a completion.
    pub args: serde_json::Value,
    /// `Pending` on an intent; how it ended on a completion.
    pub outcome: AuditOutcome,
    /// For a completion record, the seq of the intent it completes.
    pub completes: Option<u64>,
    /// Unix milliseconds the intent was completed (a completion's `time_ms`); `None` on an
    /// intent.
    pub completed_at_ms: Option<i64>,
    /// Hex SHA-256 of the previous record (all zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 of this record's fields and `prev_hash`; a change anywhere breaks the chain.
    pub hash: String,
}

/// The stored form: exactly the bytes the hash covers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredRecord {
    pub seq: u64,
    pub time_ms: i64,
    pub actor: AuditActor,
    pub source: Source,
    pub action: String,
    pub target: Option<String>,
    /// Argument JSON, as text.
    pub args: String,
    pub outcome: AuditOutcome,
    pub completes: Option<u64>,
    pub completed_at_ms: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash a chain starts from.
pub(crate) const GENESIS: [u8; 32] = [0; 32];

fn push_field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

fn json_text<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Invalid(format!("could not encode an audit field: {e}")))
}

impl StoredRecord {
    /// The hash this record should carry, given its fields and `prev_hash`.
    pub fn compute_hash(&self) -> Result<String, StoreError> {
        let mut h = Sha256::new();
        h.update(b"erlc-bot audit v1");
        push_field(&mut h, self.prev_hash.as_bytes());
        h.update(self.seq.to_be_bytes());
        h.update(self.time_ms.to_be_bytes());
        push_field(&mut h, json_text(&self.actor)?.as_bytes());
        push_field(&mut h, json_text(&self.source)?.as_bytes());
        push_field(&mut h, self.action.as_bytes());
        push_field(&mut h, json_text(&self.target)?.as_bytes());
        push_field(&mut h, self.args.as_bytes());
        push_field(&mut h, json_text(&self.outcome)?.as_bytes());
        push_field(&mut h, json_text(&self.completes)?.as_bytes());
        push_field(&mut h, json_text(&self.completed_at_ms)?.as_bytes());
        Ok(hex::encode(h.finalize()))
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        db::decode("audit record", bytes)
    }

    /// The public form, with arguments parsed.
    pub fn to_record(&self) -> Result<AuditRecord, StoreError> {
        let args = serde_json::from_str(&self.args).map_err(|e| {
            StoreError::corrupt(format!("arguments of audit record {}", self.seq), e)
        })?;
        Ok(AuditRecord {
            seq: self.seq,
            time_ms: self.time_ms,
            actor: self.actor.clone(),
            source: self.source,
            action: self.action.clone(),
            target: self.target.clone(),
            args,
            outcome: self.outcome.clone(),
            completes: self.completes,
            completed_at_ms: self.completed_at_ms,
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredRecord {
        StoredRecord {
            seq: 1,
            time_ms: 5,
            actor: AuditActor::Discord {
                id: 7,
                name: "ann".into(),
            },
            source: Source::SlashCommand,
            action: "command.kick".into(),
            target: Some("bob".into()),
            args: r#"{"reason":"rdm","n":1.1}"#.into(),
            outcome: AuditOutcome::Pending,
            completes: None,
            completed_at_ms: None,
            prev_hash: hex::encode(GENESIS),
            hash: String::new(),
        }
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = sample().compute_hash().unwrap();
        assert_eq!(base, sample().compute_hash().unwrap());
        let edits: Vec<fn(&mut StoredRecord)> = vec![
            |r| r.seq = 2,
            |r| r.time_ms = 6,
            |r| r.actor = AuditActor::System("x".into()),
            |r| r.source = Source::Button,
            |r| r.action = "command.ban".into(),
            |r| r.target = None,
            |r| r.args = r#"{"reason":"rdm","n":1.10}"#.into(),
            |r| r.outcome = AuditOutcome::Ok,
            |r| r.completes = Some(1),
            |r| r.completed_at_ms = Some(1),
            |r| r.prev_hash = "00".into(),
        ];
        for edit in edits {
            let mut r = sample();
            edit(&mut r);
            assert_ne!(r.compute_hash().unwrap(), base, "{r:?}");
        }
    }

    #[test]
    fn stored_form_round_trips_through_json() {
        let mut r = sample();
        r.hash = r.compute_hash().unwrap();
        let back = StoredRecord::decode(&serde_json::to_vec(&r).unwrap()).unwrap();
        assert_eq!(back.compute_hash().unwrap(), r.hash);
        assert_eq!(back.to_record().unwrap().args["reason"], "rdm");
    }

    #[test]
    fn actor_matching() {
        let a = AuditActor::Discord {
            id: 42,
            name: "Ann".into(),
        };
        assert!(a.matches("42") && a.matches("ann") && !a.matches("4"));
        assert!(
            AuditActor::Player {
                id: None,
                name: "Bob".into()
            }
            .matches("BOB")
        );
        assert!(AuditActor::System("tracker".into()).matches("tracker"));
    }
}
