//! The layer map as `src/lib.rs` writes it: the table whose header is
//! `| layer | job | may use |` in the top doc. Each row's first cell is a module in backticks,
//! its last cell the modules it may use, backticked and separated by commas, or `—`.

use std::collections::{BTreeMap, BTreeSet};

/// Module → the modules it may use.
pub type LayerMap = BTreeMap<String, BTreeSet<String>>;

/// Reads the map from the `//!` lines that open `lib_rs`.
pub fn parse(lib_rs: &str) -> Result<LayerMap, String> {
    let doc: Vec<&str> = lib_rs
        .lines()
        .map_while(|line| line.strip_prefix("//!"))
        .map(str::trim)
        .collect();
    let header = doc
        .iter()
        .position(|line| cells(line) == ["layer", "job", "may use"])
        .ok_or("no `| layer | job | may use |` table in the top doc")?;
    let mut map = LayerMap::new();
    // The row after the header is the `|---|` separator.
    for row in doc[header + 2..].iter().take_while(|l| l.starts_with('|')) {
        let (name, uses) = parse_row(row)?;
        if map.insert(name.clone(), uses).is_some() {
            return Err(format!("two rows for `{name}`"));
        }
    }
    for (name, uses) in &map {
        if let Some(unknown) = uses.iter().find(|u| !map.contains_key(*u)) {
            return Err(format!("`{name}` may use `{unknown}`, which has no row"));
        }
    }
    Ok(map)
}

fn parse_row(row: &str) -> Result<(String, BTreeSet<String>), String> {
    let cells = cells(row);
    let (Some(name), Some(uses)) = (cells.first(), cells.last()) else {
        return Err(format!("a row without cells: {row}"));
    };
    let module = |cell: &str| {
        backticked(cell.trim())
            .map(str::to_owned)
            .ok_or_else(|| format!("`{cell}` is not a `module` in the row {row}"))
    };
    let uses = if *uses == "—" {
        BTreeSet::new()
    } else {
        uses.split(',').map(module).collect::<Result<_, _>>()?
    };
    Ok((module(name)?, uses))
}

fn cells(row: &str) -> Vec<&str> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(str::trim).collect()
}

fn backticked(cell: &str) -> Option<&str> {
    cell.strip_prefix('`')?.strip_suffix('`')
}

const MAP: &str = "\
//! Some prose first.
//!
//! | layer | job | may use |
//! |---|---|---|
//! | `ui` | messages | — |
//! | `feeds` | delivery, with a `Sink` | `ui`, `store` |
//! | `store` | storage | — |
//!
//! | other | table |
//! |---|---|
//! | `not` | read |

pub mod ui;
";

#[test]
fn the_rows_of_the_layer_table_are_read_and_nothing_else() {
    let map = parse(MAP).expect("parses");
    assert_eq!(map.keys().collect::<Vec<_>>(), ["feeds", "store", "ui"]);
    assert_eq!(map["feeds"], BTreeSet::from(["store".into(), "ui".into()]));
    assert!(map["ui"].is_empty());
}

#[test]
fn a_broken_map_is_refused_with_the_reason() {
    let unknown = MAP.replace("`ui`, `store` |", "`ui`, `nowhere` |");
    assert_eq!(
        parse(&unknown),
        Err("`feeds` may use `nowhere`, which has no row".to_owned())
    );
    let twice = MAP.replace("| `store` |", "| `ui` |");
    assert_eq!(parse(&twice), Err("two rows for `ui`".to_owned()));
    let bare = MAP.replace("`ui`, `store` |", "ui |");
    assert_eq!(
        parse(&bare),
        Err("`ui` is not a `module` in the row \
             | `feeds` | delivery, with a `Sink` | ui |"
            .to_owned())
    );
    assert!(parse("//! no table here\n").is_err());
}
