//! Retention: which partition an event type belongs to, how long each partition keeps
//! events, the batched cleanup that enforces it, and the purge of a guild's whole history.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::events::{EventType, Pattern, validate_segment};
use crate::store::StoreError;
use crate::store::keys::{KeyReader, decode_u64};

use super::chunk::{ChunkEdits, events_in};
use super::{CounterDeltas, EventStore, index_keys, layout};

/// Limits for one partition, applied per guild. Oldest events (by source time) go first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// Keep at most this many events.
    pub max_entries: Option<u64>,
    /// Drop events whose source time is older than this.
    pub max_age: Option<Duration>,
    /// Never go below this many events, whatever the other limits say.
    pub min_keep: u64,
}

/// Event types matching `pattern` go to `partition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRule {
    /// Event types this rule claims, such as `?/kill/*` (kills on any server).
    pub pattern: Pattern,
    /// Name of the partition they go to (a short plain word).
    pub partition: String,
}

/// The partition mapping (first matching rule wins, else `fallback_partition`) and the
/// policy of each partition. A partition without a policy keeps everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionConfig {
    /// Tried in order; the first rule whose pattern matches decides the partition.
    pub rules: Vec<PartitionRule>,
    /// The partition of event types no rule matches.
    pub fallback_partition: String,
    /// Limits by partition name.
    pub policies: BTreeMap<String, RetentionPolicy>,
}

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn policy(max_entries: u64, max_age: Duration, min_keep: u64) -> RetentionPolicy {
    RetentionPolicy {
        max_entries: Some(max_entries),
        max_age: Some(max_age),
        min_keep,
    }
}

impl Default for RetentionConfig {
    /// moderation (command, ban, modcall, emergency): 1,000,000 events / 365 days, keep
    /// 10,000; traffic (player, staff, kill, vehicle, queue): 200,000 / 30 days, keep 1,000;
    /// system (server, feed): 20,000 / 30 days, keep 100; other: 100,000 / 90 days, keep 1,000.
    fn default() -> Self {
        let kinds = [
            ("command", "moderation"),
            ("ban", "moderation"),
            ("modcall", "moderation"),
            ("emergency", "moderation"),
            ("player", "traffic"),
            ("staff", "traffic"),
            ("kill", "traffic"),
            ("vehicle", "traffic"),
            ("queue", "traffic"),
            ("server", "system"),
            ("feed", "system"),
        ];
        let rules = kinds
            .iter()
            .filter_map(|(kind, partition)| {
                Some(PartitionRule {
                    pattern: Pattern::parse(&format!("?/{kind}/*")).ok()?,
                    partition: (*partition).to_owned(),
                })
            })
            .collect();
        let policies = BTreeMap::from([
            (
                "moderation".to_owned(),
                policy(1_000_000, 365 * DAY, 10_000),
            ),
            ("traffic".to_owned(), policy(200_000, 30 * DAY, 1_000)),
            ("system".to_owned(), policy(20_000, 30 * DAY, 100)),
            ("other".to_owned(), policy(100_000, 90 * DAY, 1_000)),
        ]);
        Self {
            rules,
            fallback_partition: "other".to_owned(),
            policies,
        }
    }
}

impl RetentionConfig {
    /// The partition an event type is stored and limited in.
    pub fn partition_of(&self, event_type: &EventType) -> &str {
        self.rules
            .iter()
            .find(|rule| rule.pattern.matches(event_type))
            .map_or(self.fallback_partition.as_str(), |rule| {
                rule.partition.as_str()
            })
    }

    /// Partition names must be short plain words, and every policy must name a partition
    /// some rule (or the fallback) can produce.
    pub fn validate(&self) -> Result<(), StoreError> {
        let named = self
            .rules
            .iter()
            .map(|rule| rule.partition.as_str())
            .chain([self.fallback_partition.as_str()]);
        for partition in named.clone() {
            validate_segment(partition).map_err(|e| {
                StoreError::Invalid(format!("retention partition name `{partition}`: {e}"))
            })?;
        }
        let named: Vec<&str> = named.collect();
        if let Some(orphan) = self.policies.keys().find(|p| !named.contains(&p.as_str())) {
            return Err(StoreError::Invalid(format!(
                "retention policy for `{orphan}`, but no rule maps events to that partition; \
                 add a rule or fix the name"
            )));
        }
        Ok(())
    }
}

