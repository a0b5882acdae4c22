//! The `erlc-bot` command line: parse it and run the chosen mode (the wiring is in
//! `erlc_bot::app`).

use clap::{Parser, Subcommand};
use erlc_bot::store::cli;

/// mimalloc instead of the system allocator: a poll allocates and frees many small buffers
/// across threads (decoded snapshots, events, sled nodes), where glibc's malloc spent a fifth
/// of the tracker bench's CPU (profile in issue 14's closing note).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// erlc-bot: a Discord bot for ER:LC private-server communities, with an embedded PRC API
/// client and a PRC API simulator.
#[derive(Debug, Parser)]
#[command(name = "erlc-bot", version, about, long_about = None)]
struct Cli {
    /// With no command: run the bot when DISCORD_TOKEN is set, otherwise explain what to do.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Discord bot (needs DISCORD_TOKEN; see README "Running the bot on Discord").
    Run,
    /// Run the PRC API simulator on its own (a local stand-in for the ER:LC API).
    Sim(erlc_bot::sim::cli::SimArgs),
    /// Watch live feeds from two simulated servers on the console (no Discord needed).
    Demo(erlc_bot::demo::DemoArgs),
    /// Measure the running system against the simulator (CPU, memory, throughput, 429s).
    Bench(erlc_bot::bench::BenchArgs),
    /// Write a backup of the database (JSON Lines; server keys stay encrypted).
    Backup(cli::BackupArgs),
    /// Restore a backup into an empty data directory (or over one, with --force).
    Restore(cli::RestoreArgs),
    /// Re-encrypt every stored server key under a new master key.
    RotateMasterKey(cli::RotateMasterKeyArgs),
}

const NOTHING_TO_DO: &str = "erlc-bot: DISCORD_TOKEN is not set, so there is no bot to run.\n\
  - To run the Discord bot, put DISCORD_TOKEN (and the other settings in .env.example) in the\n\
    environment or in .env, then run `erlc-bot run` (see README, \"Running the bot on Discord\").\n\
  - To try things without Discord, run `erlc-bot sim` for a local ER:LC API simulator.\n\
  `erlc-bot --help` lists every command.";

fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    erlc_bot::app::telemetry::init_tracing();
    let command = match cli.command {
        Some(command) => command,
        None if std::env::var_os("DISCORD_TOKEN").is_some_and(|t| !t.is_empty()) => Command::Run,
        None => {
            println!("{NOTHING_TO_DO}");
            return Ok(());
        }
    };
    let message = match command {
        Command::Run => {
            let runtime = tokio::runtime::Runtime::new()?;
            return Ok(runtime.block_on(erlc_bot::app::run_from_env())?);
        }
        Command::Sim(args) => {
            let runtime = tokio::runtime::Runtime::new()?;
            return runtime.block_on(erlc_bot::sim::cli::run(args));
        }
        Command::Demo(args) => {
            let runtime = tokio::runtime::Runtime::new()?;
            return Ok(runtime.block_on(erlc_bot::demo::run(args))?);
        }
        Command::Bench(args) => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(erlc_bot::bench::run(args))?
        }
        Command::Backup(args) => cli::run_backup(&args)?,
        Command::Restore(args) => cli::run_restore(&args)?,
        Command::RotateMasterKey(args) => cli::run_rotate_master_key(&args)?,
    };
    println!("{message}");
    Ok(())
}
