//! The `erlc-bot` command line: wiring, start and stop order, signals.

use clap::{Parser, Subcommand};

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
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Sim(args) => runtime.block_on(erlc_bot::sim::cli::run(args)),
    }
}