/// What one cleanup batch deletes, gathered to be written at once.
#[derive(Default)]
struct Deletions {
    batch: sled::Batch,
    counters: CounterDeltas,
    chunks: ChunkEdits,
}

impl EventStore {
    /// Remove up to `batch_size` of the oldest events beyond their partition's limits
    /// (never below `min_keep`), with their index entries, counters and dedupe keys, in one
    /// atomic batch. Returns how many were removed; call again until it returns 0.
    pub fn cleanup_batch(&self, now_ms: i64, batch_size: usize) -> Result<usize, StoreError> {
        let _guard = self.lock();
        let mut deletions = Deletions::default();
        let mut removed = 0;
        for entry in self.tree.scan_prefix([layout::PARTITION_COUNT]) {
            if removed >= batch_size {
                break;
            }
            let (key, bytes) = entry?;
            let mut reader = KeyReader::new(&key, "event partition counter");
            reader.skip(1)?;
            let guild = reader.u64()?;
            let partition = std::str::from_utf8(reader.rest())
                .map_err(|e| crate::store::keys::corrupt("event partition counter", e))?;
            let Some(policy) = self.retention.policies.get(partition) else {
                continue;
            };
            let count = decode_u64(&bytes, "event partition counter")?;
            let budget = batch_size - removed;
            removed += self.expire_partition(
                (guild, partition, count),
                policy,
                now_ms,
                budget,
                &mut deletions,
            )?;
        }
        let Deletions {
            mut batch,
            counters,
            chunks,
        } = deletions;
        chunks.write(&mut batch)?;
        self.apply(batch, counters)?;
        Ok(removed)
    }

    /// Queue deletions for one guild's partition, oldest first, while a limit is exceeded.
    fn expire_partition(
        &self,
        (guild, partition, count): (u64, &str, u64),
        policy: &RetentionPolicy,
        now_ms: i64,
        budget: usize,
        deletions: &mut Deletions,
    ) -> Result<usize, StoreError> {
        let prefix = layout::partition_prefix(guild, partition)?;
        let max_age_ms = policy
            .max_age
            .map(|age| i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
        let mut removed = 0;
        for entry in self.tree.scan_prefix(&prefix) {
            let remaining = count.saturating_sub(removed as u64);
            if removed >= budget || remaining <= policy.min_keep {
                break;
            }
            let (key, _) = entry?;
            let mut reader = KeyReader::new(&key, "event partition index entry");
            reader.skip(prefix.len())?;
            let position = layout::read_position(&mut reader)?;
            let too_many = policy.max_entries.is_some_and(|max| remaining > max);
            let age_ms = now_ms.saturating_sub(position.source_time.saturating_mul(1000));
            let too_old = max_age_ms.is_some_and(|max| age_ms > max);
            if !too_many && !too_old {
                break;
            }
            let stored = deletions
                .chunks
                .take(self, (guild, &position.server, position.id))?;
            for index_key in index_keys(&stored, partition)? {
                deletions.batch.remove(index_key);
            }
            if let Some(content_key) = &stored.dedupe_key {
                let key = layout::dedupe_key(guild, &position.server, content_key)?;
                deletions.batch.remove(key);
            }
            deletions
                .counters
                .add(layout::partition_count_key(guild, partition), -1);
            removed += 1;
        }
        Ok(removed)
    }

    /// Delete every event, index entry, counter and dedupe key of a guild (the
    /// bot left it). Id counters stay so ids are never reused. Works in chunks; if it is
    /// interrupted, run it again. Returns the number of events deleted.
    pub fn purge_guild(&self, guild: u64) -> Result<u64, StoreError> {
        const CHUNK: usize = 10_000;
        let _guard = self.lock();
        let mut events = 0;
        for tag in layout::PURGED_TAGS {
            let prefix = layout::guild_prefix(tag, guild);
            loop {
                let mut batch = sled::Batch::default();
                let mut in_batch = 0;
                let mut events_in_batch = 0;
                for entry in self.tree.scan_prefix(&prefix).take(CHUNK) {
                    let (key, bytes) = entry?;
                    if tag == layout::RECORD {
                        // A damaged record goes all the same, counted as one event.
                        events_in_batch += events_in(&bytes).unwrap_or(1) as u64;
                    }
                    batch.remove(key);
                    in_batch += 1;
                }
                if in_batch == 0 {
                    break;
                }
                self.tree.apply_batch(batch)?;
                events += events_in_batch;
            }
        }
        Ok(events)
    }
}
