//! Staff shifts: numbered per guild, at most one open per member (enforced inside the
//! transaction that starts one), with indexes so a member's history and every shift of a
//! period are read by key range, not by scanning the guild.
//!
//! Trees: `shifts` (`guild ++ id` → shift), `shift_meta` (`guild` → last id and the longest
//! closed shift in ms), `shifts_by_start` (`guild ++ start ++ id` → member),
//! `shifts_by_member` (`guild ++ member ++ start ++ id`), `shifts_open` (`guild ++ member` →
//! id) and `shift_events` (`guild ++ server ++ event id` → shift id: stored events already
//! applied, so a consumer replaying after a crash changes nothing twice).
//!
//! A period query reads the start index from `from − longest closed shift` (a shift that
//! started earlier ended before `from`) plus the open shifts, so it costs the shifts near the
//! period, whatever the guild's history.

mod record;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

pub use record::{
    DEFAULT_TYPE, MAX_TYPE_LEN, NewShift, Shift, ShiftAdjustment, ShiftBreak, ShiftChange,
    ShiftError, ShiftMark, ShiftRefusal, ShiftRoblox, ShiftSource, ShiftStatus, ShiftVoid,
    valid_type,
};

use super::StoreError;
use super::db;
use super::keys::{
    KeyReader, be_u64, decode_json, decode_u64, encode_json, prefix_end, push_label, time_key,
};
use super::links::EventMark;

const SHIFTS: &str = "shifts";
const META: &str = "shift_meta";
const BY_START: &str = "shifts_by_start";
const BY_MEMBER: &str = "shifts_by_member";
const OPEN: &str = "shifts_open";
const EVENTS: &str = "shift_events";

type Abort = ConflictableTransactionError<ShiftError>;

fn abort(error: impl Into<ShiftError>) -> Abort {
    ConflictableTransactionError::Abort(error.into())
}

fn flatten(error: sled::transaction::TransactionError<ShiftError>) -> ShiftError {
    match error {
        sled::transaction::TransactionError::Abort(inner) => inner,
        sled::transaction::TransactionError::Storage(inner) => StoreError::Db(inner).into(),
    }
}

/// One page of a member's shifts, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftPage {
    /// The shifts on the page.
    pub shifts: Vec<Shift>,
    /// Whether another page follows.
    pub has_more: bool,
}

/// The shifts of every guild. Cheap to clone.
#[derive(Clone)]
pub struct Shifts {
    shifts: sled::Tree,
    meta: sled::Tree,
    by_start: sled::Tree,
    by_member: sled::Tree,
    open: sled::Tree,
    events: sled::Tree,
}

impl std::fmt::Debug for Shifts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shifts").finish_non_exhaustive()
    }
}

/// Last id and longest closed shift (ms) of a guild.
#[derive(Debug, Clone, Copy, Default)]
struct Meta {
    last_id: u64,
    longest_ms: u64,
}

impl Meta {
    fn decode(raw: Option<&[u8]>) -> Result<Self, StoreError> {
        let Some(raw) = raw else {
            return Ok(Self::default());
        };
        if raw.len() != 16 {
            return Err(super::keys::corrupt(
                "a shift counter",
                format!("expected 16 bytes, found {}", raw.len()),
            ));
        }
        Ok(Self {
            last_id: decode_u64(&raw[..8], "a shift counter")?,
            longest_ms: decode_u64(&raw[8..], "a shift counter")?,
        })
    }

    fn encode(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&be_u64(self.last_id));
        out[8..].copy_from_slice(&be_u64(self.longest_ms));
        out
    }
}

fn start_key(guild: u64, started_at_ms: i64, id: u64) -> Vec<u8> {
    let mut key = db::guild_prefix(guild).to_vec();
    key.extend_from_slice(&time_key(started_at_ms));
    key.extend_from_slice(&be_u64(id));
    key
}

fn member_prefix(guild: u64, member: u64) -> [u8; 16] {
    db::guild_u64_key(guild, member)
}

fn member_key(guild: u64, member: u64, started_at_ms: i64, id: u64) -> Vec<u8> {
    let mut key = member_prefix(guild, member).to_vec();
    key.extend_from_slice(&time_key(started_at_ms));
    key.extend_from_slice(&be_u64(id));
    key
}

