//! What a case is: its number, type, target, moderator, reason, status and edit history, and
//! which status changes are allowed.

use serde::{Deserialize, Serialize};

/// The case types every guild has, in the order `/cases` lists them. A guild may add its own
/// (`/settings cases`); these stay, since the bot's own actions file them.
pub const BUILT_IN_TYPES: &[&str] = &[
    "warning", "note", "kick", "ban", "temp_ban", "unban", "jail",
];

pub use crate::store::type_names::{MAX_TYPE_LEN, valid_type};

/// The player a case is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTarget {
    /// Roblox user id, when known (a ban by username of someone offline has none).
    pub id: Option<u64>,
    /// Roblox username as typed or resolved; untrusted text.
    pub name: String,
}

/// Who filed or acted on a case: a Discord member, an in-game staff member, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CaseModerator {
    /// Discord user id.
    pub discord_id: Option<u64>,
    /// Discord display name at the time.
    pub discord_name: Option<String>,
    /// Roblox user id of the in-game staff member.
    pub roblox_id: Option<u64>,
    /// Roblox username of the in-game staff member; untrusted text.
    pub roblox_name: Option<String>,
}

impl CaseModerator {
    /// A Discord member.
    pub fn discord(id: u64, name: &str) -> Self {
        Self {
            discord_id: Some(id),
            discord_name: Some(name.to_owned()),
            ..Self::default()
        }
    }

    /// The name to show: the Discord name, else the Roblox name, else `unknown`.
    pub fn display_name(&self) -> &str {
        self.discord_name
            .as_deref()
            .or(self.roblox_name.as_deref())
            .unwrap_or("unknown")
    }
}

/// Where a case came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseSource {
    /// A slash command, button or form in Discord.
    Discord,
    /// A command typed in game.
    InGame,
    /// The bot on its own (a temp ban lifted when due).
    Automation,
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Written before its in-game action ran; becomes active or failed when it ends.
    Pending,
    /// In force.
    Active,
    /// Its in-game action did not run.
    Failed,
    /// Withdrawn by a case admin.
    Voided,
    /// A temp ban that was lifted when due.
    Expired,
}

impl CaseStatus {
    /// The word shown and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Failed => "failed",
            Self::Voided => "voided",
            Self::Expired => "expired",
        }
    }

    /// Whether a case may go from this status to `next`. A pending case ends once (a temp
    /// ban still pending when due, its outcome lost to a crash, is lifted anyway); only what
    /// is in force (or expired) can be voided; nothing comes back from voided or failed.
    pub fn can_become(self, next: CaseStatus) -> bool {
        use CaseStatus::*;
        matches!(
            (self, next),
            (Pending, Active | Failed | Expired) | (Active, Voided | Expired) | (Expired, Voided)
        )
    }

    /// Whether a temp ban in this status still waits to be lifted.
    pub fn awaits_expiry(self) -> bool {
        matches!(self, Self::Pending | Self::Active)
    }
}

/// One change to a case after it was filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum CaseChange {
    /// The reason was rewritten.
    Reason {
        /// The reason before.
        from: Option<String>,
        /// The reason after.
        to: String,
    },
    /// The status moved.
    Status {
        /// Status before.
        from: CaseStatus,
        /// Status after.
        to: CaseStatus,
        /// Why (a void's reason, a failed action's error).
        note: Option<String>,
    },
}

/// Who changed a case, when, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEdit {
    /// Unix ms.
    pub at_ms: i64,
    /// Who made the change; `None` for the bot itself.
    pub by: Option<CaseModerator>,
    /// What changed.
    pub change: CaseChange,
}

