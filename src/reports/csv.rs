//! CSV (RFC 4180) for spreadsheets. Member and player names are untrusted text, and a
//! spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return
//! before one) as a formula: such a cell is prefixed with `'`, which spreadsheets show as text.

/// One cell, neutralised and quoted as needed.
pub fn cell(text: &str) -> String {
    let risky = text
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let text = if risky {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Append one row (CRLF-terminated, as RFC 4180 has it).
pub fn push_row<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    let row: Vec<String> = cells.iter().map(|c| cell(c.as_ref())).collect();
    out.push_str(&row.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\t=1"), "'\t=1");
        assert_eq!(cell("\r=1"), "\"'\r=1\"");
        // Only the first character matters.
        assert_eq!(cell("a=b"), "a=b");
        assert_eq!(cell("Officer_Bob"), "Officer_Bob");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn separators_and_quotes_are_quoted() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell(" padded"), "\" padded\"");
        let mut out = String::new();
        push_row(&mut out, &["name", "=cmd", "3"]);
        push_row(&mut out, &[String::from("x,y")]);
        assert_eq!(out, "name,'=cmd,3\r\n\"x,y\"\r\n");
    }
}
