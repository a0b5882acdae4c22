//! Numbered cases (punishment records): one sequence per guild, a case and all its index
//! entries written in one transaction with its number, so a number is never reused or
//! skipped, and pages by player, moderator or type read index keys, not every case.
//!
//! Trees: `cases` (`guild ++ number` → case), `case_numbers` (`guild` → last number),
//! `cases_by_player` (`guild ++ player ++ number`, the player by id, or by name when filed
//! without one, and for a case with an id also by name, so either search finds it), `cases_by_moderator`
//! (`guild ++ moderator ++ number`), `cases_by_type` (`guild ++ type ++ number`) and
//! `case_expiry` (`expiry ++ guild ++ number`, temp bans still to be lifted) and
//! `cases_by_event` (`guild ++ server ++ event id ++ ordinal` → number: the cases a stored
//! in-game command filed, so a replayed event finds them instead of filing again). Index entries
//! hold the case's type, so a page filtered by type, or far down a list, skips entries
//! without reading the cases.

mod record;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError as Abort, TransactionalTree};

pub use record::{
    BUILT_IN_TYPES, Case, CaseChange, CaseEdit, CaseModerator, CaseSource, CaseStatus, CaseTarget,
    MAX_TYPE_LEN, NewCase, valid_type,
};

use super::db;
use super::keys::{self, KeyReader, decode_json, encode_json, from_tx, prefix_end, time_key};
use super::{EventMark, StoreError};
use crate::clock::SharedClock;

const CASES: &str = "cases";
const NUMBERS: &str = "case_numbers";
const BY_PLAYER: &str = "cases_by_player";
const BY_MODERATOR: &str = "cases_by_moderator";
const BY_TYPE: &str = "cases_by_type";
const EXPIRY: &str = "case_expiry";
const BY_EVENT: &str = "cases_by_event";

/// Whose cases a page lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseFilter {
    /// Cases about a player: by Roblox id when known, else by username (any case).
    Player(CaseTarget),
    /// Cases filed by a Discord member.
    DiscordModerator(u64),
    /// Cases filed by an in-game staff member, by Roblox id.
    RobloxModerator(u64),
    /// Every case of one type.
    Type(String),
}

/// One page of cases, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePage {
    /// The cases on the page.
    pub cases: Vec<Case>,
    /// Whether another page follows.
    pub has_more: bool,
}

/// A temp ban that is due to be lifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueExpiry {
    /// Discord guild.
    pub guild: u64,
    /// Case number.
    pub number: u64,
    /// When it was due, Unix ms.
    pub expires_at_ms: i64,
}

/// The cases of every guild. Cheap to clone.
#[derive(Clone)]
pub struct Cases {
    cases: sled::Tree,
    numbers: sled::Tree,
    by_player: sled::Tree,
    by_moderator: sled::Tree,
    by_type: sled::Tree,
    expiry: sled::Tree,
    by_event: sled::Tree,
    clock: SharedClock,
}

impl std::fmt::Debug for Cases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cases").finish_non_exhaustive()
    }
}

fn player_part(key: &mut Vec<u8>, target: &CaseTarget) -> Result<(), StoreError> {
    match target.id {
        Some(id) => {
            key.push(0);
            key.extend_from_slice(&id.to_be_bytes());
        }
        None => {
            key.push(1);
            keys::push_label(key, &target.name.to_lowercase())?;
        }
    }
    Ok(())
}

/// The name index of players whose id is known (tag 2; tag 1 holds cases filed by name
/// alone): a search by name finds their cases too. `None` for a name too long to index.
fn alias_prefix(guild: u64, name: &str) -> Option<Vec<u8>> {
    let mut key = db::guild_prefix(guild).to_vec();
    key.push(2);
    keys::push_label(&mut key, &name.to_lowercase()).ok()?;
    Some(key)
}

/// The index prefixes a case is listed under (the case number is appended to each).
fn filter_prefix(guild: u64, filter: &CaseFilter) -> Result<Vec<u8>, StoreError> {
    let mut key = db::guild_prefix(guild).to_vec();
    match filter {
        CaseFilter::Player(target) => player_part(&mut key, target)?,
        CaseFilter::DiscordModerator(id) => {
            key.push(0);
            key.extend_from_slice(&id.to_be_bytes());
        }
        CaseFilter::RobloxModerator(id) => {
            key.push(1);
            key.extend_from_slice(&id.to_be_bytes());
        }
        CaseFilter::Type(kind) => keys::push_label(&mut key, kind)?,
    }
    Ok(key)
}

fn with_number(mut prefix: Vec<u8>, number: u64) -> Vec<u8> {
    prefix.extend_from_slice(&number.to_be_bytes());
    prefix
}

