//! Leaves of absence (LOA): a staff member asks to be away for a span of UTC days; a shift
//! admin approves or denies. Per guild, numbered from 1. A member's pending and approved
//! leaves never overlap (a second request for the same days is refused), and a decision is
//! made once. Writes are serialised by a lock: a guild has tens of leaves, not thousands, so
//! the overlap check reads the member's leaves under it instead of keeping an index.

use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::keys::{be_u64, decode_json, encode_json};

/// Name of the sled tree: `guild ++ leave id` → [`Leave`].
pub const LEAVES_TREE: &str = "leaves";

/// Where a leave stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveStatus {
    /// Waiting for a shift admin.
    Pending,
    /// Approved: the member is excused from quotas for its days.
    Approved,
    /// Denied: it changes nothing.
    Denied,
}

impl LeaveStatus {
    /// The word shown to people and in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }
}

/// A request for leave, as the member made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLeave {
    /// Discord id of the member who will be away.
    pub member: u64,
    /// Their display name when they asked (untrusted text).
    pub member_name: String,
    /// Unix ms of the first moment away (a UTC midnight).
    pub from_ms: i64,
    /// Unix ms of the first moment back (exclusive; a UTC midnight).
    pub until_ms: i64,
    /// Why (untrusted text).
    pub reason: String,
}

/// A stored leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leave {
    /// Discord guild id.
    pub guild: u64,
    /// Number within the guild, from 1.
    pub id: u64,
    /// Discord id of the member who will be away.
    pub member: u64,
    /// Their display name when they asked (untrusted text).
    pub member_name: String,
    /// Unix ms of the first moment away.
    pub from_ms: i64,
    /// Unix ms of the first moment back (exclusive).
    pub until_ms: i64,
    /// Why (untrusted text).
    pub reason: String,
    /// Pending, approved or denied.
    pub status: LeaveStatus,
    /// Unix ms of the request.
    pub requested_at_ms: i64,
    /// Discord id of the shift admin who decided.
    pub decided_by: Option<u64>,
    /// Unix ms of the decision.
    pub decided_at_ms: Option<i64>,
}

impl Leave {
    /// Whether it still counts: pending or approved (a denied leave blocks nothing).
    pub fn is_live(&self) -> bool {
        self.status != LeaveStatus::Denied
    }

    /// Whether `[from_ms, until_ms)` shares a moment with this leave.
    pub fn overlaps(&self, from_ms: i64, until_ms: i64) -> bool {
        self.from_ms < until_ms && from_ms < self.until_ms
    }
}

/// Why a leave could not be filed or decided.
#[derive(Debug, thiserror::Error)]
pub enum LeaveError {
    /// The member already has a pending or approved leave on some of these days.
    #[error("you already have leave #{} on some of these days ({})", .0.id, .0.status.as_str())]
    Overlaps(Box<Leave>),
    /// No leave with that number in this guild.
    #[error("there is no leave #{0} in this server")]
    NotFound(u64),
    /// It was approved or denied already.
    #[error("leave #{} was already {}", .0.id, .0.status.as_str())]
    AlreadyDecided(Box<Leave>),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The leaves of every guild. Cheap to clone.
#[derive(Clone)]
pub struct Leaves {
    tree: sled::Tree,
    write_lock: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Leaves {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leaves").finish_non_exhaustive()
    }
}

fn key(guild: u64, id: u64) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&be_u64(guild));
    key[8..].copy_from_slice(&be_u64(id));
    key
}

impl Leaves {
    pub(crate) fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            tree: db.open_tree(LEAVES_TREE)?,
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    /// File a pending leave, refused when it overlaps one of the member's pending or
    /// approved leaves. Flushed before it returns (it is confirmed to the member).
    pub fn request(&self, guild: u64, new: NewLeave, now_ms: i64) -> Result<Leave, LeaveError> {
        if new.until_ms <= new.from_ms {
            return Err(StoreError::Invalid("a leave must end after it starts".into()).into());
        }
        let _guard = self
            .write_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut last = 0;
        for leave in self.all(guild)? {
            last = last.max(leave.id);
            if leave.member == new.member
                && leave.is_live()
                && leave.overlaps(new.from_ms, new.until_ms)
            {
                return Err(LeaveError::Overlaps(Box::new(leave)));
            }
        }
        let leave = Leave {
            guild,
            id: last + 1,
            member: new.member,
            member_name: new.member_name,
            from_ms: new.from_ms,
            until_ms: new.until_ms,
            reason: new.reason,
            status: LeaveStatus::Pending,
            requested_at_ms: now_ms,
            decided_by: None,
            decided_at_ms: None,
        };
        self.put(&leave)?;
        Ok(leave)
    }

