//! Feed management: which event patterns (typed, or preset names) a channel receives. A
//! pattern added now posts what happens from now on, never what came before.

use serde_json::json;

use crate::events::catalog::ALL_KINDS;
use crate::events::{EventType, Pattern, PatternSegment};
use crate::feeds::{preset, presets};
use crate::store::{Capability, FeedFilters, FeedSubscription, Source};

use super::audit_trail::AuditDraft;
use super::{ActionError, AuditAction, Member, Services};

/// Parse `joins, kills` or `main/player/* ?/kill`: preset names and event patterns, separated
/// by commas or spaces. Duplicates are dropped; order is kept.
pub fn parse_feed_patterns(text: &str) -> Result<Vec<Pattern>, ActionError> {
    let preset_names = || {
        presets()
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out: Vec<Pattern> = Vec::new();
    for word in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let found = match preset(word) {
            Some(preset) => preset.parsed_patterns(),
            None => Pattern::parse(word).map(|p| vec![p]),
        };
        let patterns = found.map_err(|e| {
            ActionError::InvalidInput(format!(
                "`{word}` is neither a preset nor a valid event pattern ({e}). Presets: {}. \
                 Patterns look like `main/player/*` or `?/kill`.",
                preset_names()
            ))
        })?;
        if let Some(dead) = patterns.iter().find(|p| !matches_some_kind(p)) {
            return Err(ActionError::InvalidInput(format!(
                "`{dead}` matches no event the bot posts, so the channel would stay silent. \
                 Patterns are `<server>/<event>` such as `main/player/join`, `?/kill` or \
                 `main/*`; events: {}. Presets: {}.",
                ALL_KINDS.join(", "),
                preset_names()
            )));
        }
        for pattern in patterns {
            if !out.iter().any(|p| p.as_str() == pattern.as_str()) {
                out.push(pattern);
            }
        }
    }
    if out.is_empty() {
        return Err(ActionError::InvalidInput(format!(
            "Name at least one preset ({}) or event pattern such as `main/*`.",
            preset_names()
        )));
    }
    Ok(out)
}

/// Whether `pattern` can match some event the bot produces. A typo such as
/// `main/palyer/join` is a well-formed pattern, but saving it would leave the channel silent
/// with no hint why.
fn matches_some_kind(pattern: &Pattern) -> bool {
    // The first segment is a server label; any label will do when the pattern has a wildcard.
    let label = match pattern.segments().first() {
        Some(PatternSegment::Exact(label)) => label.as_str(),
        _ => "main",
    };
    ALL_KINDS
        .iter()
        .any(|kind| EventType::parse(&format!("{label}/{kind}")).is_ok_and(|t| pattern.matches(&t)))
}

impl Services {
    /// Add patterns (or presets) to a channel's feed, each starting now (patterns it already
    /// had keep their start). Empty `filters` keep the channel's current filters; non-empty
    /// ones replace them.
    pub async fn feeds_add(
        &self,
        guild: u64,
        actor: &Member,
        channel_id: u64,
        patterns_or_preset: &str,
        filters: FeedFilters,
    ) -> Result<FeedSubscription, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::FeedAdd,
            Source::SlashCommand,
        )
        .await?;
        let added = parse_feed_patterns(patterns_or_preset)?;
        let settings = self.store().settings();
        let current = settings
            .feed_subscriptions(guild)?
            .into_iter()
            .find(|s| s.channel_id == channel_id);
        let mut subscription = current.unwrap_or(FeedSubscription {
            channel_id,
            patterns: Vec::new(),
            filters: FeedFilters::default(),
            added_at_ms: Default::default(),
        });
        let now = self.store().clock().now_ms();
        for pattern in added {
            if !subscription.patterns.contains(&pattern) {
                subscription
                    .added_at_ms
                    .insert(pattern.as_str().to_owned(), now);
                subscription.patterns.push(pattern);
            }
        }
        if filters != FeedFilters::default() {
            subscription.filters = filters;
        }
        let patterns: Vec<&str> = subscription.patterns.iter().map(Pattern::as_str).collect();
        let note = AuditDraft::new(
            AuditAction::FeedAdd,
            Some(channel_id.to_string()),
            json!({ "channel": channel_id, "patterns": patterns, "filters": {
                "teams": subscription.filters.teams, "players": subscription.filters.players,
            }}),
        );
        self.audited(guild, actor, note, async || {
            settings.set_feed_subscription(guild, subscription.clone())?;
            Ok(subscription.clone())
        })
        .await
    }

    /// Stop a channel's feed. Returns whether it had one.
    pub async fn feeds_remove(
        &self,
        guild: u64,
        actor: &Member,
        channel_id: u64,
    ) -> Result<bool, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::FeedRemove,
            Source::SlashCommand,
        )
        .await?;
        let note = AuditDraft::new(
            AuditAction::FeedRemove,
            Some(channel_id.to_string()),
            json!({ "channel": channel_id }),
        );
        self.audited(guild, actor, note, async || {
            Ok(self
                .store()
                .settings()
                .remove_feed_subscription(guild, channel_id)?)
        })
        .await
    }

    /// The guild's feeds, by channel id.
    pub async fn feeds_list(
        &self,
        guild: u64,
        actor: &Member,
    ) -> Result<Vec<FeedSubscription>, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::FeedList,
            Source::SlashCommand,
        )
        .await?;
        Ok(self.store().settings().feed_subscriptions(guild)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_patterns_mix() {
        let parsed = parse_feed_patterns("joins, main/kill ?/player/join").unwrap();
        let texts: Vec<_> = parsed.iter().map(Pattern::as_str).collect();
        assert_eq!(texts, ["?/player/join", "?/player/leave", "main/kill"]);
        let err = parse_feed_patterns("main/**").unwrap_err().user_message();
        assert!(err.contains("`main/**`") && err.contains("joins"), "{err}");
        assert!(parse_feed_patterns(" , ").is_err());
    }

    #[test]
    fn patterns_that_match_no_event_are_refused() {
        for typo in ["main/palyer/join", "such", "main/no", "main/kill/extra"] {
            let err = parse_feed_patterns(typo).unwrap_err().user_message();
            assert!(err.contains(&format!("`{typo}` matches no event")), "{err}");
        }
        for fine in [
            "main/*",
            "*",
            "?/kill",
            "alt/modcall/*",
            "?/?/join",
            "main/feed/gap",
        ] {
            assert!(parse_feed_patterns(fine).is_ok(), "{fine}");
        }
        for preset in presets() {
            assert!(parse_feed_patterns(preset.name).is_ok(), "{}", preset.name);
        }
    }
}
