//! Discord timestamps: the client shows them in the reader's language and time zone, so
//! messages never carry a formatted date of their own.

/// `<t:UNIX:R>`: "2 minutes ago".
pub fn relative_time(unix_secs: i64) -> String {
    format!("<t:{unix_secs}:R>")
}

/// `<t:UNIX:f>`: full date and time in the reader's zone.
pub fn full_time(unix_secs: i64) -> String {
    format!("<t:{unix_secs}:f>")
}

/// A length of time as hours and minutes (`2h 05m`, `45m`), for shift totals; negative
/// lengths (an adjustment taking time away) keep their sign.
pub fn hours_minutes(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let minutes = secs.unsigned_abs() / 60;
    match minutes / 60 {
        0 => format!("{sign}{minutes}m"),
        hours => format!("{sign}{hours}h {:02}m", minutes % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_minutes() {
        assert_eq!(hours_minutes(0), "0m");
        assert_eq!(hours_minutes(45 * 60 + 59), "45m");
        assert_eq!(hours_minutes(2 * 3600 + 5 * 60), "2h 05m");
        assert_eq!(hours_minutes(-90 * 60), "-1h 30m");
    }
}
