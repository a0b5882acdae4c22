//! The versioned state table of one node: each key's current value and version, and a ring of
//! its last deltas for RESUME: at most [`RING_CAPACITY`] per key, and at most
//! [`RESUME_BUDGET_BYTES`] (estimated) across all keys, the oldest going first.
//!
//! One counter serves every key, so a key's versions strictly increase but skip the numbers
//! other keys took. A write that changes nothing takes no version (unlike the reference
//! server, which spends one). The table has no lock of its own: its writers take `&mut self`,
//! and the hub that shares it between the tracker and the sessions wraps it in one.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::delta::{Op, diff, parse_path};

/// Deltas kept per key; a RESUME from further back gets the current value only.
pub const RING_CAPACITY: usize = 1000;

/// What the rings of all keys may hold together, estimated from the deltas' contents. Without
/// it memory grows with every busy key until each ring is full (a thousand polls per server);
/// with it a node tracking many servers keeps a shorter history instead, and a client that
/// resumes from further back gets the current value, which is always correct.
pub const RESUME_BUDGET_BYTES: usize = 16 << 20;

/// A change that took a version: what subscribers of `key` are sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The state key.
    pub key: String,
    /// The key's new version.
    pub version: u64,
    /// The ops from the previous value to `value`; never empty.
    pub ops: Arc<Vec<Op>>,
    /// The key's new value.
    pub value: Arc<Value>,
}

/// What a RESUME from a version gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Resume {
    /// Every delta newer than the client's version, oldest first; empty when it is up to date.
    Replay(Vec<(u64, Arc<Vec<Op>>)>),
    /// The ring no longer reaches back to the client's version (or the key is unknown, or the
    /// version is one this table never gave it): send the current value only.
    SnapshotOnly,
}

#[derive(Debug)]
struct Delta {
    version: u64,
    ops: Arc<Vec<Op>>,
    /// Estimated heap bytes, counted against the budget.
    bytes: usize,
}

#[derive(Debug)]
struct Entry {
    /// The key again, shared with the table's age order.
    name: Arc<str>,
    version: u64,
    value: Arc<Value>,
    ring: VecDeque<Delta>,
    /// The version of the newest delta the ring has dropped (0 = none): a client at or after
    /// it misses nothing the ring still holds.
    dropped_up_to: u64,
}

impl Entry {
    /// Drop the ring's oldest delta; its estimated bytes.
    fn drop_oldest(&mut self) -> Option<usize> {
        let oldest = self.ring.pop_front()?;
        self.dropped_up_to = oldest.version;
        Some(oldest.bytes)
    }
}

/// Every state key of the node. See the module doc for versions, rings and locking.
#[derive(Debug)]
pub struct StateTable {
    counter: u64,
    keys: HashMap<String, Entry>,
    budget: usize,
    /// Estimated bytes of every kept delta.
    ring_bytes: usize,
    /// Deltas kept in all rings.
    kept: usize,
    /// (key, version) of every delta in version order, so the budget drops the oldest across
    /// keys. It may still name deltas a ring already let go (its own cap, a dropped key):
    /// those are skipped, and swept out when they outnumber the kept ones.
    age_order: VecDeque<(Arc<str>, u64)>,
}

impl Default for StateTable {
    fn default() -> Self {
        Self::with_budget(RESUME_BUDGET_BYTES)
    }
}

impl StateTable {
    /// An empty table with the default budget; the first change takes version 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty table whose rings may hold `budget` estimated bytes together.
    pub fn with_budget(budget: usize) -> Self {
        Self {
            counter: 0,
            keys: HashMap::new(),
            budget,
            ring_bytes: 0,
            kept: 0,
            age_order: VecDeque::new(),
        }
    }

    /// Estimated bytes the rings hold now (never above the budget after a write).
    pub fn ring_bytes(&self) -> usize {
        self.ring_bytes
    }

    /// Make `value` the key's value. `None`, with no version taken, when nothing changed.
    pub fn set(&mut self, key: &str, value: Value) -> Option<Published> {
        let old = self
            .keys
            .get(key)
            .map(|e| Arc::clone(&e.value))
            .unwrap_or_default();
        let ops = diff(&old, &value);
        if ops.is_empty() {
            return None;
        }
        self.counter += 1;
        let version = self.counter;
        let bytes = ops_bytes(&ops);
        let ops = Arc::new(ops);
        let value = Arc::new(value);
        let entry = self.keys.entry(key.to_owned()).or_insert_with(|| Entry {
            name: Arc::from(key),
            version: 0,
            value: Arc::default(),
            ring: VecDeque::new(),
            dropped_up_to: 0,
        });
        entry.version = version;
        entry.value = Arc::clone(&value);
        entry.ring.push_back(Delta {
            version,
            ops: Arc::clone(&ops),
            bytes,
        });
        self.age_order.push_back((Arc::clone(&entry.name), version));
        self.ring_bytes += bytes;
        self.kept += 1;
        if entry.ring.len() > RING_CAPACITY {
            if let Some(freed) = entry.drop_oldest() {
                self.ring_bytes -= freed;
                self.kept -= 1;
            }
        }
        self.keep_to_budget();
        Some(Published {
            key: key.to_owned(),
            version,
            ops,
            value,
        })
    }

