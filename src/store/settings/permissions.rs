//! Role permissions: which Discord roles may use which groups of the bot's abilities.

use std::collections::{BTreeMap, BTreeSet};

use super::Settings;
use crate::store::StoreError;
use crate::store::db;

/// A group of abilities a role can be granted. Capabilities are independent: granting
/// `Manage` does not grant `Ban`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// See server status, players, logs.
    View,
    /// Send in-game messages and hints.
    Message,
    /// Kick, jail, respond to mod calls.
    Moderate,
    /// Ban and unban.
    Ban,
    /// Run arbitrary in-game commands.
    RawCommand,
    /// Change the bot's configuration for the guild.
    Manage,
    /// File warnings and notes, see cases, edit the reasons of one's own cases.
    Cases,
    /// Edit and void anyone's cases.
    CaseAdmin,
    /// Go on and off shift, see shifts and the leaderboard.
    Shifts,
    /// Adjust and void anyone's shifts, decide leaves of absence, see the activity report.
    ShiftAdmin,
}

impl Capability {
    /// Every capability, in the order the bot lists them.
    pub const ALL: [Capability; 10] = [
        Self::View,
        Self::Message,
        Self::Moderate,
        Self::Ban,
        Self::RawCommand,
        Self::Manage,
        Self::Cases,
        Self::CaseAdmin,
        Self::Shifts,
        Self::ShiftAdmin,
    ];

    /// The stored and displayed name, such as `raw_command`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Message => "message",
            Self::Moderate => "moderate",
            Self::Ban => "ban",
            Self::RawCommand => "raw_command",
            Self::Manage => "manage",
            Self::Cases => "cases",
            Self::CaseAdmin => "case_admin",
            Self::Shifts => "shifts",
            Self::ShiftAdmin => "shift_admin",
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capability name that is not one of [`Capability::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a capability; use one of: view, message, moderate, ban, raw_command, manage, cases, case_admin, shifts, shift_admin"
)]
pub struct UnknownCapability(pub String);

impl std::str::FromStr for Capability {
    type Err = UnknownCapability;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == wanted)
            .ok_or_else(|| UnknownCapability(text.to_owned()))
    }
}

impl Settings {
    /// Set a role's capabilities; an empty set removes the role's entry.
    pub fn set_role_capabilities(
        &self,
        guild: u64,
        role: u64,
        capabilities: &BTreeSet<Capability>,
    ) -> Result<(), StoreError> {
        let key = db::guild_u64_key(guild, role);
        if capabilities.is_empty() {
            self.roles.remove(key)?;
        } else {
            self.roles.insert(key, db::encode(capabilities)?)?;
        }
        self.flush()
    }

    /// Every role of the guild that has capabilities.
    pub fn role_capabilities(
        &self,
        guild: u64,
    ) -> Result<BTreeMap<u64, BTreeSet<Capability>>, StoreError> {
        let mut out = BTreeMap::new();
        for entry in self.roles.scan_prefix(db::guild_prefix(guild)) {
            let (key, value) = entry?;
            let role = db::read_u64(&key, 8)
                .ok_or_else(|| StoreError::corrupt("role permission key", "too short"))?;
            out.insert(role, db::decode("role permissions", &value)?);
        }
        Ok(out)
    }

    /// The union of the capabilities of `roles` (a member's roles).
    pub fn capabilities_for_roles(
        &self,
        guild: u64,
        roles: &[u64],
    ) -> Result<BTreeSet<Capability>, StoreError> {
        let mut out = BTreeSet::new();
        for role in roles {
            if let Some(value) = self.roles.get(db::guild_u64_key(guild, *role))? {
                let caps: BTreeSet<Capability> = db::decode("role permissions", &value)?;
                out.extend(caps);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::settings;
    use super::*;

    #[test]
    fn union_over_roles_and_removal() {
        let (_db, s) = settings();
        s.set_role_capabilities(
            1,
            10,
            &BTreeSet::from([Capability::View, Capability::Message]),
        )
        .unwrap();
        s.set_role_capabilities(1, 11, &BTreeSet::from([Capability::Ban]))
            .unwrap();
        s.set_role_capabilities(2, 12, &BTreeSet::from([Capability::Manage]))
            .unwrap();
        assert_eq!(
            s.capabilities_for_roles(1, &[10, 11, 12, 99]).unwrap(),
            BTreeSet::from([Capability::View, Capability::Message, Capability::Ban])
        );
        assert_eq!(s.role_capabilities(1).unwrap().len(), 2);
        s.set_role_capabilities(1, 10, &BTreeSet::new()).unwrap();
        assert_eq!(
            s.role_capabilities(1).unwrap().keys().collect::<Vec<_>>(),
            [&11]
        );
    }

    #[test]
    fn names_round_trip() {
        for cap in Capability::ALL {
            assert_eq!(cap.as_str().parse::<Capability>(), Ok(cap));
            assert_eq!(serde_json::to_string(&cap).unwrap(), format!("\"{cap}\""));
        }
        assert_eq!(
            "Raw-Command".parse::<Capability>(),
            Ok(Capability::RawCommand)
        );
        assert!("root".parse::<Capability>().is_err());
    }
}
