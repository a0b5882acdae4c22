//! The audit log: append-only, one hash chain per guild. An action is recorded as an intent
//! (flushed to disk before the action runs) and later a separate completion record carrying
//! its outcome, so an action that crashed half-way stays visible as pending.

mod query;
mod record;
mod redact;
mod retention;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::StoreError;
use super::db::{self, Write, trees};
use super::flusher::GroupFlush;
use super::settings::Settings;
use crate::clock::SharedClock;

pub use query::{AuditEntry, AuditPage, AuditQuery, VerifyReport};
pub use record::{AuditActor, AuditIntent, AuditOutcome, AuditRecord, Source};
use record::{GENESIS, StoredRecord};
pub use retention::{AuditRetention, BadRetention};

/// Proof that an intent was recorded; pass it to [`AuditLog::complete`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "complete the intent with its outcome"]
pub struct AuditTicket {
    guild: u64,
    seq: u64,
}

impl AuditTicket {
    /// The guild whose chain holds the intent.
    pub fn guild(&self) -> u64 {
        self.guild
    }

    /// The intent's sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// Handle to the audit log.
#[derive(Clone)]
pub struct AuditLog {
    records: sled::Tree,
    outcomes: sled::Tree,
    meta: sled::Tree,
    settings: Settings,
    clock: SharedClock,
    /// Appends read the chain's tip and write after it; one at a time.
    append_lock: Arc<Mutex<()>>,
    group_flush: GroupFlush,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").finish_non_exhaustive()
    }
}

/// Fields of a record about to be appended.
struct Draft {
    actor: AuditActor,
    source: Source,
    action: String,
    target: Option<String>,
    args: String,
    outcome: AuditOutcome,
    completes: Option<u64>,
    completed: bool,
}

