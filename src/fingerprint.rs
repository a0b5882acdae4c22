//! Short, stable, non-reversible identifiers for secrets (server keys, API keys, webhook
//! tokens), safe for logs, errors and audit records. Shared by the client and the simulator,
//! so a fingerprint in the simulator's request log matches the one the client shows.

use sha2::{Digest, Sha256};

/// `fp:` and the first four bytes of the secret's SHA-256, in hex.
pub fn fingerprint(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    format!("fp:{}", hex::encode(&digest[..4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_stable_short_and_hides_the_secret() {
        let secret = "k3Xq9TzLw2PmRv7-8xK2mQ";
        assert_eq!(fingerprint(secret), fingerprint(secret));
        assert_eq!(fingerprint(secret).len(), 11);
        assert!(!fingerprint(secret).contains("k3Xq9"));
        assert_ne!(fingerprint(secret), fingerprint("other-key"));
    }
}
