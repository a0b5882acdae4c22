//! A guild's ER:LC servers: label, encrypted key, who added it, its health, the default flag
//! and the webhook token that routes PRC webhooks to it.

use sha2::{Digest, Sha256};

use super::Settings;
use super::status::ServerStatus;
use crate::erlc::ServerKey;
use crate::events::validate_segment;
use crate::store::StoreError;
use crate::store::crypto::{MasterKey, SealedKey};
use crate::store::db::{self, Write};

/// One ER:LC server of a guild, without its key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerRecord {
    /// Lowercase label, a valid event-type segment, unique in the guild.
    pub label: String,
    /// `fp:` and 8 hex digits of the key's SHA-256: names the key without revealing it.
    pub key_fingerprint: String,
    /// Discord user id of the member who added the server.
    pub added_by: u64,
    /// That member's display name at the time.
    pub added_by_name: String,
    /// Unix milliseconds when the server was added.
    pub added_at_ms: i64,
    /// How the last API call with this key went.
    pub status: ServerStatus,
    /// Commands that name no server use this one; one server of each guild has it.
    pub is_default: bool,
    /// The secret last segment of this server's webhook URL; `None` until one is made.
    pub webhook_token: Option<String>,
    /// A sandbox server: the key belongs to a simulator running inside the bot, not to PRC.
    #[serde(default)]
    pub sandbox: bool,
}

/// What is stored: the record and its key, sealed.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct StoredServer {
    pub record: ServerRecord,
    pub sealed: SealedKey,
}

const SERVERS: usize = 0;
const INDEX: usize = 1;

