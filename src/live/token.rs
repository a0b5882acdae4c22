//! The live stream's tokens: HS256 JWTs the bot mints for one member of one guild, and their
//! verification (HS256 only, zero leeway, expiry against the caller's clock).

use std::fmt;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

/// How long a minted token lives unless the caller says otherwise.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);

/// What a token says. Ids are decimal strings, as JWT subjects are strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveClaims {
    /// The Discord member id, decimal; AUTH_OK names it and presence paths are `/<sub>`.
    pub sub: String,
    /// The Discord guild id, decimal: the only guild whose keys the token may watch.
    pub guild: String,
    /// The member's display name when the token was minted.
    pub name: String,
    /// The member's role ids (decimal) when the token was minted.
    pub roles: Vec<String>,
    /// Whether the member was a guild administrator when the token was minted.
    pub admin: bool,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expires at, Unix seconds: the token is refused from this second on.
    pub exp: u64,
}

impl LiveClaims {
    /// The guild id; `Some` for every token [`TokenKeys::verify`] accepts.
    pub fn guild_id(&self) -> Option<u64> {
        discord_id(&self.guild)
    }

    /// The member id; `Some` for every token [`TokenKeys::verify`] accepts.
    pub fn member_id(&self) -> Option<u64> {
        discord_id(&self.sub)
    }
}

/// A Discord id as Discord writes it: decimal, no sign, no leading zero.
fn discord_id(text: &str) -> Option<u64> {
    let id: u64 = text.parse().ok()?;
    (id.to_string() == text).then_some(id)
}

/// Why a token was refused. The words never repeat the token or the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token was good until its `exp`.
    #[error("the token has expired")]
    Expired,
    /// Anything else: shape, signature, algorithm, claims.
    #[error("the token is not valid: {0}")]
    Invalid(&'static str),
}

/// The keys made from the live stream's secret (`LIVE_JWT_SECRET`).
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKeys { secret: <redacted> }")
    }
}

impl TokenKeys {
    /// Keys for HS256 with `secret`.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// A signed HS256 token carrying `claims`.
    pub fn mint(&self, claims: &LiveClaims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).expect(
            "HS256 signs any bytes, and these claims (strings, numbers, a list) always serialize",
        )
    }

    /// The claims of a token this secret signed, if it has not expired at `now_unix`.
    pub fn verify(&self, token: &str, now_unix: u64) -> Result<LiveClaims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // Expiry is checked below against the caller's clock, which tests control.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["sub", "exp"]);
        let claims = jsonwebtoken::decode::<LiveClaims>(token, &self.decoding, &validation)
            .map_err(|e| TokenError::Invalid(plain_words(e.kind())))?
            .claims;
        if claims.member_id().is_none() || claims.guild_id().is_none() {
            return Err(TokenError::Invalid("its sub or guild is not a Discord id"));
        }
        if now_unix >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

fn plain_words(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "its signature does not match",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "it is not signed with HS256"
        }
        ErrorKind::MissingRequiredClaim(_) => "it lacks a required claim (sub, exp)",
        ErrorKind::Json(_) | ErrorKind::InvalidClaimFormat(_) => {
            "its header or claims are not what the bot issues"
        }
        _ => "it is not a well-formed JWT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"a-test-secret-that-is-long-enough";
    const NOW: u64 = 1_800_000_000;

    fn claims() -> LiveClaims {
        LiveClaims {
            sub: "111111111111111111".into(),
            guild: "222222222222222222".into(),
            name: "Mod".into(),
            roles: vec!["333".into()],
            admin: false,
            iat: NOW,
            exp: NOW + DEFAULT_TOKEN_TTL.as_secs(),
        }
    }

    #[test]
    fn a_minted_token_verifies_until_it_expires() {
        let keys = TokenKeys::new(SECRET);
        let token = keys.mint(&claims());
        let got = keys.verify(&token, NOW).unwrap();
        assert_eq!(got, claims());
        assert_eq!(got.guild_id(), Some(222222222222222222));
        assert_eq!(got.member_id(), Some(111111111111111111));
        assert!(keys.verify(&token, claims().exp - 1).is_ok());
        assert_eq!(keys.verify(&token, claims().exp), Err(TokenError::Expired));
        assert_eq!(
            keys.verify(&token, claims().exp + 1),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn another_secret_or_a_changed_token_is_refused() {
        let token = TokenKeys::new(SECRET).mint(&claims());
        assert!(matches!(
            TokenKeys::new(b"another-secret").verify(&token, NOW),
            Err(TokenError::Invalid(_))
        ));
        // claims rewritten to another guild, signature kept
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut forged = claims();
        forged.guild = "999".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let keys = TokenKeys::new(SECRET);
        assert_eq!(
            keys.verify(&parts.join("."), NOW),
            Err(TokenError::Invalid("its signature does not match"))
        );
        for junk in ["", "abc", "a.b.c", &token[..token.len() - 3]] {
            assert!(
                matches!(keys.verify(junk, NOW), Err(TokenError::Invalid(_))),
                "{junk}"
            );
        }
    }

    fn unsigned(header: &str, claims: &LiveClaims) -> String {
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
        )
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let keys = TokenKeys::new(SECRET);
        for header in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"alg":"HS512","typ":"JWT"}"#,
        ] {
            assert!(
                matches!(
                    keys.verify(&unsigned(header, &claims()), NOW),
                    Err(TokenError::Invalid(_))
                ),
                "{header}"
            );
        }
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims(),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(
            keys.verify(&hs512, NOW),
            Err(TokenError::Invalid("it is not signed with HS256"))
        );
    }

    #[test]
    fn tokens_without_sub_or_exp_or_with_odd_ids_are_refused() {
        let keys = TokenKeys::new(SECRET);
        let enc = EncodingKey::from_secret(SECRET);
        let mut without_exp = serde_json::to_value(claims()).unwrap();
        without_exp.as_object_mut().unwrap().remove("exp");
        let token = jsonwebtoken::encode(&Header::default(), &without_exp, &enc).unwrap();
        assert!(matches!(
            keys.verify(&token, NOW),
            Err(TokenError::Invalid(_))
        ));
        for (sub, guild) in [("abc", "1"), ("1", "-1"), ("01", "1"), ("", "1")] {
            let mut c = claims();
            c.sub = sub.into();
            c.guild = guild.into();
            assert_eq!(
                keys.verify(&keys.mint(&c), NOW),
                Err(TokenError::Invalid("its sub or guild is not a Discord id")),
                "{sub} {guild}"
            );
        }
    }

    #[test]
    fn errors_and_debug_never_show_the_secret_or_the_token() {
        let keys = TokenKeys::new(SECRET);
        let debug = format!("{keys:?}");
        assert!(!debug.contains("a-test-secret"), "{debug}");
        let secret_bytes = format!("{:?}", SECRET);
        assert!(!debug.contains(&secret_bytes[1..10]), "{debug}");
        let token = TokenKeys::new(b"other").mint(&claims());
        let err = keys.verify(&token, NOW).unwrap_err().to_string();
        assert!(!err.contains(&token[..20]), "{err}");
    }
}
