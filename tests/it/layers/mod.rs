//! The layer map, checked: the table in the top doc of `src/lib.rs` says which modules each
//! module may use, and every `crate::…` path (or `super::…` path that climbs out of its layer)
//! in `src/<module>/` and `commands/` must name one of them. Items under `#[cfg(test)]` are not
//! held to the map, as a dev-dependency would not be; the attribute on anything smaller than
//! an item is not recognised, so such code counts as production code.

mod lex;
mod map;
mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use map::LayerMap;
use scan::{Edge, Scan, scan_crate};

/// Where the map lives, relative to the crate's root; also named in every report line.
const MAP_FILE: &str = "src/lib.rs";

/// An edge the map does not allow, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    edge: Edge,
    reason: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.edge;
        write!(
            f,
            "{}:{} {} → {} ({})",
            e.file, e.line, e.from, e.to, self.reason
        )
    }
}

/// Every edge outside `#[cfg(test)]` to a top-level module that `map` does not allow.
fn violations(scan: &Scan, map: &LayerMap) -> Vec<Violation> {
    let mut found: Vec<Violation> = scan
        .edges
        .iter()
        .filter(|e| !e.test && scan.modules.contains(&e.to))
        .filter_map(|edge| {
            let reason = match map.get(&edge.from) {
                None => format!("{} has no row in the map in {MAP_FILE}", edge.from),
                Some(uses) if !uses.contains(&edge.to) => {
                    format!("not allowed by the map in {MAP_FILE}")
                }
                Some(_) => return None,
            };
            Some(Violation {
                edge: edge.clone(),
                reason,
            })
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// What a failing check prints: every place, then a count per edge.
fn report(found: &[Violation]) -> String {
    let mut per_edge: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for v in found {
        *per_edge.entry((&v.edge.from, &v.edge.to)).or_default() += 1;
    }
    let mut out = format!("{} paths break the layer map in {MAP_FILE}:\n", found.len());
    for v in found {
        out += &format!("  {v}\n");
    }
    out += "by edge:\n";
    for ((from, to), n) in per_edge {
        out += &format!("  {from} → {to}: {n}\n");
    }
    out
}

fn this_crate() -> (Scan, LayerMap) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join(MAP_FILE)).expect("src/lib.rs is readable");
    let map = map::parse(&lib).unwrap_or_else(|e| panic!("the layer map in {MAP_FILE}: {e}"));
    (scan_crate(root).unwrap_or_else(|e| panic!("{e}")), map)
}

#[test]
fn every_crate_path_is_allowed_by_the_layer_map() {
    let (scan, map) = this_crate();
    let found = violations(&scan, &map);
    assert!(found.is_empty(), "{}", report(&found));
}

#[test]
fn the_layer_map_has_a_row_for_every_module_and_no_other() {
    let (scan, map) = this_crate();
    let rows: BTreeSet<String> = map.into_keys().collect();
    let missing: Vec<_> = scan.modules.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&scan.modules).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "the layer map in {MAP_FILE} has no row for {missing:?}, \
         and rows for {stale:?}, which are not modules"
    );
}

#[test]
fn the_scan_of_this_crate_sees_its_real_edges() {
    let (scan, _) = this_crate();
    for module in ["erlc", "store", "tracker", "commands"] {
        assert!(
            scan.modules.contains(module),
            "{module}: {:?}",
            scan.modules
        );
    }
    let has = |from: &str, to: &str| scan.edges.iter().any(|e| e.from == from && e.to == to);
    assert!(has("tracker", "store"), "src/tracker/ names store");
    assert!(
        has("commands", "actions"),
        "commands/ (a #[path] module) names actions"
    );
    // Reached through `#[cfg(test)] #[path = "ratelimit_tests.rs"] mod tests;`.
    assert!(
        scan.edges
            .iter()
            .any(|e| e.file == "src/erlc/ratelimit_tests.rs" && e.test),
        "test-only files are scanned, as test code"
    );
}

