//! Wanted stars as drawn next to a player in cards, lists and the player panel.

/// Most stars drawn; the number is always shown too, so odd values stay readable.
const MAX_STARS: u32 = 10;

/// Wanted stars drawn as `★★★` (at most ten, then `…`), or "no stars".
pub fn stars(count: u32) -> String {
    let drawn = count.min(MAX_STARS) as usize;
    let mut text = "★".repeat(drawn);
    if count > MAX_STARS {
        text.push('…');
    }
    if text.is_empty() {
        text.push_str("no stars");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_are_capped_and_never_empty() {
        assert_eq!(stars(0), "no stars");
        assert_eq!(stars(3), "★★★");
        assert_eq!(stars(10), "★".repeat(10));
        assert_eq!(stars(11), format!("{}…", "★".repeat(10)));
    }
}