fn event_key(guild: u64, mark: &EventMark) -> Result<Vec<u8>, StoreError> {
    let mut key = db::guild_prefix(guild).to_vec();
    push_label(&mut key, &mark.server)?;
    key.extend_from_slice(&be_u64(mark.id));
    Ok(key)
}

fn decode_shift(bytes: &[u8]) -> Result<Shift, StoreError> {
    decode_json(bytes, "a shift")
}

/// Transactional views of the trees a change to one shift touches.
struct Tx<'a> {
    shifts: &'a TransactionalTree,
    meta: &'a TransactionalTree,
    open: &'a TransactionalTree,
    events: &'a TransactionalTree,
}

impl Tx<'_> {
    fn get(&self, guild: u64, id: u64) -> Result<Option<Shift>, Abort> {
        self.shifts
            .get(db::guild_u64_key(guild, id))?
            .map(|raw| decode_shift(&raw).map_err(abort))
            .transpose()
    }

    fn open_id(&self, guild: u64, member: u64) -> Result<Option<u64>, Abort> {
        self.open
            .get(member_prefix(guild, member))?
            .map(|raw| decode_u64(&raw, "an open shift entry").map_err(abort))
            .transpose()
    }

    /// The shift this event already changed, if it did.
    fn replayed(&self, guild: u64, mark: ShiftMark<'_>) -> Result<Option<Shift>, Abort> {
        let Some(mark) = mark else {
            return Ok(None);
        };
        let Some(raw) = self.events.get(event_key(guild, mark).map_err(abort)?)? else {
            return Ok(None);
        };
        let id = decode_u64(&raw, "a shift event mark").map_err(abort)?;
        self.get(guild, id)
    }

    fn mark(&self, guild: u64, mark: ShiftMark<'_>, id: u64) -> Result<(), Abort> {
        if let Some(mark) = mark {
            let key = event_key(guild, mark).map_err(abort)?;
            self.events.insert(key, &be_u64(id)[..])?;
        }
        Ok(())
    }

    /// Write `shift`, keep the open entry and the longest-shift bound in step with it.
    fn put(&self, shift: &Shift) -> Result<(), Abort> {
        let key = db::guild_u64_key(shift.guild, shift.id);
        let bytes = encode_json(shift, "a shift").map_err(abort)?;
        self.shifts.insert(&key[..], bytes)?;
        let open_key = member_prefix(shift.guild, shift.member);
        if shift.status == ShiftStatus::Open {
            self.open.insert(&open_key[..], &be_u64(shift.id)[..])?;
        } else if self.open_id(shift.guild, shift.member)? == Some(shift.id) {
            self.open.remove(&open_key[..])?;
        }
        if let Some(end) = shift.ended_at_ms {
            let guild_key = db::guild_prefix(shift.guild);
            let mut meta = Meta::decode(self.meta.get(guild_key)?.as_deref()).map_err(abort)?;
            let length = u64::try_from(end.saturating_sub(shift.started_at_ms)).unwrap_or(0);
            if length > meta.longest_ms {
                meta.longest_ms = length;
                self.meta.insert(&guild_key[..], &meta.encode()[..])?;
            }
        }
        Ok(())
    }
}

