//! CPU time and memory of this process, read from Linux's /proc: what the benchmarks report
//! besides their own counters. The simulator's threads, when it runs in this process, are
//! told apart by their name.

use super::BenchError;
use crate::app::local::SIM_THREAD_NAME;

/// Linux reports CPU time in clock ticks of this many per second (USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds used so far: the whole process, and the simulator's threads.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    /// Every thread of the process, the simulator's included.
    pub process: f64,
    /// The simulator's threads alone (named [`SIM_THREAD_NAME`]…); 0 when it runs elsewhere.
    pub sim: f64,
}

impl CpuTimes {
    /// The bot's CPU seconds: the process without the simulator's threads.
    pub fn bot(&self) -> f64 {
        self.process - self.sim
    }
}

/// utime + stime, in seconds, from the text of a `/proc/.../stat` file, and the thread name.
pub fn parse_stat(text: &str) -> Option<(String, f64)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_owned();
    // After the name: state is field 3, utime field 14, stime field 15.
    let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((name, (utime + stime) as f64 / TICKS_PER_SECOND))
}

/// A `Vm…:` line of `/proc/self/status` (`VmHWM` peak resident set, `VmRSS` resident now),
/// in KiB.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

fn read_proc(path: &str) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(|e| BenchError::Proc(format!("{path}: {e}")))
}

/// CPU seconds of the process and of the simulator's threads so far.
pub fn cpu_times() -> Result<CpuTimes, BenchError> {
    let (_, process) = parse_stat(&read_proc("/proc/self/stat")?)
        .ok_or_else(|| BenchError::Proc("/proc/self/stat is not in the expected form".into()))?;
    let mut sim = 0.0;
    let tasks = std::fs::read_dir("/proc/self/task")
        .map_err(|e| BenchError::Proc(format!("/proc/self/task: {e}")))?;
    for task in tasks.flatten() {
        // A thread may end between listing and reading: skip it.
        let Ok(text) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        if let Some((name, seconds)) = parse_stat(&text) {
            if name.starts_with(SIM_THREAD_NAME) {
                sim += seconds;
            }
        }
    }
    Ok(CpuTimes { process, sim })
}

/// Memory of the process in KiB: `VmHWM` (the peak since start) or `VmRSS` (now).
pub fn memory_kib(field: &str) -> Result<u64, BenchError> {
    parse_status_kib(&read_proc("/proc/self/status")?, field)
        .ok_or_else(|| BenchError::Proc(format!("no {field} in /proc/self/status")))
}

/// [`memory_kib`] in MiB.
pub fn memory_mib(field: &str) -> Result<f64, BenchError> {
    Ok(memory_kib(field)? as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_time_and_thread_names_from_stat() {
        let stat = "4242 (erlc-sim (1)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0 100 0 0";
        let (name, seconds) = parse_stat(stat).unwrap();
        assert_eq!(name, "erlc-sim (1)");
        assert!((seconds - 3.0).abs() < 1e-9);
        assert_eq!(parse_stat("4242 (x) S 1 2"), None);
        assert_eq!(parse_stat("no parentheses"), None);
    }

    #[test]
    fn reads_peak_and_current_rss() {
        let status = "Name:\terlc-bot\nVmPeak:\t  900 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 4 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(51_200));
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(4));
        assert_eq!(parse_status_kib("VmRSS: 4 kB", "VmHWM"), None);
        assert_eq!(parse_status_kib("VmHWMx: 4 kB", "VmHWM"), None);
    }
}
