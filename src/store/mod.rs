//! Persistence in sled. The only module that names sled; everything else uses its typed API.
//!
//! [`Store`] owns one sled database at `<data_dir>/db` and hands out typed handles: guild
//! [`Settings`] (with server keys encrypted under a master key), the tamper-evident
//! [`AuditLog`], the event history, linked accounts ([`Links`]), cases and staff [`Shifts`]. Opening checks the schema version, runs migrations and checks the master key.

pub mod audit;
pub mod backup;
pub mod cases;
pub mod cli;
pub mod confirmations;
pub mod consumers;
pub mod crypto;
mod db;
pub mod dedupe;
pub mod error;
pub mod events;
mod flusher;
pub mod inbox;
pub mod keys;
pub mod leaves;
pub mod links;
pub mod maintenance;
mod master_key;
pub mod outbox;
pub mod schema;
pub mod settings;
pub mod shifts;
mod type_names;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::{self, SharedClock};

pub use audit::{
    AuditActor, AuditEntry, AuditIntent, AuditLog, AuditOutcome, AuditPage, AuditQuery,
    AuditRecord, AuditRetention, AuditTicket, Source, VerifyReport,
};
pub use backup::{BackupReport, RestoreReport};
pub use cases::{
    Case, CaseFilter, CaseModerator, CasePage, CaseSource, CaseStatus, CaseTarget, Cases, NewCase,
};
pub use confirmations::{Confirmations, PendingConfirmation};
pub use consumers::ConsumerCursors;
pub use crypto::{MasterKey, MasterKeySource, SealedKey};
pub use dedupe::{DedupeSet, DedupeWrites, tracker_scope};
pub use error::StoreError;
pub use events::{
    Cursor, EventQuery, EventStore, HeadsMoved, Order, Page, PartitionHead, PartitionRule,
    RetentionConfig, RetentionPolicy,
};
pub use inbox::{Inbox, InboxBatch};
pub use leaves::{Leave, LeaveError, LeaveStatus, Leaves, NewLeave};
pub use links::{AccountLink, EventMark, LinkError, LinkRefusal, Linked, LinkedBy, Links};
pub use master_key::{NewMasterKey, RotationReport};
pub use outbox::routing::RouteCursor;
pub use outbox::{
    DeliveryState, DueDeliveries, Outbox, OutboxEntry, ParkedDelivery, PendingDelivery,
};
pub use schema::SCHEMA_VERSION;
pub use settings::{
    Capability, FeedFilters, FeedSubscription, GuildSettings, RoleQuota, ServerRecord,
    ServerStatus, Settings, SettingsPurge, ShiftSettings, new_webhook_token,
};
pub use shifts::{
    NewShift, Shift, ShiftAdjustment, ShiftChange, ShiftError, ShiftPage, ShiftRefusal,
    ShiftSource, ShiftStatus, Shifts,
};

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directory holding `db/` (sled files) and, by default, `master.key`.
    pub data_dir: PathBuf,
    /// Where the master key that encrypts server keys comes from.
    pub master_key: MasterKeySource,
    /// Time for every timestamp the store writes and every expiry it checks.
    pub clock: SharedClock,
    /// What [`Store::remove_guild`] does with the guild's audit log.
    pub audit_retention: AuditRetention,
    /// Durable flushes for polls and feed commits ([`Store::flush_in_window`]) start at most
    /// once per this window, shared by all that asked meanwhile (group commit): fewer, larger
    /// disk writes under load, at most this much more latency per poll. Zero flushes for each.
    pub flush_window: std::time::Duration,
    /// sled's page cache, in MiB (sled's default is 1 GiB, more than a bot tracking thousands
    /// of servers needs resident).
    pub cache_mib: u64,
}

/// [`StoreConfig::flush_window`] unless configured.
pub const DEFAULT_FLUSH_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);
/// [`StoreConfig::cache_mib`] unless configured.
pub const DEFAULT_CACHE_MIB: u64 = 256;

impl StoreConfig {
    /// The system clock, and audit logs kept when a guild is removed.
    pub fn new(data_dir: impl Into<PathBuf>, master_key: MasterKeySource) -> Self {
        Self {
            data_dir: data_dir.into(),
            master_key,
            clock: clock::system(),
            audit_retention: AuditRetention::default(),
            flush_window: DEFAULT_FLUSH_WINDOW,
            cache_mib: DEFAULT_CACHE_MIB,
        }
    }
}

