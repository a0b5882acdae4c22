//! `erlc-bot demo` as a user runs it: it prints its banner and live feed messages, stops
//! cleanly on SIGTERM or at the end of `--duration`, and removes its temporary data.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn start_demo(extra: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_erlc-bot"))
        .args(["demo", "--seed", "5", "--interval", "1"])
        .args(extra)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (child, received)
}

/// Read lines until one satisfies `wanted`; every line read is appended to `seen`.
fn read_until(
    lines: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    what: &str,
    wanted: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines.recv_timeout(left).unwrap_or_else(|_| {
            panic!(
                "no {what} within 120 s; output so far:\n{}",
                seen.join("\n")
            )
        });
        let found = wanted(&line);
        seen.push(line);
        if found {
            return;
        }
    }
}

fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("the demo can be waited on") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the demo did not stop within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn data_dir(seen: &[String]) -> PathBuf {
    let line = seen
        .iter()
        .find(|l| l.trim_start().starts_with("data "))
        .expect("the banner names the data directory");
    let path = line
        .trim_start()
        .trim_start_matches("data")
        .trim()
        .trim_end_matches("(removed on exit)")
        .trim();
    PathBuf::from(path)
}

#[test]
fn demo_shows_feed_messages_and_stops_cleanly_on_sigterm() {
    let (mut child, lines) = start_demo(&[]);
    let mut seen = Vec::new();
    read_until(&lines, &mut seen, "banner", |l| l.contains("Press Ctrl-C"));
    let data = data_dir(&seen);
    assert!(
        data.is_dir(),
        "{} exists while the demo runs",
        data.display()
    );
    read_until(&lines, &mut seen, "feed message", |l| {
        l.starts_with("── #") && l.contains("· message")
    });
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let status = wait_exit(&mut child);
    seen.extend(lines.try_iter());
    assert!(status.success(), "{status}; output:\n{}", seen.join("\n"));
    assert!(seen.iter().any(|l| l.contains("Stopping (SIGTERM)")));
    assert!(seen.iter().any(|l| l.starts_with("Done: ")));
    assert!(!data.exists(), "{} is removed on exit", data.display());
    let banner = seen.join("\n");
    for channel in ["#joins", "#moderation", "#911"] {
        assert!(banner.contains(channel), "the banner lists {channel}");
    }
}

#[test]
fn demo_stops_by_itself_after_its_duration() {
    let (mut child, lines) = start_demo(&["--duration", "1"]);
    let status = wait_exit(&mut child);
    let seen: Vec<String> = lines.iter().collect();
    assert!(status.success(), "{status}; output:\n{}", seen.join("\n"));
    assert!(
        seen.iter()
            .any(|l| l.contains("Stopping (the end of --duration)"))
    );
    assert!(!data_dir(&seen).exists());
}
