//! `Include`: which optional sections to ask `GET /v2/server` for, as a small hashable set.

/// A set of `GET /v2/server` sections. Build it by chaining, e.g.
/// `Include::none().players().queue()`; it is `Copy + Eq + Hash` so it can key a cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Include(u16);

/// Every section in the fixed order used for query strings: (bit, PRC flag name).
const SECTIONS: [(u16, &str); 9] = [
    (1 << 0, "Players"),
    (1 << 1, "Staff"),
    (1 << 2, "JoinLogs"),
    (1 << 3, "Queue"),
    (1 << 4, "KillLogs"),
    (1 << 5, "CommandLogs"),
    (1 << 6, "ModCalls"),
    (1 << 7, "EmergencyCalls"),
    (1 << 8, "Vehicles"),
];

const ALL_BITS: u16 = (1 << SECTIONS.len()) - 1;

impl Include {
    /// No optional sections: only the base server fields.
    pub const fn none() -> Self {
        Self(0)
    }

    /// Every section PRC offers.
    pub const fn all() -> Self {
        Self(ALL_BITS)
    }

    const fn with(self, bit: u16) -> Self {
        Self(self.0 | bit)
    }

    /// Add `Players`: everyone online, with team, permission, wanted stars and location.
    pub const fn players(self) -> Self {
        self.with(1 << 0)
    }

    /// Add `Staff`: the admin, mod and helper lists (id → username).
    pub const fn staff(self) -> Self {
        self.with(1 << 1)
    }

    /// Add `JoinLogs`: recent joins and leaves.
    pub const fn join_logs(self) -> Self {
        self.with(1 << 2)
    }

    /// Add `Queue`: user ids waiting to get into a full server, in order.
    pub const fn queue(self) -> Self {
        self.with(1 << 3)
    }

    /// Add `KillLogs`: recent kills.
    pub const fn kill_logs(self) -> Self {
        self.with(1 << 4)
    }

    /// Add `CommandLogs`: recent commands, in game and through the API.
    pub const fn command_logs(self) -> Self {
        self.with(1 << 5)
    }

    /// Add `ModCalls`: recent calls for a moderator.
    pub const fn mod_calls(self) -> Self {
        self.with(1 << 6)
    }

    /// Add `EmergencyCalls`: active 911 calls.
    pub const fn emergency_calls(self) -> Self {
        self.with(1 << 7)
    }

    /// Add `Vehicles`: spawned vehicles with plate and colour.
    pub const fn vehicles(self) -> Self {
        self.with(1 << 8)
    }

    /// True when every section in `other` is also in `self`.
    pub const fn contains(self, other: Include) -> bool {
        self.0 & other.0 == other.0
    }

    /// Every section in either set.
    pub const fn union(self, other: Include) -> Self {
        Self(self.0 | other.0)
    }

    /// True when only the base server fields would be asked for.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// PRC's PascalCase flag names of the chosen sections, in a fixed order.
    pub fn flag_names(self) -> impl Iterator<Item = &'static str> {
        SECTIONS
            .into_iter()
            .filter(move |(bit, _)| self.0 & bit != 0)
            .map(|(_, name)| name)
    }

    /// Query parameters for `GET /v2/server`, e.g. `[("Players", "true"), ("Queue", "true")]`,
    /// always in the same order so equal sets give equal URLs.
    pub fn query_pairs(self) -> Vec<(&'static str, &'static str)> {
        self.flag_names().map(|name| (name, "true")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn query_pairs_are_pascal_case_in_a_fixed_order() {
        let pairs = Include::none().vehicles().players().queue().query_pairs();
        assert_eq!(
            pairs,
            [("Players", "true"), ("Queue", "true"), ("Vehicles", "true")]
        );
        let names: Vec<_> = Include::all()
            .query_pairs()
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(
            names,
            [
                "Players",
                "Staff",
                "JoinLogs",
                "Queue",
                "KillLogs",
                "CommandLogs",
                "ModCalls",
                "EmergencyCalls",
                "Vehicles"
            ]
        );
        assert!(Include::none().query_pairs().is_empty());
    }

    #[test]
    fn every_builder_sets_exactly_one_distinct_flag() {
        let builders: [fn(Include) -> Include; 9] = [
            Include::players,
            Include::staff,
            Include::join_logs,
            Include::queue,
            Include::kill_logs,
            Include::command_logs,
            Include::mod_calls,
            Include::emergency_calls,
            Include::vehicles,
        ];
        let mut union = Include::none();
        for build in builders {
            let one = build(Include::none());
            assert_eq!(one.query_pairs().len(), 1);
            assert!(!union.contains(one));
            union = union.union(one);
        }
        assert_eq!(union, Include::all());
    }

    #[test]
    fn set_operations() {
        let a = Include::none().players().staff();
        let b = Include::none().staff().queue();
        assert!(a.union(b).contains(a) && a.union(b).contains(b));
        assert!(!a.contains(b));
        assert!(a.contains(Include::none()));
        assert!(Include::none().is_empty() && !a.is_empty());
        assert!(Include::all().contains(a));
        assert_eq!(a, Include::none().staff().players().players());
        let keys: HashSet<Include> = [a, b, Include::none().staff().players()].into();
        assert_eq!(keys.len(), 2);
    }
}
