//! The bot's typed configuration, read from the environment (and `.env`), validated at start.
//! Every problem is collected and reported at once, so an operator fixes them in one go.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::erlc::GlobalKey;
use crate::store::AuditRetention;

/// The Discord bot token. Debug never shows it.
#[derive(Clone)]
pub struct DiscordToken(String);

impl DiscordToken {
    /// The token text, for logging in to Discord only; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DiscordToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DiscordToken({})",
            crate::fingerprint::fingerprint(&self.0)
        )
    }
}

/// `LIVE_JWT_SECRET`: signs and checks the live state stream's tokens. Debug never shows it.
#[derive(Clone)]
pub struct LiveSecret(String);

/// The shortest `LIVE_JWT_SECRET` accepted: HS256 is only as strong as its secret.
pub const LIVE_SECRET_MIN_LEN: usize = 32;

impl LiveSecret {
    /// A secret made by the program itself (`bench live` generates one per run), so not read
    /// from the environment; `None` when shorter than [`LIVE_SECRET_MIN_LEN`].
    pub fn generated(secret: String) -> Option<Self> {
        (secret.len() >= LIVE_SECRET_MIN_LEN).then_some(Self(secret))
    }

    /// The secret's bytes, for the token keys only; never log them.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for LiveSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveSecret(<redacted>)")
    }
}

/// The dashboard IPC's shared secret (`IPC_SECRET`). Debug shows only its fingerprint.
#[derive(Clone)]
pub struct IpcSecret(String);

impl IpcSecret {
    /// The secret text, for comparing with what a dashboard sends; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for IpcSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IpcSecret({})", crate::fingerprint::fingerprint(&self.0))
    }
}

/// The dashboard IPC's settings, read from `IPC_SECRET`, `IPC_BIND` and `IPC_TIMEOUT_SECS`.
#[derive(Debug, Clone)]
pub struct IpcSettings {
    /// What every request must carry in its `headers.Authorization`.
    pub secret: IpcSecret,
    /// Where the IPC listens. Default 127.0.0.1:20000, the published clients' default port.
    pub bind: SocketAddr,
    /// How long a route may take before the caller is told it did not answer. Default 10 s.
    pub timeout: Duration,
}

/// The IPC's default address: loopback, on the port the published clients try first.
pub const DEFAULT_IPC_BIND: ([u8; 4], u16) = ([127, 0, 0, 1], 20000);

/// Everything the bot reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DISCORD_TOKEN`; needed only to run the bot on Discord (`None` for `sim`, `demo`, `bench`).
    pub discord_token: Option<DiscordToken>,
    /// `DEV_GUILD_ID`: register slash commands in this guild only, where they appear at once;
    /// `None` registers them globally.
    pub dev_guild_id: Option<u64>,
    /// Loopback-only override of Discord's API base (tests).
    pub discord_api_base: Option<String>,
    /// `ERLC_API_BASE`: PRC API base URL, `https://api.erlc.gg` unless pointed at a simulator.
    pub erlc_api_base: String,
    /// `ERLC_GLOBAL_API_KEY`: PRC's global key for large apps, sent on every request; `None` for
    /// most bots.
    pub erlc_global_key: Option<GlobalKey>,
    /// `ERLC_COMMAND_MAX_LEN`: the longest in-game command (in characters) the bot sends. Default 200.
    pub command_max_len: usize,
    /// `ERLC_COMMAND_DENY`: commands the bot refuses to send, lowercased, without the leading `:`.
    pub command_deny: Vec<String>,
    /// `DATA_DIR`: where the database and the master key file live. Default `./data`.
    pub data_dir: PathBuf,
    /// Master key text (base64 or hex); `None` means use or create the key file.
    pub master_key: Option<String>,
    /// `HTTP_BIND`: address of the HTTP server (webhooks, metrics, health). Default 127.0.0.1:8080.
    pub http_bind: SocketAddr,
    /// Public https base URL of this bot's HTTP server, used to show webhook URLs.
    pub public_url: Option<String>,
    /// `POLL_INTERVAL_SECS`: how often each server is polled, at least 1 s. Default 15 s.
    pub poll_interval: Duration,
    /// Override of PRC's webhook verification key (base64 SPKI), for tests.
    pub prc_webhook_public_key: Option<String>,
    /// What happens to a guild's audit log when the guild's data is removed.
    pub audit_retention: AuditRetention,
    /// `LIVE_JWT_SECRET`: turns the live state stream (`/live`) and `/dashboard token` on;
    /// `None` leaves them off.
    pub live_jwt_secret: Option<LiveSecret>,
    /// The dashboard IPC; `None` (IPC off) while `IPC_SECRET` is unset.
    pub ipc: Option<IpcSettings>,
    /// `FEED_PACKING=digest`: a busy feed channel's events are posted one line each, several
    /// times fewer messages than one card each (`cards`, the default).
    pub feed_digest: bool,
    /// `STORE_FLUSH_WINDOW_MS`: durable flushes for polls and feed commits start at most this
    /// often, shared by all of them meanwhile (group commit). Default 20 ms; 0 flushes for each.
    pub store_flush_window: Duration,
    /// `SLED_CACHE_MB`: sled's page cache in MiB, at least 1. Default 256.
    pub sled_cache_mib: u64,
}

