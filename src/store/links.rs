//! Linked accounts: per guild, which Roblox account belongs to which Discord member, and the
//! one-time codes members get from `/link` to prove they own a Roblox account (by typing the
//! code in game). A Roblox id links to one member per guild and a member to one Roblox id per
//! guild; both directions are written in one transaction, so they never disagree. Redeeming a
//! code is atomic: two redemptions of one code race to one winner, and the code stays behind,
//! marked used, until it expires, so a code typed twice gets a clear "already used" instead of
//! "unknown".

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use tokio::sync::watch;

use super::StoreError;
use super::keys::{be_u64, decode_json, decode_u64, encode_json, push_label};

/// Name of the sled tree holding links and pending codes.
pub const LINKS_TREE: &str = "account_links";

/// `r ++ guild ++ roblox id` → [`AccountLink`].
const BY_ROBLOX: u8 = b'r';
/// `m ++ guild ++ discord id` → roblox id (big-endian).
const BY_MEMBER: u8 = b'm';
/// `c ++ guild ++ code` → [`LinkCode`].
const CODE: u8 = b'c';

/// Letters and digits of a link code: no `0`/`O`, `1`/`I`/`L`, `5`/`S`, `2`/`Z`, `8`/`B`,
/// which players misread or mistype when copying from Discord into the game chat.
pub const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";
/// Characters in a link code: 25^6 ≈ 244 million codes, against a few pending per guild
/// and a `;verify` cooldown, is out of reach of guessing.
pub const CODE_LEN: usize = 6;

/// How a link was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkedBy {
    /// The member proved the account with a `/link` code typed in game.
    Code {
        /// The guild's label of the server the code was typed on.
        server: String,
    },
    /// An admin linked it by hand.
    Admin {
        /// Discord id of the admin.
        admin: u64,
    },
}

/// A Roblox account linked to a Discord member in one guild.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLink {
    /// Discord guild id.
    pub guild: u64,
    /// Roblox user id.
    pub roblox_id: u64,
    /// Roblox username when linked; untrusted text.
    pub roblox_name: String,
    /// Discord user id of the member.
    pub discord_id: u64,
    /// Unix ms when the link was made.
    pub linked_at_ms: i64,
    /// How it was made.
    pub linked_by: LinkedBy,
}

/// Which stored event redeemed a code, so a consumer that replays the event after a crash
/// finds its own redemption instead of "already used".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMark {
    /// The guild's label of the server the event came from.
    pub server: String,
    /// The event's id on that server.
    pub id: u64,
}

/// A `/link` code waiting to be typed in game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCode {
    /// Discord user id of the member who asked for it.
    pub discord_id: u64,
    /// Unix ms from which it no longer works.
    pub expires_at_ms: i64,
    /// Set once redeemed: by whom, and by which event if an event did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_by: Option<CodeUse>,
}

/// Who redeemed a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeUse {
    /// Roblox id of the player who typed it.
    pub roblox_id: u64,
    /// The event that carried it, for a consumer of stored events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventMark>,
}

/// Why a link was not made. Each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    /// No pending code has this text (mistyped, or replaced by a newer `/link`).
    #[error("`{0}` is not a link code here; check it, or run /link again for a new one")]
    UnknownCode(String),
    /// The code was already redeemed.
    #[error("the code `{0}` was already used; run /link again for a new one")]
    CodeUsed(String),
    /// The code is older than its time limit.
    #[error("the code `{0}` has expired; run /link again for a new one")]
    CodeExpired(String),
    /// The Roblox account is linked to another member of the guild.
    #[error(
        "that Roblox account is already linked to another member; they (or an admin) must unlink it first"
    )]
    RobloxTaken {
        /// Discord id of the member it is linked to.
        discord_id: u64,
    },
}

/// A link made (or found already made by the same event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    /// The link as stored.
    pub link: AccountLink,
    /// The member's earlier link to another Roblox account, which this one replaced.
    pub replaced: Option<AccountLink>,
    /// False when the same event had already redeemed the code (a replay): nothing changed.
    pub fresh: bool,
}

