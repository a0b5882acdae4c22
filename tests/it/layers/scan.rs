//! Following a crate's modules from `src/lib.rs` as the compiler does (`mod x;`, inline
//! `mod x { … }`, `#[path]`), and finding in each file the top-level modules it names:
//! `crate::x`, each entry of `crate::{x, y}`, and `super::…` paths that climb to the crate root.
//! An edge remembers whether it sits in a `#[cfg(test)]` item (a module, a function, an impl, a
//! use) or a file reached only through one.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::lex::{Tok, Token, lex};

/// One module naming another, at `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    /// Relative to the crate's root directory.
    pub file: String,
    pub line: usize,
    pub from: String,
    pub to: String,
    pub test: bool,
}

/// What a scan found: the top-level modules `src/lib.rs` declares, and every edge between
/// two different ones.
pub struct Scan {
    pub modules: BTreeSet<String>,
    pub edges: Vec<Edge>,
}

/// The crate whose root directory is `root` (the one holding `src/lib.rs`).
pub fn scan_crate(root: &Path) -> Result<Scan, String> {
    let lib = SourceFile {
        file: root.join("src/lib.rs"),
        module_path: Vec::new(),
        test: false,
    };
    let top = scan_file(&lib, root)?.children;
    let modules = top.iter().map(|m| m.module_path[0].clone()).collect();
    let mut queue = top;
    let mut edges = Vec::new();
    while let Some(source) = queue.pop() {
        let found = scan_file(&source, root)?;
        let layer = &source.module_path[0];
        edges.extend(found.edges.into_iter().filter(|e| &e.to != layer));
        queue.extend(found.children);
    }
    edges.sort();
    Ok(Scan { modules, edges })
}

/// A module's source file, as the compiler reaches it.
struct SourceFile {
    file: PathBuf,
    /// The module's path from the crate root (`["erlc", "key"]`).
    module_path: Vec<String>,
    /// Reached only through `#[cfg(test)]`.
    test: bool,
}

/// What one file names, and the files of the modules it declares.
struct FileScan {
    edges: Vec<Edge>,
    children: Vec<SourceFile>,
}

fn scan_file(source: &SourceFile, root: &Path) -> Result<FileScan, String> {
    let text = std::fs::read_to_string(&source.file)
        .map_err(|e| format!("{}: {e}", source.file.display()))?;
    let mut walk = Walk {
        source,
        rel: source
            .file
            .strip_prefix(root)
            .unwrap_or(&source.file)
            .display()
            .to_string(),
        tokens: lex(&text),
        i: 0,
        file_test: source.test,
        scopes: Vec::new(),
        pending_test: None,
        pending_path: None,
        found: FileScan {
            edges: Vec::new(),
            children: Vec::new(),
        },
    };
    walk.run()?;
    Ok(walk.found)
}

/// A `{ … }` the walk is inside.
struct Scope {
    /// `Some(name)` for `mod name { … }`.
    inline_mod: Option<String>,
    test: bool,
}

/// An outer `#[cfg(test)]` waiting for the item it applies to: the item ends at a `;` or opens
/// its body at a `{` in the scope the attribute was in, outside any `(`/`[`.
#[derive(Clone, Copy)]
struct PendingTest {
    depth: usize,
    nesting: usize,
}

struct Walk<'a> {
    source: &'a SourceFile,
    rel: String,
    tokens: Vec<Token>,
    i: usize,
    /// The whole file is test-only (reached through `#[cfg(test)]`, or `#![cfg(test)]`).
    file_test: bool,
    scopes: Vec<Scope>,
    pending_test: Option<PendingTest>,
    /// A `#[path = "…"]` waiting for its `mod x;`.
    pending_path: Option<String>,
    found: FileScan,
}

