//! Reading the audit log: filtered, paged search (intents joined with their outcomes), chain
//! verification, and JSON Lines export of the stored records.

use super::AuditLog;
use super::record::{AuditOutcome, AuditRecord, GENESIS, StoredRecord};
use crate::store::StoreError;
use crate::store::db;

/// Page size when the query does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page served.
pub const MAX_LIMIT: usize = 1000;

/// A search over one guild's intents. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Inclusive lower bound on the intent's time.
    pub from_ms: Option<i64>,
    /// Exclusive upper bound on the intent's time.
    pub to_ms: Option<i64>,
    /// A decimal user/player id, or a name (ignoring case).
    pub actor: Option<String>,
    /// Exact target, ignoring case.
    pub target: Option<String>,
    /// Exact action.
    pub action: Option<String>,
    /// Page size; 0 means the default, and it is capped (`DEFAULT_LIMIT` and `MAX_LIMIT`
    /// in this module).
    pub limit: usize,
    /// Continue after this intent seq (the previous page's `next_after_seq`).
    pub after_seq: Option<u64>,
}

/// An intent and, once it finished, its completion record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// The record written before the action ran.
    pub intent: AuditRecord,
    /// The record of how it ended; `None` while pending, or if the process died mid-action.
    pub completion: Option<AuditRecord>,
}

impl AuditEntry {
    /// The outcome: the completion's, or `Pending` if the action never completed.
    pub fn outcome(&self) -> &AuditOutcome {
        self.completion
            .as_ref()
            .map_or(&self.intent.outcome, |c| &c.outcome)
    }

    /// Unix milliseconds the action finished; `None` while pending.
    pub fn completed_at_ms(&self) -> Option<i64> {
        self.completion.as_ref().and_then(|c| c.completed_at_ms)
    }
}

/// One page of results, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    /// The matching intents on this page, with their completions.
    pub entries: Vec<AuditEntry>,
    /// Set when the page is full: pass it as `after_seq` for the next page.
    pub next_after_seq: Option<u64>,
}

/// Result of walking a guild's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records checked (up to the first broken one).
    pub records: u64,
    /// The first record that breaks the chain, and why.
    pub first_broken: Option<(u64, String)>,
}

impl VerifyReport {
    /// True when every record's hash and link checked out.
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

impl AuditQuery {
    fn accepts(&self, r: &StoredRecord) -> bool {
        r.completes.is_none()
            && self.from_ms.is_none_or(|from| r.time_ms >= from)
            && self.to_ms.is_none_or(|to| r.time_ms < to)
            && self.actor.as_deref().is_none_or(|a| r.actor.matches(a))
            && self.action.as_deref().is_none_or(|a| r.action == a)
            && self.target.as_deref().is_none_or(|t| {
                r.target
                    .as_deref()
                    .is_some_and(|rt| rt.eq_ignore_ascii_case(t))
            })
    }
}

impl AuditLog {
    /// Search a guild's intents, oldest first, each joined with its outcome.
    pub fn search(&self, guild: u64, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let start = query.after_seq.map_or(0, |s| s.saturating_add(1));
        let range = db::guild_u64_key(guild, start)..=db::guild_u64_key(guild, u64::MAX);
        let mut entries = Vec::new();
        for entry in self.records.range(range) {
            let (_, raw) = entry?;
            let record = StoredRecord::decode(&raw)?;
            if !query.accepts(&record) {
                continue;
            }
            let completion = self.completion_of(guild, record.seq)?;
            entries.push(AuditEntry {
                intent: record.to_record()?,
                completion,
            });
            if entries.len() == limit {
                break;
            }
        }
        let next_after_seq = (entries.len() == limit)
            .then(|| entries.last().map(|e| e.intent.seq))
            .flatten();
        Ok(AuditPage {
            entries,
            next_after_seq,
        })
    }

    fn completion_of(&self, guild: u64, intent: u64) -> Result<Option<AuditRecord>, StoreError> {
        let Some(seq) = self.outcomes.get(db::guild_u64_key(guild, intent))? else {
            return Ok(None);
        };
        let seq = db::read_u64(&seq, 0)
            .ok_or_else(|| StoreError::corrupt("audit outcome index", "entry too short"))?;
        let raw = self
            .records
            .get(db::guild_u64_key(guild, seq))?
            .ok_or_else(|| {
                StoreError::corrupt("audit outcome index", "points at a missing record")
            })?;
        StoredRecord::decode(&raw)?.to_record().map(Some)
    }

    /// Walk the guild's chain from its start (or its pruning anchor) and report the first
    /// record that is missing, unreadable, edited, or linked wrongly.
    pub fn verify(&self, guild: u64) -> Result<VerifyReport, StoreError> {
        let (first_seq, mut prev_hash) = match self.anchor(guild)? {
            Some(anchor) => (anchor.first_seq, anchor.prev_hash),
            None => (1, hex::encode(GENESIS)),
        };
        let mut records = 0;
        for (expected, entry) in
            (first_seq..).zip(self.records.scan_prefix(db::guild_prefix(guild)))
        {
            let (key, raw) = entry?;
            match check_link(expected, &prev_hash, &key, &raw)? {
                Ok(record) => {
                    records += 1;
                    prev_hash = record.hash;
                }
                Err(broken) => {
                    return Ok(VerifyReport {
                        records,
                        first_broken: Some(broken),
                    });
                }
            }
        }
        Ok(VerifyReport {
            records,
            first_broken: None,
        })
    }

    /// Write every stored record of the guild (intents and completions) as one JSON line
    /// each, exactly as stored, so the chain can be re-verified elsewhere. Returns the count.
    pub fn export_jsonl(
        &self,
        guild: u64,
        mut out: impl std::io::Write,
    ) -> Result<u64, StoreError> {
        let mut count = 0;
        for entry in self.records.scan_prefix(db::guild_prefix(guild)) {
            let (_, raw) = entry?;
            out.write_all(&raw)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| StoreError::io("write the audit export", e))?;
            count += 1;
        }
        out.flush()
            .map_err(|e| StoreError::io("write the audit export", e))?;
        Ok(count)
    }
}

/// Check one stored record against the chain so far: the record if it links correctly, or
/// the seq where the chain breaks and why.
fn check_link(
    expected: u64,
    prev_hash: &str,
    key: &[u8],
    raw: &[u8],
) -> Result<Result<StoredRecord, (u64, String)>, StoreError> {
    let Some(key_seq) = db::read_u64(key, 8) else {
        return Ok(Err((expected, "a record key is malformed".into())));
    };
    if key_seq != expected {
        return Ok(Err((expected, format!("record {expected} is missing"))));
    }
    let record = match StoredRecord::decode(raw) {
        Ok(record) => record,
        Err(e) => return Ok(Err((key_seq, format!("the record is unreadable: {e}")))),
    };
    let problem = if record.seq != key_seq {
        Some(format!("stored at {key_seq} but numbered {}", record.seq))
    } else if record.prev_hash != prev_hash {
        Some("it does not link to the previous record's hash".to_owned())
    } else if record.compute_hash()? != record.hash {
        Some("its contents do not match its hash (edited after writing)".to_owned())
    } else if record.completes.is_some_and(|intent| intent >= key_seq) {
        Some("it completes an intent that comes after it".to_owned())
    } else {
        None
    };
    Ok(match problem {
        Some(why) => Err((key_seq, why)),
        None => Ok(record),
    })
}
