//! `erlc-bot bench tracker` against a simulator in another process, as a user compares the
//! bot with another tracker: `erlc-bot sim --keys-out` writes the keys, the bench polls them
//! through `--api-base` and `--keys-file`. Only that it completes and polled is checked;
//! its figures are measurements, never asserted.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The simulator process, killed however the test ends.
struct SimProcess(Child);

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn bench_tracker_polls_a_simulator_in_another_process() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let keys = dir.path().join("keys.txt");
    let mut sim = SimProcess(
        Command::new(env!("CARGO_BIN_EXE_erlc-bot"))
            .args(["sim", "--port", "0", "--servers", "3", "--players", "4"])
            .args(["--read-limit", "300", "--activity-interval", "200ms"])
            .arg("--keys-out")
            .arg(&keys)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the simulator starts"),
    );
    let stdout = sim.0.stdout.take().expect("stdout is piped");
    // The banner's first line ends with the address; the keys file is written before it.
    let first = BufReader::new(stdout)
        .lines()
        .next()
        .expect("a banner line")
        .expect("utf-8");
    let base = first.rsplit(' ').next().expect("an address").to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");
    let written = std::fs::read_to_string(&keys).expect("the keys file");
    assert_eq!(written.lines().count(), 3, "{written:?} has one key a line");

    let output = Command::new(env!("CARGO_BIN_EXE_erlc-bot"))
        .args(["bench", "tracker", "--interval", "1", "--duration", "3"])
        .args(["--api-base", &base, "--keys-file"])
        .arg(&keys)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the bench runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench failed: {}\n{report}",
        String::from_utf8_lossy(&output.stderr)
    );
    let row = report
        .lines()
        .find(|line| line.starts_with(&format!("| {base} |")))
        .unwrap_or_else(|| panic!("no row for {base} in:\n{report}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert_eq!(cells[2], "3", "every key in the file is tracked: {row}");
    let polls: u64 = cells[5]
        .split(" / ")
        .next()
        .and_then(|polls| polls.parse().ok())
        .unwrap_or_else(|| panic!("no polls / due cell in {row}"));
    assert!(polls > 0, "{row}");
    assert!(
        report.contains("minute by minute"),
        "the series follows:\n{report}"
    );
}
