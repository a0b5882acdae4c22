//! `erlc-bot sim`: run the simulator on its own, print how to use it, stop on Ctrl-C.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ActivityConfig, BucketLimit, SimConfig, SimHandle, Simulator};

/// Options of `erlc-bot sim`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Address to listen on. Keep loopback unless you know why not.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Number of simulated private servers.
    #[arg(long, default_value_t = 3)]
    pub servers: usize,
    /// Seed for names, keys and activity (same seed, same world).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Players each server starts with.
    #[arg(long, default_value_t = 8)]
    pub players: usize,
    /// Do not generate background activity.
    #[arg(long)]
    pub no_activity: bool,
    /// Time between activity ticks, e.g. `2s`, `500ms`, `1m`.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub activity_interval: Duration,
    /// GET requests allowed per 10-second window (PRC allows 35); raise it to serve many
    /// servers to one bot, e.g. for `erlc-bot bench tracker --api-base`.
    #[arg(long)]
    pub read_limit: Option<u32>,
    /// Also write every server's key to this file, one a line (for `bench tracker --keys-file`).
    #[arg(long)]
    pub keys_out: Option<PathBuf>,
}

/// Window of `--read-limit`, in seconds.
const READ_WINDOW_SECS: u32 = 10;

/// Parses `500ms`, `2s`, `1m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write e.g. 500ms, 2s or 1m"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => return Err(format!("unknown unit in `{text}`; use ms, s or m")),
    };
    if duration.is_zero() {
        return Err("the activity interval must be more than zero".to_owned());
    }
    Ok(duration)
}

/// The configuration `erlc-bot sim` runs with.
pub fn config(args: &SimArgs) -> SimConfig {
    SimConfig {
        bind: SocketAddr::new(args.bind, args.port),
        servers: args.servers,
        seed: args.seed,
        initial_players: args.players,
        activity: (!args.no_activity).then(|| ActivityConfig {
            interval: args.activity_interval,
            ..ActivityConfig::default()
        }),
        read_limit: args
            .read_limit
            .map_or(SimConfig::default().read_limit, |limit| {
                BucketLimit::new(limit, READ_WINDOW_SECS)
            }),
        ..SimConfig::default()
    }
}

/// Every server's key, one a line, in server order.
pub fn keys_text(handle: &SimHandle) -> String {
    handle
        .servers()
        .iter()
        .map(|s| format!("{}\n", s.key))
        .collect()
}

fn write_keys(handle: &SimHandle, path: &Path) -> anyhow::Result<()> {
    std::fs::write(path, keys_text(handle))
        .map_err(|e| anyhow::anyhow!("could not write the server keys to {}: {e}", path.display()))
}

/// What the simulator prints at start: where it is, the servers and how to use it.
pub fn banner(handle: &SimHandle) -> String {
    let base = handle.base_url();
    let mut out = String::new();
    let _ = writeln!(out, "ER:LC PRC API simulator listening on {base}");
    let _ = writeln!(out);
    let servers = handle.servers();
    for s in &servers {
        let _ = writeln!(out, "  [{}] {}", s.index, s.name);
        let _ = writeln!(out, "      Server-Key: {}", s.key);
        let _ = writeln!(out, "      join code:  {}", s.join_key);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Webhook public key (base64 SPKI): {}",
        handle.webhook_public_key_spki_base64()
    );
    let _ = writeln!(out, "Point the bot at it:  ERLC_API_BASE={base}");
    if let Some(first) = servers.first() {
        let _ = writeln!(
            out,
            "Try it:  curl -s -H 'Server-Key: {}' '{base}/v2/server?Players=true'",
            first.key
        );
    }
    let _ = writeln!(out, "Control API: {base}/_sim/servers   (Ctrl-C stops)");
    out
}

/// Prints to stdout; a closed stdout (e.g. a pipe whose reader left) is not a reason to fail.
fn say(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Runs until Ctrl-C.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let handle = Simulator::start(config(&args)).await?;
    if let Some(path) = &args.keys_out {
        if let Err(error) = write_keys(&handle, path) {
            handle.shutdown().await;
            return Err(error);
        }
    }
    say(&banner(&handle));
    tokio::signal::ctrl_c().await?;
    say("stopping the simulator\n");
    handle.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("2h").is_err());
    }
}