/// All the problems found in the environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration problems:\n  - {}", .0.join("\n  - "))]
pub struct ConfigErrors(pub Vec<String>);

/// PRC's production API, used when `ERLC_API_BASE` is unset.
pub const DEFAULT_ERLC_API_BASE: &str = "https://api.erlc.gg";

/// Where PRC posts a server's event webhooks on the bot's HTTP server; the token follows.
pub const WEBHOOK_PATH: &str = "/prc/webhook/";

impl Config {
    /// The URL an admin pastes in game for the server whose webhook token is `token`:
    /// `<PUBLIC_URL>/prc/webhook/<token>`, or `None` while the bot has no public address.
    pub fn webhook_url(&self, token: &str) -> Option<String> {
        let base = self.public_url.as_deref()?;
        Some(format!(
            "{}{WEBHOOK_PATH}{token}",
            base.trim_end_matches('/')
        ))
    }

    /// Read from the process environment.
    pub fn from_env() -> Result<Self, ConfigErrors> {
        Self::from_map(&std::env::vars().collect())
    }

    /// Read from a map of variables (tests pass their own).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigErrors> {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut problems = Vec::new();

        let discord_token = get("DISCORD_TOKEN").map(DiscordToken);
        let dev_guild_id = parse_opt(&get("DEV_GUILD_ID"), "DEV_GUILD_ID", &mut problems);
        let discord_api_base = get("DISCORD_API_BASE");
        if let Some(base) = &discord_api_base {
            if let Err(why) = check_loopback_url(base) {
                problems.push(format!(
                    "DISCORD_API_BASE={base:?} {why}; it is only for tests against a fake Discord on this machine (use http://127.0.0.1:PORT) — unset it to talk to Discord"
                ));
            }
        }
        let erlc_api_base =
            get("ERLC_API_BASE").unwrap_or_else(|| DEFAULT_ERLC_API_BASE.to_owned());
        if !(erlc_api_base.starts_with("https://") || erlc_api_base.starts_with("http://")) {
            problems.push(format!(
                "ERLC_API_BASE={erlc_api_base:?} must start with https:// (or http:// for a local simulator)"
            ));
        }
        let command_max_len = parse_opt(
            &get("ERLC_COMMAND_MAX_LEN"),
            "ERLC_COMMAND_MAX_LEN",
            &mut problems,
        )
        .unwrap_or(200);
        if command_max_len == 0 {
            problems.push("ERLC_COMMAND_MAX_LEN must be at least 1".into());
        }
        let command_deny = get("ERLC_COMMAND_DENY")
            .map(|s| {
                s.split(',')
                    .map(|c| c.trim().trim_start_matches(':').to_lowercase())
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let http_bind = match get("HTTP_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v.parse().unwrap_or_else(|_| {
                problems.push(format!(
                    "HTTP_BIND={v:?} is not an address like 127.0.0.1:8080"
                ));
                SocketAddr::from(([127, 0, 0, 1], 8080))
            }),
        };
        let public_url = get("PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned());
        let poll_secs: u64 = parse_opt(
            &get("POLL_INTERVAL_SECS"),
            "POLL_INTERVAL_SECS",
            &mut problems,
        )
        .unwrap_or(15);
        if poll_secs == 0 {
            problems.push("POLL_INTERVAL_SECS must be at least 1".into());
        }

        let audit_retention = match get("AUDIT_RETENTION") {
            None => AuditRetention::default(),
            Some(v) => v.parse().unwrap_or_else(|_| {
                problems.push(format!(
                    "AUDIT_RETENTION={v:?} must be keep-all, drop, or a number of days like 90d"
                ));
                AuditRetention::default()
            }),
        };
        let store_flush_window = parse_opt(
            &get("STORE_FLUSH_WINDOW_MS"),
            "STORE_FLUSH_WINDOW_MS",
            &mut problems,
        )
        .map_or(crate::store::DEFAULT_FLUSH_WINDOW, Duration::from_millis);
        let sled_cache_mib: u64 = parse_opt(&get("SLED_CACHE_MB"), "SLED_CACHE_MB", &mut problems)
            .unwrap_or(crate::store::DEFAULT_CACHE_MIB);
        if sled_cache_mib == 0 {
            problems.push("SLED_CACHE_MB must be at least 1".into());
        }

        let live_jwt_secret = get("LIVE_JWT_SECRET").map(LiveSecret);
        if live_jwt_secret
            .as_ref()
            .is_some_and(|s| s.0.len() < LIVE_SECRET_MIN_LEN)
        {
            problems.push(format!(
                "LIVE_JWT_SECRET must be at least {LIVE_SECRET_MIN_LEN} characters (e.g. the \
                 output of `openssl rand -hex 32`), or unset to leave live state off"
            ));
        }
        let ipc = read_ipc(&get, &mut problems);
        let feed_digest = match get("FEED_PACKING").as_deref().map(str::trim) {
            None | Some("cards") => false,
            Some("digest") => true,
            Some(other) => {
                problems.push(format!("FEED_PACKING={other:?} must be cards or digest"));
                false
            }
        };

        if !problems.is_empty() {
            return Err(ConfigErrors(problems));
        }
        Ok(Self {
            discord_token,
            dev_guild_id,
            discord_api_base,
            erlc_api_base,
            erlc_global_key: get("ERLC_GLOBAL_API_KEY").map(GlobalKey::new),
            command_max_len,
            command_deny,
            data_dir: get("DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("./data")),
            master_key: get("ERLC_BOT_MASTER_KEY"),
            http_bind,
            public_url,
            poll_interval: Duration::from_secs(poll_secs),
            prc_webhook_public_key: get("PRC_WEBHOOK_PUBLIC_KEY"),
            audit_retention,
            live_jwt_secret,
            ipc,
            feed_digest,
            store_flush_window,
            sled_cache_mib,
        })
    }
}

/// The IPC block: its address and timeout are checked even while it is off, so a typo shows
/// before someone sets the secret and wonders why the IPC will not start.
fn read_ipc(
    get: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Option<IpcSettings> {
    let default_bind = SocketAddr::from(DEFAULT_IPC_BIND);
    let bind = match get("IPC_BIND") {
        None => default_bind,
        Some(v) => v.parse().unwrap_or_else(|_| {
            problems.push(format!(
                "IPC_BIND={v:?} is not an address like 127.0.0.1:20000"
            ));
            default_bind
        }),
    };
    let timeout_secs: u64 =
        parse_opt(&get("IPC_TIMEOUT_SECS"), "IPC_TIMEOUT_SECS", problems).unwrap_or(10);
    if timeout_secs == 0 {
        problems.push("IPC_TIMEOUT_SECS must be at least 1".into());
    }
    let secret = get("IPC_SECRET").map(IpcSecret)?;
    Some(IpcSettings {
        secret,
        bind,
        timeout: Duration::from_secs(timeout_secs),
    })
}

fn parse_opt<T: std::str::FromStr>(
    value: &Option<String>,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<T> {
    let v = value.as_ref()?;
    match v.parse() {
        Ok(parsed) => Some(parsed),
        Err(_) => {
            problems.push(format!("{name}={v:?} is not a valid number"));
            None
        }
    }
}

/// Accept only `http(s)://<loopback ip or localhost>[:port][/...]`.
pub fn check_loopback_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("must start with http:// or https://")?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err("must not contain credentials");
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err("is not a loopback address")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn webhook_urls_join_the_public_address_and_the_token() {
        let config = |url: &str| Config::from_map(&vars(&[("PUBLIC_URL", url)])).unwrap();
        for base in ["https://bot.example.com/", "https://bot.example.com"] {
            assert_eq!(
                config(base).webhook_url("abc").as_deref(),
                Some("https://bot.example.com/prc/webhook/abc")
            );
        }
        let none = Config::from_map(&HashMap::new()).unwrap();
        assert_eq!(none.webhook_url("abc"), None);
    }

    #[test]
    fn defaults() {
        let c = Config::from_map(&HashMap::new()).unwrap();
        assert_eq!(c.erlc_api_base, DEFAULT_ERLC_API_BASE);
        assert_eq!(c.command_max_len, 200);
        assert_eq!(c.poll_interval, Duration::from_secs(15));
        assert_eq!(c.http_bind.to_string(), "127.0.0.1:8080");
        assert!(c.discord_token.is_none());
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let err = Config::from_map(&vars(&[
            ("DEV_GUILD_ID", "abc"),
            ("DISCORD_API_BASE", "https://discord.com"),
            ("HTTP_BIND", "nowhere"),
            ("POLL_INTERVAL_SECS", "0"),
        ]))
        .unwrap_err();
        assert_eq!(err.0.len(), 4, "{err}");
        assert!(err.to_string().contains("DISCORD_API_BASE"));
    }

    #[test]
    fn loopback_only() {
        for ok in [
            "http://127.0.0.1:9000",
            "http://localhost:1",
            "http://[::1]:5/x",
        ] {
            assert!(check_loopback_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:9000",
            "https://discord.com",
            "http://127.0.0.1.evil.com",
            "http://user@127.0.0.1",
            "ftp://127.0.0.1",
        ] {
            assert!(check_loopback_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_never_printed() {
        let c = Config::from_map(&vars(&[("DISCORD_TOKEN", "MTIz.secret-token")])).unwrap();
        assert!(!format!("{c:?}").contains("secret-token"));
    }

    #[test]
    fn audit_retention_is_read_and_checked() {
        assert_eq!(
            Config::from_map(&HashMap::new()).unwrap().audit_retention,
            AuditRetention::KeepAll
        );
        let c = Config::from_map(&vars(&[("AUDIT_RETENTION", "90d")])).unwrap();
        assert_eq!(c.audit_retention, AuditRetention::KeepDays(90));
        let err = Config::from_map(&vars(&[("AUDIT_RETENTION", "forever")])).unwrap_err();
        assert!(err.to_string().contains("AUDIT_RETENTION"), "{err}");
    }

    #[test]
    fn ipc_is_off_without_a_secret_and_checked_either_way() {
        let off = Config::from_map(&HashMap::new()).unwrap();
        assert!(off.ipc.is_none());
        let err = Config::from_map(&vars(&[("IPC_BIND", "nowhere")])).unwrap_err();
        assert!(err.to_string().contains("IPC_BIND"), "{err}");
        let on = Config::from_map(&vars(&[("IPC_SECRET", "hunter2-dashboard")])).unwrap();
        let ipc = on.ipc.expect("a secret turns the IPC on");
        assert_eq!(ipc.bind.to_string(), "127.0.0.1:20000");
        assert_eq!(ipc.timeout, Duration::from_secs(10));
        assert_eq!(ipc.secret.expose(), "hunter2-dashboard");
        let shown = format!(
            "{:?}",
            Config::from_map(&vars(&[("IPC_SECRET", "hunter2-dashboard")]))
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        let err =
            Config::from_map(&vars(&[("IPC_SECRET", "s"), ("IPC_TIMEOUT_SECS", "0")])).unwrap_err();
        assert!(err.to_string().contains("IPC_TIMEOUT_SECS"), "{err}");
    }

    #[test]
    fn feed_packing_is_cards_unless_digest_is_asked_for() {
        assert!(!Config::from_map(&HashMap::new()).unwrap().feed_digest);
        let c = Config::from_map(&vars(&[("FEED_PACKING", "digest")])).unwrap();
        assert!(c.feed_digest);
        let err = Config::from_map(&vars(&[("FEED_PACKING", "lines")])).unwrap_err();
        assert!(err.to_string().contains("FEED_PACKING"), "{err}");
    }

    #[test]
    fn store_tuning_is_read_and_checked() {
        let c = Config::from_map(&HashMap::new()).unwrap();
        assert_eq!(c.store_flush_window, crate::store::DEFAULT_FLUSH_WINDOW);
        assert_eq!(c.sled_cache_mib, crate::store::DEFAULT_CACHE_MIB);
        let c = Config::from_map(&vars(&[
            ("STORE_FLUSH_WINDOW_MS", "0"),
            ("SLED_CACHE_MB", "64"),
        ]))
        .unwrap();
        assert_eq!(c.store_flush_window, Duration::ZERO);
        assert_eq!(c.sled_cache_mib, 64);
        let err = Config::from_map(&vars(&[
            ("STORE_FLUSH_WINDOW_MS", "soon"),
            ("SLED_CACHE_MB", "0"),
        ]))
        .unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        assert!(err.to_string().contains("STORE_FLUSH_WINDOW_MS"), "{err}");
        assert!(err.to_string().contains("SLED_CACHE_MB"), "{err}");
    }

    #[test]
    fn deny_list_is_normalised() {
        let c = Config::from_map(&vars(&[("ERLC_COMMAND_DENY", " :Shutdown, tp ,,")])).unwrap();
        assert_eq!(c.command_deny, vec!["shutdown", "tp"]);
    }

    #[test]
    fn live_secret_is_optional_long_and_never_printed() {
        assert!(
            Config::from_map(&vars(&[]))
                .unwrap()
                .live_jwt_secret
                .is_none()
        );
        let short = Config::from_map(&vars(&[("LIVE_JWT_SECRET", "short")])).unwrap_err();
        assert!(short.to_string().contains("LIVE_JWT_SECRET"), "{short}");
        assert!(!short.to_string().contains("short\""), "{short}");
        let secret = "s3cret-".repeat(6);
        let config = Config::from_map(&vars(&[("LIVE_JWT_SECRET", &secret)])).unwrap();
        assert_eq!(
            config.live_jwt_secret.as_ref().map(LiveSecret::expose),
            Some(secret.as_bytes())
        );
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
