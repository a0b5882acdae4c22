//! Turning our Discord markdown into terminal text for the console sink: escapes undone,
//! links shown by their label, `**bold**` and code spans styled, `<t:…>` times written out in
//! UTC, zero-width spaces and control characters removed (game text cannot move the cursor).

/// ANSI styling that can be switched off (NO_COLOR, or output that is not a terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Paint {
    pub on: bool,
}

impl Paint {
    fn code(self, code: &str) -> &str {
        if self.on { code } else { "" }
    }

    pub fn bold(self) -> &'static str {
        if self.on { "\x1b[1m" } else { "" }
    }

    pub fn dim(self) -> &'static str {
        if self.on { "\x1b[2m" } else { "" }
    }

    /// Ends bold and dim.
    pub fn normal(self) -> &'static str {
        if self.on { "\x1b[22m" } else { "" }
    }

    pub fn reset(self) -> &'static str {
        if self.on { "\x1b[0m" } else { "" }
    }

    /// 24-bit foreground colour.
    pub fn fg(self, rgb: u32) -> String {
        let (r, g, b) = ((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
        self.code(&format!("\x1b[38;2;{r};{g};{b}m")).to_owned()
    }

    fn underline(self, on: bool) -> &'static str {
        match (self.on, on) {
            (false, _) => "",
            (true, true) => "\x1b[4m",
            (true, false) => "\x1b[24m",
        }
    }

    fn code_tint(self) -> &'static str {
        if self.on { "\x1b[36m" } else { "" }
    }

    fn default_fg(self) -> &'static str {
        if self.on { "\x1b[39m" } else { "" }
    }
}

/// Render one line-oriented piece of our markdown for a terminal.
pub(super) fn to_terminal(text: &str, paint: Paint) -> String {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| *c != '\u{200B}' && (*c == '\n' || !c.is_control()))
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut bold = false;
    let mut i = 0;
    let mut line_start = true;
    while let Some(&c) = chars.get(i) {
        if line_start && chars.get(i..i + 3) == Some(&['-', '#', ' ']) {
            out.push_str(paint.dim());
            let end = chars[i..]
                .iter()
                .position(|c| *c == '\n')
                .map_or(chars.len(), |p| i + p);
            out.push_str(&to_terminal(
                &chars[i + 3..end].iter().collect::<String>(),
                paint,
            ));
            out.push_str(paint.normal());
            i = end;
            continue;
        }
        line_start = c == '\n';
        match c {
            '\\' => {
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                }
                i += 2;
            }
            '*' if chars.get(i + 1) == Some(&'*') => {
                bold = !bold;
                out.push_str(if bold { paint.bold() } else { paint.normal() });
                i += 2;
            }
            '*' => i += 1,
            '`' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|c| *c == '`')
                    .map(|p| i + 1 + p);
                match end {
                    Some(end) => {
                        out.push_str(paint.code_tint());
                        out.extend(&chars[i + 1..end]);
                        out.push_str(paint.default_fg());
                        i = end + 1;
                    }
                    None => {
                        out.push('`');
                        i += 1;
                    }
                }
            }
            '[' => match link_at(&chars, i) {
                Some((label, next)) => {
                    out.push_str(paint.underline(true));
                    out.push_str(&to_terminal(&label, paint));
                    out.push_str(paint.underline(false));
                    i = next;
                }
                None => {
                    out.push('[');
                    i += 1;
                }
            },
            '<' => match time_at(&chars, i) {
                Some((shown, next)) => {
                    out.push_str(&shown);
                    i = next;
                }
                None => {
                    out.push('<');
                    i += 1;
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    if bold {
        out.push_str(paint.normal());
    }
    out
}

/// `[label](url)` starting at `start`: the raw label and the index after `)`.
fn link_at(chars: &[char], start: usize) -> Option<(String, usize)> {
    let mut label = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i)? {
            '\\' => {
                label.push('\\');
                label.push(*chars.get(i + 1)?);
                i += 2;
            }
            ']' => break,
            '\n' => return None,
            c => {
                label.push(*c);
                i += 1;
            }
        }
    }
    if chars.get(i + 1) != Some(&'(') {
        return None;
    }
    let close = chars[i + 2..].iter().position(|c| *c == ')')?;
    Some((label, i + 2 + close + 1))
}

/// `<t:UNIX>` or `<t:UNIX:STYLE>` starting at `start`: the time in words and the index after `>`.
fn time_at(chars: &[char], start: usize) -> Option<(String, usize)> {
    if chars.get(start + 1..start + 3)? != ['t', ':'] {
        return None;
    }
    let close = chars[start..].iter().position(|c| *c == '>')? + start;
    let inner: String = chars[start + 3..close].iter().collect();
    let (number, style) = inner.split_once(':').unwrap_or((&inner, "f"));
    let secs: i64 = number.parse().ok()?;
    let shown = match style {
        "R" => format!("at {} UTC", clock_time(secs)),
        "t" | "T" => format!("{} UTC", clock_time(secs)),
        _ => format!("{} UTC", date_time(secs)),
    };
    Some((shown, close + 1))
}

/// `HH:MM:SS` in UTC.
pub(super) fn clock_time(secs: i64) -> String {
    let of_day = secs.rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
pub(super) fn date_time(secs: i64) -> String {
    let (year, month, day) = civil_date(secs.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02} {}", clock_time(secs))
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Paint = Paint { on: false };

    #[test]
    fn markdown_becomes_plain_text() {
        let text = "[Ro\\_blox](https://www.roblox.com/users/1/profile) ran `:pm a hi` **now**";
        assert_eq!(to_terminal(text, PLAIN), "Ro_blox ran :pm a hi now");
        assert_eq!(
            to_terminal("@\u{200B}everyone \\*x\\*", PLAIN),
            "@everyone *x*"
        );
        assert_eq!(to_terminal("a\n-# small", PLAIN), "a\nsmall");
        assert_eq!(to_terminal("[not a link", PLAIN), "[not a link");
        assert_eq!(to_terminal("trailing \\", PLAIN), "trailing ");
        assert_eq!(to_terminal("esc\x1b[31mred", PLAIN), "esc[31mred");
    }

    #[test]
    fn discord_times_are_written_out() {
        assert_eq!(to_terminal("<t:1700000000:R>", PLAIN), "at 22:13:20 UTC");
        assert_eq!(
            to_terminal("<t:1700000000:f>", PLAIN),
            "2023-11-14 22:13:20 UTC"
        );
        assert_eq!(to_terminal("<t:0>", PLAIN), "1970-01-01 00:00:00 UTC");
        assert_eq!(to_terminal("<t:x:R>", PLAIN), "<t:x:R>");
        assert_eq!(date_time(-1), "1969-12-31 23:59:59");
        assert_eq!(date_time(951_782_400), "2000-02-29 00:00:00");
    }

    #[test]
    fn colour_codes_only_when_on() {
        let on = Paint { on: true };
        assert!(to_terminal("**b**", on).contains("\x1b[1m"));
        assert!(!to_terminal("**b**", PLAIN).contains('\x1b'));
        assert_eq!(on.fg(0x1F5FD1), "\x1b[38;2;31;95;209m");
    }
}
