//! Per-guild configuration: the guild's ER:LC servers (with their keys encrypted), feed
//! subscriptions, role permissions and general settings. Every write is flushed before it
//! returns, because each one is confirmed to a person.

mod feeds;
mod guild;
mod permissions;
pub mod quotas;
mod rekey;
mod servers;
mod shifts;
mod status;
mod webhook_token;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::StoreError;
use super::crypto::KeyRing;
use super::db::{self, Write, trees};
use crate::clock::SharedClock;

pub use feeds::{FeedFilters, FeedSubscription};
pub use guild::GuildSettings;
pub use permissions::{Capability, UnknownCapability};
pub use quotas::RoleQuota;
pub use servers::ServerRecord;
pub use shifts::{MAX_SHIFT_TYPES, ShiftSettings};
pub use status::ServerStatus;
pub use webhook_token::new_webhook_token;

/// Typed access to guild configuration.
#[derive(Clone)]
pub struct Settings {
    servers: sled::Tree,
    webhook_index: sled::Tree,
    feeds: sled::Tree,
    roles: sled::Tree,
    guilds: sled::Tree,
    keys: Arc<KeyRing>,
    clock: SharedClock,
    /// Serialises read-modify-write updates (label uniqueness, the default flag, indexes).
    write_lock: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings").finish_non_exhaustive()
    }
}

/// How many records [`Settings::purge_guild`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SettingsPurge {
    /// ER:LC servers removed, with their keys and webhook tokens.
    pub servers: usize,
    /// Feed subscriptions removed.
    pub feed_subscriptions: usize,
    /// Roles whose capabilities were removed.
    pub role_permissions: usize,
    /// 1 if the guild had its own settings record, else 0.
    pub guild_settings: usize,
}

impl Settings {
    pub(crate) fn open(
        db: &sled::Db,
        keys: Arc<KeyRing>,
        clock: SharedClock,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            servers: db.open_tree(trees::SERVERS)?,
            webhook_index: db.open_tree(trees::WEBHOOK_INDEX)?,
            feeds: db.open_tree(trees::FEED_SUBSCRIPTIONS)?,
            roles: db.open_tree(trees::ROLE_CAPABILITIES)?,
            guilds: db.open_tree(trees::GUILD_SETTINGS)?,
            keys,
            clock,
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.write_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.servers.flush()?;
        Ok(())
    }

    /// Delete everything configured for `guild`: servers and their keys, webhook tokens, feed
    /// subscriptions, role permissions and settings, in one atomic step.
    pub fn purge_guild(&self, guild: u64) -> Result<SettingsPurge, StoreError> {
        const SERVERS: usize = 0;
        const INDEX: usize = 1;
        const FEEDS: usize = 2;
        const ROLES: usize = 3;
        const GUILDS: usize = 4;
        let _guard = self.lock();
        let prefix = db::guild_prefix(guild);
        let mut writes = Vec::new();
        let mut purge = SettingsPurge::default();
        for (label, stored) in self.guild_servers(guild)? {
            if let Some(token) = &stored.record.webhook_token {
                writes.push(Write::remove(INDEX, servers::token_index_key(token)));
            }
            writes.push(Write::remove(SERVERS, db::guild_str_key(guild, &label)));
            purge.servers += 1;
        }
        for (tree, index, count) in [
            (&self.feeds, FEEDS, &mut purge.feed_subscriptions),
            (&self.roles, ROLES, &mut purge.role_permissions),
        ] {
            for key in tree.scan_prefix(prefix).keys() {
                writes.push(Write::remove(index, key?.to_vec()));
                *count += 1;
            }
        }
        if self.guilds.contains_key(prefix)? {
            writes.push(Write::remove(GUILDS, prefix.to_vec()));
            purge.guild_settings = 1;
        }
        db::apply_atomically(
            &[
                &self.servers,
                &self.webhook_index,
                &self.feeds,
                &self.roles,
                &self.guilds,
            ],
            &writes,
        )?;
        self.flush()?;
        Ok(purge)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::clock::ManualClock;
    use crate::store::crypto::MasterKey;

    /// Settings over a temporary database, with a fixed clock.
    pub fn settings() -> (sled::Db, Settings) {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let keys = Arc::new(KeyRing::new(MasterKey::generate()));
        let settings = Settings::open(&db, keys, Arc::new(ManualClock::new(1_000))).unwrap();
        (db, settings)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::settings;
    use super::*;
    use crate::erlc::ServerKey;
    use std::collections::BTreeSet;

    #[test]
    fn purge_removes_only_that_guild() {
        let (_db, s) = settings();
        for guild in [1, 2] {
            s.add_server(
                guild,
                "main",
                &ServerKey::new(format!("k{guild}-x")),
                9,
                "ann",
            )
            .unwrap();
            s.set_webhook_token(guild, "main", Some(&format!("tok{guild}")))
                .unwrap();
            s.set_feed_subscription(
                guild,
                FeedSubscription {
                    channel_id: 5,
                    patterns: vec![crate::events::Pattern::parse("main/*").unwrap()],
                    filters: FeedFilters::default(),
                    added_at_ms: Default::default(),
                },
            )
            .unwrap();
            s.set_role_capabilities(guild, 7, &BTreeSet::from([Capability::View]))
                .unwrap();
            s.update_guild_settings(guild, |g| g.custom_commands_enabled = true)
                .unwrap();
        }
        let purge = s.purge_guild(1).unwrap();
        assert_eq!(
            purge,
            SettingsPurge {
                servers: 1,
                feed_subscriptions: 1,
                role_permissions: 1,
                guild_settings: 1
            }
        );
        assert!(s.list_servers(1).unwrap().is_empty());
        assert!(s.find_by_webhook_token("tok1").unwrap().is_none());
        assert!(s.feed_subscriptions(1).unwrap().is_empty());
        assert!(s.role_capabilities(1).unwrap().is_empty());
        assert!(!s.guild_settings(1).unwrap().custom_commands_enabled);

        assert_eq!(s.list_servers(2).unwrap().len(), 1);
        assert!(s.find_by_webhook_token("tok2").unwrap().is_some());
        assert_eq!(s.feed_subscriptions(2).unwrap().len(), 1);
        assert_eq!(s.role_capabilities(2).unwrap().len(), 1);
        assert!(s.guild_settings(2).unwrap().custom_commands_enabled);
        assert_eq!(s.purge_guild(1).unwrap(), SettingsPurge::default());
    }
}
