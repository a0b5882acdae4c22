//! Secret credentials: the per-server `Server-Key` and the optional global API key.
//! Their Debug and Display only ever show a short fingerprint, never the key.

use crate::fingerprint::fingerprint;

/// Why a server key string does not look like an ER:LC key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    /// Nothing was pasted.
    #[error("the key is empty")]
    Empty,
    /// The key has spaces or line breaks inside it.
    #[error("the key contains spaces or line breaks; paste only the key itself")]
    Whitespace,
    /// Not two runs of letters and digits joined by one `-`.
    #[error("an ER:LC server key has two parts joined by one `-` (letters and digits only)")]
    Shape,
}

/// A private server's API key (`<rotating secret>-<internal server id>`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ServerKey(String);

impl ServerKey {
    /// Wrap a key as given. Use [`ServerKey::check_format`] to validate user input; the client
    /// still sends odd keys as-is so PRC's own answer (2001) reaches the user.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// Parse user input: trims surrounding whitespace and checks the documented shape.
    pub fn parse(input: &str) -> Result<Self, KeyFormatError> {
        let key = Self(input.trim().to_owned());
        key.check_format()?;
        Ok(key)
    }

    /// Check the documented shape `^[A-Za-z0-9]+-[A-Za-z0-9]+$`.
    pub fn check_format(&self) -> Result<(), KeyFormatError> {
        let k = self.0.as_str();
        if k.is_empty() {
            return Err(KeyFormatError::Empty);
        }
        if k.chars().any(char::is_whitespace) {
            return Err(KeyFormatError::Whitespace);
        }
        let mut parts = k.split('-');
        let ok = matches!(
            (parts.next(), parts.next(), parts.next()),
            (Some(a), Some(b), None)
                if !a.is_empty() && !b.is_empty()
                && a.chars().chain(b.chars()).all(|c| c.is_ascii_alphanumeric())
        );
        if ok {
            Ok(())
        } else {
            Err(KeyFormatError::Shape)
        }
    }

    /// The stable internal server id (the part after the `-`), if the key is well formed.
    /// It survives key regeneration, so it identifies a server across key changes.
    pub fn server_id(&self) -> Option<&str> {
        self.check_format().ok()?;
        self.0.split_once('-').map(|(_, id)| id)
    }

    /// The key itself, for the `Server-Key` header and for encryption at rest. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short fingerprint for logs and messages.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.0)
    }
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerKey({})", self.fingerprint())
    }
}

impl std::fmt::Display for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

/// A PRC global API key, sent raw in `Authorization` by large applications.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GlobalKey(String);

impl GlobalKey {
    /// Wrap a key as given; PRC alone can tell whether it is valid.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the `Authorization` header. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short fingerprint for logs and messages.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.0)
    }
}

impl std::fmt::Debug for GlobalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GlobalKey({})", self.fingerprint())
    }
}

impl std::fmt::Display for GlobalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "k3Xq9TzLw2PmRv7-8xK2mQ";

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = ServerKey::new(KEY);
        for shown in [
            format!("{key:?}"),
            format!("{key}"),
            format!("{:#?}", Some(&key)),
        ] {
            assert!(!shown.contains("k3Xq9TzLw2PmRv7"), "{shown}");
            assert!(!shown.contains("8xK2mQ"), "{shown}");
            assert!(shown.contains("fp:"), "{shown}");
        }
        let global = GlobalKey::new("global-secret-value");
        assert!(!format!("{global:?}{global}").contains("secret"));
    }

    #[test]
    fn a_key_shows_the_fingerprint_of_its_text() {
        assert_eq!(ServerKey::new(KEY).fingerprint(), fingerprint(KEY));
        assert_eq!(GlobalKey::new(KEY).fingerprint(), fingerprint(KEY));
    }

    #[test]
    fn format_checks() {
        assert_eq!(
            ServerKey::parse(&format!("  {KEY}\n")).unwrap().expose(),
            KEY
        );
        assert_eq!(ServerKey::new(KEY).server_id(), Some("8xK2mQ"));
        assert_eq!(ServerKey::parse(""), Err(KeyFormatError::Empty));
        assert_eq!(ServerKey::parse("a b-c"), Err(KeyFormatError::Whitespace));
        for bad in ["abc", "a-b-c", "-abc", "abc-", "a_b-c"] {
            assert_eq!(ServerKey::parse(bad), Err(KeyFormatError::Shape), "{bad}");
        }
    }
}