impl Walk<'_> {
    fn tok(&self, at: usize) -> Option<&Tok> {
        self.tokens.get(at).map(|t| &t.tok)
    }

    fn ident(&self, at: usize) -> Option<&str> {
        match self.tok(at) {
            Some(Tok::Ident(name)) => Some(name),
            _ => None,
        }
    }

    fn in_test(&self) -> bool {
        self.file_test || self.pending_test.is_some() || self.scopes.iter().any(|s| s.test)
    }

    /// Whether the pending `#[cfg(test)]` item ends (`;`) or opens its body (`{`) here.
    fn at_pending_item_boundary(&self) -> bool {
        self.pending_test
            .is_some_and(|p| p.depth == self.scopes.len() && p.nesting == 0)
    }

    fn run(&mut self) -> Result<(), String> {
        while self.i < self.tokens.len() {
            let consumed = match self.tokens[self.i].tok.clone() {
                Tok::Punct('#') => self.attribute(),
                Tok::Ident(word) if word == "mod" => self.module()?,
                Tok::Ident(word) if word == "crate" => {
                    self.crate_path();
                    1
                }
                Tok::Ident(word) if word == "super" => {
                    self.super_path();
                    1
                }
                Tok::Punct(c) => {
                    self.punct(c);
                    1
                }
                _ => 1,
            };
            self.i += consumed;
        }
        Ok(())
    }

    /// `#[…]` or `#![…]`: notes `cfg(test)` and `path = "…"`. Returns the tokens it spans.
    fn attribute(&mut self) -> usize {
        let inner = self.tok(self.i + 1) == Some(&Tok::Punct('!'));
        let open = self.i + if inner { 2 } else { 1 };
        if self.tok(open) != Some(&Tok::Punct('[')) {
            return 1;
        }
        let close = matching(&self.tokens, open);
        let attr: Vec<&Tok> = self.tokens[open + 1..close]
            .iter()
            .map(|t| &t.tok)
            .collect();
        let word = |tok: &Tok, w: &str| matches!(tok, Tok::Ident(x) if x == w);
        match attr.as_slice() {
            [cfg, Tok::Punct('('), test, Tok::Punct(')')]
                if word(cfg, "cfg") && word(test, "test") =>
            {
                if !inner {
                    self.pending_test = Some(PendingTest {
                        depth: self.scopes.len(),
                        nesting: 0,
                    });
                } else if let Some(scope) = self.scopes.last_mut() {
                    scope.test = true;
                } else {
                    self.file_test = true;
                }
            }
            [path, Tok::Punct('='), Tok::Str(file)] if word(path, "path") => {
                self.pending_path = Some(file.clone());
            }
            _ => {}
        }
        close + 1 - self.i
    }

    /// `mod x;` (a child file) or `mod x {` (an inline module). Returns the tokens it spans.
    fn module(&mut self) -> Result<usize, String> {
        let (Some(name), Some(next)) = (self.ident(self.i + 1), self.tok(self.i + 2)) else {
            return Ok(1);
        };
        let name = name.to_owned();
        let test = self.in_test();
        match next {
            Tok::Punct(';') => {
                let inline: Vec<&str> = self
                    .scopes
                    .iter()
                    .filter_map(|s| s.inline_mod.as_deref())
                    .collect();
                let file = child_file(
                    &self.source.file,
                    &inline,
                    &name,
                    self.pending_path.as_deref(),
                )
                .ok_or_else(|| {
                    format!(
                        "{}:{}: no file for `mod {name};`",
                        self.rel, self.tokens[self.i].line
                    )
                })?;
                let mut module_path = self.source.module_path.clone();
                module_path.extend(inline.iter().map(|m| (*m).to_owned()));
                module_path.push(name);
                self.found.children.push(SourceFile {
                    file,
                    module_path,
                    test,
                });
            }
            Tok::Punct('{') => self.scopes.push(Scope {
                inline_mod: Some(name),
                test,
            }),
            _ => return Ok(1),
        }
        self.pending_test = None;
        self.pending_path = None;
        Ok(3)
    }

    /// Brackets and `;`, which open and close scopes and end the pending items.
    fn punct(&mut self, c: char) {
        match c {
            '{' => {
                let test = self.at_pending_item_boundary();
                if test {
                    self.pending_test = None;
                }
                self.scopes.push(Scope {
                    inline_mod: None,
                    test,
                });
            }
            '}' => {
                self.scopes.pop();
                if self
                    .pending_test
                    .is_some_and(|p| p.depth > self.scopes.len())
                {
                    self.pending_test = None;
                }
            }
            '(' | '[' => {
                if let Some(p) = &mut self.pending_test {
                    p.nesting += 1;
                }
            }
            ')' | ']' => {
                if let Some(p) = &mut self.pending_test {
                    p.nesting = p.nesting.saturating_sub(1);
                }
            }
            ';' => {
                if self.at_pending_item_boundary() {
                    self.pending_test = None;
                }
                self.pending_path = None;
            }
            _ => {}
        }
    }

    /// `crate::x…` or `crate::{x…, y…}` (also `$crate::` in macros).
    fn crate_path(&mut self) {
        if self.tok(self.i + 1) == Some(&Tok::PathSep) {
            self.edges_to(first_segments(&self.tokens, self.i + 2));
        }
    }

    /// `super::super::x`: an edge only when it climbs to the crate root.
    fn super_path(&mut self) {
        if self.i > 0 && self.tok(self.i - 1) == Some(&Tok::PathSep) {
            return;
        }
        let mut climbs = 0;
        let mut at = self.i;
        while self.ident(at) == Some("super") && self.tok(at + 1) == Some(&Tok::PathSep) {
            climbs += 1;
            at += 2;
        }
        let inline = self
            .scopes
            .iter()
            .filter(|s| s.inline_mod.is_some())
            .count();
        if climbs >= self.source.module_path.len() + inline {
            self.edges_to(first_segments(&self.tokens, at));
        }
    }

    fn edges_to(&mut self, targets: Vec<String>) {
        // The crate root itself (src/lib.rs) is no layer.
        let Some(from) = self.source.module_path.first() else {
            return;
        };
        for to in targets {
            self.found.edges.push(Edge {
                file: self.rel.clone(),
                line: self.tokens[self.i].line,
                from: from.clone(),
                to,
                test: self.in_test(),
            });
        }
    }
}