/// What [`Store::remove_guild`] deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GuildRemoval {
    /// Settings records removed: servers, feeds, role permissions, guild settings.
    pub settings: SettingsPurge,
    /// Events deleted from the guild's history.
    pub events: u64,
    /// Cases deleted.
    pub cases: u64,
    /// Audit records removed under `AUDIT_RETENTION`; 0 with `keep-all`.
    pub audit_records: u64,
    /// Account links (each direction) and `/link` codes removed.
    pub links: u64,
    /// Leaves of absence removed.
    pub leaves: u64,
    /// Shifts deleted.
    pub shifts: u64,
}

// Tasks share one Store; this fails to compile if it ever stops being Send + Sync.
const _: fn() = || {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Store>();
};

/// The open database. Cheap to clone; all clones share one sled instance.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: sled::Db,
    group_flush: flusher::GroupFlush,
    data_dir: PathBuf,
    key_source: MasterKeySource,
    keys: Arc<crypto::KeyRing>,
    clock: SharedClock,
    audit_retention: AuditRetention,
    settings: Settings,
    audit: AuditLog,
    events: EventStore,
    dedupe: DedupeSet,
    outbox: Outbox,
    inbox: Inbox,
    confirmations: Confirmations,
    links: Links,
    consumer_cursors: ConsumerCursors,
    cases: Cases,
    leaves: Leaves,
    shifts: Shifts,
}

impl Store {
    /// Open (or create) the database: check the schema version and migrate, check the
    /// master key, and flush. Every failure says what to do about it.
    pub fn open(config: StoreConfig) -> Result<Self, StoreError> {
        let had_files = db::has_files(&config.data_dir);
        let db = db::open_sled(&config.data_dir, config.cache_mib)?;
        schema::prepare(&db, had_files)?;
        let master = master_key::unlock(&db, &config.master_key, &config.data_dir)?;
        let keys = Arc::new(crypto::KeyRing::new(master));
        let settings = Settings::open(&db, keys.clone(), config.clock.clone())?;
        let audit = AuditLog::open(&db, settings.clone(), config.clock.clone())?;
        let group_flush = flusher::GroupFlush::with_window((*db).clone(), config.flush_window);
        let events =
            EventStore::open_sharing_flush(&db, config.clock.clone(), group_flush.clone())?;
        let dedupe = DedupeSet::open(&db, config.clock.clone())?;
        let outbox = Outbox::open(&db, config.clock.clone())?;
        let inbox = Inbox::open(&db, config.clock.clone())?;
        let confirmations = Confirmations::open(&db)?;
        let links = Links::open(&db)?;
        let consumer_cursors = ConsumerCursors::open(&db)?;
        let cases = Cases::open(&db, config.clock.clone())?;
        let leaves = Leaves::open(&db)?;
        let shifts = Shifts::open(&db)?;
        db.flush()?;
        Ok(Self {
            inner: Arc::new(Inner {
                group_flush,
                db,
                data_dir: config.data_dir,
                key_source: config.master_key,
                keys,
                clock: config.clock,
                audit_retention: config.audit_retention,
                settings,
                audit,
                events,
                dedupe,
                outbox,
                inbox,
                confirmations,
                links,
                consumer_cursors,
                cases,
                leaves,
                shifts,
            }),
        })
    }

    /// Guild settings: servers and their keys, feeds, role permissions.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The tamper-evident audit log of every action.
    pub fn audit(&self) -> &AuditLog {
        &self.inner.audit
    }

    /// Every event seen on every server, kept by the retention policies.
    pub fn events(&self) -> &EventStore {
        &self.inner.events
    }

    /// Keys of recently handled items and the tracker's log watermarks.
    pub fn dedupe(&self) -> &DedupeSet {
        &self.inner.dedupe
    }

    /// Messages queued for or delivered to Discord channels.
    pub fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    /// Webhook batches accepted but not yet fully processed.
    pub fn inbox(&self) -> &Inbox {
        &self.inner.inbox
    }

