//! SODP deltas: the ADD/UPDATE/REMOVE ops that move a state key from one value to the next,
//! how the server computes them ([`diff`]) and how a client applies them ([`apply`]).
//!
//! Paths are JSON Pointers, except that `/` alone is the root (SODP's rule). Object keys are
//! escaped as RFC 6901 says (`~` as `~0`, `/` as `~1`) and [`apply`] unescapes them. The
//! published Python client splits paths on `/` without unescaping, so keys holding `/` or `~`
//! reach it mangled; the bot's keys are Roblox and Discord ids, which hold neither.

use serde::Serialize;
use serde_json::{Map, Value};

/// What an op does. Serialized upper-case; anything else is refused, never skipped, because
/// a client that skips an op silently diverges from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OpKind {
    /// A new field, an append (`-`), or the first value of a key (at `/`).
    Add,
    /// A changed field, a whole array, or the whole value (at `/`).
    Update,
    /// A gone field, a popped (`-`) or spliced array element, or the key itself (at `/`).
    Remove,
}

impl OpKind {
    /// The wire name: `ADD`, `UPDATE` or `REMOVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "ADD",
            Self::Update => "UPDATE",
            Self::Remove => "REMOVE",
        }
    }
}

/// One op of a delta.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Op {
    /// What to do.
    pub op: OpKind,
    /// Where: a JSON Pointer, or `/` for the root.
    pub path: String,
    /// The new value for ADD and UPDATE (a missing one applies as null); `None` for REMOVE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// Why ops could not be read or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeltaError {
    /// The op name is not ADD, UPDATE or REMOVE (case matters).
    #[error("`{0}` is not a delta op (expected ADD, UPDATE or REMOVE)")]
    UnknownOp(String),
    /// The path does not start with `/`, or has a `~` not followed by 0 or 1.
    #[error("`{0}` is not a JSON Pointer path")]
    BadPath(String),
    /// The ops are not a list of objects with a string `op` and `path`.
    #[error("the ops are not valid: {0}")]
    NotOps(&'static str),
}

/// The ops that turn `old` into `new`, by SODP's rules: no change gives no ops; a first value
/// (old null) is one ADD at `/`; a value going to null is one REMOVE at `/`; objects are
/// compared key by key (new keys ADD, gone keys REMOVE, changed keys recurse when both sides
/// are objects, else UPDATE the whole child); arrays and scalars are replaced whole (UPDATE).
pub fn diff(old: &Value, new: &Value) -> Vec<Op> {
    if old == new {
        return Vec::new();
    }
    if old.is_null() {
        return vec![Op::set(OpKind::Add, "/".into(), new.clone())];
    }
    if new.is_null() {
        return vec![Op::remove("/".into())];
    }
    match (old, new) {
        // The root's child named "" would have the path "/", which SODP reads as the root
        // itself; such a change is sent as the whole new value instead.
        (Value::Object(o), Value::Object(n)) if o.get("") == n.get("") => {
            let mut ops = Vec::new();
            diff_objects("", o, n, &mut ops);
            ops
        }
        _ => vec![Op::set(OpKind::Update, "/".into(), new.clone())],
    }
}

fn diff_objects(
    prefix: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    ops: &mut Vec<Op>,
) {
    for (key, new_value) in new {
        let path = child_path(prefix, key);
        match old.get(key) {
            None => ops.push(Op::set(OpKind::Add, path, new_value.clone())),
            Some(old_value) if old_value == new_value => {}
            Some(Value::Object(o)) if new_value.is_object() => {
                if let Value::Object(n) = new_value {
                    diff_objects(&path, o, n, ops);
                }
            }
            Some(_) => ops.push(Op::set(OpKind::Update, path, new_value.clone())),
        }
    }
    for key in old.keys().filter(|k| !new.contains_key(*k)) {
        ops.push(Op::remove(child_path(prefix, key)));
    }
}

fn child_path(prefix: &str, key: &str) -> String {
    let mut path = String::with_capacity(prefix.len() + key.len() + 1);
    path.push_str(prefix);
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
    path
}

impl Op {
    fn set(op: OpKind, path: String, value: Value) -> Self {
        Self {
            op,
            path,
            value: Some(value),
        }
    }

    fn remove(path: String) -> Self {
        Self {
            op: OpKind::Remove,
            path,
            value: None,
        }
    }
}