/// The index of the bracket closing the one at `open`.
fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.tok {
            Tok::Punct('[' | '(' | '{') => depth += 1,
            Tok::Punct(']' | ')' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// The names a path takes right after the crate root at `at`: `x` in `crate::x::…`, or the
/// first segment of each entry in `crate::{x::…, y}`.
fn first_segments(tokens: &[Token], at: usize) -> Vec<String> {
    match tokens.get(at).map(|t| &t.tok) {
        Some(Tok::Ident(name)) => vec![name.clone()],
        Some(Tok::Punct('{')) => {
            let mut names = Vec::new();
            let mut depth = 0;
            let mut entry_start = true;
            for t in &tokens[at + 1..matching(tokens, at)] {
                match &t.tok {
                    Tok::Ident(name) if depth == 0 && entry_start => {
                        if name != "self" {
                            names.push(name.clone());
                        }
                        entry_start = false;
                    }
                    Tok::Punct('{' | '(' | '[') => depth += 1,
                    Tok::Punct('}' | ')' | ']') => depth -= 1,
                    Tok::Punct(',') if depth == 0 => entry_start = true,
                    _ => entry_start = false,
                }
            }
            names
        }
        _ => Vec::new(),
    }
}

/// Where `mod name;` in `parent` (inside the inline modules `inline`) finds its source, by the
/// compiler's rules.
fn child_file(
    parent: &Path,
    inline: &[&str],
    name: &str,
    path_attr: Option<&str>,
) -> Option<PathBuf> {
    let dir = parent.parent()?;
    if let Some(path) = path_attr.filter(|_| inline.is_empty()) {
        return Some(without_dot_dots(&dir.join(path)));
    }
    let mut base = dir.to_path_buf();
    // A file other than mod.rs/lib.rs keeps its submodules in a folder named after it.
    if !matches!(
        parent.file_name()?.to_str()?,
        "mod.rs" | "lib.rs" | "main.rs"
    ) {
        base.push(parent.file_stem()?);
    }
    base.extend(inline);
    [
        base.join(format!("{name}.rs")),
        base.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|candidate| candidate.is_file())
}

/// `src/../commands/mod.rs` → `commands/mod.rs`, so reports name files as a reader would.
fn without_dot_dots(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
