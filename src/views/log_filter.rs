//! What a `/logs` page shows (which log, how far back, whose), read from the command's
//! options and carried in its page buttons (`<kind>.<span>.<player id>`), so a click redoes
//! the query after a restart.

use super::logs::LogKind;

/// Events per `/logs` page.
pub const LOG_LINES_PER_PAGE: usize = 15;

/// Read a time span such as `30m`, `2h`, `1d`, `1h30m` or `90s` as seconds.
pub fn parse_span(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{text}` is not a time span: write a number and a unit, e.g. `30m`, `2h`, `1d` or \
             `1h30m` (s, m, h, d, w)"
        )
    };
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in compact.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: i64 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let amount: i64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = amount
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(total)
}

/// The log, the time span (seconds back from now) and the player (Roblox id) of a `/logs`
/// page. Its [`token`](Self::token) is the filter of the page's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogFilter {
    /// The log shown.
    pub kind: LogKind,
    /// Only events of the last this many seconds; `None` for every stored event.
    pub span_secs: Option<i64>,
    /// Only events involving this Roblox user id; `None` for everyone.
    pub player: Option<u64>,
}

impl LogFilter {
    /// `<kind>.<span>.<player id>`, 0 for no span or no player.
    pub fn token(&self) -> String {
        format!(
            "{}.{}.{}",
            self.kind.as_str(),
            self.span_secs.unwrap_or(0),
            self.player.unwrap_or(0)
        )
    }

    /// Read a [`token`](Self::token); `None` for anything else.
    pub fn from_token(token: &str) -> Option<Self> {
        let mut parts = token.split('.');
        let kind = parts.next()?.parse().ok()?;
        let span: i64 = parts.next()?.parse().ok()?;
        let player: u64 = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(Self {
            kind,
            span_secs: (span > 0).then_some(span),
            player: (player > 0).then_some(player),
        })
    }

    /// The time span in words, e.g. "last 2 hours".
    pub(crate) fn range_words(&self) -> Option<String> {
        self.span_secs.map(|s| format!("last {}", span_words(s)))
    }
}

fn span_words(secs: i64) -> String {
    let units = [
        (604_800, "week"),
        (86_400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ];
    for (size, name) in units {
        if secs >= size && secs % size == 0 {
            let n = secs / size;
            return if n == 1 {
                format!("1 {name}")
            } else {
                format!("{n} {name}s")
            };
        }
    }
    format!("{secs} seconds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_like_people_write_them() {
        assert_eq!(parse_span("30m"), Ok(1800));
        assert_eq!(parse_span("2h"), Ok(7200));
        assert_eq!(parse_span("1d"), Ok(86_400));
        assert_eq!(parse_span("1h 30m"), Ok(5400));
        assert_eq!(parse_span("90S"), Ok(90));
        assert_eq!(parse_span("2w"), Ok(1_209_600));
        for bad in ["", "h", "30", "0m", "2x", "-1h", "99999999999999999999d"] {
            let err = parse_span(bad).unwrap_err();
            assert!(err.contains("e.g. `30m`"), "{bad}: {err}");
        }
    }

    #[test]
    fn filters_survive_the_page_button() {
        let filter = LogFilter {
            kind: LogKind::Kills,
            span_secs: Some(7200),
            player: Some(42),
        };
        assert_eq!(filter.token(), "kills.7200.42");
        assert_eq!(LogFilter::from_token(&filter.token()), Some(filter));
        let open = LogFilter {
            kind: LogKind::Joins,
            span_secs: None,
            player: None,
        };
        assert_eq!(LogFilter::from_token("joins.0.0"), Some(open));
        assert_eq!(LogFilter::from_token("joins.0"), None);
        assert_eq!(LogFilter::from_token("fires.0.0"), None);
        assert_eq!(LogFilter::from_token("joins.0.0.1"), None);
        assert_eq!(open.range_words(), None);
        assert_eq!(filter.range_words().as_deref(), Some("last 2 hours"));
        assert_eq!(span_words(5400), "90 minutes");
        assert_eq!(span_words(86_400), "1 day");
    }
}