impl AuditLog {
    pub(crate) fn open(
        db: &sled::Db,
        settings: Settings,
        clock: SharedClock,
    ) -> Result<Self, StoreError> {
        let records = db.open_tree(trees::AUDIT)?;
        Ok(Self {
            group_flush: GroupFlush::new(records.clone()),
            records,
            outcomes: db.open_tree(trees::AUDIT_OUTCOMES)?,
            meta: db.open_tree(trees::META)?,
            settings,
            clock,
            append_lock: Arc::new(Mutex::new(())),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.append_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Record an intent and flush it to disk before returning. Run the action only after
    /// this succeeds.
    pub fn begin(&self, guild: u64, intent: AuditIntent) -> Result<AuditTicket, StoreError> {
        let ticket = self.begin_deferred(guild, intent)?;
        self.records.flush()?;
        Ok(ticket)
    }

    /// [`AuditLog::begin`] for async code: the flush does not block the runtime thread.
    pub async fn begin_async(
        &self,
        guild: u64,
        intent: AuditIntent,
    ) -> Result<AuditTicket, StoreError> {
        let ticket = self.begin_deferred(guild, intent)?;
        self.group_flush.flush().await?;
        Ok(ticket)
    }

    /// Record an intent without waiting for the disk. Only for bulk writers that flush once
    /// for many records (and do not confirm each record to a person before that flush).
    pub fn begin_deferred(
        &self,
        guild: u64,
        intent: AuditIntent,
    ) -> Result<AuditTicket, StoreError> {
        let keys = self.settings.guild_server_keys(guild)?;
        let args = redact::redact(&intent.args, &keys);
        let draft = Draft {
            actor: intent.actor,
            source: intent.source,
            action: intent.action,
            target: intent.target.map(|t| redact::redact_text(&t, &keys)),
            args: serde_json::to_string(&args)
                .map_err(|e| StoreError::Invalid(format!("audit arguments: {e}")))?,
            outcome: AuditOutcome::Pending,
            completes: None,
            completed: false,
        };
        let seq = self.append(guild, draft)?;
        Ok(AuditTicket { guild, seq })
    }

    /// Record how an intent ended, as its own chained record, and flush it. Returns the
    /// completion record's seq.
    pub fn complete(&self, ticket: AuditTicket, outcome: AuditOutcome) -> Result<u64, StoreError> {
        let seq = self.complete_deferred(ticket, outcome)?;
        self.records.flush()?;
        Ok(seq)
    }

    /// [`AuditLog::complete`] for async code.
    pub async fn complete_async(
        &self,
        ticket: AuditTicket,
        outcome: AuditOutcome,
    ) -> Result<u64, StoreError> {
        let seq = self.complete_deferred(ticket, outcome)?;
        self.group_flush.flush().await?;
        Ok(seq)
    }

    /// [`AuditLog::complete`] without waiting for the disk (see [`AuditLog::begin_deferred`]).
    pub fn complete_deferred(
        &self,
        ticket: AuditTicket,
        outcome: AuditOutcome,
    ) -> Result<u64, StoreError> {
        if outcome == AuditOutcome::Pending {
            return Err(StoreError::Invalid(
                "an intent cannot be completed as pending".into(),
            ));
        }
        let intent_key = db::guild_u64_key(ticket.guild, ticket.seq);
        let raw = self.records.get(intent_key)?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "audit intent {} of guild {}",
                ticket.seq, ticket.guild
            ))
        })?;
        let intent = StoredRecord::decode(&raw)?;
        if intent.completes.is_some() {
            return Err(StoreError::Invalid(format!(
                "audit record {} is a completion, not an intent",
                ticket.seq
            )));
        }
        let draft = Draft {
            actor: intent.actor,
            source: intent.source,
            action: intent.action,
            target: intent.target,
            args: "null".into(),
            outcome,
            completes: Some(ticket.seq),
            completed: true,
        };
        self.append(ticket.guild, draft)
    }

    /// The seq and hash the next record of `guild` links to.
    fn tip(&self, guild: u64) -> Result<(u64, String), StoreError> {
        match self
            .records
            .scan_prefix(db::guild_prefix(guild))
            .next_back()
        {
            Some(entry) => {
                let (_, raw) = entry?;
                let last = StoredRecord::decode(&raw)?;
                Ok((last.seq + 1, last.hash))
            }
            None => Ok(self
                .anchor(guild)?
                .map(|a| (a.first_seq, a.prev_hash))
                .unwrap_or_else(|| (1, hex::encode(GENESIS)))),
        }
    }

    fn append(&self, guild: u64, draft: Draft) -> Result<u64, StoreError> {
        let _guard = self.lock();
        if let Some(intent) = draft.completes {
            if self
                .outcomes
                .contains_key(db::guild_u64_key(guild, intent))?
            {
                return Err(StoreError::Invalid(format!(
                    "audit intent {intent} is already completed"
                )));
            }
        }
        let (seq, prev_hash) = self.tip(guild)?;
        let now = self.clock.now_ms();
        let mut record = StoredRecord {
            seq,
            time_ms: now,
            actor: draft.actor,
            source: draft.source,
            action: draft.action,
            target: draft.target,
            args: draft.args,
            outcome: draft.outcome,
            completes: draft.completes,
            completed_at_ms: draft.completed.then_some(now),
            prev_hash,
            hash: String::new(),
        };
        record.hash = record.compute_hash()?;
        let key = db::guild_u64_key(guild, seq);
        let value = db::encode(&record)?;
        match record.completes {
            None => {
                self.records.insert(key, value)?;
            }
            Some(intent) => {
                let writes = [
                    Write::put(0, key, value),
                    Write::put(
                        1,
                        db::guild_u64_key(guild, intent),
                        seq.to_be_bytes().to_vec(),
                    ),
                ];
                db::apply_atomically(&[&self.records, &self.outcomes], &writes)?;
            }
        }
        Ok(seq)
    }
}

#[cfg(test)]
mod tests;
