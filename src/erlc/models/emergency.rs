//! Active 911 calls (v2 `EmergencyCalls`).

use serde::{Deserialize, Serialize};

use super::{Extra, Team};

/// An emergency call. `caller` and `players` are Roblox user ids, not player strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyCall {
    /// The service called (PRC may also send values such as `"ALL"`, kept in `Team::Other`).
    #[serde(rename = "Team")]
    pub team: Team,
    /// Roblox user id of the caller; `None` when PRC sends `null`.
    #[serde(rename = "Caller", default)]
    pub caller: Option<u64>,
    /// Responders; empty while nobody responds.
    #[serde(rename = "Players", default)]
    pub players: Vec<u64>,
    /// `[x, z]` in the same space as player locations; PRC often sends integers.
    #[serde(rename = "Position")]
    pub position: [f64; 2],
    /// Unix seconds.
    #[serde(rename = "StartedAt")]
    pub started_at: i64,
    /// Unique per call; matches webhook start and end events.
    #[serde(rename = "CallNumber")]
    pub call_number: i64,
    /// What the caller typed, if anything; untrusted text.
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// A readable place, e.g. `Harbor Road, Postal 307`, if PRC sent one.
    #[serde(
        rename = "PositionDescriptor",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub position_descriptor: Option<String>,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_integer_positions_and_64_bit_ids() {
        let call: EmergencyCall = serde_json::from_str(
            r#"{"Team":"Police","Caller":5873310294,"Players":[2419834401],"Position":[1018,-60],
                "StartedAt":1767226100,"CallNumber":17,"Description":"shots fired near the docks",
                "PositionDescriptor":"Harbor Road, Postal 307"}"#,
        )
        .unwrap();
        assert_eq!(call.team, Team::Police);
        assert_eq!(call.caller, Some(5_873_310_294));
        assert_eq!(call.players, [2_419_834_401]);
        assert_eq!(call.position, [1018.0, -60.0]);
        assert_eq!(call.call_number, 17);
        assert_eq!(
            call.position_descriptor.as_deref(),
            Some("Harbor Road, Postal 307")
        );
    }

    #[test]
    fn tolerates_null_caller_and_description_and_unknown_team() {
        let call: EmergencyCall = serde_json::from_str(
            r#"{"Team":"ALL","Caller":null,"Players":[],"Position":[-1.5,2.25],
                "StartedAt":1,"CallNumber":2,"Description":null,"PositionDescriptor":null}"#,
        )
        .unwrap();
        assert_eq!(call.team, Team::Other("ALL".into()));
        assert_eq!((call.caller, call.description), (None, None));
        assert_eq!(call.position, [-1.5, 2.25]);
    }

    #[test]
    fn wrong_position_shapes_are_errors() {
        for position in ["[1]", "[1,2,3]", "\"1,2\"", "null"] {
            let json = format!(
                r#"{{"Team":"Fire","Players":[],"Position":{position},"StartedAt":1,"CallNumber":2}}"#
            );
            assert!(
                serde_json::from_str::<EmergencyCall>(&json).is_err(),
                "{position}"
            );
        }
    }
}