const SCRATCH_LIB: &str = "\
//! | layer | job | may use |
//! |---|---|---|
//! | `ui` | messages | — |
//! | `store` | storage | — |
//! | `feeds` | delivery | `store`, `ui` |
//! | `views` | replies | `ui` |

pub mod feeds;
pub mod store;
pub mod ui;
pub mod views;
#[path = \"../front/mod.rs\"]
pub mod front;
";

/// The report lines for a scratch crate with the map above, whose `views` module is
/// `views_mod` plus the files in `more` (`(path, text)`).
fn scratch_report(views_mod: &str, more: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = [
        ("src/lib.rs", SCRATCH_LIB),
        ("src/ui.rs", ""),
        ("src/store.rs", ""),
        (
            "src/feeds/mod.rs",
            "use crate::store::Store;\nuse super::ui::Message;\n",
        ),
        ("src/views/mod.rs", views_mod),
        ("front/mod.rs", "use crate::views::reply;\n"),
    ];
    for (path, text) in base.iter().chain(more) {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let map = map::parse(SCRATCH_LIB).expect("the scratch map parses");
    let scan = scan_crate(dir.path()).expect("the scratch crate scans");
    violations(&scan, &map)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Reported in every scratch crate: `front` (from `#[path]`) has no row.
const FRONT: &str = "front/mod.rs:1 front → views (front has no row in the map in src/lib.rs)";

#[test]
fn a_forbidden_import_is_reported_with_its_file_and_line() {
    let views = "//! Replies.\n\nuse crate::ui::Message;\nuse crate::feeds::Card;\n";
    assert_eq!(
        scratch_report(views, &[]),
        [
            FRONT,
            "src/views/mod.rs:4 views → feeds (not allowed by the map in src/lib.rs)",
        ]
    );
}

#[test]
fn groups_inline_paths_and_super_escapes_are_edges() {
    let views = "\
mod deep;
use crate::{ui::Message, store::{self, Store}};
fn f() { let _ = crate::feeds::render(); }
";
    let deep = "\
use super::super::feeds::Card; // climbs out of views
use super::Helper; // stays inside views
mod inner { use super::super::super::store::Store; }
";
    assert_eq!(
        scratch_report(views, &[("src/views/deep.rs", deep)]),
        [
            FRONT,
            "src/views/deep.rs:1 views → feeds (not allowed by the map in src/lib.rs)",
            "src/views/deep.rs:3 views → store (not allowed by the map in src/lib.rs)",
            "src/views/mod.rs:2 views → store (not allowed by the map in src/lib.rs)",
            "src/views/mod.rs:3 views → feeds (not allowed by the map in src/lib.rs)",
        ]
    );
}

#[test]
fn comments_and_literals_are_not_paths() {
    let views = r####"
// use crate::feeds::Card;
/* crate::feeds /* nested */ crate::store */
/// [`crate::feeds::Card`]
const A: &str = "crate::feeds::Card";
const B: &str = r#"crate::store::X "quoted" "#;
const C: char = '"';
fn e<'a>(x: &'a str) -> &'a str { x }
use crate::ui::Message;
"####;
    assert_eq!(scratch_report(views, &[]), [FRONT]);
}

#[test]
fn test_only_items_and_files_are_exempt_and_the_rest_is_not() {
    let views = "\
#[cfg(test)]
mod tests;
#[cfg(test)]
mod inline {
    use crate::feeds::fixtures;
}
#[cfg(test)]
fn helper(a: [u8; 2]) -> crate::store::Store { crate::store::open() }
#[cfg(test)]
use crate::feeds::{a, b};
pub fn after() { crate::store::open(); }
";
    let tests = "use crate::feeds::fixtures;\nmod more;\n";
    let more = "use crate::store::Store;\n";
    assert_eq!(
        scratch_report(
            views,
            &[
                ("src/views/tests.rs", tests),
                ("src/views/tests/more.rs", more)
            ]
        ),
        [
            FRONT,
            "src/views/mod.rs:11 views → store (not allowed by the map in src/lib.rs)",
        ]
    );
}