impl Shifts {
    pub(crate) fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            shifts: db.open_tree(SHIFTS)?,
            meta: db.open_tree(META)?,
            by_start: db.open_tree(BY_START)?,
            by_member: db.open_tree(BY_MEMBER)?,
            open: db.open_tree(OPEN)?,
            events: db.open_tree(EVENTS)?,
        })
    }

    /// Start a shift under the guild's next id, refused with
    /// [`ShiftRefusal::AlreadyOpen`] when the member has one open (checked in the same
    /// transaction, so two concurrent starts give one shift). With `mark`, a replay of the
    /// same event returns the shift it started. Not flushed.
    pub fn start(
        &self,
        guild: u64,
        new: NewShift,
        mark: ShiftMark<'_>,
    ) -> Result<ShiftChange, ShiftError> {
        self.insert(guild, new, None, mark)
    }

    /// `/shift adjust`: a closed, zero-length [`ShiftSource::Admin`] record at `at_ms` that
    /// carries the adjustment, so it counts in the period it was made in. Not flushed.
    pub fn adjust_member(
        &self,
        guild: u64,
        member: u64,
        kind: &str,
        adjustment: ShiftAdjustment,
    ) -> Result<Shift, ShiftError> {
        let new = NewShift {
            member,
            roblox: None,
            kind: kind.to_owned(),
            server: None,
            source: ShiftSource::Admin,
            started_at_ms: adjustment.at_ms,
        };
        let change = self.insert(guild, new, Some(adjustment), None)?;
        Ok(change.shift().clone())
    }

    fn insert(
        &self,
        guild: u64,
        new: NewShift,
        adjustment: Option<ShiftAdjustment>,
        mark: ShiftMark<'_>,
    ) -> Result<ShiftChange, ShiftError> {
        if !valid_type(&new.kind) {
            return Err(ShiftRefusal::BadType(new.kind).into());
        }
        let guild_key = db::guild_prefix(guild);
        let trees = (
            &self.shifts,
            &self.meta,
            &self.by_start,
            &self.by_member,
            &self.open,
            &self.events,
        );
        trees
            .transaction(|(shifts, meta, by_start, by_member, open, events)| {
                let tx = Tx {
                    shifts,
                    meta,
                    open,
                    events,
                };
                if let Some(done) = tx.replayed(guild, mark)? {
                    return Ok(ShiftChange::Replayed(done));
                }
                let member = new.member;
                if adjustment.is_none()
                    && let Some(id) = tx.open_id(guild, member)?
                {
                    return Err(abort(ShiftRefusal::AlreadyOpen(id)));
                }
                let mut counters = Meta::decode(meta.get(guild_key)?.as_deref()).map_err(abort)?;
                counters.last_id += 1;
                meta.insert(&guild_key[..], &counters.encode()[..])?;
                let id = counters.last_id;
                let mut shift = Shift::from_new(guild, id, new.clone());
                if let Some(adjustment) = &adjustment {
                    shift.ended_at_ms = Some(shift.started_at_ms);
                    shift.status = ShiftStatus::Ended;
                    shift.adjustments.push(adjustment.clone());
                }
                let start = shift.started_at_ms;
                by_start.insert(start_key(guild, start, id), &be_u64(member)[..])?;
                by_member.insert(member_key(guild, member, start, id), &[][..])?;
                tx.put(&shift)?;
                tx.mark(guild, mark, id)?;
                Ok(ShiftChange::Applied(shift))
            })
            .map_err(flatten)
    }

    /// Change the member's open shift atomically: `change` sees it and edits it (its refusal
    /// is returned and nothing is written). [`ShiftRefusal::NoOpenShift`] when there is none.
    fn change_open(
        &self,
        guild: u64,
        member: u64,
        mark: ShiftMark<'_>,
        change: impl Fn(&mut Shift) -> Result<(), ShiftRefusal>,
    ) -> Result<ShiftChange, ShiftError> {
        self.in_tx(|tx| {
            if let Some(done) = tx.replayed(guild, mark)? {
                return Ok(ShiftChange::Replayed(done));
            }
            let Some(id) = tx.open_id(guild, member)? else {
                return Err(abort(ShiftRefusal::NoOpenShift));
            };
            let Some(mut shift) = tx.get(guild, id)? else {
                return Err(abort(StoreError::Corrupt {
                    what: "an open shift entry".into(),
                    detail: format!("shift #{id} is listed as open but missing"),
                }));
            };
            change(&mut shift).map_err(abort)?;
            tx.put(&shift)?;
            tx.mark(guild, mark, id)?;
            Ok(ShiftChange::Applied(shift))
        })
    }

    /// Begin a break on the member's open shift at `at_ms`. Not flushed.
    pub fn take_break(
        &self,
        guild: u64,
        member: u64,
        at_ms: i64,
        mark: ShiftMark<'_>,
    ) -> Result<ShiftChange, ShiftError> {
        self.change_open(guild, member, mark, |shift| {
            if shift.on_break() {
                return Err(ShiftRefusal::AlreadyOnBreak);
            }
            let start_ms = shift.not_before_last_change(at_ms);
            shift.breaks.push(ShiftBreak {
                start_ms,
                end_ms: None,
            });
            Ok(())
        })
    }

    /// End the member's running break at `at_ms`. Not flushed.
    pub fn resume(
        &self,
        guild: u64,
        member: u64,
        at_ms: i64,
        mark: ShiftMark<'_>,
    ) -> Result<ShiftChange, ShiftError> {
        self.change_open(guild, member, mark, |shift| {
            if !shift.on_break() {
                return Err(ShiftRefusal::NotOnBreak);
            }
            let end = shift.not_before_last_change(at_ms);
            if let Some(last) = shift.breaks.last_mut() {
                last.end_ms = Some(end);
            }
            Ok(())
        })
    }

    /// End the member's open shift at `at_ms` (a running break ends with it). Not flushed.
    pub fn end(
        &self,
        guild: u64,
        member: u64,
        at_ms: i64,
        mark: ShiftMark<'_>,
    ) -> Result<ShiftChange, ShiftError> {
        self.change_open(guild, member, mark, |shift| {
            let end = shift.not_before_last_change(at_ms);
            if let Some(last) = shift.breaks.last_mut().filter(|b| b.end_ms.is_none()) {
                last.end_ms = Some(end);
            }
            shift.ended_at_ms = Some(end);
            shift.status = ShiftStatus::Ended;
            Ok(())
        })
    }

    /// Change shift `id` by an admin: `change` edits it (its refusal is returned, nothing
    /// written). Member and start stay as they are (they index it).
    fn change_by_id(
        &self,
        guild: u64,
        id: u64,
        change: impl Fn(&mut Shift) -> Result<(), ShiftRefusal>,
    ) -> Result<Shift, ShiftError> {
        self.in_tx(|tx| {
            let Some(mut shift) = tx.get(guild, id)? else {
                return Err(abort(ShiftRefusal::Unknown(id)));
            };
            let (member, start) = (shift.member, shift.started_at_ms);
            change(&mut shift).map_err(abort)?;
            if (shift.member, shift.started_at_ms) != (member, start) {
                return Err(abort(StoreError::Invalid(
                    "a shift's member and start cannot change".into(),
                )));
            }
            tx.put(&shift)?;
            Ok(shift)
        })
    }

    /// Run `body` in one transaction over the trees a change to one existing shift touches.
    fn in_tx<R>(&self, body: impl Fn(&Tx<'_>) -> Result<R, Abort>) -> Result<R, ShiftError> {
        let trees = (&self.shifts, &self.meta, &self.open, &self.events);
        trees
            .transaction(|(shifts, meta, open, events)| {
                body(&Tx {
                    shifts,
                    meta,
                    open,
                    events,
                })
            })
            .map_err(flatten)
    }

    /// Add an admin adjustment to shift `id`. Not flushed.
    pub fn adjust(
        &self,
        guild: u64,
        id: u64,
        adjustment: ShiftAdjustment,
    ) -> Result<Shift, ShiftError> {
        self.change_by_id(guild, id, |shift| {
            if shift.status == ShiftStatus::Voided {
                return Err(ShiftRefusal::AlreadyVoided(shift.id));
            }
            shift.adjustments.push(adjustment.clone());
            Ok(())
        })
    }

    /// Void shift `id` (an open one is closed at `void.at_ms`, so the member may start
    /// another). Not flushed.
    pub fn void(&self, guild: u64, id: u64, void: ShiftVoid) -> Result<Shift, ShiftError> {
        self.change_by_id(guild, id, |shift| {
            if shift.status == ShiftStatus::Voided {
                return Err(ShiftRefusal::AlreadyVoided(shift.id));
            }
            if shift.ended_at_ms.is_none() {
                let end = shift.not_before_last_change(void.at_ms);
                if let Some(last) = shift.breaks.last_mut().filter(|b| b.end_ms.is_none()) {
                    last.end_ms = Some(end);
                }
                shift.ended_at_ms = Some(end);
            }
            shift.status = ShiftStatus::Voided;
            shift.voided = Some(void);
            Ok(())
        })
    }

    /// The shift with this id, if there is one.
    pub fn get(&self, guild: u64, id: u64) -> Result<Option<Shift>, StoreError> {
        self.shifts
            .get(db::guild_u64_key(guild, id))?
            .map(|raw| decode_shift(&raw))
            .transpose()
    }

    /// The member's open shift, if any.
    pub fn open_shift(&self, guild: u64, member: u64) -> Result<Option<Shift>, StoreError> {
        match self.open.get(member_prefix(guild, member))? {
            Some(raw) => self.get(guild, decode_u64(&raw, "an open shift entry")?),
            None => Ok(None),
        }
    }

    /// Every open shift of the guild (for the out-of-game check and reports).
    pub fn open_shifts(&self, guild: u64) -> Result<Vec<Shift>, StoreError> {
        let mut out = Vec::new();
        for entry in self.open.scan_prefix(db::guild_prefix(guild)) {
            let (_, raw) = entry?;
            if let Some(shift) = self.get(guild, decode_u64(&raw, "an open shift entry")?)? {
                out.push(shift);
            }
        }
        Ok(out)
    }

    /// A page (0-based) of `per_page` of the member's shifts, newest first; with `since_ms`,
    /// only those that started at or after it. Reads the member's index from the newest down.
    pub fn member_page(
        &self,
        guild: u64,
        member: u64,
        since_ms: Option<i64>,
        page: usize,
        per_page: usize,
    ) -> Result<ShiftPage, StoreError> {
        let prefix = member_prefix(guild, member);
        let mut low = prefix.to_vec();
        if let Some(since) = since_ms {
            low.extend_from_slice(&time_key(since));
        }
        let skip = page.saturating_mul(per_page);
        let mut shifts = Vec::with_capacity(per_page);
        for (n, entry) in self
            .by_member
            .range(low..prefix_end(&prefix))
            .rev()
            .enumerate()
        {
            if n < skip {
                continue;
            }
            if shifts.len() == per_page {
                return Ok(ShiftPage {
                    shifts,
                    has_more: true,
                });
            }
            let (key, _) = entry?;
            let mut reader = KeyReader::new(&key[prefix.len()..], "a shift member key");
            reader.time()?;
            if let Some(shift) = self.get(guild, reader.u64()?)? {
                shifts.push(shift);
            }
        }
        Ok(ShiftPage {
            shifts,
            has_more: false,
        })
    }

    /// Every shift of the guild that overlaps `[from_ms, to_ms)` (open ones reaching
    /// `now_ms`), voided ones included (they count zero), ordered by start. Reads the start
    /// index from `from_ms` minus the guild's longest closed shift, and the open shifts.
    pub fn in_period(
        &self,
        guild: u64,
        from_ms: i64,
        to_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<Shift>, StoreError> {
        if to_ms <= from_ms {
            return Ok(Vec::new());
        }
        let prefix = db::guild_prefix(guild);
        let longest = Meta::decode(self.meta.get(prefix)?.as_deref())?.longest_ms;
        let earliest = from_ms.saturating_sub(i64::try_from(longest).unwrap_or(i64::MAX));
        let low = start_key(guild, earliest, 0);
        let high = start_key(guild, to_ms, 0);
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for entry in self.by_start.range(low..high) {
            let (key, _) = entry?;
            let mut reader = KeyReader::new(&key[prefix.len()..], "a shift start key");
            reader.time()?;
            let id = reader.u64()?;
            if let Some(shift) = self.get(guild, id)?
                && shift.overlaps(from_ms, to_ms, now_ms)
            {
                seen.insert(id);
                out.push(shift);
            }
        }
        // An open shift that started before the bound still runs into the period.
        for shift in self.open_shifts(guild)? {
            if !seen.contains(&shift.id) && shift.overlaps(from_ms, to_ms, now_ms) {
                out.push(shift);
            }
        }
        out.sort_by_key(|s| (s.started_at_ms, s.id));
        Ok(out)
    }

    /// Remove every shift of a removed guild with its counters, indexes and event marks.
    /// Returns how many shifts went.
    pub fn purge_guild(&self, guild: u64) -> Result<u64, StoreError> {
        let prefix = db::guild_prefix(guild);
        let mut removed = 0;
        for entry in self.shifts.scan_prefix(prefix) {
            self.shifts.remove(entry?.0)?;
            removed += 1;
        }
        for tree in [&self.by_start, &self.by_member, &self.open, &self.events] {
            for entry in tree.scan_prefix(prefix) {
                tree.remove(entry?.0)?;
            }
        }
        self.meta.remove(prefix)?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests;