/// `state` after `ops`, in order. `state` is not changed. Follows the published SODP client:
/// a root op replaces the value (REMOVE makes it null); missing or scalar nodes on the way
/// become an array when the next segment is `-` or a number, else an object; `-` appends
/// (REMOVE pops); a number indexes an array (ADD/UPDATE set or, one past the end, append;
/// REMOVE splices); removing a missing field, or indexing past an array's end, does nothing.
pub fn apply(state: &Value, ops: &[Op]) -> Result<Value, DeltaError> {
    let mut root = state.clone();
    for op in ops {
        let parts = parse_path(&op.path)?;
        let Some((last, _)) = parts.split_last() else {
            root = match op.op {
                OpKind::Remove => Value::Null,
                OpKind::Add | OpKind::Update => op.value.clone().unwrap_or(Value::Null),
            };
            continue;
        };
        if !is_container(&root) {
            root = container_for(&parts[0]);
        }
        if let Some(parent) = parent_of(&mut root, &parts) {
            apply_last(parent, last, op);
        }
    }
    Ok(root)
}

/// `/` is the root (no segments); otherwise `/a/b` is `["a", "b"]`, unescaped.
pub(super) fn parse_path(path: &str) -> Result<Vec<String>, DeltaError> {
    if path == "/" {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(DeltaError::BadPath(path.to_owned()));
    };
    rest.split('/')
        .map(|segment| unescape(segment).ok_or_else(|| DeltaError::BadPath(path.to_owned())))
        .collect()
}

fn unescape(segment: &str) -> Option<String> {
    if !segment.contains('~') {
        return Some(segment.to_owned());
    }
    let mut out = String::with_capacity(segment.len());
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn is_container(value: &Value) -> bool {
    value.is_object() || value.is_array()
}

/// The empty container a segment implies: an array for `-` or an index, else an object.
fn container_for(segment: &str) -> Value {
    if segment == "-" || as_index(segment).is_some() {
        Value::Array(Vec::new())
    } else {
        Value::Object(Map::new())
    }
}

fn as_index(segment: &str) -> Option<usize> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

/// The node holding the path's last segment, creating containers on the way; `None` when
/// the way is blocked (an index past an array's end), and then the op does nothing.
fn parent_of<'a>(root: &'a mut Value, parts: &[String]) -> Option<&'a mut Value> {
    let mut node = root;
    for (i, key) in parts[..parts.len() - 1].iter().enumerate() {
        let child = match node {
            Value::Array(list) => list.get_mut(as_index(key)?)?,
            Value::Object(map) => map.entry(key.clone()).or_insert(Value::Null),
            _ => return None,
        };
        if !is_container(child) {
            *child = container_for(&parts[i + 1]);
        }
        node = child;
    }
    Some(node)
}

fn apply_last(node: &mut Value, last: &str, op: &Op) {
    let value = || op.value.clone().unwrap_or(Value::Null);
    match node {
        Value::Array(list) if last == "-" => match op.op {
            OpKind::Add | OpKind::Update => list.push(value()),
            OpKind::Remove => {
                list.pop();
            }
        },
        Value::Array(list) => {
            let Some(idx) = as_index(last) else { return };
            match op.op {
                OpKind::Add | OpKind::Update if idx < list.len() => list[idx] = value(),
                OpKind::Add | OpKind::Update if idx == list.len() => list.push(value()),
                OpKind::Remove if idx < list.len() => {
                    list.remove(idx);
                }
                _ => {}
            }
        }
        Value::Object(map) => match op.op {
            OpKind::Add | OpKind::Update => {
                map.insert(last.to_owned(), value());
            }
            OpKind::Remove => {
                map.remove(last);
            }
        },
        _ => {}
    }
}

