//! What happens to a guild's audit log when the guild's data is removed: keep it, drop it, or
//! keep only recent days. Pruning removes the oldest records and leaves an anchor (the first
//! kept seq and the hash it links to), so the remaining chain still verifies.

use super::AuditLog;
use super::record::StoredRecord;
use crate::store::StoreError;
use crate::store::db::{self, Write};

/// Records removed per atomic step, so huge logs do not build huge transactions.
const BATCH: usize = 512;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The operator's choice for the audit log of a removed guild.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuditRetention {
    /// Keep every record (the default: the log is evidence).
    #[default]
    KeepAll,
    /// Delete the whole log.
    Drop,
    /// Delete records older than this many days; keep the rest.
    KeepDays(u32),
}

/// An `AUDIT_RETENTION` value that is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an audit retention; use `keep-all`, `drop`, or a number of days like `90d`")]
pub struct BadRetention(pub String);

impl std::str::FromStr for AuditRetention {
    type Err = BadRetention;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "keep-all" | "keep_all" | "all" => Ok(Self::KeepAll),
            "drop" | "none" => Ok(Self::Drop),
            other => other
                .strip_suffix('d')
                .unwrap_or(other)
                .parse()
                .map(Self::KeepDays)
                .map_err(|_| BadRetention(text.to_owned())),
        }
    }
}

impl std::fmt::Display for AuditRetention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::KeepAll => f.write_str("keep-all"),
            Self::Drop => f.write_str("drop"),
            Self::KeepDays(days) => write!(f, "{days}d"),
        }
    }
}

/// Where a pruned chain now starts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Anchor {
    pub first_seq: u64,
    pub prev_hash: String,
}

fn anchor_key(guild: u64) -> Vec<u8> {
    let mut key = b"audit_anchor/".to_vec();
    key.extend_from_slice(&guild.to_be_bytes());
    key
}

impl AuditLog {
    pub(super) fn anchor(&self, guild: u64) -> Result<Option<Anchor>, StoreError> {
        self.meta
            .get(anchor_key(guild))?
            .map(|raw| db::decode("audit anchor", &raw))
            .transpose()
    }

    /// Apply the operator's retention to a removed guild's log. Returns records removed.
    pub fn apply_retention(
        &self,
        guild: u64,
        retention: AuditRetention,
    ) -> Result<u64, StoreError> {
        match retention {
            AuditRetention::KeepAll => Ok(0),
            AuditRetention::Drop => self.drop_guild(guild),
            AuditRetention::KeepDays(days) => {
                let cutoff = self.clock.now_ms().saturating_sub(i64::from(days) * DAY_MS);
                self.prune_before(guild, cutoff)
            }
        }
    }

    /// Remove the guild's oldest records while they are older than `cutoff_ms`. The rest of
    /// the chain still verifies. Returns records removed.
    pub fn prune_before(&self, guild: u64, cutoff_ms: i64) -> Result<u64, StoreError> {
        let _guard = self.lock();
        let mut removed = 0;
        loop {
            let mut writes = Vec::new();
            let mut last = None;
            for entry in self
                .records
                .scan_prefix(db::guild_prefix(guild))
                .take(BATCH)
            {
                let (key, raw) = entry?;
                let record = StoredRecord::decode(&raw)?;
                if record.time_ms >= cutoff_ms {
                    break;
                }
                writes.push(Write::remove(0, key.to_vec()));
                writes.push(Write::remove(1, db::guild_u64_key(guild, record.seq)));
                last = Some(record);
            }
            let Some(last) = last else {
                break;
            };
            let anchor = Anchor {
                first_seq: last.seq + 1,
                prev_hash: last.hash,
            };
            writes.push(Write::put(2, anchor_key(guild), db::encode(&anchor)?));
            removed += (writes.len() as u64 - 1) / 2;
            db::apply_atomically(&[&self.records, &self.outcomes, &self.meta], &writes)?;
        }
        self.records.flush()?;
        Ok(removed)
    }

    /// Delete the guild's whole log, newest first, so an interrupted drop leaves a shorter
    /// chain that still verifies. Returns records removed.
    pub fn drop_guild(&self, guild: u64) -> Result<u64, StoreError> {
        let _guard = self.lock();
        let mut removed = 0;
        loop {
            let mut writes = Vec::new();
            for key in self
                .records
                .scan_prefix(db::guild_prefix(guild))
                .keys()
                .rev()
                .take(BATCH)
            {
                let key = key?;
                let seq = db::read_u64(&key, 8)
                    .ok_or_else(|| StoreError::corrupt("audit key", "shorter than 16 bytes"))?;
                writes.push(Write::remove(0, key.to_vec()));
                writes.push(Write::remove(1, db::guild_u64_key(guild, seq)));
            }
            if writes.is_empty() {
                break;
            }
            removed += writes.len() as u64 / 2;
            db::apply_atomically(&[&self.records, &self.outcomes], &writes)?;
        }
        self.meta.remove(anchor_key(guild))?;
        self.records.flush()?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_parses_and_prints() {
        for (text, want) in [
            ("keep-all", AuditRetention::KeepAll),
            ("DROP", AuditRetention::Drop),
            ("90d", AuditRetention::KeepDays(90)),
            ("30", AuditRetention::KeepDays(30)),
        ] {
            assert_eq!(text.parse::<AuditRetention>(), Ok(want), "{text}");
            assert_eq!(want.to_string().parse::<AuditRetention>(), Ok(want));
        }
        assert!("forever".parse::<AuditRetention>().is_err());
        assert!("-3d".parse::<AuditRetention>().is_err());
    }
}
