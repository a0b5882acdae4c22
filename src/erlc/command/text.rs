//! Free-text normalisation for messages and reasons: the result is always one line.

/// Turn every control character (including `\r`, `\n`, `\t`) into a space, collapse runs of
/// whitespace (including Unicode line and paragraph separators) into one space, and trim.
/// Text passed through this can never start a new line, so it cannot start a new command.
pub fn normalize_text(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_whitespace_runs_become_single_spaces() {
        assert_eq!(
            normalize_text("  Hello\r\n:shutdown\tnow\u{0}!\u{2028}x\u{85}y  "),
            "Hello :shutdown now ! x y"
        );
        assert_eq!(normalize_text("\n\r\t "), "");
        assert_eq!(normalize_text("plain text"), "plain text");
    }
}
