//! Destructive commands waiting for their Confirm press: kept in memory under a random token
//! for a limited time, usable once, by the person who asked or by an admin.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::clock::SharedClock;
use crate::store::Source;

use super::{ActionError, Actor};

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

/// A command waiting for confirmation.
#[derive(Debug, Clone)]
pub(super) struct PendingAction {
    pub guild: u64,
    pub actor: Actor,
    pub source: Source,
    pub server_label: String,
    pub text: String,
    pub created_ms: i64,
}

pub(super) struct PendingActions {
    clock: SharedClock,
    ttl: Duration,
    entries: Mutex<HashMap<String, PendingAction>>,
}

/// Tokens are bearer secrets for a Confirm button, so Debug shows only how many wait.
impl std::fmt::Debug for PendingActions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingActions")
            .field("ttl", &self.ttl)
            .field("waiting", &self.lock().len())
            .finish()
    }
}

impl PendingActions {
    pub fn new(clock: SharedClock, ttl: Duration) -> Self {
        Self {
            clock,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, PendingAction>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn expired(&self, action: &PendingAction, now_ms: i64) -> bool {
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        now_ms.saturating_sub(action.created_ms) >= ttl_ms
    }

    /// Keep `action` (its `created_ms` is set now) and return its token. Expired entries
    /// are dropped on the way.
    pub fn insert(&self, mut action: PendingAction) -> String {
        let now = self.clock.now_ms();
        action.created_ms = now;
        let token = random_token(TOKEN_LEN);
        let mut entries = self.lock();
        entries.retain(|_, pending| !self.expired(pending, now));
        entries.insert(token.clone(), action);
        token
    }

    /// Take the action for `token` if it is still valid and `confirmer` may confirm it.
    pub fn take(
        &self,
        guild: u64,
        token: &str,
        confirmer: &Actor,
    ) -> Result<PendingAction, ActionError> {
        let now = self.clock.now_ms();
        let mut entries = self.lock();
        let pending = entries
            .get(token)
            .filter(|p| p.guild == guild)
            .ok_or(ActionError::ConfirmationExpired)?;
        if self.expired(pending, now) {
            entries.remove(token);
            return Err(ActionError::ConfirmationExpired);
        }
        if pending.actor.discord_id != confirmer.discord_id && !confirmer.is_admin {
            return Err(ActionError::NotYourConfirmation);
        }
        entries
            .remove(token)
            .ok_or(ActionError::ConfirmationExpired)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;

    fn actor(id: u64, is_admin: bool) -> Actor {
        Actor {
            discord_id: id,
            name: format!("u{id}"),
            roles: vec![],
            is_admin,
        }
    }

    fn pending(guild: u64) -> PendingAction {
        PendingAction {
            guild,
            actor: actor(1, false),
            source: Source::SlashCommand,
            server_label: "main".into(),
            text: ":shutdown".into(),
            created_ms: 0,
        }
    }

    #[test]
    fn once_only_by_the_asker_or_an_admin_before_expiry() {
        let clock = Arc::new(ManualClock::new(1_000));
        let actions = PendingActions::new(clock.clone(), Duration::from_secs(60));
        let token = actions.insert(pending(7));
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(matches!(
            actions.take(8, &token, &actor(1, false)),
            Err(ActionError::ConfirmationExpired)
        ));
        assert!(matches!(
            actions.take(7, &token, &actor(2, false)),
            Err(ActionError::NotYourConfirmation)
        ));
        assert_eq!(
            actions.take(7, &token, &actor(1, false)).unwrap().text,
            ":shutdown"
        );
        assert!(
            actions.take(7, &token, &actor(1, false)).is_err(),
            "single use"
        );

        let token = actions.insert(pending(7));
        assert!(
            actions.take(7, &token, &actor(3, true)).is_ok(),
            "admins may"
        );

        let token = actions.insert(pending(7));
        clock.advance_ms(60_000);
        assert!(matches!(
            actions.take(7, &token, &actor(1, false)),
            Err(ActionError::ConfirmationExpired)
        ));
        assert_ne!(random_token(32), random_token(32));
        let shown = format!("{actions:?}");
        assert!(
            !shown.contains(&token) && shown.contains("waiting"),
            "{shown}"
        );
    }
}
