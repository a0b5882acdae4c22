//! The `erlc-bot` command line: wiring, start and stop order, signals.

use clap::{Parser, Subcommand};
use erlc_bot::store::cli;

/// erlc-bot: a Discord bot for ER:LC private-server communities, with an embedded PRC API
/// client and a PRC API simulator.
#[derive(Debug, Parser)]
#[command(name = "erlc-bot", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,serenity=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    init_tracing();
    let message = match cli.command {
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