    /// Destructive commands waiting for their Confirm press.
    pub fn confirmations(&self) -> &Confirmations {
        &self.inner.confirmations
    }

    /// Linked Roblox and Discord accounts, and pending `/link` codes.
    pub fn links(&self) -> &Links {
        &self.inner.links
    }

    /// Where consumers of stored events (other than the feed pipeline) got to.
    pub fn consumer_cursors(&self) -> &ConsumerCursors {
        &self.inner.consumer_cursors
    }

    /// Numbered cases (punishment records) and the temp bans waiting to be lifted.
    pub fn cases(&self) -> &Cases {
        &self.inner.cases
    }

    /// Leaves of absence.
    pub fn leaves(&self) -> &Leaves {
        &self.inner.leaves
    }

    /// Staff shifts, their breaks and admin adjustments.
    pub fn shifts(&self) -> &Shifts {
        &self.inner.shifts
    }

    /// The clock the store was opened with; webhook checks and dedupe share it.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The data directory: `db/` and, by default, `master.key`.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Fingerprint of the master key in use (safe to print).
    pub fn master_key_fingerprint(&self) -> String {
        self.inner.keys.current().fingerprint()
    }

    /// Write everything to disk before returning.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        Ok(())
    }

    /// [`Store::flush`] without blocking the async runtime; concurrent callers share flushes.
    pub async fn flush_async(&self) -> Result<(), StoreError> {
        self.inner.group_flush.flush().await
    }

    /// [`Store::flush_async`] for bulk writers (feed commits): shares one flush with every
    /// bulk writer of the same [`StoreConfig::flush_window`].
    pub async fn flush_in_window(&self) -> Result<(), StoreError> {
        self.inner.group_flush.flush_in_window().await
    }

    /// The last step of a clean shutdown (after the bot stopped taking work): flush and log.
    pub fn flush_on_shutdown(&self) -> Result<(), StoreError> {
        let bytes = self.inner.db.flush()?;
        tracing::info!(bytes, "database flushed for shutdown");
        Ok(())
    }

    /// Remove everything stored for a guild (the bot left it, or an admin asked): servers and
    /// keys, feeds, permissions and settings; its audit log follows the configured
    /// [`AuditRetention`]. Safe to run again if interrupted.
    pub fn remove_guild(&self, guild: u64) -> Result<GuildRemoval, StoreError> {
        let channels: Vec<u64> = self
            .settings()
            .feed_subscriptions(guild)?
            .iter()
            .map(|s| s.channel_id)
            .collect();
        let events = self.events().purge_guild(guild)?;
        self.dedupe()
            .purge_scope_prefix(&dedupe::guild_scope_prefix(guild))?;
        for channel in channels {
            self.outbox().purge_destination(&channel.to_string())?;
        }
        self.inbox().purge_guild(guild)?;
        self.confirmations().purge_guild(guild)?;
        let links = self.links().purge_guild(guild)?;
        self.consumer_cursors().purge_guild(guild)?;
        let cases = self.cases().purge_guild(guild)?;
        let leaves = self.leaves().purge_guild(guild)?;
        let shifts = self.shifts().purge_guild(guild)?;
        let settings = self.settings().purge_guild(guild)?;
        let audit_records = self
            .audit()
            .apply_retention(guild, self.inner.audit_retention)?;
        self.flush()?;
        Ok(GuildRemoval {
            settings,
            events,
            cases,
            audit_records,
            links,
            leaves,
            shifts,
        })
    }

    /// Forget what was tracked for one removed server: its tracker checkpoint and its log
    /// dedupe keys and watermarks (scopes `<guild>/<label>/…`), so a server connected later
    /// under the same label starts from a fresh baseline. Its stored events stay (history).
    pub fn forget_server_tracking(&self, guild: u64, label: &str) -> Result<(), StoreError> {
        self.events().clear_checkpoint(guild, label)?;
        self.dedupe()
            .purge_scope_prefix(&dedupe::server_scope_prefix(guild, label))?;
        self.flush()
    }

    /// Write a backup of every tree to `file` (see [`backup`]).
    pub fn backup(&self, file: &Path) -> Result<BackupReport, StoreError> {
        backup::write_backup(&self.inner.db, file, self.inner.clock.now_ms())
    }
}
