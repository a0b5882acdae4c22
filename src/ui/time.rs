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