    /// Drop the oldest deltas across keys until the rings fit the budget.
    fn keep_to_budget(&mut self) {
        while self.ring_bytes > self.budget {
            let Some((key, version)) = self.age_order.pop_front() else {
                break;
            };
            let Some(entry) = self.keys.get_mut(&*key) else {
                continue;
            };
            // Versions leave a ring oldest first, so a delta still kept is at its front.
            if entry.ring.front().is_some_and(|d| d.version == version) {
                if let Some(freed) = entry.drop_oldest() {
                    self.ring_bytes -= freed;
                    self.kept -= 1;
                }
            }
        }
        if self.age_order.len() > 2 * self.kept + 64 {
            let keys = &self.keys;
            self.age_order.retain(|(key, version)| {
                keys.get(&**key)
                    .and_then(|e| e.ring.front())
                    .is_some_and(|oldest| oldest.version <= *version)
            });
        }
    }

    /// Set one JSON Pointer path of the key (a presence entry), making the value and every
    /// node on the way an object first if it is not one. `None` when nothing changed, or when
    /// `path` is not a pointer below the root (`/a`, `/a/b`, with `~0`/`~1` escapes).
    pub fn set_path(&mut self, key: &str, path: &str, value: Value) -> Option<Published> {
        let parts = below_root(path)?;
        let root = with_path(self.current(key), &parts, value);
        self.set(key, root)
    }

    /// Remove one JSON Pointer path of the key (a presence entry going away). Only objects
    /// are walked. `None` when nothing was there.
    pub fn remove_path(&mut self, key: &str, path: &str) -> Option<Published> {
        let parts = below_root(path)?;
        let (last, way) = parts.split_last()?;
        let mut root = self.current(key);
        let mut node = &mut root;
        for segment in way {
            node = node.as_object_mut()?.get_mut(segment)?;
        }
        node.as_object_mut()?.remove(last)?;
        self.set(key, root)
    }

    /// The key's version and value; `None` when it was never written (or was dropped).
    pub fn get(&self, key: &str) -> Option<(u64, Arc<Value>)> {
        self.keys
            .get(key)
            .map(|e| (e.version, Arc::clone(&e.value)))
    }

    /// What a client that has seen `since_version` of `key` needs.
    pub fn since(&self, key: &str, since_version: u64) -> Resume {
        let Some(entry) = self.keys.get(key) else {
            return Resume::SnapshotOnly;
        };
        if since_version > entry.version || since_version < entry.dropped_up_to {
            return Resume::SnapshotOnly;
        }
        let newer = entry.ring.partition_point(|d| d.version <= since_version);
        Resume::Replay(
            entry
                .ring
                .range(newer..)
                .map(|d| (d.version, Arc::clone(&d.ops)))
                .collect(),
        )
    }

    /// Forget the key (its server was removed): no value, no version, no ring.
    pub fn drop_key(&mut self, key: &str) {
        if let Some(entry) = self.keys.remove(key) {
            self.ring_bytes -= entry.ring.iter().map(|d| d.bytes).sum::<usize>();
            self.kept -= entry.ring.len();
        }
    }

    fn current(&self, key: &str) -> Value {
        self.keys
            .get(key)
            .map(|e| Value::clone(&e.value))
            .unwrap_or_default()
    }
}

/// Estimated heap bytes of a delta: what the budget counts. Close enough to bound memory, not
/// an exact measure of the allocator's use.
fn ops_bytes(ops: &[Op]) -> usize {
    ops.iter()
        .map(|op| {
            std::mem::size_of::<Op>() + op.path.len() + op.value.as_ref().map_or(0, value_bytes)
        })
        .sum()
}

/// Heap bytes below a JSON value (its own inline size is counted by whoever holds it).
fn value_bytes(value: &Value) -> usize {
    const NODE: usize = std::mem::size_of::<Value>();
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(|v| NODE + value_bytes(v)).sum(),
        // A map entry also costs its key's allocation and the map's own links.
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| 2 * NODE + k.len() + value_bytes(v))
            .sum(),
    }
}

