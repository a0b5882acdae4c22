//! Destructive commands waiting for their Confirm press: kept in the store under a random
//! token until they expire (so a prompt posted before a restart still works after it), usable
//! once, by the person who asked or by an admin.

use std::time::Duration;

use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::store::{PendingConfirmation, Source, Store};

use super::{ActionError, Member};

/// Characters in a confirmation token (fits easily in a button's custom id).
const TOKEN_LEN: usize = 20;

/// A random token of letters and digits (URL-safe), from the thread's CSPRNG.
pub(super) fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// The pending confirmations of [`super::Services`], with how long each one waits.
/// What is held: the server, the command text and the typed action.
#[derive(Debug)]
pub(super) struct Held<'a> {
    pub server_label: &'a str,
    pub text: &'a str,
    pub action: Option<serde_json::Value>,
}

#[derive(Debug)]
pub(super) struct PendingActions {
    store: Store,
    ttl: Duration,
}

impl PendingActions {
    pub fn new(store: Store, ttl: Duration) -> Self {
        Self { store, ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Keep `text` for `server_label` until it is confirmed or expires, and return its token;
    /// `action` is the typed action it was built from, if any (see
    /// [`PendingConfirmation::action`]). On disk before this returns: the prompt carrying the
    /// token is shown afterwards.
    pub async fn insert(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        server_label: &str,
        text: &str,
        action: Option<serde_json::Value>,
    ) -> Result<String, ActionError> {
        let held = Held {
            server_label,
            text,
            action,
        };
        self.insert_for(guild, actor, source, held, self.ttl).await
    }

    /// [`PendingActions::insert`] kept for `ttl` (ban requests wait longer than a Confirm).
    pub async fn insert_for(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        held: Held<'_>,
        ttl: Duration,
    ) -> Result<String, ActionError> {
        let Held {
            server_label,
            text,
            action,
        } = held;
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let confirmation = PendingConfirmation {
            guild,
            requested_by: actor.discord_id,
            source,
            server_label: server_label.to_owned(),
            command_text: text.to_owned(),
            expires_at_ms: self.store.clock().now_ms().saturating_add(ttl_ms),
            action,
        };
        let token = random_token(TOKEN_LEN);
        self.store.confirmations().put(&token, &confirmation)?;
        self.store.flush_async().await?;
        Ok(token)
    }

    /// Take the command for `token` if it is still valid and `confirmer` may confirm it.
    /// Refused ones stay for the person who may still confirm them; expired ones wait for
    /// the store's upkeep.
    pub fn take(
        &self,
        guild: u64,
        token: &str,
        confirmer: &Member,
    ) -> Result<PendingConfirmation, ActionError> {
        let now = self.store.clock().now_ms();
        let taken = self.store.confirmations().take_if(token, |pending| {
            if pending.guild != guild || pending.is_expired(now) {
                return Err(ActionError::ConfirmationExpired);
            }
            // A ban request is approved by someone else with `ban`, never confirmed.
            if super::held::is_request(pending.action.as_ref()) {
                return Err(ActionError::NotYourConfirmation);
            }
            if pending.requested_by != confirmer.discord_id && !confirmer.is_admin {
                return Err(ActionError::NotYourConfirmation);
            }
            Ok(())
        })?;
        taken.ok_or(ActionError::ConfirmationExpired)
    }

    /// Take a ban request for `approver` to approve or deny: it must be a request, in this
    /// guild, not expired, and not the approver's own (two-person rule). The caller has
    /// checked that the approver has `ban`.
    pub fn take_request(
        &self,
        guild: u64,
        token: &str,
        approver: &Member,
    ) -> Result<PendingConfirmation, ActionError> {
        let now = self.store.clock().now_ms();
        let taken = self.store.confirmations().take_if(token, |pending| {
            let request = super::held::is_request(pending.action.as_ref());
            if pending.guild != guild || pending.is_expired(now) || !request {
                return Err(ActionError::ConfirmationExpired);
            }
            if pending.requested_by == approver.discord_id {
                return Err(ActionError::InvalidInput(
                    "You asked for this ban: another member with the `ban` permission must \
                     approve or deny it."
                        .into(),
                ));
            }
            Ok(())
        })?;
        taken.ok_or(ActionError::ConfirmationExpired)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::store::{MasterKeySource, StoreConfig};

    fn actor(id: u64, is_admin: bool) -> Member {
        Member {
            discord_id: id,
            name: format!("u{id}"),
            roles: vec![],
            is_admin,
        }
    }

    fn store(dir: &std::path::Path, clock: Arc<ManualClock>) -> Store {
        let mut config = StoreConfig::new(dir, MasterKeySource::Env("22".repeat(32)));
        config.clock = clock;
        Store::open(config).unwrap()
    }

    async fn ask(actions: &PendingActions, guild: u64) -> String {
        let asker = actor(1, false);
        actions
            .insert(
                guild,
                &asker,
                Source::SlashCommand,
                "main",
                ":shutdown",
                None,
            )
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_ban_request_is_taken_only_as_a_request_by_someone_else() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_000));
        let actions = PendingActions::new(store(dir.path(), clock), Duration::from_secs(60));
        let held = Held {
            server_label: "main",
            text: ":ban 5",
            action: Some(serde_json::json!({ "request": true })),
        };
        let asker = actor(1, false);
        let token = actions
            .insert_for(
                7,
                &asker,
                Source::SlashCommand,
                held,
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert!(matches!(
            actions.take(7, &token, &asker),
            Err(ActionError::NotYourConfirmation)
        ));
        assert!(matches!(
            actions.take(7, &token, &actor(2, true)),
            Err(ActionError::NotYourConfirmation)
        ));
        assert!(
            actions.take_request(7, &token, &asker).is_err(),
            "two people"
        );
        assert!(actions.take_request(8, &token, &actor(2, false)).is_err());
        assert!(actions.take_request(7, &token, &actor(2, false)).is_ok());
        assert!(
            actions.take_request(7, &token, &actor(3, false)).is_err(),
            "once"
        );
        let plain = ask(&actions, 7).await;
        assert!(actions.take_request(7, &plain, &actor(2, false)).is_err());
    }

    #[tokio::test]
    async fn once_only_by_the_asker_or_an_admin_before_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_000));
        let actions =
            PendingActions::new(store(dir.path(), clock.clone()), Duration::from_secs(60));
        let token = ask(&actions, 7).await;
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(matches!(
            actions.take(8, &token, &actor(1, false)),
            Err(ActionError::ConfirmationExpired)
        ));
        assert!(matches!(
            actions.take(7, &token, &actor(2, false)),
            Err(ActionError::NotYourConfirmation)
        ));
        let taken = actions.take(7, &token, &actor(1, false)).unwrap();
        assert_eq!(
            (
                taken.command_text.as_str(),
                taken.requested_by,
                taken.source
            ),
            (":shutdown", 1, Source::SlashCommand)
        );
        assert!(
            actions.take(7, &token, &actor(1, false)).is_err(),
            "single use"
        );

