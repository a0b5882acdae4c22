//! Days and weeks in UTC (no daylight saving, so every day is 24 h and every week 7 days):
//! weeks start on Monday 00:00 UTC. Dates are typed as `YYYY-MM-DD` or relative to today
//! (`today`, `tomorrow`, `3d`, `-7d`, `2w`).

/// Milliseconds in a UTC day.
pub const DAY_MS: i64 = 86_400_000;
/// Milliseconds in a UTC week.
pub const WEEK_MS: i64 = 7 * DAY_MS;

/// Unix ms of the UTC midnight that starts the day holding `ms`.
pub fn day_start(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// Unix ms of the Monday 00:00 UTC that starts the week holding `ms`. 1970-01-01 was a
/// Thursday, three days after a Monday.
pub fn week_start(ms: i64) -> i64 {
    let day = ms.div_euclid(DAY_MS);
    (day - (day + 3).rem_euclid(7)) * DAY_MS
}

/// A date that could not be read; the text says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD` nor a relative date.
    #[error(
        "`{0}` is not a date; use YYYY-MM-DD (UTC), `today`, `tomorrow`, or a number of days \
         or weeks from today such as `3d`, `-7d` or `2w`"
    )]
    Shape(String),
    /// Shaped like a date but not one, such as `2026-13-01` or `2026-02-30`.
    #[error("`{0}` is not a day of the calendar (month 1-12, and a day that month has)")]
    NoSuchDay(String),
}

/// The UTC midnight starting the day `text` names; relative dates count from `now_ms`'s day.
pub fn parse_day(text: &str, now_ms: i64) -> Result<i64, DateError> {
    let typed = text.trim().to_ascii_lowercase();
    let today = day_start(now_ms);
    match typed.as_str() {
        "today" => return Ok(today),
        "tomorrow" => return Ok(today + DAY_MS),
        "yesterday" => return Ok(today - DAY_MS),
        _ => {}
    }
    if let Some(days) = relative_days(&typed) {
        return Ok(today + days * DAY_MS);
    }
    let shape = || DateError::Shape(text.trim().to_owned());
    let mut parts = typed.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(shape());
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return Err(shape());
    }
    let no_such = || DateError::NoSuchDay(text.trim().to_owned());
    let (year, month, day): (i32, u8, u8) = (
        y.parse().map_err(|_| shape())?,
        m.parse().map_err(|_| shape())?,
        d.parse().map_err(|_| shape())?,
    );
    let month = time::Month::try_from(month).map_err(|_| no_such())?;
    let date = time::Date::from_calendar_date(year, month, day).map_err(|_| no_such())?;
    Ok(date.midnight().assume_utc().unix_timestamp() * 1000)
}

/// `3d`, `-7d`, `2w` as a signed number of days; at most ten years either way.
fn relative_days(typed: &str) -> Option<i64> {
    let (sign, rest) = match typed.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, typed.strip_prefix('+').unwrap_or(typed)),
    };
    let (number, per) = if let Some(n) = rest.strip_suffix('d') {
        (n, 1)
    } else if let Some(n) = rest.strip_suffix('w') {
        (n, 7)
    } else {
        return None;
    };
    let n: i64 = number.parse().ok().filter(|n| *n <= 3650)?;
    Some(sign * n * per)
}

/// `YYYY-MM-DD` of the UTC day holding `ms`.
pub fn format_day(ms: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)) {
        Ok(at) => {
            let date = at.date();
            format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )
        }
        Err(_) => format!("{}d", ms.div_euclid(DAY_MS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-03-04 is a Wednesday.
    const WED: i64 = 1_772_582_400_000;

    #[test]
    fn days_and_weeks_are_utc_and_start_on_monday() {
        assert_eq!(format_day(WED), "2026-03-04");
        assert_eq!(parse_day("2026-03-04", 0), Ok(WED));
        let noon = WED + 12 * 3_600_000;
        assert_eq!(day_start(noon), WED);
        assert_eq!(format_day(week_start(noon)), "2026-03-02");
        assert_eq!(week_start(week_start(noon)), week_start(noon));
        // Sunday 23:59:59.999 is still the same week; Monday 00:00 starts the next.
        let sunday_end = week_start(noon) + WEEK_MS - 1;
        assert_eq!(week_start(sunday_end), week_start(noon));
        assert_eq!(week_start(sunday_end + 1), week_start(noon) + WEEK_MS);
        // Before 1970 too.
        assert_eq!(format_day(week_start(-1)), "1969-12-29");
        // The weeks around a European DST change are still 7 × 24 h.
        let march_dst = parse_day("2026-03-29", 0).unwrap();
        assert_eq!(
            week_start(march_dst + DAY_MS) - week_start(march_dst),
            WEEK_MS
        );
    }

    #[test]
    fn relative_dates_count_from_today() {
        let now = WED + 15 * 3_600_000;
        assert_eq!(parse_day("today", now), Ok(WED));
        assert_eq!(parse_day(" Tomorrow ", now), Ok(WED + DAY_MS));
        assert_eq!(parse_day("3d", now), Ok(WED + 3 * DAY_MS));
        assert_eq!(parse_day("-7d", now), Ok(WED - 7 * DAY_MS));
        assert_eq!(parse_day("2w", now), Ok(WED + 14 * DAY_MS));
    }

    #[test]
    fn bad_dates_are_clear_errors() {
        assert!(matches!(
            parse_day("2026-13-01", 0),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(
            parse_day("2026-02-30", 0),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(
            parse_day("2026-00-10", 0),
            Err(DateError::NoSuchDay(_))
        ));
        for bad in [
            "",
            "soon",
            "2026-3-4",
            "2026/03/04",
            "3x",
            "99999d",
            "2026-03-04-1",
            "d",
        ] {
            assert!(
                matches!(parse_day(bad, 0), Err(DateError::Shape(_))),
                "{bad}"
            );
        }
        assert!(parse_day("2026-02-29", 0).is_err(), "2026 is no leap year");
        assert!(parse_day("2028-02-29", 0).is_ok());
    }
}