fn expiry_key(expires_at_ms: i64, guild: u64, number: u64) -> Vec<u8> {
    let mut key = time_key(expires_at_ms).to_vec();
    key.extend_from_slice(&db::guild_u64_key(guild, number));
    key
}

/// Index entries (index tree position, key) for a case.
fn index_keys(case: &Case) -> Result<Vec<(usize, Vec<u8>)>, StoreError> {
    let guild = case.guild;
    let mut out = vec![(
        1,
        with_number(
            filter_prefix(guild, &CaseFilter::Player(case.target.clone()))?,
            case.number,
        ),
    )];
    if case.target.id.is_some()
        && let Some(prefix) = alias_prefix(guild, &case.target.name)
    {
        out.push((1, with_number(prefix, case.number)));
    }
    if let Some(id) = case.moderator.discord_id {
        let prefix = filter_prefix(guild, &CaseFilter::DiscordModerator(id))?;
        out.push((2, with_number(prefix, case.number)));
    }
    if let Some(id) = case.moderator.roblox_id {
        let prefix = filter_prefix(guild, &CaseFilter::RobloxModerator(id))?;
        out.push((2, with_number(prefix, case.number)));
    }
    let prefix = filter_prefix(guild, &CaseFilter::Type(case.kind.clone()))?;
    out.push((3, with_number(prefix, case.number)));
    Ok(out)
}

fn abort(error: StoreError) -> Abort<StoreError> {
    Abort::Abort(error)
}

fn decode_case(bytes: &[u8]) -> Result<Case, StoreError> {
    decode_json(bytes, "a case")
}

/// Put `case` and keep its expiry entry in step with it (inside a transaction).
fn put_case(
    cases: &TransactionalTree,
    expiry: &TransactionalTree,
    before: Option<&Case>,
    case: &Case,
) -> Result<(), Abort<StoreError>> {
    let key = db::guild_u64_key(case.guild, case.number);
    cases.insert(&key[..], encode_json(case, "a case").map_err(abort)?)?;
    if let Some(old) = before.filter(|c| c.awaits_expiry())
        && let Some(at) = old.expires_at_ms
    {
        expiry.remove(expiry_key(at, old.guild, old.number))?;
    }
    if case.awaits_expiry()
        && let Some(at) = case.expires_at_ms
    {
        expiry.insert(expiry_key(at, case.guild, case.number), &[][..])?;
    }
    Ok(())
}

impl Cases {
    pub(crate) fn open(db: &sled::Db, clock: SharedClock) -> Result<Self, StoreError> {
        Ok(Self {
            cases: db.open_tree(CASES)?,
            numbers: db.open_tree(NUMBERS)?,
            by_player: db.open_tree(BY_PLAYER)?,
            by_moderator: db.open_tree(BY_MODERATOR)?,
            by_type: db.open_tree(BY_TYPE)?,
            expiry: db.open_tree(EXPIRY)?,
            by_event: db.open_tree(BY_EVENT)?,
            clock,
        })
    }

    /// File a case under the guild's next number. The number, the case and its index entries
    /// are written in one transaction (concurrent filers get distinct, consecutive numbers).
    /// Not flushed: callers flush before they tell anyone the number.
    pub fn create(&self, guild: u64, new: NewCase) -> Result<Case, StoreError> {
        let now_ms = self.clock.now_ms();
        Ok(self.create_keyed(guild, None, now_ms, new)?.0)
    }

    /// File the case a stored event asks for, once: the `ordinal`-th case of the event named
    /// by `mark` (one per target of an in-game command), dated `at_ms` (when it happened in
    /// game, not when the bot read it). When that case was filed already
    /// (the event is handed over again after a crash) it is returned with `false` and nothing
    /// is written. Not flushed.
    pub fn create_for_event(
        &self,
        guild: u64,
        mark: &EventMark,
        ordinal: u32,
        at_ms: i64,
        new: NewCase,
    ) -> Result<(Case, bool), StoreError> {
        let mut key = db::guild_prefix(guild).to_vec();
        keys::push_label(&mut key, &mark.server)?;
        key.extend_from_slice(&mark.id.to_be_bytes());
        key.extend_from_slice(&ordinal.to_be_bytes());
        self.create_keyed(guild, Some(key), at_ms, new)
    }