/// The unescaped segments of a pointer below the root; `None` for `/` or a bad pointer.
fn below_root(path: &str) -> Option<Vec<String>> {
    parse_path(path).ok().filter(|parts| !parts.is_empty())
}

/// `node` with `value` at `parts`, every node on the way made an object if it is not one.
fn with_path(node: Value, parts: &[String], value: Value) -> Value {
    let Some((first, rest)) = parts.split_first() else {
        return value;
    };
    let mut map = match node {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let child = map.remove(first).unwrap_or_default();
    map.insert(first.clone(), with_path(child, rest, value));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::delta::apply;
    use serde_json::json;

    #[test]
    fn versions_increase_per_key_from_one_shared_counter() {
        let mut t = StateTable::new();
        let a1 = t
            .set("1.main.players", json!({"1": {"name": "A"}}))
            .unwrap();
        let b1 = t.set("1.main.server", json!({"players": 1})).unwrap();
        let a2 = t.set("1.main.players", json!({})).unwrap();
        assert_eq!((a1.version, b1.version, a2.version), (1, 2, 3));
        assert_eq!(t.get("1.main.players").unwrap().0, 3);
        assert_eq!(*t.get("1.main.players").unwrap().1, json!({}));
        assert_eq!(t.get("1.main.server").unwrap().0, 2);
        assert_eq!(t.get("1.other.server"), None);
    }

    #[test]
    fn the_first_write_is_one_add_at_the_root() {
        let mut t = StateTable::new();
        let p = t.set("k", json!({"a": 1})).unwrap();
        assert_eq!(p.key, "k");
        assert_eq!(apply(&Value::Null, &p.ops).unwrap(), json!({"a": 1}));
        assert_eq!(p.ops.len(), 1);
        assert_eq!(p.ops[0].path, "/");
    }

    #[test]
    fn a_write_that_changes_nothing_takes_no_version() {
        let mut t = StateTable::new();
        assert_eq!(t.set("k", Value::Null), None);
        assert_eq!(t.get("k"), None);
        t.set("k", json!({"a": 1})).unwrap();
        assert_eq!(t.set("k", json!({"a": 1})), None);
        assert_eq!(t.get("k").unwrap().0, 1);
        assert_eq!(t.set("other", json!(1)).unwrap().version, 2);
        let replay = t_ops(&t, "k", 0);
        assert_eq!(replay.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [1]);
    }

    fn t_ops(t: &StateTable, key: &str, since: u64) -> Vec<(u64, Arc<Vec<Op>>)> {
        match t.since(key, since) {
            Resume::Replay(list) => list,
            Resume::SnapshotOnly => panic!("expected a replay"),
        }
    }

    #[test]
    fn since_replays_exactly_the_newer_deltas_in_order() {
        let mut t = StateTable::new();
        let mut published = Vec::new();
        for i in 0..10 {
            published.push(t.set("k", json!({"n": i})).unwrap());
            t.set("noise", json!(i)).unwrap();
        }
        let at = published[3].version;
        let replay = t_ops(&t, "k", at);
        let expected: Vec<_> = published[4..]
            .iter()
            .map(|p| (p.version, Arc::clone(&p.ops)))
            .collect();
        assert_eq!(replay, expected);
        // replaying onto the value at `at` gives the current value
        let mut value = json!({"n": 3});
        for (_, ops) in &replay {
            value = apply(&value, ops).unwrap();
        }
        assert_eq!(value, *t.get("k").unwrap().1);
        // up to date: an empty replay; a version between two of the key's works too
        assert_eq!(
            t.since("k", published[9].version),
            Resume::Replay(Vec::new())
        );
        assert_eq!(t_ops(&t, "k", published[3].version + 1), expected);
        // a version the table never reached, or an unknown key: snapshot
        assert_eq!(
            t.since("k", published[9].version + 100),
            Resume::SnapshotOnly
        );
        assert_eq!(t.since("unknown", 0), Resume::SnapshotOnly);
    }

    #[test]
    fn the_ring_keeps_the_last_thousand_and_older_resumes_get_a_snapshot() {
        let mut t = StateTable::new();
        let versions: Vec<u64> = (0..=RING_CAPACITY)
            .map(|i| t.set("k", json!(i)).unwrap().version)
            .collect();
        assert_eq!(versions.len(), 1001);
        // the first delta is gone: a client at version 0 cannot be replayed to
        assert_eq!(t.since("k", 0), Resume::SnapshotOnly);
        // a client at the first version needs exactly the 1000 kept ones
        let replay = t_ops(&t, "k", versions[0]);
        assert_eq!(replay.len(), RING_CAPACITY);
        assert_eq!(replay[0].0, versions[1]);
        assert_eq!(replay.last().unwrap().0, versions[1000]);
        t.set("k", json!("more")).unwrap();
        assert_eq!(t.since("k", versions[0]), Resume::SnapshotOnly);
        assert_eq!(t_ops(&t, "k", versions[1]).len(), RING_CAPACITY);
    }

    #[test]
    fn the_budget_drops_the_oldest_deltas_across_keys() {
        let delta = ops_bytes(&diff(&json!({"n": 0}), &json!({"n": 1})));
        // room for about four deltas of this size
        let mut t = StateTable::with_budget(4 * delta + delta / 2);
        let a1 = t.set("a", json!({"n": 0})).unwrap().version;
        let mut last = 0;
        for i in 1..=6 {
            last = t.set("a", json!({"n": i})).unwrap().version;
            t.set("b", json!({"n": i})).unwrap();
            assert!(
                t.ring_bytes() <= t.budget,
                "{} > {}",
                t.ring_bytes(),
                t.budget
            );
        }
        // a's early history is gone, so resuming from it gets a snapshot ...
        assert_eq!(t.since("a", a1), Resume::SnapshotOnly);
        // ... while the newest deltas of both keys are kept
        assert_eq!(t_ops(&t, "a", last - 2).len(), 1);
        assert_eq!(t_ops(&t, "b", last - 1).len(), 1);
        // dropping a key gives its bytes back
        let before = t.ring_bytes();
        t.drop_key("a");
        assert!(t.ring_bytes() < before);
        t.drop_key("b");
        assert_eq!((t.ring_bytes(), t.kept), (0, 0));
    }

    #[test]
    fn the_age_order_does_not_grow_past_the_kept_deltas() {
        let mut t = StateTable::new();
        for i in 0..(3 * RING_CAPACITY) {
            t.set("k", json!(i)).unwrap();
            assert!(t.age_order.len() <= 2 * t.kept + 65);
        }
        assert_eq!(t.kept, RING_CAPACITY);
        let mut t = StateTable::with_budget(0);
        for i in 0..1000 {
            t.set(&format!("k{}", i % 7), json!(i)).unwrap();
        }
        assert_eq!((t.ring_bytes(), t.kept, t.age_order.len()), (0, 0, 0));
        // the newest value is still there, and a client at it is up to date
        let (version, value) = t.get("k6").unwrap();
        assert_eq!(*value, json!(993));
        assert_eq!(t.since("k6", version), Resume::Replay(Vec::new()));
    }

    #[test]
    fn presence_paths_are_set_and_removed() {
        let mut t = StateTable::new();
        let p = t
            .set_path("1.main.viewers", "/42", json!({"name": "A"}))
            .unwrap();
        assert_eq!(*p.value, json!({"42": {"name": "A"}}));
        let p = t
            .set_path("1.main.viewers", "/43", json!({"name": "B"}))
            .unwrap();
        assert_eq!(p.ops.len(), 1);
        assert_eq!(p.ops[0].path, "/43");
        // same value again: no change
        assert_eq!(
            t.set_path("1.main.viewers", "/43", json!({"name": "B"})),
            None
        );
        // nested, with intermediate objects over a scalar
        t.set("k", json!({"a": 1})).unwrap();
        let p = t.set_path("k", "/a/b~1c", json!(true)).unwrap();
        assert_eq!(*p.value, json!({"a": {"b/c": true}}));

        let p = t.remove_path("1.main.viewers", "/42").unwrap();
        assert_eq!(*p.value, json!({"43": {"name": "B"}}));
        assert_eq!(p.ops.len(), 1);
        assert_eq!(p.ops[0].path, "/42");
        assert_eq!(t.remove_path("1.main.viewers", "/42"), None);
        assert_eq!(t.remove_path("k", "/a/b~1c/d"), None);
        assert_eq!(t.remove_path("missing", "/42"), None);
        assert!(t.remove_path("k", "/a/b~1c").is_some());
        // not a path below the root
        assert_eq!(t.set_path("k", "/", json!(1)), None);
        assert_eq!(t.set_path("k", "a", json!(1)), None);
        assert_eq!(t.remove_path("k", "/"), None);
    }

    #[test]
    fn a_dropped_key_is_gone() {
        let mut t = StateTable::new();
        t.set("k", json!(1)).unwrap();
        t.drop_key("k");
        assert_eq!(t.get("k"), None);
        assert_eq!(t.since("k", 1), Resume::SnapshotOnly);
        assert_eq!(t.set("k", json!(1)).unwrap().version, 2);
    }
}
