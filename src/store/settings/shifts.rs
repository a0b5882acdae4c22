//! A guild's shift settings: its shift types, the on-shift role, whether starting needs the
//! member in game, and automatic shifts from staff joining and leaving servers.

use serde::{Deserialize, Serialize};

use crate::store::shifts::DEFAULT_TYPE;

/// Most shift types a guild may configure (a slash-command choice list holds 25).
pub const MAX_SHIFT_TYPES: usize = 25;

/// How a guild runs shifts. Missing fields read as their defaults (no migration).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShiftSettings {
    /// Shift types members choose from; empty means just [`DEFAULT_TYPE`].
    pub types: Vec<String>,
    /// Discord role the bot gives while a member is on shift and removes after.
    pub on_shift_role: Option<u64>,
    /// Whether `/shift start` needs the member's linked Roblox account online on a
    /// connected server.
    pub require_in_game: bool,
    /// Whether a linked staff member joining a connected server starts a shift (and leaving
    /// ends it).
    pub automatic: bool,
}

impl ShiftSettings {
    /// The types members may choose, in order: the configured ones, or [`DEFAULT_TYPE`].
    pub fn types(&self) -> Vec<&str> {
        if self.types.is_empty() {
            vec![DEFAULT_TYPE]
        } else {
            self.types.iter().map(String::as_str).collect()
        }
    }

    /// The type a shift gets when none is named: the first configured one.
    pub fn default_type(&self) -> &str {
        self.types.first().map_or(DEFAULT_TYPE, String::as_str)
    }

    /// Whether `kind` is one of the guild's types.
    pub fn has_type(&self, kind: &str) -> bool {
        self.types().contains(&kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_configured_types() {
        let mut s = ShiftSettings::default();
        assert_eq!(s.types(), vec!["general"]);
        assert_eq!(s.default_type(), "general");
        assert!(s.has_type("general"));
        s.types = vec!["patrol".into(), "training".into()];
        assert_eq!(s.default_type(), "patrol");
        assert!(s.has_type("training"));
        assert!(!s.has_type("general"));
        let old: ShiftSettings = serde_json::from_str(r#"{"automatic":true}"#).unwrap();
        assert!(old.automatic);
        assert!(!old.require_in_game);
    }
}