/// Read the `ops` list of a DELTA body (`body["ops"]`), refusing unknown op names.
pub fn ops_from_json(v: &Value) -> Result<Vec<Op>, DeltaError> {
    let list = v
        .as_array()
        .ok_or(DeltaError::NotOps("they are not a list"))?;
    list.iter()
        .map(|item| {
            let obj = item
                .as_object()
                .ok_or(DeltaError::NotOps("an op is not an object"))?;
            let name = obj
                .get("op")
                .and_then(Value::as_str)
                .ok_or(DeltaError::NotOps("an op has no string `op`"))?;
            let op = [OpKind::Add, OpKind::Update, OpKind::Remove]
                .into_iter()
                .find(|kind| kind.as_str() == name)
                .ok_or_else(|| DeltaError::UnknownOp(name.chars().take(32).collect()))?;
            let path = obj
                .get("path")
                .and_then(Value::as_str)
                .ok_or(DeltaError::NotOps("an op has no string `path`"))?
                .to_owned();
            let value = match op {
                OpKind::Remove => None,
                OpKind::Add | OpKind::Update => obj.get("value").cloned(),
            };
            Ok(Op { op, path, value })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ops(v: Value) -> Vec<Op> {
        ops_from_json(&v).unwrap()
    }

    fn run(state: Value, list: Value) -> Value {
        apply(&state, &ops(list)).unwrap()
    }

    // ── apply: the cases of the published client's test_delta.py ──

    #[test]
    fn root_add_update_remove() {
        assert_eq!(
            run(
                Value::Null,
                json!([{"op": "ADD", "path": "/", "value": {"a": 1}}])
            ),
            json!({"a": 1})
        );
        assert_eq!(
            run(
                json!({"a": 1}),
                json!([{"op": "UPDATE", "path": "/", "value": 5}])
            ),
            json!(5)
        );
        assert_eq!(
            run(json!({"a": 1}), json!([{"op": "REMOVE", "path": "/"}])),
            Value::Null
        );
    }

    #[test]
    fn field_add_update_remove() {
        let s = json!({"a": 1, "b": 2});
        assert_eq!(
            run(s.clone(), json!([{"op": "ADD", "path": "/c", "value": 3}])),
            json!({"a": 1, "b": 2, "c": 3})
        );
        assert_eq!(
            run(
                s.clone(),
                json!([{"op": "UPDATE", "path": "/a", "value": 9}])
            ),
            json!({"a": 9, "b": 2})
        );
        assert_eq!(
            run(s.clone(), json!([{"op": "REMOVE", "path": "/b"}])),
            json!({"a": 1})
        );
        assert_eq!(run(s.clone(), json!([{"op": "REMOVE", "path": "/zzz"}])), s);
    }

    #[test]
    fn nested_update_and_intermediate_objects() {
        let s = json!({"p": {"x": 1, "y": 2}});
        assert_eq!(
            run(s, json!([{"op": "UPDATE", "path": "/p/x", "value": 7}])),
            json!({"p": {"x": 7, "y": 2}})
        );
        assert_eq!(
            run(
                json!({}),
                json!([{"op": "ADD", "path": "/a/b/c", "value": true}])
            ),
            json!({"a": {"b": {"c": true}}})
        );
        // a scalar on the way is replaced by the container the next segment implies
        assert_eq!(
            run(
                json!({"a": 1}),
                json!([{"op": "ADD", "path": "/a/b", "value": 2}])
            ),
            json!({"a": {"b": 2}})
        );
    }

    #[test]
    fn ops_apply_in_order_and_empty_ops_change_nothing() {
        let list = json!([
            {"op": "ADD", "path": "/a", "value": 1},
            {"op": "UPDATE", "path": "/a", "value": 2},
            {"op": "ADD", "path": "/b", "value": {"c": 1}},
            {"op": "REMOVE", "path": "/b/c"},
        ]);
        assert_eq!(run(json!({}), list), json!({"a": 2, "b": {}}));
        let s = json!({"k": [1, 2]});
        assert_eq!(apply(&s, &[]).unwrap(), s);
    }

    #[test]
    fn input_is_never_mutated_nested_objects_and_arrays_too() {
        let s = json!({"a": {"b": {"c": 1}}, "l": [1, [2, 3]]});
        let before = s.clone();
        let out = run(
            s.clone(),
            json!([
                {"op": "UPDATE", "path": "/a/b/c", "value": 2},
                {"op": "ADD", "path": "/l/-", "value": 4},
                {"op": "REMOVE", "path": "/l/1/0"},
            ]),
        );
        assert_eq!(s, before);
        assert_eq!(out, json!({"a": {"b": {"c": 2}}, "l": [1, [3], 4]}));
    }

    #[test]
    fn dash_appends_at_root_and_nested_in_order_and_remove_pops() {
        assert_eq!(
            run(json!([1]), json!([{"op": "ADD", "path": "/-", "value": 2}])),
            json!([1, 2])
        );
        assert_eq!(
            run(
                json!({"items": []}),
                json!([
                    {"op": "ADD", "path": "/items/-", "value": "a"},
                    {"op": "ADD", "path": "/items/-", "value": "b"},
                    {"op": "ADD", "path": "/items/-", "value": "c"},
                ])
            ),
            json!({"items": ["a", "b", "c"]})
        );
        assert_eq!(
            run(json!([1, 2, 3]), json!([{"op": "REMOVE", "path": "/-"}])),
            json!([1, 2])
        );
        assert_eq!(
            run(json!([]), json!([{"op": "REMOVE", "path": "/-"}])),
            json!([])
        );
    }

    #[test]
    fn numeric_index_updates_and_splices() {
        assert_eq!(
            run(
                json!([1, 2, 3]),
                json!([{"op": "UPDATE", "path": "/1", "value": 9}])
            ),
            json!([1, 9, 3])
        );
        assert_eq!(
            run(json!([1, 2, 3]), json!([{"op": "REMOVE", "path": "/0"}])),
            json!([2, 3])
        );
        assert_eq!(
            run(json!([1]), json!([{"op": "ADD", "path": "/1", "value": 2}])),
            json!([1, 2])
        );
        // past the end: nothing
        assert_eq!(
            run(
                json!([1]),
                json!([{"op": "UPDATE", "path": "/5", "value": 2}])
            ),
            json!([1])
        );
        assert_eq!(
            run(
                json!([1]),
                json!([{"op": "ADD", "path": "/5/x", "value": 2}])
            ),
            json!([1])
        );
        // a numeric key of an object is a key (Roblox ids key the players object)
        assert_eq!(
            run(json!({}), json!([{"op": "ADD", "path": "/42", "value": 1}])),
            json!({"42": 1})
        );
    }

    #[test]
    fn unknown_and_lower_case_op_names_are_refused() {
        for name in ["add", "FOO", "replace", ""] {
            assert_eq!(
                ops_from_json(&json!([{"op": name, "path": "/a", "value": 1}])),
                Err(DeltaError::UnknownOp(name.into())),
                "{name}"
            );
        }
        assert!(matches!(
            ops_from_json(&json!({"op": "ADD"})),
            Err(DeltaError::NotOps(_))
        ));
        assert!(matches!(
            ops_from_json(&json!([{"path": "/a"}])),
            Err(DeltaError::NotOps(_))
        ));
        assert!(matches!(
            ops_from_json(&json!([{"op": "ADD"}])),
            Err(DeltaError::NotOps(_))
        ));
    }

    #[test]
    fn null_state_becomes_the_container_the_path_implies() {
        assert_eq!(
            run(
                Value::Null,
                json!([{"op": "ADD", "path": "/-", "value": 1}])
            ),
            json!([1])
        );
        assert_eq!(
            run(
                Value::Null,
                json!([{"op": "ADD", "path": "/0", "value": 1}])
            ),
            json!([1])
        );
        assert_eq!(
            run(
                Value::Null,
                json!([{"op": "ADD", "path": "/items/-", "value": 1}])
            ),
            json!({"items": [1]})
        );
        assert_eq!(
            run(
                Value::Null,
                json!([{"op": "ADD", "path": "/name", "value": "x"}])
            ),
            json!({"name": "x"})
        );
    }

    #[test]
    fn bad_paths_are_refused() {
        for path in ["", "a", "a/b", "/a~2", "/a~"] {
            let op = Op::set(OpKind::Add, path.into(), json!(1));
            assert_eq!(
                apply(&json!({}), &[op]),
                Err(DeltaError::BadPath(path.into())),
                "{path}"
            );
        }
    }

    #[test]
    fn ops_serialize_with_the_spec_names() {
        let list = vec![
            Op::set(OpKind::Add, "/a".into(), Value::Null),
            Op::remove("/b".into()),
        ];
        let wire = serde_json::to_value(&list).unwrap();
        assert_eq!(
            wire,
            json!([{"op": "ADD", "path": "/a", "value": null}, {"op": "REMOVE", "path": "/b"}])
        );
        assert_eq!(ops_from_json(&wire).unwrap(), list);
    }

    // ── diff: the reference server's cases ──

    #[test]
    fn diff_no_change_is_empty() {
        assert!(diff(&json!({"a": [1, {"b": 2}]}), &json!({"a": [1, {"b": 2}]})).is_empty());
        assert!(diff(&Value::Null, &Value::Null).is_empty());
    }

    #[test]
    fn diff_update_add_remove() {
        assert_eq!(
            diff(&json!({"a": 1}), &json!({"a": 2})),
            ops(json!([{"op": "UPDATE", "path": "/a", "value": 2}]))
        );
        assert_eq!(
            diff(&json!({"a": 1}), &json!({"a": 1, "b": 2})),
            ops(json!([{"op": "ADD", "path": "/b", "value": 2}]))
        );
        assert_eq!(
            diff(&json!({"a": 1, "b": 2}), &json!({"a": 1})),
            ops(json!([{"op": "REMOVE", "path": "/b"}]))
        );
    }

    #[test]
    fn diff_recurses_into_objects_only() {
        assert_eq!(
            diff(
                &json!({"p": {"x": 1, "y": 2}}),
                &json!({"p": {"x": 1, "y": 3}})
            ),
            ops(json!([{"op": "UPDATE", "path": "/p/y", "value": 3}]))
        );
        // arrays are atomic
        assert_eq!(
            diff(&json!({"l": [1, 2, 3]}), &json!({"l": [1, 2, 4]})),
            ops(json!([{"op": "UPDATE", "path": "/l", "value": [1, 2, 4]}]))
        );
        // an object replaced by a scalar is one UPDATE
        assert_eq!(
            diff(&json!({"p": {"x": 1}}), &json!({"p": 1})),
            ops(json!([{"op": "UPDATE", "path": "/p", "value": 1}]))
        );
    }

    #[test]
    fn diff_three_changes() {
        let got = diff(
            &json!({"a": 1, "b": 2, "c": 3}),
            &json!({"a": 10, "c": 3, "d": 4}),
        );
        assert_eq!(got.len(), 3);
        assert!(got.contains(&Op::set(OpKind::Update, "/a".into(), json!(10))));
        assert!(got.contains(&Op::set(OpKind::Add, "/d".into(), json!(4))));
        assert!(got.contains(&Op::remove("/b".into())));
        assert_eq!(
            apply(&json!({"a": 1, "b": 2, "c": 3}), &got).unwrap(),
            json!({"a": 10, "c": 3, "d": 4})
        );
    }

    #[test]
    fn diff_root_cases() {
        assert_eq!(
            diff(&json!(1), &json!(2)),
            ops(json!([{"op": "UPDATE", "path": "/", "value": 2}]))
        );
        assert_eq!(
            diff(&Value::Null, &json!({"a": 1})),
            ops(json!([{"op": "ADD", "path": "/", "value": {"a": 1}}]))
        );
        assert_eq!(
            diff(&json!({"a": 1}), &Value::Null),
            ops(json!([{"op": "REMOVE", "path": "/"}]))
        );
        assert_eq!(
            diff(&json!([1]), &json!({"a": 1})),
            ops(json!([{"op": "UPDATE", "path": "/", "value": {"a": 1}}]))
        );
        // a root child named "" cannot be addressed, so the whole value goes
        assert_eq!(
            diff(&json!({"": 1, "a": 1}), &json!({"": 2, "a": 1})),
            ops(json!([{"op": "UPDATE", "path": "/", "value": {"": 2, "a": 1}}]))
        );
    }

    #[test]
    fn keys_with_slash_and_tilde_are_escaped_and_round_trip() {
        let old = json!({"a/b": 1, "c~d": {"e/~f": 1}});
        let new = json!({"a/b": 2, "c~d": {"e/~f": 2, "~": 0}});
        let got = diff(&old, &new);
        assert!(got.contains(&Op::set(OpKind::Update, "/a~1b".into(), json!(2))));
        assert!(got.contains(&Op::set(OpKind::Update, "/c~0d/e~1~0f".into(), json!(2))));
        assert!(got.contains(&Op::set(OpKind::Add, "/c~0d/~0".into(), json!(0))));
        assert_eq!(apply(&old, &got).unwrap(), new);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let key = prop::sample::select(vec![
            "a", "b", "c", "1", "0", "-", "a/b", "~", "~1", "x~0/", "",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-z]{0,4}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key.clone().prop_map(str::to_owned), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn apply_of_diff_gives_the_new_value(old in json_value(), new in json_value()) {
            let delta = diff(&old, &new);
            prop_assert_eq!(apply(&old, &delta).unwrap(), new.clone());
            prop_assert_eq!(delta.is_empty(), old == new);
            // what goes on the wire reads back the same
            let wire = serde_json::to_value(&delta).unwrap();
            prop_assert_eq!(ops_from_json(&wire).unwrap(), delta);
        }
    }
}