        let token = ask(&actions, 7).await;
        assert!(
            actions.take(7, &token, &actor(3, true)).is_ok(),
            "admins may"
        );

        let token = ask(&actions, 7).await;
        clock.advance_ms(59_999);
        let almost = ask(&actions, 7).await;
        clock.advance_ms(1);
        assert!(matches!(
            actions.take(7, &token, &actor(1, false)),
            Err(ActionError::ConfirmationExpired)
        ));
        assert!(actions.take(7, &almost, &actor(1, false)).is_ok());
        assert_ne!(random_token(32), random_token(32));
        let shown = format!("{actions:?}");
        assert!(!shown.contains(&token) && shown.contains("ttl"), "{shown}");
    }

    #[tokio::test]
    async fn a_confirmation_outlives_a_restart_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_000));
        let ttl = Duration::from_secs(60);
        let (token, soon) = {
            let actions = PendingActions::new(store(dir.path(), clock.clone()), ttl);
            let token = ask(&actions, 7).await;
            clock.advance_ms(30_000);
            (token, ask(&actions, 7).await)
        };
        let actions = PendingActions::new(store(dir.path(), clock.clone()), ttl);
        assert!(actions.take(7, &token, &actor(1, false)).is_ok());
        clock.advance_ms(60_000);
        let expired = actions.take(7, &soon, &actor(1, false)).unwrap_err();
        assert!(matches!(expired, ActionError::ConfirmationExpired));
        assert!(
            expired.user_message().contains("expired"),
            "{}",
            expired.user_message()
        );
    }
}
