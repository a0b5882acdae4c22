//! Webhook URLs: the address an admin pastes in game (`<public_url>/prc/webhook/<token>`) and
//! a fingerprint for logs. The token routes PRC's webhook requests to one guild's server and is
//! a secret (anyone holding it can reach the signature check for that server); the store makes
//! them ([`crate::store::new_webhook_token`]: 43 URL-safe characters), this module only shows
//! and names them.

/// The URL PRC posts to: `<public_url>/prc/webhook/<token>`.
pub fn webhook_url(public_url: &str, token: &str) -> String {
    format!("{}/prc/webhook/{token}", public_url.trim_end_matches('/'))
}

/// What logs show instead of a token.
pub fn token_fingerprint(token: &str) -> String {
    crate::erlc::key::fingerprint(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_do_not_show_the_token() {
        let token = crate::store::new_webhook_token();
        assert!(!token_fingerprint(&token).contains(&token));
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
