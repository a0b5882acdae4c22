//! Game text is untrusted: player names, command text, 911 descriptions. These functions make
//! it safe to drop into Discord markdown: markdown characters escaped, mentions and `<…>`
//! constructs (user/role/channel mentions, timestamps, custom emoji) broken with a zero-width
//! space, control characters removed, and newlines collapsed where a single line is expected.

/// Zero-width space: invisible, but stops Discord from parsing `@everyone` or `<@id>`.
pub const ZWSP: char = '\u{200B}';

/// Characters Discord markdown gives meaning to; each is escaped with a backslash.
const MARKDOWN: &[char] = &[
    '\\', '*', '_', '~', '|', '>', '#', '-', '[', ']', '(', ')', '`', ':',
];

/// Invisible characters that reorder or hide text (bidi overrides, isolates, BOM).
fn is_format_trick(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{200E}' | '\u{200F}')
}

/// Push `c`, escaped for markdown and with mention starters defused.
fn push_escaped(out: &mut String, c: char) {
    if MARKDOWN.contains(&c) {
        out.push('\\');
    }
    out.push(c);
    if c == '@' || c == '<' {
        out.push(ZWSP);
    }
}

/// A player name (or any single-line label) for markdown: one line, no control characters,
/// whitespace runs collapsed to one space, markdown escaped, mentions neutralised.
pub fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for word in single_line(name).split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        word.chars().for_each(|c| push_escaped(&mut out, c));
    }
    out
}

/// Free text (a 911 description, a reason) for markdown: newlines kept but at most one blank
/// line in a row, other control characters removed, markdown escaped, mentions neutralised.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut newlines = 0;
    for c in text.trim().chars() {
        match c {
            '\n' => {
                newlines += 1;
                if newlines <= 2 {
                    out.push('\n');
                }
            }
            '\t' => {
                newlines = 0;
                out.push(' ');
            }
            c if c.is_control() || is_format_trick(c) => {}
            c => {
                newlines = 0;
                push_escaped(&mut out, c);
            }
        }
    }
    out
}

/// Game text shown verbatim inside an inline code span (commands such as `:pm bob hi`):
/// one line, backticks replaced by a look-alike so the span cannot be closed early, mentions
/// neutralised. Markdown needs no escaping inside a code span.
pub fn code_span(text: &str) -> String {
    let line = single_line(text);
    if line.is_empty() {
        return "` `".to_owned();
    }
    let mut out = String::with_capacity(line.len() + 4);
    out.push('`');
    for c in line.chars() {
        match c {
            '`' => out.push('ˋ'),
            '@' | '<' => {
                out.push(c);
                out.push(ZWSP);
            }
            c => out.push(c),
        }
    }
    out.push('`');
    out
}

/// Text for places Discord shows without markdown (footers, button labels): one line, no
/// control characters, mentions neutralised, no backslashes added.
pub fn plain_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in single_line(text).chars() {
        out.push(c);
        if c == '@' || c == '<' {
            out.push(ZWSP);
        }
    }
    out
}

/// One line: control and format characters removed, every whitespace run (newlines
/// included) turned into one space, trimmed.
fn single_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
        } else if !(c.is_control() || is_format_trick(c)) {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Text Discord could turn into a ping or a live construct.
    fn dangerous(text: &str) -> bool {
        ["@everyone", "@here", "<@", "<#", "<t:", "<:", "<a:", "</"]
            .iter()
            .any(|d| text.contains(d))
    }

    #[test]
    fn names_are_escaped_and_single_line() {
        assert_eq!(escape_name("Roblox"), "Roblox");
        assert_eq!(escape_name("**bold**"), "\\*\\*bold\\*\\*");
        assert_eq!(escape_name("a_b"), "a\\_b");
        assert_eq!(escape_name("  two\n\r\nlines\t "), "two lines");
        assert_eq!(
            escape_name("[x](https://evil)"),
            "\\[x\\]\\(https\\://evil\\)"
        );
        assert_eq!(escape_name("\u{202E}evil\u{0007}"), "evil");
        assert_eq!(escape_name("@everyone"), "@\u{200B}everyone");
        assert_eq!(escape_name("<@123>"), "<\u{200B}@\u{200B}123\\>");
        assert_eq!(escape_name("<t:1:R>"), "<\u{200B}t\\:1\\:R\\>");
        assert_eq!(escape_name("back\\slash"), "back\\\\slash");
        assert!(!dangerous(&escape_name("<@&5> <#6> <:e:7> @here")));
    }

    #[test]
    fn text_keeps_paragraphs_but_not_floods() {
        assert_eq!(escape_text("a\n\n\n\n\nb"), "a\n\nb");
        assert_eq!(escape_text("x\r\n> quote"), "x\n\\> quote");
        assert_eq!(escape_text("# heading"), "\\# heading");
        assert_eq!(escape_text("||spoiler||"), "\\|\\|spoiler\\|\\|");
        assert_eq!(escape_text("~~s~~ `c`"), "\\~\\~s\\~\\~ \\`c\\`");
    }

    #[test]
    fn code_spans_cannot_be_closed_early() {
        assert_eq!(code_span(":pm bob hi"), "`:pm bob hi`");
        assert_eq!(code_span("a`b\nc"), "`aˋb c`");
        assert_eq!(code_span("  "), "` `");
        assert!(!dangerous(&code_span(":m @everyone <@1>")));
    }

    #[test]
    fn plain_lines_have_no_backslashes() {
        assert_eq!(plain_line("main-server\n2"), "main-server 2");
        assert_eq!(plain_line("@here"), "@\u{200B}here");
    }

    proptest! {
        #[test]
        fn escaped_output_is_inert(text in "(@everyone|@here|<@|<@&|<#|<t:|\\n|\\r|[*_~`|<>@#:a-z \\\\-]|\\PC){0,40}") {
            let name = escape_name(&text);
            prop_assert!(!dangerous(&name), "{name:?}");
            prop_assert!(!name.contains('\n') && !name.contains('\r'));
            prop_assert!(!name.chars().any(char::is_control));
            let body = escape_text(&text);
            prop_assert!(!dangerous(&body), "{body:?}");
            prop_assert!(!body.chars().any(|c| c.is_control() && c != '\n'));
            prop_assert!(!dangerous(&code_span(&text)));
            prop_assert!(!dangerous(&plain_line(&text)));
            prop_assert!(!plain_line(&text).contains('\n'));
        }

        #[test]
        fn every_markdown_character_is_escaped(text in "\\PC{0,40}") {
            let name = escape_name(&text);
            let mut chars = name.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    let next = chars.next();
                    prop_assert!(next.is_some_and(|n| MARKDOWN.contains(&n)), "{name:?}");
                } else {
                    prop_assert!(!MARKDOWN.contains(&c), "{name:?}");
                }
            }
        }
    }
}
