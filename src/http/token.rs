//! Webhook tokens: the random, unguessable path segment that routes PRC's webhook requests to
//! one guild's server, the URL an admin pastes in game, and a fingerprint for logs (a token is
//! a secret: anyone holding it can reach the signature check for that server).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use crate::store::{Store, StoreError};

/// Random bytes in a token (256 bits).
const TOKEN_BYTES: usize = 32;

/// A new token: 43 URL-safe characters from the operating system's random source.
pub fn generate_webhook_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The URL PRC posts to: `<public_url>/prc/webhook/<token>`.
pub fn webhook_url(public_url: &str, token: &str) -> String {
    format!("{}/prc/webhook/{token}", public_url.trim_end_matches('/'))
}

/// What logs show instead of a token.
pub fn token_fingerprint(token: &str) -> String {
    crate::fingerprint::fingerprint(token)
}

/// The server's token, creating and storing one the first time.
pub fn ensure_webhook_token(store: &Store, guild: u64, label: &str) -> Result<String, StoreError> {
    if let Some(token) = store.settings().server(guild, label)?.webhook_token {
        return Ok(token);
    }
    let token = generate_webhook_token();
    store
        .settings()
        .set_webhook_token(guild, label, Some(&token))?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_url_safe_and_distinct() {
        let a = generate_webhook_token();
        let b = generate_webhook_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert!(!token_fingerprint(&a).contains(&a));
    }

    #[test]
    fn urls_join_cleanly() {
        assert_eq!(
            webhook_url("https://bot.example.com/", "abc"),
            "https://bot.example.com/prc/webhook/abc"
        );
        assert_eq!(
            webhook_url("https://bot.example.com", "abc"),
            "https://bot.example.com/prc/webhook/abc"
        );
    }
}
