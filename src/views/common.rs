//! Small presentation helpers shared by the views: permission badges, plurals, and packing
//! lines into a field or description without breaking Discord's limits. Team colours,
//! swatches and order are in [`crate::ui::team`].

use crate::erlc::models::{Permission, PlayerRef};
use crate::ui::colours;
use crate::ui::message::char_len;
use crate::ui::names::name_link;

/// A short badge for staff levels; `None` for normal players.
pub fn permission_badge(permission: &Permission) -> Option<&'static str> {
    Some(match permission {
        Permission::Owner => "👑 Owner",
        Permission::CoOwner => "👑 Co-Owner",
        Permission::Administrator => "🛡 Admin",
        Permission::Moderator => "🛡 Mod",
        Permission::Helper => "🛟 Helper",
        Permission::Normal | Permission::Other(_) => return None,
    })
}

/// `1 player`, `3 players`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A PRC player reference as an escaped, profile-linked name.
pub fn ref_link(player: &PlayerRef) -> String {
    name_link(&player.name, player.id)
}

/// Whole lines joined by newlines, as many as fit in `budget` characters; when some do not
/// fit, the text ends with "…and N more" (which also fits).
pub fn pack_lines<I>(lines: I, budget: usize) -> String
where
    I: IntoIterator<Item = String>,
{
    let lines: Vec<String> = lines.into_iter().collect();
    let total = lines.len();
    let mut out = String::new();
    let mut used = 0;
    for (shown, line) in lines.into_iter().enumerate() {
        let extra = char_len(&line) + usize::from(shown > 0);
        let rest = total - shown - 1;
        let reserve = if rest > 0 { MORE_RESERVE } else { 0 };
        if used + extra + reserve > budget {
            let more = format!("…and {} more", total - shown);
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&more);
            return out;
        }
        if shown > 0 {
            out.push('\n');
        }
        out.push_str(&line);
        used += extra;
    }
    out
}

/// Our own text may quote something a person typed; make sure nothing in it can ping.
pub fn defuse_mentions(text: &str) -> String {
    text.replace("@everyone", "@\u{200B}everyone")
        .replace("@here", "@\u{200B}here")
        .replace("<@", "<\u{200B}@")
}

/// `850 ms`, `12 s`, `3 min 4 s`, `2 h 5 min`.
pub fn duration_ms(ms: i64) -> String {
    let ms = ms.max(0);
    let secs = ms / 1000;
    match secs {
        0 => format!("{ms} ms"),
        1..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// Room kept for the "…and N more" line.
const MORE_RESERVE: usize = 24;

/// The colour of a health state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Light {
    /// Polling runs: no failed polls, polls on time, rate-limit headroom to spare.
    Green,
    /// Degraded: the last poll failed, a poll started late, or little rate-limit headroom.
    Amber,
    /// Not working: polling stopped, several polls failed in a row, or a poll started very late.
    Red,
}

impl Light {
    /// The light as a coloured circle, to start a line of text.
    pub fn dot(self) -> &'static str {
        match self {
            Self::Green => "🟢",
            Self::Amber => "🟠",
            Self::Red => "🔴",
        }
    }

    /// The embed colour for the light.
    pub fn colour(self) -> u32 {
        match self {
            Self::Green => colours::JOIN,
            Self::Amber => colours::WARNING,
            Self::Red => colours::DANGER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_keeps_whole_lines_and_counts_the_rest() {
        let lines = (0..100).map(|i| format!("line {i:03}"));
        let packed = pack_lines(lines, 100);
        assert!(char_len(&packed) <= 100, "{packed}");
        assert!(packed.starts_with("line 000\nline 001"));
        assert!(packed.ends_with("more"), "{packed}");
        let shown = packed.lines().filter(|l| l.starts_with("line")).count();
        assert!(packed.ends_with(&format!("…and {} more", 100 - shown)));
        assert_eq!(pack_lines(vec!["a".into(), "b".into()], 100), "a\nb");
        assert_eq!(pack_lines(Vec::new(), 100), "");
        let huge = pack_lines(vec!["x".repeat(500)], 100);
        assert_eq!(huge, "…and 1 more");
    }

    #[test]
    fn badges_and_counts() {
        assert_eq!(permission_badge(&Permission::Normal), None);
        assert_eq!(permission_badge(&Permission::Moderator), Some("🛡 Mod"));
        assert_eq!(count(1, "player", "players"), "1 player");
        assert_eq!(count(0, "player", "players"), "0 players");
        assert!(Light::Red > Light::Amber && Light::Amber > Light::Green);
        assert_eq!(duration_ms(850), "850 ms");
        assert_eq!(duration_ms(12_400), "12 s");
        assert_eq!(duration_ms(184_000), "3 min 4 s");
        assert_eq!(duration_ms(7_500_000), "2 h 5 min");
        assert_eq!(duration_ms(-5), "0 ms");
        assert_eq!(
            defuse_mentions("hi @everyone <@1> @here"),
            "hi @\u{200B}everyone <\u{200B}@1> @\u{200B}here"
        );
    }
}
