//! Who may call: server keys (`<secret>-<serverId>`, rotatable, bannable), global keys, and the
//! command gates (trusted IPs, app authorization).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use rand::Rng;
use rand::distributions::Alphanumeric;
use rand::rngs::StdRng;

/// An authentication failure, as PRC's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `Server-Key` header, or an empty one (2000).
    Missing,
    /// The key is not `<letters/digits>-<letters/digits>` (2001).
    Malformed,
    /// No server has this key, or it was rotated away (2002).
    Unknown,
    /// An `Authorization` header with a global key the simulator does not know (2003).
    BadGlobalKey,
    /// The key is banned from the API (2004).
    Banned,
}

impl AuthError {
    /// PRC's error code for the failure.
    pub fn code(self) -> u16 {
        match self {
            Self::Missing => 2000,
            Self::Malformed => 2001,
            Self::Unknown => 2002,
            Self::BadGlobalKey => 2003,
            Self::Banned => 2004,
        }
    }

    /// The `message` PRC sends with the code.
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => "You must provide a server-key header.",
            Self::Malformed => "The server-key you provided is incorrectly formatted.",
            Self::Unknown => "The server-key you provided is invalid or has expired.",
            Self::BadGlobalKey => "The global API key you provided is invalid.",
            Self::Banned => "The server-key you provided is banned from accessing the API.",
        }
    }
}

