//! Per-player cooldowns for `;` commands, kept in memory: a restart forgets them, which at
//! worst lets a player use a command once more a little early.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::parse::Builtin;

/// Entries kept before old ones are swept.
const SWEEP_AT: usize = 10_000;

/// Who used which command where.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    guild: u64,
    server: String,
    player: u64,
    command: Builtin,
}

/// Last use per (guild, server, player, command), in Unix milliseconds.
#[derive(Debug, Default)]
pub struct Cooldowns {
    last_use: Mutex<HashMap<Key, i64>>,
}

impl Cooldowns {
    /// No uses recorded: every command is ready.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record a use at `now_ms` if the previous one is at least `cooldown` ago; otherwise
    /// return how long the player still has to wait (and record nothing).
    pub fn try_use(
        &self,
        (guild, server, player): (u64, &str, u64),
        command: Builtin,
        cooldown: Duration,
        now_ms: i64,
    ) -> Result<(), Duration> {
        let cooldown_ms = i64::try_from(cooldown.as_millis()).unwrap_or(i64::MAX);
        let mut last_use = self.last_use.lock().unwrap_or_else(PoisonError::into_inner);
        let key = Key {
            guild,
            server: server.to_owned(),
            player,
            command,
        };
        if let Some(previous) = last_use.get(&key) {
            let ready_at = previous.saturating_add(cooldown_ms);
            if now_ms < ready_at {
                let wait = u64::try_from(ready_at - now_ms).unwrap_or(0);
                return Err(Duration::from_millis(wait));
            }
        }
        if last_use.len() >= SWEEP_AT {
            // Anything older than the longest cooldown can no longer block anyone.
            let longest = Builtin::ALL
                .into_iter()
                .map(Builtin::default_cooldown)
                .max()
                .unwrap_or_default()
                .max(cooldown);
            let horizon = now_ms.saturating_sub(i64::try_from(longest.as_millis()).unwrap_or(0));
            last_use.retain(|_, at| *at > horizon);
        }
        last_use.insert(key, now_ms);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_per_player_command_and_server() {
        let cooldowns = Cooldowns::new();
        let minute = Duration::from_secs(60);
        let who = (1, "main", 7);
        assert_eq!(cooldowns.try_use(who, Builtin::Staff, minute, 0), Ok(()));
        assert_eq!(
            cooldowns.try_use(who, Builtin::Staff, minute, 15_000),
            Err(Duration::from_secs(45))
        );
        assert_eq!(
            cooldowns.try_use(who, Builtin::Help, minute, 15_000),
            Ok(())
        );
        assert_eq!(
            cooldowns.try_use((1, "main", 8), Builtin::Staff, minute, 15_000),
            Ok(())
        );
        assert_eq!(
            cooldowns.try_use((1, "side", 7), Builtin::Staff, minute, 15_000),
            Ok(())
        );
        assert_eq!(
            cooldowns.try_use((2, "main", 7), Builtin::Staff, minute, 15_000),
            Ok(())
        );
        assert_eq!(
            cooldowns.try_use(who, Builtin::Staff, minute, 60_000),
            Ok(())
        );
    }

    #[test]
    fn old_entries_are_swept_without_losing_live_ones() {
        let cooldowns = Cooldowns::new();
        let minute = Duration::from_secs(60);
        for player in 0..SWEEP_AT as u64 {
            cooldowns
                .try_use((1, "main", player), Builtin::Help, minute, 0)
                .unwrap();
        }
        cooldowns
            .try_use((1, "main", 0), Builtin::Staff, minute, 500_000)
            .unwrap();
        let size = cooldowns.last_use.lock().unwrap().len();
        assert_eq!(size, 1);
        assert!(
            cooldowns
                .try_use((1, "main", 0), Builtin::Staff, minute, 500_001)
                .is_err()
        );
    }
}
