//! What a shift is (member, type, server, source, start, breaks, end, status, admin
//! adjustments), the refusals a change to one can meet, and the arithmetic of how long a
//! shift was worked inside a period.

use serde::{Deserialize, Serialize};

use crate::store::StoreError;
use crate::store::links::EventMark;

pub use crate::store::type_names::{MAX_TYPE_LEN, valid_type};

/// The shift type a guild has before it configures its own.
pub const DEFAULT_TYPE: &str = "general";

/// The member's Roblox account, when linked at the time the shift started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftRoblox {
    /// Roblox user id.
    pub id: u64,
    /// Roblox username; untrusted text.
    pub name: String,
}

/// How a shift was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftSource {
    /// `/shift start` in Discord.
    Discord,
    /// `:log shift start` typed in game.
    InGame,
    /// The member joined a connected server as staff (automatic shifts).
    Automatic,
    /// `/shift adjust`: a record that carries only an admin's adjustment.
    Admin,
}

impl ShiftSource {
    /// The word shown and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Discord => "discord",
            Self::InGame => "in_game",
            Self::Automatic => "automatic",
            Self::Admin => "admin",
        }
    }
}

/// Where a shift stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftStatus {
    /// Running (possibly on a break); at most one per member per guild.
    Open,
    /// Ended; its time counts.
    Ended,
    /// Withdrawn by a shift admin; counts zero.
    Voided,
}

impl ShiftStatus {
    /// The word shown and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Ended => "ended",
            Self::Voided => "voided",
        }
    }
}

/// A break inside a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftBreak {
    /// Unix ms the break began.
    pub start_ms: i64,
    /// Unix ms it ended; `None` while the member is on it.
    pub end_ms: Option<i64>,
}

/// Minutes a shift admin added to (or, negative, took from) a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftAdjustment {
    /// Minutes added; negative takes time away.
    pub minutes: i64,
    /// Why; untrusted text.
    pub reason: String,
    /// Discord id of the admin.
    pub by: u64,
    /// Unix ms of the adjustment.
    pub at_ms: i64,
}

/// Who voided a shift, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftVoid {
    /// Discord id of the admin.
    pub by: u64,
    /// Unix ms.
    pub at_ms: i64,
}

/// A shift as started, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShift {
    /// Discord user id of the member on shift.
    pub member: u64,
    /// Their linked Roblox account, when known.
    pub roblox: Option<ShiftRoblox>,
    /// Shift type (see [`valid_type`]); the caller checks it against the guild's list.
    pub kind: String,
    /// The guild's label of the server the shift is on, if any.
    pub server: Option<String>,
    /// How it was started.
    pub source: ShiftSource,
    /// Unix ms it started (an event's time for automatic and in-game shifts).
    pub started_at_ms: i64,
}

/// A stored shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// Discord guild.
    pub guild: u64,
    /// The guild's shift number: 1, 2, 3 …, never reused.
    pub id: u64,
    /// Discord user id of the member on shift.
    pub member: u64,
    /// Their linked Roblox account, when known.
    pub roblox: Option<ShiftRoblox>,
    /// Shift type.
    pub kind: String,
    /// The guild's label of the server the shift is on, if any.
    pub server: Option<String>,
    /// How it was started.
    pub source: ShiftSource,
    /// Unix ms it started.
    pub started_at_ms: i64,
    /// Breaks, oldest first; only the last may still be running.
    #[serde(default)]
    pub breaks: Vec<ShiftBreak>,
    /// Unix ms it ended; `None` while open.
    pub ended_at_ms: Option<i64>,
    /// Where it stands.
    pub status: ShiftStatus,
    /// Admin adjustments, oldest first.
    #[serde(default)]
    pub adjustments: Vec<ShiftAdjustment>,
    /// Set when voided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided: Option<ShiftVoid>,
}

/// A change to a shift the store refused; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShiftRefusal {
    /// The member already has an open shift.
    #[error("you are already on shift #{0}")]
    AlreadyOpen(u64),
    /// The member has no open shift to change.
    #[error("you are not on shift")]
    NoOpenShift,
    /// A break was asked for while on one.
    #[error("you are already on a break")]
    AlreadyOnBreak,
    /// A resume was asked for while not on a break.
    #[error("you are not on a break")]
    NotOnBreak,
    /// No shift with that id in this guild.
    #[error("there is no shift #{0}")]
    Unknown(u64),
    /// The shift is already voided.
    #[error("shift #{0} is already voided")]
    AlreadyVoided(u64),
    /// The type name is not a valid shift type name.
    #[error("`{0}` is not a shift type name")]
    BadType(String),
}