    fn create_keyed(
        &self,
        guild: u64,
        event_key: Option<Vec<u8>>,
        now_ms: i64,
        new: NewCase,
    ) -> Result<(Case, bool), StoreError> {
        if !valid_type(&new.kind) {
            return Err(StoreError::Invalid(format!(
                "`{}` is not a case type name",
                new.kind
            )));
        }
        let number_key = db::guild_prefix(guild);
        let trees = (
            &self.numbers,
            &self.by_player,
            &self.by_moderator,
            &self.by_type,
            &self.cases,
            &self.expiry,
            &self.by_event,
        );
        let filed = trees
            .transaction(
                |(numbers, by_player, by_moderator, by_type, cases, expiry, by_event)| {
                    if let Some(key) = &event_key
                        && let Some(raw) = by_event.get(key)?
                    {
                        let number = keys::decode_u64(&raw, "a case number").map_err(abort)?;
                        let key = db::guild_u64_key(guild, number);
                        let raw = cases.get(key)?.ok_or_else(|| {
                            abort(StoreError::corrupt(
                                "cases",
                                "an event names a missing case",
                            ))
                        })?;
                        return Ok((decode_case(&raw).map_err(abort)?, false));
                    }
                    let last = match numbers.get(number_key)? {
                        Some(raw) => keys::decode_u64(&raw, "a case counter").map_err(abort)?,
                        None => 0,
                    };
                    let number = last + 1;
                    numbers.insert(&number_key[..], &number.to_be_bytes()[..])?;
                    let case = Case::from_new(guild, number, now_ms, new.clone());
                    for (tree, key) in index_keys(&case).map_err(abort)? {
                        let index = [by_player, by_moderator, by_type][tree - 1];
                        index.insert(key, case.kind.as_bytes())?;
                    }
                    put_case(cases, expiry, None, &case)?;
                    if let Some(key) = &event_key {
                        by_event.insert(key.as_slice(), &number.to_be_bytes()[..])?;
                    }
                    Ok((case, true))
                },
            )
            .map_err(from_tx)?;
        Ok(filed)
    }

    /// The case with this number, if there is one.
    pub fn get(&self, guild: u64, number: u64) -> Result<Option<Case>, StoreError> {
        self.cases
            .get(db::guild_u64_key(guild, number))?
            .map(|raw| decode_case(&raw))
            .transpose()
    }