/// A failure to link: refused (the caller's fault) or a store problem.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Refused; nothing was written.
    #[error(transparent)]
    Refused(#[from] LinkRefusal),
    /// The store failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Abort = ConflictableTransactionError<LinkError>;

fn abort(error: impl Into<LinkError>) -> Abort {
    ConflictableTransactionError::Abort(error.into())
}

fn guild_key(tag: u8, guild: u64, id: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(17);
    key.push(tag);
    key.extend_from_slice(&be_u64(guild));
    key.extend_from_slice(&be_u64(id));
    key
}

fn code_prefix(guild: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(9);
    key.push(CODE);
    key.extend_from_slice(&be_u64(guild));
    key
}

fn code_key(guild: u64, code: &str) -> Result<Vec<u8>, StoreError> {
    let mut key = code_prefix(guild);
    push_label(&mut key, code)?;
    Ok(key)
}

/// The code as typed, made comparable: trimmed, upper case, spaces and dashes dropped.
pub fn normalize_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// A fresh random code from the operating system's CSPRNG.
pub fn random_code() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// The links and codes. Cheap to clone.
#[derive(Clone)]
pub struct Links {
    tree: sled::Tree,
    linked: watch::Sender<u64>,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links").finish_non_exhaustive()
    }
}

fn tx_error(error: TransactionError<LinkError>) -> LinkError {
    match error {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => LinkError::Store(e.into()),
    }
}

fn get_link(
    tx: &TransactionalTree,
    guild: u64,
    roblox_id: u64,
) -> Result<Option<AccountLink>, Abort> {
    match tx.get(guild_key(BY_ROBLOX, guild, roblox_id))? {
        Some(bytes) => decode_json(&bytes, "an account link")
            .map(Some)
            .map_err(abort),
        None => Ok(None),
    }
}

fn member_roblox(tx: &TransactionalTree, guild: u64, discord: u64) -> Result<Option<u64>, Abort> {
    match tx.get(guild_key(BY_MEMBER, guild, discord))? {
        Some(bytes) => decode_u64(&bytes, "a member's link")
            .map(Some)
            .map_err(abort),
        None => Ok(None),
    }
}

/// Write `link` both ways, replacing the member's other link; refused when the Roblox id
/// is linked to someone else. Returns the replaced link.
fn put_link(tx: &TransactionalTree, link: &AccountLink) -> Result<Option<AccountLink>, Abort> {
    let (guild, roblox, discord) = (link.guild, link.roblox_id, link.discord_id);
    if let Some(existing) = get_link(tx, guild, roblox)?
        && existing.discord_id != discord
    {
        return Err(abort(LinkRefusal::RobloxTaken {
            discord_id: existing.discord_id,
        }));
    }
    let mut replaced = None;
    if let Some(old) = member_roblox(tx, guild, discord)?
        && old != roblox
    {
        replaced = get_link(tx, guild, old)?;
        tx.remove(guild_key(BY_ROBLOX, guild, old))?;
    }
    let bytes = encode_json(link, "an account link").map_err(abort)?;
    tx.insert(guild_key(BY_ROBLOX, guild, roblox), bytes)?;
    tx.insert(guild_key(BY_MEMBER, guild, discord), &be_u64(roblox))?;
    Ok(replaced)
}

