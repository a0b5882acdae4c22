//! Logging for the whole process: `RUST_LOG` (default `info,serenity=warn`) to stderr, with
//! colour only on a terminal. Set once, before any mode starts.

/// Install the log subscriber. Call once, at the start of the process.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,serenity=warn"));
    // Colour codes only on a terminal: piped into a file, journald or a test harness they are
    // noise inside every field (`addr=` becomes unreadable to grep).
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours)
        .init();
}
