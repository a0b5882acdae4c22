//! Just enough of Rust's lexer to find paths: identifiers, `::`, punctuation and the contents
//! of string literals (for `#[path = "…"]`), each with its line. Comments, numbers, char
//! literals and lifetimes are dropped, so a path written in any of them is not an edge.

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Str(String),
    /// `::`
    PathSep,
    Punct(char),
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

pub fn lex(src: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        chars: src.chars().collect(),
        i: 0,
        line: 1,
        out: Vec::new(),
    };
    while lexer.i < lexer.chars.len() {
        lexer.next_token();
    }
    lexer.out
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    line: usize,
    out: Vec<Token>,
}

impl Lexer {
    fn at(&self, offset: usize) -> char {
        self.chars.get(self.i + offset).copied().unwrap_or('\0')
    }

    fn done(&self) -> bool {
        self.i >= self.chars.len()
    }

    /// Moves past `n` chars, counting the lines they end.
    fn bump(&mut self, n: usize) {
        for _ in 0..n {
            if self.at(0) == '\n' {
                self.line += 1;
            }
            self.i += 1;
        }
    }

    fn bump_while(&mut self, keep: impl Fn(char) -> bool) {
        while !self.done() && keep(self.at(0)) {
            self.bump(1);
        }
    }

    fn push(&mut self, tok: Tok, line: usize) {
        self.out.push(Token { tok, line });
    }

    fn next_token(&mut self) {
        let line = self.line;
        match (self.at(0), self.at(1)) {
            ('/', '/') => self.bump_while(|c| c != '\n'),
            ('/', '*') => self.block_comment(),
            ('"', _) => {
                self.bump(1);
                let text = self.quoted();
                self.push(Tok::Str(text), line);
            }
            ('\'', _) => self.char_or_lifetime(),
            (c, _) if is_ident_start(c) => self.word(line),
            (c, _) if c.is_ascii_digit() => self.bump_while(is_ident),
            (':', ':') => {
                self.bump(2);
                self.push(Tok::PathSep, line);
            }
            (c, _) => {
                self.bump(1);
                if !c.is_whitespace() {
                    self.push(Tok::Punct(c), line);
                }
            }
        }
    }

    /// `/* … */`, which nests.
    fn block_comment(&mut self) {
        let mut depth = 0;
        while !self.done() {
            match (self.at(0), self.at(1)) {
                ('/', '*') => {
                    depth += 1;
                    self.bump(2);
                }
                ('*', '/') => {
                    depth -= 1;
                    self.bump(2);
                    if depth == 0 {
                        return;
                    }
                }
                _ => self.bump(1),
            }
        }
    }

    /// The rest of a `"…"` literal whose opening quote is behind us.
    fn quoted(&mut self) -> String {
        let mut text = String::new();
        while !self.done() && self.at(0) != '"' {
            if self.at(0) == '\\' {
                self.bump(1);
            }
            text.push(self.at(0));
            self.bump(1);
        }
        self.bump(1);
        text
    }

    /// The rest of an `r#"…"#` literal with `hashes` hashes, opening quote behind us.
    fn raw_quoted(&mut self, hashes: usize) -> String {
        let mut text = String::new();
        while !self.done() {
            if self.at(0) == '"' && (1..=hashes).all(|k| self.at(k) == '#') {
                self.bump(1 + hashes);
                break;
            }
            text.push(self.at(0));
            self.bump(1);
        }
        text
    }

    /// `'x'`, `'\n'`, `'\u{…}'` (dropped), or a lifetime or label `'a` (dropped too).
    fn char_or_lifetime(&mut self) {
        if self.at(1) == '\\' {
            self.bump(3);
            self.bump_while(|c| c != '\'');
            self.bump(1);
        } else if self.at(2) == '\'' {
            self.bump(3);
        } else {
            self.bump(1);
            self.bump_while(is_ident);
        }
    }

    /// An identifier, a raw identifier, or a literal with a prefix (`b"…"`, `r#"…"#`, `b'x'`).
    fn word(&mut self, line: usize) {
        let start = self.i;
        self.bump_while(is_ident);
        let word: String = self.chars[start..self.i].iter().collect();
        let hashes = (0..).take_while(|k| self.at(*k) == '#').count();
        match word.as_str() {
            "r" | "br" | "cr" if self.at(hashes) == '"' => {
                self.bump(hashes + 1);
                let text = self.raw_quoted(hashes);
                self.push(Tok::Str(text), line);
            }
            "r" if hashes == 1 && is_ident_start(self.at(1)) => {
                self.bump(1);
                let start = self.i;
                self.bump_while(is_ident);
                let name: String = self.chars[start..self.i].iter().collect();
                self.push(Tok::Ident(format!("r#{name}")), line);
            }
            "b" | "c" if self.at(0) == '"' => {
                self.bump(1);
                let text = self.quoted();
                self.push(Tok::Str(text), line);
            }
            "b" if self.at(0) == '\'' => self.char_or_lifetime(),
            _ => self.push(Tok::Ident(word), line),
        }
    }
}

/// The identifiers and strings of `src`, as text, for comparing.
fn words(src: &str) -> Vec<String> {
    lex(src)
        .into_iter()
        .filter_map(|t| match t.tok {
            Tok::Ident(w) => Some(w),
            Tok::Str(s) => Some(format!("{s:?}")),
            _ => None,
        })
        .collect()
}

#[test]
fn comments_chars_and_lifetimes_leave_nothing_and_strings_keep_their_text() {
    let src = r####"
// crate line comment
/* crate /* nested crate */ crate */
/// [`crate::feeds`]
a "s\"t" r#"r "q" "# b"b" br##"x"##
'"' '\'' '\u{7f}' b'\'' b'x' 'a' <'b> 'label: loop {}
r#mod 0x1f_u8 1.5e3 z
"####;
    assert_eq!(
        words(src),
        [
            "a",
            "\"s\\\"t\"",
            "\"r \\\"q\\\" \"",
            "\"b\"",
            "\"x\"",
            "loop",
            "r#mod",
            "z"
        ]
    );
}

#[test]
fn tokens_carry_the_line_they_start_on() {
    let src = "a\n/* two\nlines */ b\n\"multi\nline\" c";
    let lines: Vec<(String, usize)> = lex(src)
        .into_iter()
        .filter_map(|t| match t.tok {
            Tok::Ident(w) => Some((w, t.line)),
            _ => None,
        })
        .collect();
    assert_eq!(lines, [("a".into(), 1), ("b".into(), 3), ("c".into(), 5)]);
}