/// Index key for a webhook token: a hash, so the index does not hold the token itself.
pub(super) fn token_index_key(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The authenticated-data context a server key is sealed under.
pub(crate) fn seal_context(guild: u64, label: &str) -> Vec<u8> {
    format!("server-key/{guild}/{label}").into_bytes()
}

fn normalise_label(label: &str) -> Result<String, StoreError> {
    let label = label.trim().to_lowercase();
    validate_segment(&label).map_err(|e| {
        StoreError::Invalid(format!("the server label `{label}` is not valid: {e}"))
    })?;
    Ok(label)
}

fn not_found(guild: u64, label: &str) -> StoreError {
    StoreError::NotFound(format!("no server labelled `{label}` in guild {guild}"))
}

impl Settings {
    /// All of a guild's servers, in label order, with their keys still sealed.
    pub(super) fn guild_servers(
        &self,
        guild: u64,
    ) -> Result<Vec<(String, StoredServer)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.servers.scan_prefix(db::guild_prefix(guild)) {
            let (_, value) = entry?;
            let stored: StoredServer = db::decode("server record", &value)?;
            out.push((stored.record.label.clone(), stored));
        }
        Ok(out)
    }

    fn stored_server(&self, guild: u64, label: &str) -> Result<StoredServer, StoreError> {
        let raw = self
            .servers
            .get(db::guild_str_key(guild, label))?
            .ok_or_else(|| not_found(guild, label))?;
        db::decode("server record", &raw)
    }

    fn server_put(guild: u64, stored: &StoredServer) -> Result<Write, StoreError> {
        Ok(Write::put(
            SERVERS,
            db::guild_str_key(guild, &stored.record.label),
            db::encode(stored)?,
        ))
    }

    fn commit(&self, writes: &[Write]) -> Result<(), StoreError> {
        db::apply_atomically(&[&self.servers, &self.webhook_index], writes)?;
        self.flush()
    }

    fn seal(
        key: &MasterKey,
        guild: u64,
        label: &str,
        server_key: &ServerKey,
    ) -> Result<SealedKey, StoreError> {
        key.seal(server_key.expose().as_bytes(), &seal_context(guild, label))
    }

    /// Add a server. The label is lowercased and must be a valid event-type segment, unique
    /// in the guild; the same key may not be saved twice. The first server becomes the default.
    pub fn add_server(
        &self,
        guild: u64,
        label: &str,
        key: &ServerKey,
        added_by: u64,
        added_by_name: &str,
    ) -> Result<ServerRecord, StoreError> {
        self.insert_server(guild, label, key, (added_by, added_by_name), false)
    }

    /// [`Settings::add_server`] for a sandbox server (its key belongs to the bot's built-in
    /// simulator), marked so requests for it go to the simulator instead of PRC.
    pub fn add_sandbox_server(
        &self,
        guild: u64,
        label: &str,
        key: &ServerKey,
        added_by: u64,
        added_by_name: &str,
    ) -> Result<ServerRecord, StoreError> {
        self.insert_server(guild, label, key, (added_by, added_by_name), true)
    }

    fn insert_server(
        &self,
        guild: u64,
        label: &str,
        key: &ServerKey,
        (added_by, added_by_name): (u64, &str),
        sandbox: bool,
    ) -> Result<ServerRecord, StoreError> {
        let label = normalise_label(label)?;
        let _guard = self.lock();
        let master = self.keys.current();
        let existing = self.guild_servers(guild)?;
        if existing.iter().any(|(l, _)| *l == label) {
            return Err(StoreError::Invalid(format!(
                "a server labelled `{label}` already exists here; pick another label or remove \
                 that server first"
            )));
        }
        let fingerprint = key.fingerprint();
        if let Some((other, _)) = existing
            .iter()
            .find(|(_, s)| s.record.key_fingerprint == fingerprint)
        {
            return Err(StoreError::Invalid(format!(
                "this key is already saved as server `{other}`"
            )));
        }
        let stored = StoredServer {
            sealed: Self::seal(&master, guild, &label, key)?,
            record: ServerRecord {
                label,
                key_fingerprint: fingerprint,
                added_by,
                added_by_name: added_by_name.to_owned(),
                added_at_ms: self.clock.now_ms(),
                status: ServerStatus::Ok,
                is_default: existing.is_empty(),
                webhook_token: None,
                sandbox,
            },
        };
        self.commit(&[Self::server_put(guild, &stored)?])?;
        Ok(stored.record)
    }

    /// Remove a server and its key. If it was the default, the first remaining server (by
    /// label) becomes the default.
    pub fn remove_server(&self, guild: u64, label: &str) -> Result<ServerRecord, StoreError> {
        let label = label.to_lowercase();
        let _guard = self.lock();
        let removed = self.stored_server(guild, &label)?;
        let mut writes = vec![Write::remove(SERVERS, db::guild_str_key(guild, &label))];
        if let Some(token) = &removed.record.webhook_token {
            writes.push(Write::remove(INDEX, token_index_key(token)));
        }
        if removed.record.is_default {
            let heir = self
                .guild_servers(guild)?
                .into_iter()
                .find(|(l, _)| *l != label);
            if let Some((_, mut heir)) = heir {
                heir.record.is_default = true;
                writes.push(Self::server_put(guild, &heir)?);
            }
        }
        self.commit(&writes)?;
        Ok(removed.record)
    }

    /// One server's record.
    pub fn server(&self, guild: u64, label: &str) -> Result<ServerRecord, StoreError> {
        Ok(self.stored_server(guild, &label.to_lowercase())?.record)
    }

    /// A guild's servers in label order.
    pub fn list_servers(&self, guild: u64) -> Result<Vec<ServerRecord>, StoreError> {
        Ok(self
            .guild_servers(guild)?
            .into_iter()
            .map(|(_, s)| s.record)
            .collect())
    }

    /// The guild's default server, if it has any server.
    pub fn default_server(&self, guild: u64) -> Result<Option<ServerRecord>, StoreError> {
        Ok(self.list_servers(guild)?.into_iter().find(|r| r.is_default))
    }

    /// Every server of every guild, for the tracker.
    pub fn all_servers(&self) -> Result<Vec<(u64, ServerRecord)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.servers.iter() {
            let (key, value) = entry?;
            let guild = db::read_u64(&key, 0)
                .ok_or_else(|| StoreError::corrupt("server record key", "shorter than 8 bytes"))?;
            let stored: StoredServer = db::decode("server record", &value)?;
            out.push((guild, stored.record));
        }
        Ok(out)
    }

    /// Decrypt a server's key.
    pub fn server_key(&self, guild: u64, label: &str) -> Result<ServerKey, StoreError> {
        let label = label.to_lowercase();
        let stored = self.stored_server(guild, &label)?;
        open_key(&self.keys.current(), guild, &label, &stored.sealed)
    }

    /// Decrypted keys of all of a guild's servers (for redacting audit arguments).
    pub(crate) fn guild_server_keys(&self, guild: u64) -> Result<Vec<ServerKey>, StoreError> {
        let master = self.keys.current();
        self.guild_servers(guild)?
            .iter()
            .map(|(label, stored)| open_key(&master, guild, label, &stored.sealed))
            .collect()
    }

    fn update_server(
        &self,
        guild: u64,
        label: &str,
        change: impl FnOnce(&mut StoredServer, &MasterKey) -> Result<(), StoreError>,
    ) -> Result<ServerRecord, StoreError> {
        let label = label.to_lowercase();
        let _guard = self.lock();
        let mut stored = self.stored_server(guild, &label)?;
        change(&mut stored, &self.keys.current())?;
        self.commit(&[Self::server_put(guild, &stored)?])?;
        Ok(stored.record)
    }

    /// Save a new key for an existing server (after the key was regenerated in game).
    pub fn replace_server_key(
        &self,
        guild: u64,
        label: &str,
        key: &ServerKey,
    ) -> Result<ServerRecord, StoreError> {
        let label = label.to_lowercase();
        self.update_server(guild, &label, |stored, master| {
            stored.sealed = Self::seal(master, guild, &label, key)?;
            stored.record.key_fingerprint = key.fingerprint();
            stored.record.status = ServerStatus::Ok;
            Ok(())
        })
    }

    /// Record a server's health.
    pub fn set_server_status(
        &self,
        guild: u64,
        label: &str,
        status: ServerStatus,
    ) -> Result<ServerRecord, StoreError> {
        self.update_server(guild, label, |stored, _| {
            stored.record.status = status;
            Ok(())
        })
    }

    /// Make `label` the guild's default server (and no other).
    pub fn set_default_server(&self, guild: u64, label: &str) -> Result<(), StoreError> {
        let label = label.to_lowercase();
        let _guard = self.lock();
        let servers = self.guild_servers(guild)?;
        if !servers.iter().any(|(l, _)| *l == label) {
            return Err(not_found(guild, &label));
        }
        let mut writes = Vec::new();
        for (l, mut stored) in servers {
            let want = l == label;
            if stored.record.is_default != want {
                stored.record.is_default = want;
                writes.push(Self::server_put(guild, &stored)?);
            }
        }
        self.commit(&writes)
    }

    /// Set (or clear) the token that routes PRC webhooks to this server. Tokens are unique.
    pub fn set_webhook_token(
        &self,
        guild: u64,
        label: &str,
        token: Option<&str>,
    ) -> Result<ServerRecord, StoreError> {
        let label = label.to_lowercase();
        let _guard = self.lock();
        let mut stored = self.stored_server(guild, &label)?;
        let mut writes = Vec::new();
        if let Some(token) = token {
            if token.is_empty() {
                return Err(StoreError::Invalid(
                    "a webhook token may not be empty".into(),
                ));
            }
            let owner = self.webhook_index.get(token_index_key(token))?;
            if owner.is_some_and(|o| *o != *db::guild_str_key(guild, &label)) {
                return Err(StoreError::Invalid(
                    "that webhook token is already used by another server".into(),
                ));
            }
            writes.push(Write::put(
                INDEX,
                token_index_key(token),
                db::guild_str_key(guild, &label),
            ));
        }
        if let Some(old) = &stored.record.webhook_token {
            if Some(old.as_str()) != token {
                writes.push(Write::remove(INDEX, token_index_key(old)));
            }
        }
        stored.record.webhook_token = token.map(str::to_owned);
        writes.push(Self::server_put(guild, &stored)?);
        self.commit(&writes)?;
        Ok(stored.record)
    }

    /// Which server a webhook token belongs to: `(guild, label)`.
    pub fn find_by_webhook_token(&self, token: &str) -> Result<Option<(u64, String)>, StoreError> {
        let Some(target) = self.webhook_index.get(token_index_key(token))? else {
            return Ok(None);
        };
        let guild = db::read_u64(&target, 0)
            .ok_or_else(|| StoreError::corrupt("webhook index", "entry shorter than 8 bytes"))?;
        let label = std::str::from_utf8(target.get(8..).unwrap_or_default())
            .map_err(|e| StoreError::corrupt("webhook index", e))?;
        Ok(Some((guild, label.to_owned())))
    }
}