/// A case as filed, before it has a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// Case type, such as `warning` (see [`valid_type`]).
    pub kind: String,
    /// Who it is about.
    pub target: CaseTarget,
    /// Who filed it.
    pub moderator: CaseModerator,
    /// Why; untrusted text.
    pub reason: Option<String>,
    /// The guild's label for the ER:LC server it concerns, if any.
    pub server: Option<String>,
    /// Where it came from.
    pub source: CaseSource,
    /// [`CaseStatus::Pending`] while its in-game action runs, else [`CaseStatus::Active`].
    pub status: CaseStatus,
    /// When a temp ban is lifted, in Unix ms.
    pub expires_at_ms: Option<i64>,
    /// Seq of the audit intent of the action the case records.
    pub audit_seq: Option<u64>,
}

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Discord guild.
    pub guild: u64,
    /// The guild's case number: 1, 2, 3 …, never reused.
    pub number: u64,
    /// Case type, such as `warning`.
    pub kind: String,
    /// Who it is about.
    pub target: CaseTarget,
    /// Who filed it.
    pub moderator: CaseModerator,
    /// Why; untrusted text.
    pub reason: Option<String>,
    /// The guild's label for the ER:LC server it concerns, if any.
    pub server: Option<String>,
    /// When it was filed, in Unix ms.
    pub created_at_ms: i64,
    /// Where it came from.
    pub source: CaseSource,
    /// Where it stands.
    pub status: CaseStatus,
    /// When a temp ban is lifted, in Unix ms.
    pub expires_at_ms: Option<i64>,
    /// Seq of the audit intent of the action the case records.
    pub audit_seq: Option<u64>,
    /// Every change since it was filed, oldest first.
    pub history: Vec<CaseEdit>,
}

impl Case {
    pub(super) fn from_new(guild: u64, number: u64, now_ms: i64, new: NewCase) -> Self {
        Self {
            guild,
            number,
            kind: new.kind,
            target: new.target,
            moderator: new.moderator,
            reason: new.reason,
            server: new.server,
            created_at_ms: now_ms,
            source: new.source,
            status: new.status,
            expires_at_ms: new.expires_at_ms,
            audit_seq: new.audit_seq,
            history: Vec::new(),
        }
    }

    /// Whether the store keeps this case in its due-for-unban index.
    pub fn awaits_expiry(&self) -> bool {
        self.expires_at_ms.is_some() && self.status.awaits_expiry()
    }

    /// Move to `next`, recording who and why; refused when the move is not allowed.
    pub fn set_status(
        &mut self,
        next: CaseStatus,
        by: Option<CaseModerator>,
        note: Option<String>,
        at_ms: i64,
    ) -> Result<(), CaseStatus> {
        if !self.status.can_become(next) {
            return Err(self.status);
        }
        self.history.push(CaseEdit {
            at_ms,
            by,
            change: CaseChange::Status {
                from: self.status,
                to: next,
                note,
            },
        });
        self.status = next;
        Ok(())
    }

    /// Rewrite the reason, recording who.
    pub fn set_reason(&mut self, reason: String, by: CaseModerator, at_ms: i64) {
        self.history.push(CaseEdit {
            at_ms,
            by: Some(by),
            change: CaseChange::Reason {
                from: self.reason.take(),
                to: reason.clone(),
            },
        });
        self.reason = Some(reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    #[test]
    fn status_transitions() {
        let all = [Pending, Active, Failed, Voided, Expired];
        let allowed: Vec<(CaseStatus, CaseStatus)> = all
            .iter()
            .flat_map(|a| all.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        assert_eq!(
            allowed,
            [
                (Pending, Active),
                (Pending, Failed),
                (Pending, Expired),
                (Active, Voided),
                (Active, Expired),
                (Expired, Voided)
            ]
        );
    }

    #[test]
    fn a_refused_move_changes_nothing() {
        let mut case = Case::from_new(
            1,
            1,
            0,
            NewCase {
                kind: "ban".into(),
                target: CaseTarget {
                    id: Some(5),
                    name: "A".into(),
                },
                moderator: CaseModerator::discord(9, "Mod"),
                reason: None,
                server: None,
                source: CaseSource::Discord,
                status: Pending,
                expires_at_ms: Some(10),
                audit_seq: None,
            },
        );
        assert!(case.awaits_expiry());
        assert_eq!(case.set_status(Voided, None, None, 1), Err(Pending));
        assert!(case.history.is_empty());
        case.set_status(Active, None, None, 2).unwrap();
        case.set_status(Expired, None, None, 3).unwrap();
        assert!(!case.awaits_expiry());
        assert_eq!(case.history.len(), 2);
        case.set_reason("x".into(), CaseModerator::discord(9, "Mod"), 4);
        assert_eq!(case.reason.as_deref(), Some("x"));
    }

    #[test]
    fn type_names() {
        assert!(BUILT_IN_TYPES.iter().all(|t| valid_type(t)));
        for bad in ["", "Warn", "a b", "x-y", &"a".repeat(25)] {
            assert!(!valid_type(bad), "{bad}");
        }
    }
}
