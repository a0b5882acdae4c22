//! Webhook tokens in logs. A token routes PRC's webhook requests to one guild's server and is a
//! secret (anyone holding it can reach the signature check for that server), so logs name it by
//! fingerprint. The store makes tokens ([`crate::store::new_webhook_token`]: 43 URL-safe
//! characters); [`crate::config::Config::webhook_url`] shows the address an admin pastes in game.

/// What logs show instead of a token.
pub fn token_fingerprint(token: &str) -> String {
    crate::fingerprint::fingerprint(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_do_not_show_the_token() {
        let token = crate::store::new_webhook_token();
        assert!(!token_fingerprint(&token).contains(&token));
    }
}
