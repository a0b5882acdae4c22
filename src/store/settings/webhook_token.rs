//! Making webhook tokens: the random, unguessable path segment that routes PRC's webhook
//! requests to one guild's server. They are made here, where they are kept, so every server
//! gets the same kind whichever command made it; the HTTP server only looks them up.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use super::Settings;
use crate::store::StoreError;

/// Random bytes in a token (256 bits).
const TOKEN_BYTES: usize = 32;

/// A new token: 43 URL-safe characters from the operating system's random source.
pub fn new_webhook_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Settings {
    /// The server's webhook token, made and stored the first time it is asked for.
    pub fn ensure_webhook_token(&self, guild: u64, label: &str) -> Result<String, StoreError> {
        if let Some(token) = self.server(guild, label)?.webhook_token {
            return Ok(token);
        }
        let token = new_webhook_token();
        self.set_webhook_token(guild, label, Some(&token))?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::settings;
    use super::*;
    use crate::erlc::ServerKey;

    #[test]
    fn tokens_are_long_url_safe_and_distinct() {
        let a = new_webhook_token();
        let b = new_webhook_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn a_server_gets_its_token_once_and_keeps_it() {
        let (_db, s) = settings();
        s.add_server(1, "main", &ServerKey::new("k1-x"), 9, "ann")
            .unwrap();
        let token = s.ensure_webhook_token(1, "main").unwrap();
        assert_eq!(token.len(), 43);
        assert_eq!(s.ensure_webhook_token(1, "main").unwrap(), token);
        assert_eq!(
            s.find_by_webhook_token(&token).unwrap(),
            Some((1, "main".to_owned()))
        );
        assert!(s.ensure_webhook_token(1, "side").is_err(), "no such server");
    }
}