fn open_key(
    master: &MasterKey,
    guild: u64,
    label: &str,
    sealed: &SealedKey,
) -> Result<ServerKey, StoreError> {
    let plain = master
        .open(sealed, &seal_context(guild, label))
        .ok_or_else(|| {
            StoreError::corrupt(format!("server key of `{label}`"), "it does not decrypt")
        })?;
    let text = String::from_utf8(plain)
        .map_err(|_| StoreError::corrupt(format!("server key of `{label}`"), "not text"))?;
    Ok(ServerKey::new(text))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::settings;
    use super::*;

    #[test]
    fn add_list_decrypt_remove() {
        let (_db, s) = settings();
        let key = ServerKey::new("abcDEF123-serverid");
        let rec = s.add_server(1, " Main ", &key, 42, "Ann").unwrap();
        assert_eq!(rec.label, "main");
        assert!(rec.is_default);
        assert_eq!(rec.key_fingerprint, key.fingerprint());
        assert_eq!(rec.added_at_ms, 1_000);
        assert_eq!(s.server_key(1, "MAIN").unwrap(), key);
        let second = s
            .add_server(1, "side", &ServerKey::new("x-y"), 42, "Ann")
            .unwrap();
        assert!(!second.is_default);
        assert!(!rec.sandbox && !second.sandbox);
        let sandbox = s
            .add_sandbox_server(3, "try", &ServerKey::new("sand-box"), 42, "Ann")
            .unwrap();
        assert!(sandbox.sandbox && s.server(3, "try").unwrap().sandbox);

        let dup = s
            .add_server(1, "MAIN", &ServerKey::new("o-k"), 1, "b")
            .unwrap_err();
        assert!(dup.to_string().contains("already exists"), "{dup}");
        let same_key = s.add_server(1, "third", &key, 1, "b").unwrap_err();
        assert!(same_key.to_string().contains("`main`"), "{same_key}");
        assert!(
            s.add_server(1, "a/b", &ServerKey::new("q-r"), 1, "b")
                .is_err()
        );
        assert!(
            s.add_server(2, "main", &key, 1, "b").is_ok(),
            "labels are per guild"
        );

        let labels: Vec<_> = s
            .list_servers(1)
            .unwrap()
            .into_iter()
            .map(|r| r.label)
            .collect();
        assert_eq!(labels, ["main", "side"]);
        assert_eq!(s.all_servers().unwrap().len(), 4);

        s.remove_server(1, "main").unwrap();
        assert_eq!(s.default_server(1).unwrap().unwrap().label, "side");
        assert!(matches!(
            s.server_key(1, "main"),
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn default_status_webhook_and_key_replacement() {
        let (_db, s) = settings();
        s.add_server(1, "a", &ServerKey::new("a-1"), 1, "n")
            .unwrap();
        s.add_server(1, "b", &ServerKey::new("b-1"), 1, "n")
            .unwrap();
        s.set_default_server(1, "b").unwrap();
        let defaults: Vec<_> = s
            .list_servers(1)
            .unwrap()
            .into_iter()
            .filter(|r| r.is_default)
            .collect();
        assert_eq!(defaults.len(), 1);
        assert_eq!(defaults[0].label, "b");
        assert!(s.set_default_server(1, "zzz").is_err());

        let rec = s
            .set_server_status(1, "a", ServerStatus::KeyInvalid)
            .unwrap();
        assert_eq!(rec.status, ServerStatus::KeyInvalid);
        assert!(rec.status.fix().is_some());
        let rec = s
            .replace_server_key(1, "a", &ServerKey::new("a-2"))
            .unwrap();
        assert_eq!(rec.status, ServerStatus::Ok);
        assert_eq!(s.server_key(1, "a").unwrap().expose(), "a-2");

        s.set_webhook_token(1, "a", Some("tok")).unwrap();
        assert_eq!(
            s.find_by_webhook_token("tok").unwrap(),
            Some((1, "a".into()))
        );
        assert!(
            s.set_webhook_token(1, "b", Some("tok")).is_err(),
            "tokens are unique"
        );
        s.set_webhook_token(1, "a", Some("tok2")).unwrap();
        assert_eq!(s.find_by_webhook_token("tok").unwrap(), None);
        s.remove_server(1, "a").unwrap();
        assert_eq!(s.find_by_webhook_token("tok2").unwrap(), None);
    }

    #[test]
    fn records_saved_before_the_sandbox_flag_read_as_real_servers() {
        let old = r#"{"label":"main","key_fingerprint":"fp:00112233","added_by":1,
            "added_by_name":"a","added_at_ms":5,"status":{"state":"ok"},"is_default":true,
            "webhook_token":null}"#;
        let record: ServerRecord = serde_json::from_str(old).unwrap();
        assert!(!record.sandbox);
    }

    #[test]
    fn sealed_keys_do_not_move_between_records() {
        let (db, s) = settings();
        s.add_server(1, "a", &ServerKey::new("a-1"), 1, "n")
            .unwrap();
        s.add_server(1, "b", &ServerKey::new("b-1"), 1, "n")
            .unwrap();
        let tree = db.open_tree(crate::store::db::trees::SERVERS).unwrap();
        let a = tree.get(db::guild_str_key(1, "a")).unwrap().unwrap();
        let mut b: StoredServer =
            db::decode("t", &tree.get(db::guild_str_key(1, "b")).unwrap().unwrap()).unwrap();
        b.sealed = db::decode::<StoredServer>("t", &a).unwrap().sealed;
        tree.insert(db::guild_str_key(1, "b"), db::encode(&b).unwrap())
            .unwrap();
        let err = s.server_key(1, "b").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    }
}
