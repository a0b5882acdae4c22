//! Gap detection (pure): did a log roll past entries the tracker never read?
//!
//! PRC keeps only a recent window of each log. The heuristic, per log: we have a watermark
//! (the newest row handled before), and the oldest row PRC returns now is newer than both that
//! watermark and our previous successful poll. Then every row we had seen has rolled out, and
//! rows logged between the previous poll and that oldest row may have rolled out unread. One
//! `feed/gap` covers all such logs of a poll, from the previous poll (or watermark, if later)
//! to the oldest row still held.
//!
//! Known limits, on purpose: a log that was empty at the previous poll has no watermark and is
//! never reported (there is no evidence its window moved); a game server restart that clears
//! the logs and then fills them again can look like a gap (a false alarm, never a silent loss).

use std::collections::HashMap;

use crate::events::catalog::EventPayload;

use super::logs::{LogSection, LogWindow};

/// The `feed/gap` event for this read, if any log may have lost rows.
pub fn detect_gap(
    windows: &[LogWindow],
    watermarks: &HashMap<LogSection, i64>,
    previous_poll: Option<i64>,
) -> Option<EventPayload> {
    let mut logs = Vec::new();
    let mut since = i64::MAX;
    let mut until = i64::MIN;
    for window in windows {
        let (Some(oldest), Some(watermark)) = (window.oldest, watermarks.get(&window.log)) else {
            continue;
        };
        let last_seen = previous_poll.map_or(*watermark, |poll| poll.max(*watermark));
        if oldest > last_seen {
            logs.push(window.log.name().to_owned());
            since = since.min(last_seen);
            until = until.max(oldest);
        }
    }
    (!logs.is_empty()).then_some(EventPayload::FeedGap { since, until, logs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(log: LogSection, oldest: Option<i64>) -> LogWindow {
        LogWindow {
            log,
            rows: usize::from(oldest.is_some()),
            oldest,
            newest: oldest,
        }
    }

    #[test]
    fn reports_logs_whose_window_moved_past_the_previous_poll() {
        let marks = HashMap::from([(LogSection::Joins, 100), (LogSection::Kills, 100)]);
        let windows = [
            window(LogSection::Joins, Some(130)),
            window(LogSection::Kills, Some(90)),
            window(LogSection::Commands, Some(500)),
        ];
        assert_eq!(
            detect_gap(&windows, &marks, Some(110)),
            Some(EventPayload::FeedGap {
                since: 110,
                until: 130,
                logs: vec!["joins".into()],
            })
        );
    }

    #[test]
    fn no_gap_while_seen_rows_are_still_there_or_new_rows_follow_the_poll_closely() {
        let marks = HashMap::from([(LogSection::Kills, 100)]);
        assert_eq!(
            detect_gap(&[window(LogSection::Kills, Some(100))], &marks, Some(120)),
            None
        );
        assert_eq!(
            detect_gap(&[window(LogSection::Kills, Some(115))], &marks, Some(120)),
            None
        );
        assert_eq!(
            detect_gap(&[window(LogSection::Kills, None)], &marks, Some(120)),
            None
        );
        assert_eq!(detect_gap(&[], &marks, Some(120)), None);
    }

    #[test]
    fn without_a_previous_poll_the_watermark_decides() {
        let marks = HashMap::from([(LogSection::ModCalls, 100)]);
        let gap = detect_gap(&[window(LogSection::ModCalls, Some(101))], &marks, None);
        assert!(matches!(
            gap,
            Some(EventPayload::FeedGap {
                since: 100,
                until: 101,
                ..
            })
        ));
    }
}
