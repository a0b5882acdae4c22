//! `erlc-bot demo`: the whole feed path without Discord. Two simulated ER:LC servers with
//! generated activity are polled by the tracker; their events are stored in a throwaway
//! database and posted by the feed pipeline to three demo channels printed on the console.
//! Ctrl-C (or SIGTERM, or `--duration`) stops polling, delivers what is queued and removes
//! the temporary data.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use crate::app::local::{LocalConfig, LocalError, LocalSim};
use crate::app::{App, AppError, FrontEnd, Signals};
use crate::events::Pattern;
use crate::feeds::{ConsoleSink, preset};
use crate::sim::{ActivityConfig, SimConfig};
use crate::store::{FeedFilters, FeedSubscription};
use crate::tracker::TrackerConfig;

/// The guild all demo servers belong to.
pub const DEMO_GUILD: u64 = 1;
/// The demo servers' labels (the first segment of their event types).
pub const DEMO_SERVERS: [&str; 2] = ["main", "training"];

/// The demo channels: id, name, and the presets they follow.
const DEMO_CHANNELS: [(u64, &str, &[&str]); 3] = [
    (1, "joins", &["joins"]),
    (2, "moderation", &["modcalls", "commands", "kills"]),
    (3, "911", &["emergency"]),
];

/// `erlc-bot demo`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Seed of the simulated worlds (the same seed gives the same players and servers).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds between two polls of each server.
    #[arg(long, default_value_t = 3)]
    pub interval: u64,
    /// Stop by itself after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The local simulator or its scratch store could not be set up.
    #[error(transparent)]
    Local(Box<LocalError>),
    /// The app could not be built, or stopped with an error.
    #[error(transparent)]
    App(Box<AppError>),
    /// A preset a demo channel follows is unknown or has a pattern that does not parse (a bug
    /// in the demo's own list).
    #[error("a demo preset is missing or invalid: {0}")]
    Preset(String),
    /// `--interval` is 0.
    #[error("--interval must be at least 1 second")]
    Interval,
}

impl From<LocalError> for DemoError {
    fn from(error: LocalError) -> Self {
        Self::Local(Box::new(error))
    }
}

impl From<AppError> for DemoError {
    fn from(error: AppError) -> Self {
        Self::App(Box::new(error))
    }
}

fn demo_feeds() -> Result<Vec<(u64, FeedSubscription)>, DemoError> {
    DEMO_CHANNELS
        .iter()
        .map(|(channel_id, name, presets)| {
            let mut patterns: Vec<Pattern> = Vec::new();
            for preset_name in *presets {
                let found = preset(preset_name)
                    .ok_or_else(|| DemoError::Preset(format!("no preset `{preset_name}`")))?;
                let parsed = found
                    .parsed_patterns()
                    .map_err(|e| DemoError::Preset(format!("{name}: {e}")))?;
                patterns.extend(parsed);
            }
            Ok((
                DEMO_GUILD,
                FeedSubscription {
                    channel_id: *channel_id,
                    patterns,
                    filters: FeedFilters::default(),
                    added_at_ms: Default::default(),
                },
            ))
        })
        .collect()
}

/// The simulator, servers and feeds the demo runs.
pub fn demo_config(args: &DemoArgs) -> Result<LocalConfig, DemoError> {
    if args.interval == 0 {
        return Err(DemoError::Interval);
    }
    let sim = SimConfig {
        servers: DEMO_SERVERS.len(),
        seed: args.seed,
        initial_players: 8,
        activity: Some(ActivityConfig {
            interval: Duration::from_secs(1),
            target_players: 14,
        }),
        ..SimConfig::default()
    };
    Ok(LocalConfig {
        sim,
        sim_threads: 1,
        tracker: TrackerConfig {
            interval: Duration::from_secs(args.interval),
            ..TrackerConfig::default()
        },
        servers: DEMO_SERVERS
            .iter()
            .map(|label| (DEMO_GUILD, (*label).to_owned()))
            .collect(),
        feeds: demo_feeds()?,
    })
}

fn banner(local: &LocalSim, args: &DemoArgs) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "erlc-bot demo: live ER:LC feeds, no Discord needed");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  simulator   {} (seed {}, generated activity)",
        local.sim().base_url(),
        args.seed
    );
    for (info, label) in local.sim().servers().iter().zip(DEMO_SERVERS) {
        let _ = writeln!(out, "  server      {label}: {}", info.name);
    }
    let _ = writeln!(out, "  polling     every {} s per server", args.interval);
    let _ = writeln!(
        out,
        "  data        {} (removed on exit)",
        local.data_dir().display()
    );
    for (_, name, presets) in DEMO_CHANNELS {
        let _ = writeln!(out, "  channel     #{name}: {}", presets.join(", "));
    }
    let _ = writeln!(out);
    let stop = match args.duration {
        Some(seconds) => format!("Stops after {seconds} s, or on Ctrl-C."),
        None => "Press Ctrl-C to stop.".to_owned(),
    };
    let _ = writeln!(
        out,
        "The first poll of each server is its baseline; from then on every join, kill, \
         command, mod call and 911 call appears below as the bot would post it. {stop}"
    );
    let _ = writeln!(out);
    out
}

fn say(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    // A closed stdout must not stop a clean shutdown.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Completes on Ctrl-C, SIGTERM, or after `duration`, and says which.
async fn stop_requested(signals: Signals, duration: Option<Duration>) -> String {
    let elapsed = async {
        match duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        signal = signals.recv() => signal.to_string(),
        () = elapsed => "the end of --duration".to_owned(),
    }
}

/// Run the demo until asked to stop.
pub async fn run(args: DemoArgs) -> Result<(), DemoError> {
    let local = LocalSim::start(demo_config(&args)?).await?;
    let mut sink = ConsoleSink::stdout();
    for (channel_id, name, _) in DEMO_CHANNELS {
        sink = sink.with_channel_name(channel_id, name);
    }
    let app = App::build(local.app_config(), FrontEnd::Headless(Arc::new(sink))).await?;
    local.connect(&app)?;
    // Caught before the banner invites Ctrl-C.
    let signals = Signals::listen();
    say(&banner(&local, &args));
    let tracker = app.tracker().clone();
    let feeds = app.pipeline().stats();
    let stopped = app
        .run_until_stopped(async {
            let reason = stop_requested(signals, args.duration.map(Duration::from_secs)).await;
            say(&format!(
                "\nStopping ({reason}): finishing deliveries and removing the temporary data…\n"
            ));
        })
        .await;
    let polls = tracker.metrics();
    // The tracker holds the store: let it go before the store's directory is removed.
    drop(tracker);
    local.stop().await;
    let feeds = feeds.snapshot(0);
    say(&format!(
        "Done: {} polls, {} events stored, {} feed messages posted, {} edited.\n",
        polls.polls, polls.events, feeds.created, feeds.edited
    ));
    stopped?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_channels_follow_their_presets() {
        let feeds = demo_feeds().unwrap();
        assert_eq!(feeds.len(), 3);
        let moderation = &feeds[1].1;
        let shown: Vec<&str> = moderation.patterns.iter().map(|p| p.as_str()).collect();
        assert_eq!(shown, ["?/modcall/*", "?/command", "?/kill"]);
        let args = DemoArgs {
            seed: 1,
            interval: 0,
            duration: None,
        };
        assert!(matches!(demo_config(&args), Err(DemoError::Interval)));
    }
}