impl Links {
    pub(crate) fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            tree: db.open_tree(LINKS_TREE)?,
            linked: watch::channel(0).0,
        })
    }

    /// Changes each time a link is made or removed, so a `/link` reply can tell the member
    /// as soon as their code was typed.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.linked.subscribe()
    }

    fn changed(&self) {
        self.linked.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A new code for `discord_id`, valid until `expires_at_ms`; the member's older unused
    /// codes stop working. Not flushed: flush before showing the code.
    pub fn new_code(
        &self,
        guild: u64,
        discord_id: u64,
        expires_at_ms: i64,
    ) -> Result<String, StoreError> {
        for entry in self.tree.scan_prefix(code_prefix(guild)) {
            let (key, bytes) = entry?;
            let code: LinkCode = decode_json(&bytes, "a link code")?;
            if code.discord_id == discord_id && code.used_by.is_none() {
                self.tree.remove(key)?;
            }
        }
        let record = LinkCode {
            discord_id,
            expires_at_ms,
            used_by: None,
        };
        let bytes = encode_json(&record, "a link code")?;
        loop {
            let code = random_code();
            let key = code_key(guild, &code)?;
            // Another member's live code with the same text is never overwritten.
            if self
                .tree
                .compare_and_swap(&key, None::<&[u8]>, Some(bytes.as_slice()))?
                .is_ok()
            {
                return Ok(code);
            }
        }
    }

    /// Redeem `typed` (as the player typed it) for the player `roblox_id` named `roblox_name`
    /// on `server` at `now_ms`: link them to the member who asked for the code and mark the
    /// code used, in one transaction. `event` names the stored event that carried the code,
    /// if one did: redeeming again from the same event returns the link with `fresh: false`.
    pub fn redeem(
        &self,
        guild: u64,
        typed: &str,
        player: (u64, &str),
        server: &str,
        event: Option<EventMark>,
        now_ms: i64,
    ) -> Result<Linked, LinkError> {
        let code = normalize_code(typed);
        let (roblox_id, roblox_name) = player;
        if code.is_empty() || code.len() > 32 {
            let shown: String = code.chars().take(CODE_LEN * 2).collect();
            return Err(LinkRefusal::UnknownCode(shown).into());
        }
        let key = code_key(guild, &code)?;
        let linked = self
            .tree
            .transaction(|tx| {
                let Some(bytes) = tx.get(&key)? else {
                    return Err(abort(LinkRefusal::UnknownCode(code.clone())));
                };
                let mut pending: LinkCode = decode_json(&bytes, "a link code").map_err(abort)?;
                if let Some(used) = &pending.used_by {
                    if event.is_some() && used.event == event {
                        let link = get_link(tx, guild, used.roblox_id)?;
                        if let Some(link) = link.filter(|l| l.discord_id == pending.discord_id) {
                            return Ok(Linked {
                                link,
                                replaced: None,
                                fresh: false,
                            });
                        }
                    }
                    return Err(abort(LinkRefusal::CodeUsed(code.clone())));
                }
                if now_ms >= pending.expires_at_ms {
                    return Err(abort(LinkRefusal::CodeExpired(code.clone())));
                }
                let link = AccountLink {
                    guild,
                    roblox_id,
                    roblox_name: roblox_name.to_owned(),
                    discord_id: pending.discord_id,
                    linked_at_ms: now_ms,
                    linked_by: LinkedBy::Code {
                        server: server.to_owned(),
                    },
                };
                let replaced = put_link(tx, &link)?;
                pending.used_by = Some(CodeUse {
                    roblox_id,
                    event: event.clone(),
                });
                let bytes = encode_json(&pending, "a link code").map_err(abort)?;
                tx.insert(key.as_slice(), bytes)?;
                Ok(Linked {
                    link,
                    replaced,
                    fresh: true,
                })
            })
            .map_err(tx_error)?;
        if linked.fresh {
            self.changed();
        }
        Ok(linked)
    }

    /// Link `link.roblox_id` to `link.discord_id` (an admin's doing), replacing the member's
    /// other link. Refused when the Roblox id is linked to another member. Returns the
    /// replaced link. Not flushed.
    pub fn put(&self, link: &AccountLink) -> Result<Option<AccountLink>, LinkError> {
        let replaced = self
            .tree
            .transaction(|tx| put_link(tx, link))
            .map_err(tx_error)?;
        self.changed();
        Ok(replaced)
    }

    /// Remove the member's link; returns it, or `None` if they had none. Not flushed.
    pub fn remove_member(
        &self,
        guild: u64,
        discord_id: u64,
    ) -> Result<Option<AccountLink>, StoreError> {
        let removed = self
            .tree
            .transaction(|tx| {
                let Some(roblox) = member_roblox(tx, guild, discord_id)? else {
                    return Ok(None);
                };
                let link = get_link(tx, guild, roblox)?;
                tx.remove(guild_key(BY_MEMBER, guild, discord_id))?;
                tx.remove(guild_key(BY_ROBLOX, guild, roblox))?;
                Ok(link)
            })
            .map_err(|e| match tx_error(e) {
                LinkError::Store(e) => e,
                LinkError::Refused(r) => StoreError::Invalid(r.to_string()),
            })?;
        if removed.is_some() {
            self.changed();
        }
        Ok(removed)
    }

    /// The Roblox account linked to a member.
    pub fn by_member(
        &self,
        guild: u64,
        discord_id: u64,
    ) -> Result<Option<AccountLink>, StoreError> {
        match self.tree.get(guild_key(BY_MEMBER, guild, discord_id))? {
            Some(bytes) => self.by_roblox(guild, decode_u64(&bytes, "a member's link")?),
            None => Ok(None),
        }
    }

    /// The member a Roblox account is linked to.
    pub fn by_roblox(&self, guild: u64, roblox_id: u64) -> Result<Option<AccountLink>, StoreError> {
        match self.tree.get(guild_key(BY_ROBLOX, guild, roblox_id))? {
            Some(bytes) => decode_json(&bytes, "an account link").map(Some),
            None => Ok(None),
        }
    }

    /// Links whose Roblox name (as linked) is `name`, ignoring case.
    pub fn by_roblox_name(&self, guild: u64, name: &str) -> Result<Vec<AccountLink>, StoreError> {
        let mut prefix = vec![BY_ROBLOX];
        prefix.extend_from_slice(&be_u64(guild));
        let mut found = Vec::new();
        for entry in self.tree.scan_prefix(prefix) {
            let (_, bytes) = entry?;
            let link: AccountLink = decode_json(&bytes, "an account link")?;
            if link.roblox_name.eq_ignore_ascii_case(name) {
                found.push(link);
            }
        }
        Ok(found)
    }

    /// Drop up to `batch` codes that expired by `now_ms` (used or not), and unreadable ones.
    /// Returns how many.
    pub fn sweep_expired_codes(&self, now_ms: i64, batch: usize) -> Result<usize, StoreError> {
        let mut removed = 0;
        for entry in self.tree.scan_prefix([CODE]) {
            if removed >= batch {
                break;
            }
            let (key, bytes) = entry?;
            let drop = match decode_json::<LinkCode>(&bytes, "a link code") {
                Ok(code) => now_ms >= code.expires_at_ms,
                Err(error) => {
                    tracing::warn!(%error, "dropping an unreadable link code");
                    true
                }
            };
            if drop {
                self.tree.remove(key)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// A removed guild's links and codes go with it. Returns how many records.
    pub fn purge_guild(&self, guild: u64) -> Result<u64, StoreError> {
        let mut removed = 0;
        for tag in [BY_ROBLOX, BY_MEMBER, CODE] {
            let mut prefix = vec![tag];
            prefix.extend_from_slice(&be_u64(guild));
            for entry in self.tree.scan_prefix(prefix) {
                let (key, _) = entry?;
                self.tree.remove(key)?;
                removed += 1;
            }
        }
        if removed > 0 {
            self.changed();
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        let db = sled::Config::new().temporary(true).open().unwrap();
        Links::open(&db).unwrap()
    }

    const G: u64 = 7;

    fn redeem(links: &Links, code: &str, roblox: u64, now: i64) -> Result<Linked, LinkError> {
        links.redeem(G, code, (roblox, "Player"), "main", None, now)
    }

    fn refusal(result: Result<Linked, LinkError>) -> LinkRefusal {
        match result {
            Err(LinkError::Refused(r)) => r,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn codes_are_short_unambiguous_and_random() {
        let codes: std::collections::BTreeSet<String> = (0..200).map(|_| random_code()).collect();
        assert!(codes.len() > 195, "codes repeat: {}", codes.len());
        for code in &codes {
            assert_eq!(code.len(), CODE_LEN);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
        }
        for confusable in b"0O1IL5S2Z8B" {
            assert!(!CODE_ALPHABET.contains(confusable));
        }
        assert_eq!(normalize_code(" ac-d 3f "), "ACD3F");
    }

    #[test]
    fn a_code_links_once_and_typed_twice_is_refused() {
        let links = links();
        let code = links.new_code(G, 100, 1_000).unwrap();
        let linked = redeem(&links, &code.to_lowercase(), 5, 10).unwrap();
        assert!(linked.fresh && linked.replaced.is_none());
        assert_eq!(linked.link.discord_id, 100);
        assert_eq!(links.by_member(G, 100).unwrap().unwrap().roblox_id, 5);
        assert_eq!(links.by_roblox(G, 5).unwrap().unwrap().discord_id, 100);
        assert_eq!(
            refusal(redeem(&links, &code, 5, 11)),
            LinkRefusal::CodeUsed(code.clone())
        );
        assert!(matches!(
            refusal(redeem(&links, "NOPE", 5, 11)),
            LinkRefusal::UnknownCode(_)
        ));
        assert!(
            matches!(
                refusal(links.redeem(G + 1, &code, (5, "P"), "main", None, 11)),
                LinkRefusal::UnknownCode(_)
            ),
            "codes belong to their guild"
        );
    }

    #[test]
    fn codes_expire_and_a_new_code_replaces_the_old() {
        let links = links();
        let old = links.new_code(G, 100, 1_000).unwrap();
        let new = links.new_code(G, 100, 2_000).unwrap();
        assert!(matches!(
            refusal(redeem(&links, &old, 5, 10)),
            LinkRefusal::UnknownCode(_)
        ));
        assert_eq!(
            refusal(redeem(&links, &new, 5, 2_000)),
            LinkRefusal::CodeExpired(new.clone())
        );
        assert_eq!(links.sweep_expired_codes(2_000, 10).unwrap(), 1);
        assert!(
            links.by_member(G, 100).unwrap().is_none(),
            "nothing half-written"
        );
    }

    #[test]
    fn one_roblox_id_per_member_and_one_member_per_roblox_id() {
        let links = links();
        let first = links.new_code(G, 100, 1_000).unwrap();
        redeem(&links, &first, 5, 1).unwrap();
        // Another member cannot take the account.
        let theirs = links.new_code(G, 200, 1_000).unwrap();
        assert_eq!(
            refusal(redeem(&links, &theirs, 5, 2)),
            LinkRefusal::RobloxTaken { discord_id: 100 }
        );
        assert!(links.by_member(G, 200).unwrap().is_none());
        // The code was not used up by the refusal.
        redeem(&links, &theirs, 6, 3).unwrap();
        // The member moving to another account leaves the old one free.
        let again = links.new_code(G, 100, 1_000).unwrap();
        let moved = redeem(&links, &again, 7, 4).unwrap();
        assert_eq!(moved.replaced.map(|l| l.roblox_id), Some(5));
        assert!(links.by_roblox(G, 5).unwrap().is_none());
        assert_eq!(links.by_member(G, 100).unwrap().unwrap().roblox_id, 7);
        // The same account in another guild is another link.
        let elsewhere = links.new_code(G + 1, 300, 1_000).unwrap();
        links
            .redeem(G + 1, &elsewhere, (7, "Player"), "main", None, 5)
            .unwrap();
        assert_eq!(links.by_member(G, 100).unwrap().unwrap().roblox_id, 7);
    }

    #[test]
    fn the_same_event_redeeming_again_is_a_replay_not_a_second_use() {
        let links = links();
        let code = links.new_code(G, 100, 1_000).unwrap();
        let mark = EventMark {
            server: "main".into(),
            id: 42,
        };
        let first = links
            .redeem(G, &code, (5, "P"), "main", Some(mark.clone()), 1)
            .unwrap();
        let replay = links
            .redeem(G, &code, (5, "P"), "main", Some(mark), 2)
            .unwrap();
        assert!(first.fresh && !replay.fresh);
        assert_eq!(replay.link, first.link);
        let other = EventMark {
            server: "main".into(),
            id: 43,
        };
        assert_eq!(
            refusal(links.redeem(G, &code, (5, "P"), "main", Some(other), 3)),
            LinkRefusal::CodeUsed(code)
        );
    }

    #[test]
    fn unlinking_and_purging() {
        let links = links();
        let mut changes = links.subscribe();
        let code = links.new_code(G, 100, 1_000).unwrap();
        redeem(&links, &code, 5, 1).unwrap();
        assert!(changes.has_changed().unwrap());
        changes.mark_unchanged();
        assert_eq!(links.by_roblox_name(G, "PLAYER").unwrap().len(), 1);
        let removed = links.remove_member(G, 100).unwrap().unwrap();
        assert_eq!(removed.roblox_id, 5);
        assert!(changes.has_changed().unwrap());
        assert!(links.by_roblox(G, 5).unwrap().is_none());
        assert!(links.remove_member(G, 100).unwrap().is_none());
        let admin = AccountLink {
            guild: G,
            roblox_id: 9,
            roblox_name: "Nine".into(),
            discord_id: 300,
            linked_at_ms: 1,
            linked_by: LinkedBy::Admin { admin: 1 },
        };
        links.put(&admin).unwrap();
        links.new_code(G, 400, 1_000).unwrap();
        assert_eq!(
            links.purge_guild(G).unwrap(),
            4,
            "link both ways, two codes"
        );
        assert!(links.by_member(G, 300).unwrap().is_none());
    }
}