    /// Approve or deny a pending leave, once.
    pub fn decide(
        &self,
        guild: u64,
        id: u64,
        approve: bool,
        by: u64,
        now_ms: i64,
    ) -> Result<Leave, LeaveError> {
        let _guard = self
            .write_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut leave = self.get(guild, id)?.ok_or(LeaveError::NotFound(id))?;
        if leave.status != LeaveStatus::Pending {
            return Err(LeaveError::AlreadyDecided(Box::new(leave)));
        }
        leave.status = if approve {
            LeaveStatus::Approved
        } else {
            LeaveStatus::Denied
        };
        leave.decided_by = Some(by);
        leave.decided_at_ms = Some(now_ms);
        self.put(&leave)?;
        Ok(leave)
    }

    fn put(&self, leave: &Leave) -> Result<(), StoreError> {
        self.tree.insert(
            key(leave.guild, leave.id),
            encode_json(leave, "leave of absence")?,
        )?;
        self.tree.flush()?;
        Ok(())
    }

    /// One leave by number.
    pub fn get(&self, guild: u64, id: u64) -> Result<Option<Leave>, StoreError> {
        self.tree
            .get(key(guild, id))?
            .map(|raw| decode_json(&raw, "leave of absence"))
            .transpose()
    }

    /// Every leave of the guild, oldest request first.
    pub fn all(&self, guild: u64) -> Result<Vec<Leave>, StoreError> {
        self.tree
            .scan_prefix(be_u64(guild))
            .values()
            .map(|raw| decode_json(&raw?, "leave of absence"))
            .collect()
    }

    /// The approved leaves of the guild that share a moment with `[from_ms, until_ms)`.
    pub fn approved_between(
        &self,
        guild: u64,
        from_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<Leave>, StoreError> {
        Ok(self
            .all(guild)?
            .into_iter()
            .filter(|l| l.status == LeaveStatus::Approved && l.overlaps(from_ms, until_ms))
            .collect())
    }

    /// Delete every leave of the guild; returns how many.
    pub fn purge_guild(&self, guild: u64) -> Result<u64, StoreError> {
        let _guard = self
            .write_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut removed = 0;
        for entry in self.tree.scan_prefix(be_u64(guild)).keys() {
            self.tree.remove(entry?)?;
            removed += 1;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn leaves() -> Leaves {
        let db = sled::Config::new().temporary(true).open().unwrap();
        Leaves::open(&db).unwrap()
    }

    fn ask(member: u64, from_day: i64, days: i64) -> NewLeave {
        NewLeave {
            member,
            member_name: format!("m{member}"),
            from_ms: from_day * DAY,
            until_ms: (from_day + days) * DAY,
            reason: "holiday".into(),
        }
    }

    #[test]
    fn numbered_per_guild_and_overlaps_refused_for_the_same_member_only() {
        let l = leaves();
        assert_eq!(l.request(1, ask(7, 10, 3), 0).unwrap().id, 1);
        assert_eq!(l.request(2, ask(7, 10, 3), 0).unwrap().id, 1);
        // Another member on the same days is fine; the same member is refused.
        assert_eq!(l.request(1, ask(8, 10, 3), 0).unwrap().id, 2);
        match l.request(1, ask(7, 12, 5), 0) {
            Err(LeaveError::Overlaps(existing)) => assert_eq!(existing.id, 1),
            other => panic!("{other:?}"),
        }
        // Touching days (the first ends where the next starts) do not overlap.
        assert_eq!(l.request(1, ask(7, 13, 2), 0).unwrap().id, 3);
        assert!(l.request(1, ask(7, 20, 0), 0).is_err(), "empty span");
    }

    #[test]
    fn decided_once_and_denied_leaves_free_their_days() {
        let l = leaves();
        l.request(1, ask(7, 10, 3), 0).unwrap();
        let denied = l.decide(1, 1, false, 99, 5).unwrap();
        assert_eq!(
            (denied.status, denied.decided_by, denied.decided_at_ms),
            (LeaveStatus::Denied, Some(99), Some(5))
        );
        assert!(matches!(
            l.decide(1, 1, true, 99, 6),
            Err(LeaveError::AlreadyDecided(_))
        ));
        assert!(matches!(
            l.decide(1, 9, true, 99, 6),
            Err(LeaveError::NotFound(9))
        ));
        let again = l.request(1, ask(7, 10, 3), 7).unwrap();
        l.decide(1, again.id, true, 99, 8).unwrap();
        let approved = l.approved_between(1, 11 * DAY, 12 * DAY).unwrap();
        assert_eq!(approved.iter().map(|l| l.id).collect::<Vec<_>>(), [2]);
        assert!(
            l.approved_between(1, 13 * DAY, 14 * DAY)
                .unwrap()
                .is_empty()
        );
        assert_eq!(l.purge_guild(1).unwrap(), 2);
        assert!(l.all(1).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_record_is_an_error_not_a_panic() {
        let l = leaves();
        l.tree.insert(key(1, 1), b"{nope".to_vec()).unwrap();
        assert!(matches!(l.all(1), Err(StoreError::Corrupt { .. })));
        assert!(l.request(1, ask(7, 1, 1), 0).is_err());
    }
}
