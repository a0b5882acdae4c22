//! Feed subscriptions: which event patterns a channel receives, since when, with optional
//! filters.

use std::collections::BTreeMap;

use super::Settings;
use crate::events::Pattern;
use crate::store::StoreError;
use crate::store::db;

/// Optional narrowing of a feed: only these teams or players (empty means all).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FeedFilters {
    /// Team names as the game shows them (`Police`, `Civilian`, …), matched ignoring case.
    pub teams: Vec<String>,
    /// Roblox user ids.
    pub players: Vec<u64>,
}

/// One channel's subscription. A channel has at most one; setting it again replaces it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedSubscription {
    /// The Discord channel the feed posts in.
    pub channel_id: u64,
    /// Event types the feed follows, such as `main/kill/*`; never empty.
    pub patterns: Vec<Pattern>,
    /// Narrows the matching events to some teams or players.
    #[serde(default)]
    pub filters: FeedFilters,
    /// When each pattern was added, in Unix ms, by pattern text: a pattern posts only what
    /// happens from then on, so a new feed does not replay what came before it. A pattern
    /// without a time (feeds saved by older versions) posts everything it matches.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub added_at_ms: BTreeMap<String, i64>,
}

impl Settings {
    /// Create or replace the subscription of `subscription.channel_id`.
    pub fn set_feed_subscription(
        &self,
        guild: u64,
        subscription: FeedSubscription,
    ) -> Result<(), StoreError> {
        if subscription.patterns.is_empty() {
            return Err(StoreError::Invalid(
                "a feed needs at least one event pattern, such as `main/*`".into(),
            ));
        }
        let key = db::guild_u64_key(guild, subscription.channel_id);
        self.feeds.insert(key, db::encode(&subscription)?)?;
        self.flush()
    }

    /// Stop a channel's feed. Returns whether there was one.
    pub fn remove_feed_subscription(
        &self,
        guild: u64,
        channel_id: u64,
    ) -> Result<bool, StoreError> {
        let removed = self.feeds.remove(db::guild_u64_key(guild, channel_id))?;
        self.flush()?;
        Ok(removed.is_some())
    }

    /// A guild's feeds, by channel id.
    pub fn feed_subscriptions(&self, guild: u64) -> Result<Vec<FeedSubscription>, StoreError> {
        self.feeds
            .scan_prefix(db::guild_prefix(guild))
            .values()
            .map(|value| db::decode("feed subscription", &value?))
            .collect()
    }

    /// Every feed of every guild, for building the routing index.
    pub fn all_feed_subscriptions(&self) -> Result<Vec<(u64, FeedSubscription)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.feeds.iter() {
            let (key, value) = entry?;
            let guild = db::read_u64(&key, 0)
                .ok_or_else(|| StoreError::corrupt("feed subscription key", "too short"))?;
            out.push((guild, db::decode("feed subscription", &value)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::settings;
    use super::*;

    fn sub(channel_id: u64, pattern: &str) -> FeedSubscription {
        FeedSubscription {
            channel_id,
            patterns: vec![Pattern::parse(pattern).unwrap()],
            filters: FeedFilters {
                teams: vec!["Police".into()],
                players: vec![],
            },
            added_at_ms: BTreeMap::from([(pattern.to_owned(), 5)]),
        }
    }

    #[test]
    fn set_replace_list_remove() {
        let (_db, s) = settings();
        s.set_feed_subscription(1, sub(20, "main/*")).unwrap();
        s.set_feed_subscription(1, sub(10, "?/kill")).unwrap();
        s.set_feed_subscription(1, sub(20, "main/player/*"))
            .unwrap();
        s.set_feed_subscription(2, sub(30, "*")).unwrap();
        let subs = s.feed_subscriptions(1).unwrap();
        assert_eq!(subs, vec![sub(10, "?/kill"), sub(20, "main/player/*")]);
        assert_eq!(s.all_feed_subscriptions().unwrap().len(), 3);
        assert!(s.remove_feed_subscription(1, 10).unwrap());
        assert!(!s.remove_feed_subscription(1, 10).unwrap());
        let empty = FeedSubscription {
            patterns: vec![],
            ..sub(5, "*")
        };
        assert!(s.set_feed_subscription(1, empty).is_err());
    }

    #[test]
    fn feeds_saved_before_start_times_were_kept_still_read() {
        let old: FeedSubscription = db::decode(
            "feed subscription",
            br#"{"channel_id":1,"patterns":["main/*"]}"#,
        )
        .unwrap();
        assert!(old.added_at_ms.is_empty() && old.filters.teams.is_empty());
        let text = String::from_utf8(db::encode(&old).unwrap()).unwrap();
        assert!(!text.contains("added_at_ms"), "{text}");
    }
}