/// Why a change to a shift did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ShiftError {
    /// Refused; nothing was written.
    #[error(transparent)]
    Refused(#[from] ShiftRefusal),
    /// The store failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a change did: `Applied` the first time, `Replayed` when the stored event that asks
/// for it was already applied (a consumer replaying after a crash), so nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShiftChange {
    /// The change was written; the shift after it.
    Applied(Shift),
    /// This event was applied before; the shift as it is now.
    Replayed(Shift),
}

impl ShiftChange {
    /// The shift, either way.
    pub fn shift(&self) -> &Shift {
        match self {
            Self::Applied(s) | Self::Replayed(s) => s,
        }
    }

    /// Whether this call wrote the change (so the caller announces it once).
    pub fn is_applied(&self) -> bool {
        matches!(self, Self::Applied(_))
    }
}

/// The event a change comes from, when a consumer of stored events makes it; makes the
/// change idempotent per event.
pub type ShiftMark<'a> = Option<&'a EventMark>;

impl Shift {
    pub(super) fn from_new(guild: u64, id: u64, new: NewShift) -> Self {
        Self {
            guild,
            id,
            member: new.member,
            roblox: new.roblox,
            kind: new.kind,
            server: new.server,
            source: new.source,
            started_at_ms: new.started_at_ms,
            breaks: Vec::new(),
            ended_at_ms: None,
            status: ShiftStatus::Open,
            adjustments: Vec::new(),
            voided: None,
        }
    }

    /// Whether the member is on a break now.
    pub fn on_break(&self) -> bool {
        self.breaks.last().is_some_and(|b| b.end_ms.is_none())
    }

    /// A time for a change to this shift: never before its start or its last break's start,
    /// so an event stamped slightly early (clock skew between servers) cannot make negative
    /// time.
    pub(super) fn not_before_last_change(&self, at_ms: i64) -> i64 {
        let last_break = self
            .breaks
            .last()
            .map(|b| b.end_ms.unwrap_or(b.start_ms))
            .unwrap_or(i64::MIN);
        at_ms.max(self.started_at_ms).max(last_break)
    }

    /// Where the shift ends for arithmetic: its end, or `now` while open.
    fn end_or(&self, now_ms: i64) -> i64 {
        self.ended_at_ms.unwrap_or(now_ms).max(self.started_at_ms)
    }

    /// Milliseconds of break inside `[from_ms, to_ms)`, overlapping breaks counted once, a
    /// running break up to `now_ms`. Voided shifts have none.
    pub fn break_ms(&self, from_ms: i64, to_ms: i64, now_ms: i64) -> i64 {
        if self.status == ShiftStatus::Voided {
            return 0;
        }
        let end = self.end_or(now_ms);
        let lo = from_ms.max(self.started_at_ms);
        let hi = to_ms.min(end);
        if hi <= lo {
            return 0;
        }
        let mut spans: Vec<(i64, i64)> = self
            .breaks
            .iter()
            .map(|b| (b.start_ms.max(lo), b.end_ms.unwrap_or(end).min(hi)))
            .filter(|(s, e)| e > s)
            .collect();
        spans.sort_unstable();
        let mut total = 0;
        let mut reach = i64::MIN;
        for (s, e) in spans {
            let s = s.max(reach);
            if e > s {
                total += e - s;
            }
            reach = reach.max(e);
        }
        total
    }

    /// Milliseconds worked inside `[from_ms, to_ms)`: the shift clipped to the period, breaks
    /// taken out, an open shift counted up to `now_ms`, plus the admin adjustments when the
    /// shift started inside the period (an adjustment belongs to its shift, so it counts
    /// once, in the period of the shift's start). Voided shifts count zero. Negative only
    /// when adjustments take away more than was worked; callers summing a member's time
    /// clamp the total, not each shift.
    pub fn worked_ms(&self, from_ms: i64, to_ms: i64, now_ms: i64) -> i64 {
        if self.status == ShiftStatus::Voided {
            return 0;
        }
        let end = self.end_or(now_ms);
        let lo = from_ms.max(self.started_at_ms);
        let hi = to_ms.min(end);
        let clipped = (hi - lo).max(0) - self.break_ms(from_ms, to_ms, now_ms);
        let adjusted = if (from_ms..to_ms).contains(&self.started_at_ms) {
            self.adjustments
                .iter()
                .map(|a| a.minutes.saturating_mul(60_000))
                .fold(0i64, i64::saturating_add)
        } else {
            0
        };
        clipped.saturating_add(adjusted)
    }

    /// Whether any of the shift lies inside `[from_ms, to_ms)` (an open one reaching `now_ms`).
    pub fn overlaps(&self, from_ms: i64, to_ms: i64, now_ms: i64) -> bool {
        self.started_at_ms < to_ms
            && (self.end_or(now_ms) > from_ms || (from_ms..to_ms).contains(&self.started_at_ms))
    }
}
