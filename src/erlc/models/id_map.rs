//! `IdMap`: PRC's "user id → username" objects (staff lists, bans), which PRC sends as an empty
//! array `[]` instead of `{}` when empty.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Roblox user id → username, ordered by id. Decodes from `{"123":"name"}`, from `[]` and from
/// `null` (both meaning empty); always encodes as an object with string keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdMap(pub BTreeMap<u64, String>);

impl IdMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The map itself, user id → username.
    pub fn into_inner(self) -> BTreeMap<u64, String> {
        self.0
    }
}

impl Deref for IdMap {
    type Target = BTreeMap<u64, String>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl From<BTreeMap<u64, String>> for IdMap {
    fn from(map: BTreeMap<u64, String>) -> Self {
        Self(map)
    }
}

impl FromIterator<(u64, String)> for IdMap {
    fn from_iter<I: IntoIterator<Item = (u64, String)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a IdMap {
    type Item = (&'a u64, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, u64, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Serialize for IdMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (id, name) in &self.0 {
            map.serialize_entry(&id.to_string(), name)?;
        }
        map.end()
    }
}

/// A map key that must be a user id: a string of ASCII digits, or an unsigned number.
struct UserIdKey(u64);

impl<'de> Deserialize<'de> for UserIdKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = UserIdKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Roblox user id")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<UserIdKey, E> {
                let digits_only = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
                match v.parse::<u64>() {
                    Ok(id) if digits_only => Ok(UserIdKey(id)),
                    _ => Err(E::custom(format!(
                        "the key {v:?} is not a Roblox user id (expected digits only)"
                    ))),
                }
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<UserIdKey, E> {
                Ok(UserIdKey(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<UserIdKey, E> {
                u64::try_from(v).map(UserIdKey).map_err(|_| {
                    E::custom(format!("the key {v} is not a Roblox user id (negative)"))
                })
            }
        }

        deserializer.deserialize_any(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for IdMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdMapVisitor;

        impl<'de> Visitor<'de> for IdMapVisitor {
            type Value = IdMap;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of user id → username, or an empty array")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<IdMap, A::Error> {
                let mut map = BTreeMap::new();
                while let Some(UserIdKey(id)) = access.next_key()? {
                    let name: String = access.next_value()?;
                    map.insert(id, name);
                }
                Ok(IdMap(map))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IdMap, A::Error> {
                match seq.next_element::<IgnoredAny>()? {
                    None => Ok(IdMap::new()),
                    Some(_) => Err(de::Error::custom(
                        "expected an object of user id → username; an array is only accepted when empty",
                    )),
                }
            }

            fn visit_unit<E: de::Error>(self) -> Result<IdMap, E> {
                Ok(IdMap::new())
            }

            fn visit_none<E: de::Error>(self) -> Result<IdMap, E> {
                Ok(IdMap::new())
            }
        }

        deserializer.deserialize_any(IdMapVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> Result<IdMap, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn decodes_objects_with_64_bit_ids() {
        let map = decode(r#"{"5873310294":"minty_pretzel","120948812":"spam_guy"}"#).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(
            map.get(&5_873_310_294).map(String::as_str),
            Some("minty_pretzel")
        );
        assert_eq!(
            map.keys().copied().collect::<Vec<_>>(),
            [120948812, 5873310294]
        );
    }

    #[test]
    fn empty_array_empty_object_and_null_are_all_empty() {
        for json in ["[]", "{}", "null", " [ ] "] {
            assert!(decode(json).unwrap().is_empty(), "{json}");
        }
    }

    #[test]
    fn non_numeric_key_is_an_error_naming_the_key() {
        let err = decode(r#"{"12":"a","abc":"b"}"#).unwrap_err();
        assert!(err.to_string().contains("\"abc\""), "{err}");
        for bad in [
            r#"{"":"a"}"#,
            r#"{"+5":"a"}"#,
            r#"{"-5":"a"}"#,
            r#"{" 5":"a"}"#,
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_shapes_are_errors() {
        for bad in [
            r#"["x"]"#,
            r#"[{"1":"a"}]"#,
            "7",
            "\"x\"",
            r#"{"1":5}"#,
            "true",
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encodes_as_an_object_with_string_keys_and_round_trips() {
        let map: IdMap = [(5_873_310_294, "minty_pretzel".to_owned())]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, r#"{"5873310294":"minty_pretzel"}"#);
        assert_eq!(decode(&json).unwrap(), map);
        assert_eq!(serde_json::to_string(&IdMap::new()).unwrap(), "{}");
    }
}
