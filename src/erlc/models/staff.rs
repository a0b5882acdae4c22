//! Staff lists (`GET /v1/server/staff`, v2 `Staff`) and the v1 ban list.

use serde::{Deserialize, Serialize};

use super::{Extra, IdMap};

/// `GET /v1/server/bans`: banned user id → username.
pub type Bans = IdMap;

/// `GET /v1/server/staff`. Co-owners are ids only; admins and mods map id → username.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StaffV1 {
    /// Roblox user ids of the co-owners.
    #[serde(rename = "CoOwners", default)]
    pub co_owners: Vec<u64>,
    /// Server administrators.
    #[serde(rename = "Admins", default)]
    pub admins: IdMap,
    /// Server moderators.
    #[serde(rename = "Mods", default)]
    pub mods: IdMap,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

/// v2 `Staff` section. Co-owners are in [`super::ServerInfo::co_owner_ids`] instead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StaffV2 {
    /// Server administrators.
    #[serde(rename = "Admins", default)]
    pub admins: IdMap,
    /// Server moderators.
    #[serde(rename = "Mods", default)]
    pub mods: IdMap,
    /// Server helpers (the lowest staff rank).
    #[serde(rename = "Helpers", default)]
    pub helpers: IdMap,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_v1_staff_example_with_empty_array_mods() {
        let staff: StaffV1 = serde_json::from_str(
            r#"{"CoOwners":[3371029946],"Admins":{"2419834401":"Avery_Cole"},"Mods":[]}"#,
        )
        .unwrap();
        assert_eq!(staff.co_owners, [3_371_029_946]);
        assert_eq!(
            staff.admins.get(&2_419_834_401).map(String::as_str),
            Some("Avery_Cole")
        );
        assert!(staff.mods.is_empty());
    }

    #[test]
    fn v2_staff_accepts_arrays_objects_and_missing_fields() {
        for json in [
            r#"{"Admins":[],"Mods":[],"Helpers":[]}"#,
            r#"{"Admins":{},"Mods":{},"Helpers":{}}"#,
            "{}",
        ] {
            let staff: StaffV2 = serde_json::from_str(json).unwrap();
            assert_eq!(staff, StaffV2::default(), "{json}");
        }
        let staff: StaffV2 = serde_json::from_str(
            r#"{"Admins":[],"Mods":{"5873310294":"minty_pretzel"},"Helpers":{"7":"h"}}"#,
        )
        .unwrap();
        assert_eq!(staff.mods.len(), 1);
        assert!(staff.mods.contains_key(&5_873_310_294));
        assert_eq!(staff.helpers.get(&7).map(String::as_str), Some("h"));
    }

    #[test]
    fn bans_accept_object_and_empty_array() {
        let bans: Bans =
            serde_json::from_str(r#"{"4412093357":"rdm_enjoyer","120948812":"spam_guy"}"#).unwrap();
        assert_eq!(
            bans.get(&4_412_093_357).map(String::as_str),
            Some("rdm_enjoyer")
        );
        assert!(serde_json::from_str::<Bans>("[]").unwrap().is_empty());
    }

    #[test]
    fn bad_staff_keys_are_errors() {
        let err = serde_json::from_str::<StaffV2>(r#"{"Admins":{"owner":"x"}}"#).unwrap_err();
        assert!(err.to_string().contains("\"owner\""), "{err}");
    }
}