/// The documented key shape `^[A-Za-z0-9]+-[A-Za-z0-9]+$`.
pub fn well_formed(key: &str) -> bool {
    match key.split_once('-') {
        Some((secret, id)) => {
            !secret.is_empty()
                && !id.is_empty()
                && secret
                    .chars()
                    .chain(id.chars())
                    .all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// `len` random ASCII letters and digits: key secrets, server ids and join keys.
pub fn random_alnum(rng: &mut StdRng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(rng.sample(Alphanumeric)))
        .collect()
}

#[derive(Debug)]
struct ServerKeys {
    server_id: String,
    secret: String,
    banned: bool,
    trusted_ips: Vec<IpAddr>,
    /// Global keys whose app the owner has authorized for commands.
    authorized_apps: HashSet<String>,
}

impl ServerKeys {
    fn key(&self) -> String {
        format!("{}-{}", self.secret, self.server_id)
    }
}

/// Every credential the simulator knows.
#[derive(Debug)]
pub struct KeyRing {
    servers: Vec<ServerKeys>,
    global_keys: HashSet<String>,
    by_key: HashMap<String, usize>,
}

impl KeyRing {
    /// A ring with these valid global keys and no servers yet.
    pub fn new(global_keys: &[String]) -> Self {
        Self {
            servers: Vec::new(),
            global_keys: global_keys.iter().cloned().collect(),
            by_key: HashMap::new(),
        }
    }

    /// Registers a server and returns its key.
    pub fn add_server(&mut self, server_id: String, secret: String, trusted: &[IpAddr]) -> String {
        let entry = ServerKeys {
            server_id,
            secret,
            banned: false,
            trusted_ips: trusted.to_vec(),
            authorized_apps: self.global_keys.clone(),
        };
        let key = entry.key();
        self.by_key.insert(key.clone(), self.servers.len());
        self.servers.push(entry);
        key
    }

    /// Server `index`'s current key; `None` past the end.
    pub fn key_of(&self, index: usize) -> Option<String> {
        self.servers.get(index).map(ServerKeys::key)
    }

    /// Checks the headers of a request; returns the server index on success.
    pub fn authenticate(
        &self,
        server_key: Option<&str>,
        authorization: Option<&str>,
    ) -> Result<usize, AuthError> {
        let key = match server_key {
            None | Some("") => return Err(AuthError::Missing),
            Some(k) => k,
        };
        if !well_formed(key) {
            return Err(AuthError::Malformed);
        }
        if let Some(global) = authorization {
            if !self.global_keys.contains(global) {
                return Err(AuthError::BadGlobalKey);
            }
        }
        let index = *self.by_key.get(key).ok_or(AuthError::Unknown)?;
        match self.servers.get(index) {
            Some(s) if s.banned => Err(AuthError::Banned),
            Some(_) => Ok(index),
            None => Err(AuthError::Unknown),
        }
    }

    /// May this caller run commands on the server? (trusted IP, or an authorized app).
    pub fn may_command(&self, index: usize, ip: IpAddr, authorization: Option<&str>) -> bool {
        let Some(server) = self.servers.get(index) else {
            return false;
        };
        match authorization {
            Some(global) => server.authorized_apps.contains(global),
            None => server.trusted_ips.contains(&ip),
        }
    }

    /// New secret, same server id; the old key answers 2002 from now on.
    pub fn rotate(&mut self, index: usize, rng: &mut StdRng) -> Option<String> {
        let server = self.servers.get_mut(index)?;
        self.by_key.remove(&server.key());
        server.secret = random_alnum(rng, 15);
        server.banned = false;
        let key = server.key();
        self.by_key.insert(key.clone(), index);
        Some(key)
    }

    /// Ban server `index`'s key (2004 until rotated); false if there is no such server.
    pub fn ban(&mut self, index: usize) -> bool {
        match self.servers.get_mut(index) {
            Some(server) => {
                server.banned = true;
                true
            }
            None => false,
        }
    }

    /// Replace server `index`'s trusted IPs; false if there is no such server.
    pub fn set_trusted_ips(&mut self, index: usize, ips: Vec<IpAddr>) -> bool {
        match self.servers.get_mut(index) {
            Some(server) => {
                server.trusted_ips = ips;
                true
            }
            None => false,
        }
    }

    /// Let (or stop) the app with this global key run commands on server `index`; false if
    /// there is no such server.
    pub fn set_app_authorized(&mut self, index: usize, global: &str, authorized: bool) -> bool {
        let Some(server) = self.servers.get_mut(index) else {
            return false;
        };
        if authorized {
            server.authorized_apps.insert(global.to_owned());
        } else {
            server.authorized_apps.remove(global);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::net::Ipv4Addr;

    #[test]
    fn key_lifecycle_gives_the_documented_codes() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut ring = KeyRing::new(&["G1".to_owned()]);
        let key = ring.add_server("abc123".into(), "secret1".into(), &[]);
        assert_eq!(ring.authenticate(Some(&key), None), Ok(0));
        assert_eq!(ring.authenticate(None, None), Err(AuthError::Missing));
        assert_eq!(
            ring.authenticate(Some("nohyphen"), None),
            Err(AuthError::Malformed)
        );
        assert_eq!(
            ring.authenticate(Some("a-b-c"), None),
            Err(AuthError::Malformed)
        );
        assert_eq!(
            ring.authenticate(Some("zz-abc123"), None),
            Err(AuthError::Unknown)
        );
        assert_eq!(
            ring.authenticate(Some(&key), Some("G2")),
            Err(AuthError::BadGlobalKey)
        );
        assert_eq!(ring.authenticate(Some(&key), Some("G1")), Ok(0));
        let new_key = ring.rotate(0, &mut rng).unwrap();
        assert!(new_key.ends_with("-abc123"));
        assert_eq!(ring.authenticate(Some(&key), None), Err(AuthError::Unknown));
        ring.ban(0);
        assert_eq!(
            ring.authenticate(Some(&new_key), None),
            Err(AuthError::Banned)
        );
    }

    #[test]
    fn command_gate_uses_trusted_ips_or_app_authorization() {
        let mut ring = KeyRing::new(&["G1".to_owned()]);
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        ring.add_server("abc".into(), "s".into(), &[local]);
        assert!(ring.may_command(0, local, None));
        assert!(!ring.may_command(0, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), None));
        assert!(ring.may_command(0, local, Some("G1")));
        ring.set_app_authorized(0, "G1", false);
        assert!(!ring.may_command(0, local, Some("G1")));
    }
}