    /// The cases created in `[from_ms, until_ms)`, oldest first. Numbers are given in
    /// creation order, so the first is found by binary search over numbers and the rest are
    /// read on from it: the cost follows the cases in the period, not the guild's history.
    pub fn created_between(
        &self,
        guild: u64,
        from_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<Case>, StoreError> {
        let prefix = db::guild_prefix(guild);
        let Some(last) = self.cases.scan_prefix(prefix).next_back() else {
            return Ok(Vec::new());
        };
        let (last_key, _) = last?;
        let last = KeyReader::new(&last_key[prefix.len()..], "a case key").u64()?;
        let (mut low, mut high) = (1, last.saturating_add(1));
        while low < high {
            let middle = low + (high - low) / 2;
            match self.get(guild, middle)? {
                Some(case) if case.created_at_ms < from_ms => low = middle + 1,
                _ => high = middle,
            }
        }
        let mut out = Vec::new();
        let start = db::guild_u64_key(guild, low).to_vec();
        for entry in self.cases.range(start..prefix_end(&prefix)) {
            let case = decode_case(&entry?.1)?;
            if case.created_at_ms >= until_ms {
                break;
            }
            out.push(case);
        }
        Ok(out)
    }

    /// Change a case atomically: `change` sees the stored case and edits it (its error is
    /// returned and nothing is written). The type, target and moderator, which index it,
    /// must stay as they are. `None` when there is no such case. Not flushed.
    pub fn update<E: From<StoreError>>(
        &self,
        guild: u64,
        number: u64,
        change: impl Fn(&mut Case) -> Result<(), E>,
    ) -> Result<Option<Case>, E> {
        let key = db::guild_u64_key(guild, number);
        let outcome = (&self.cases, &self.expiry).transaction(|(cases, expiry)| {
            let Some(raw) = cases.get(key)? else {
                return Ok(None);
            };
            let before = decode_case(&raw).map_err(abort)?;
            let mut after = before.clone();
            if let Err(refused) = change(&mut after) {
                return Ok(Some(Err(refused)));
            }
            let indexed = |c: &Case| (c.kind.clone(), c.target.clone(), c.moderator.clone());
            if indexed(&after) != indexed(&before) || after.number != number {
                return Err(abort(StoreError::Invalid(
                    "a case's type, player and moderator cannot change".into(),
                )));
            }
            put_case(cases, expiry, Some(&before), &after)?;
            Ok(Some(Ok(after)))
        });
        match outcome.map_err(from_tx)? {
            None => Ok(None),
            Some(Ok(case)) => Ok(Some(case)),
            Some(Err(refused)) => Err(refused),
        }
    }

    /// A page (0-based) of `per_page` cases that match `filter`, newest first; with `kind`,
    /// only cases of that type. Reads the filter's index keys from the newest down, so the
    /// cost grows with the page number, not the number of cases. A player is looked up both
    /// ways: by id, also the cases filed under their name alone (a ban by username of
    /// someone offline); by name, also the cases filed with an id under that name.
    pub fn page(
        &self,
        guild: u64,
        filter: &CaseFilter,
        kind: Option<&str>,
        page: usize,
        per_page: usize,
    ) -> Result<CasePage, StoreError> {
        let mut prefixes = vec![filter_prefix(guild, filter)?];
        if let CaseFilter::Player(target) = filter
            && !target.name.is_empty()
        {
            let extra = match target.id {
                // By id: also the cases filed under the name alone.
                Some(_) => Some(filter_prefix(
                    guild,
                    &CaseFilter::Player(CaseTarget {
                        id: None,
                        name: target.name.clone(),
                    }),
                )?),
                // By name: also the cases of players with an id who had that name.
                None => alias_prefix(guild, &target.name),
            };
            prefixes.extend(extra);
        }
        let index = match filter {
            CaseFilter::Player(_) => &self.by_player,
            CaseFilter::DiscordModerator(_) | CaseFilter::RobloxModerator(_) => &self.by_moderator,
            CaseFilter::Type(_) => &self.by_type,
        };
        // Each prefix's entries newest first, merged by case number.
        let mut sources: Vec<_> = prefixes
            .iter()
            .map(|prefix| {
                let entries = index.range(prefix.clone()..prefix_end(prefix)).rev();
                (prefix.len(), entries.peekable())
            })
            .collect();
        let skip = page.saturating_mul(per_page);
        let mut cases = Vec::with_capacity(per_page);
        let mut matched = 0usize;
        loop {
            let mut newest: Option<(usize, u64)> = None;
            for (at, (prefix_len, entries)) in sources.iter_mut().enumerate() {
                let number = match entries.peek() {
                    None => continue,
                    Some(Ok((key, _))) => {
                        KeyReader::new(&key[*prefix_len..], "a case index key").u64()?
                    }
                    Some(Err(_)) => match entries.next() {
                        Some(Err(error)) => return Err(error.into()),
                        _ => continue,
                    },
                };
                if newest.is_none_or(|(_, n)| number > n) {
                    newest = Some((at, number));
                }
            }
            let Some((at, number)) = newest else {
                break;
            };
            let Some(Ok((_, indexed_kind))) = sources[at].1.next() else {
                break;
            };
            if kind.is_some_and(|k| k.as_bytes() != indexed_kind.as_ref()) {
                continue;
            }
            matched += 1;
            if matched <= skip {
                continue;
            }
            if cases.len() == per_page {
                return Ok(CasePage {
                    cases,
                    has_more: true,
                });
            }
            if let Some(case) = self.get(guild, number)? {
                cases.push(case);
            }
        }
        Ok(CasePage {
            cases,
            has_more: false,
        })
    }

    /// Temp bans whose expiry is at or before `now_ms`, earliest first, at most `limit`.
    pub fn due_expiries(&self, now_ms: i64, limit: usize) -> Result<Vec<DueExpiry>, StoreError> {
        let end = time_key(now_ms.saturating_add(1));
        let mut out = Vec::new();
        for entry in self.expiry.range(..end.to_vec()).take(limit) {
            let (key, _) = entry?;
            let mut reader = KeyReader::new(&key, "a case expiry key");
            let expires_at_ms = reader.time()?;
            let guild = reader.u64()?;
            let number = reader.u64()?;
            out.push(DueExpiry {
                guild,
                number,
                expires_at_ms,
            });
        }
        Ok(out)
    }

    /// The earliest expiry still waiting, Unix ms, so a scheduler knows when to wake.
    pub fn next_expiry(&self) -> Result<Option<i64>, StoreError> {
        match self.expiry.first()? {
            Some((key, _)) => Ok(Some(KeyReader::new(&key, "a case expiry key").time()?)),
            None => Ok(None),
        }
    }

    /// Remove every case of a removed guild, with its counter and index entries. Returns
    /// how many cases went.
    pub fn purge_guild(&self, guild: u64) -> Result<u64, StoreError> {
        let prefix = db::guild_prefix(guild);
        let mut removed = 0;
        for entry in self.cases.scan_prefix(prefix) {
            let (key, _) = entry?;
            self.cases.remove(key)?;
            removed += 1;
        }
        for index in [
            &self.by_player,
            &self.by_moderator,
            &self.by_type,
            &self.by_event,
        ] {
            for entry in index.scan_prefix(prefix) {
                index.remove(entry?.0)?;
            }
        }
        self.numbers.remove(prefix)?;
        for entry in self.expiry.iter() {
            let (key, _) = entry?;
            if key.get(8..16) == Some(&prefix[..]) {
                self.expiry.remove(key)?;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests;
