//! Log entries: joins/leaves, kills, commands and mod calls (v1 endpoints and v2 sections).

use serde::{Deserialize, Serialize};

use super::{Extra, PlayerRef};

/// A player joined (`join == true`) or left the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinLog {
    /// True for a join, false for a leave.
    #[serde(rename = "Join")]
    pub join: bool,
    /// Unix seconds.
    #[serde(rename = "Timestamp")]
    pub timestamp: i64,
    /// Who joined or left.
    #[serde(rename = "Player")]
    pub player: PlayerRef,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One player killed another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KillLog {
    /// Who died.
    #[serde(rename = "Killed")]
    pub killed: PlayerRef,
    /// Who killed them.
    #[serde(rename = "Killer")]
    pub killer: PlayerRef,
    /// Unix seconds.
    #[serde(rename = "Timestamp")]
    pub timestamp: i64,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A command someone ran, with its full text including the leading `:`. Commands sent through
/// the API show [`PlayerRef::remote_server`] as the player.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandLog {
    /// Who ran it; [`PlayerRef::remote_server`] for commands sent through the API.
    #[serde(rename = "Player")]
    pub player: PlayerRef,
    /// Unix seconds.
    #[serde(rename = "Timestamp")]
    pub timestamp: i64,
    /// The full command text, leading `:` included; untrusted text.
    #[serde(rename = "Command")]
    pub command: String,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A call for a moderator. `moderator` is set once a moderator responded (PRC omits the field
/// before that, or sends `null`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModCall {
    /// The player asking for a moderator.
    #[serde(rename = "Caller")]
    pub caller: PlayerRef,
    /// The moderator who responded; `None` until one does.
    #[serde(rename = "Moderator", default, skip_serializing_if = "Option::is_none")]
    pub moderator: Option<PlayerRef>,
    /// Unix seconds.
    #[serde(rename = "Timestamp")]
    pub timestamp: i64,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_join_kill_and_command_log_examples() {
        let joins: Vec<JoinLog> = serde_json::from_str(
            r#"[{"Join":true,"Timestamp":1767225600,"Player":"minty_pretzel:5873310294"},
                {"Join":false,"Timestamp":1767229200,"Player":"minty_pretzel:5873310294"}]"#,
        )
        .unwrap();
        assert!(joins[0].join && !joins[1].join);
        assert_eq!(joins[1].timestamp, 1_767_229_200);
        assert_eq!(joins[0].player.id, Some(5_873_310_294));

        let kills: Vec<KillLog> = serde_json::from_str(
            r#"[{"Killed":"minty_pretzel:5873310294","Timestamp":1767225720,"Killer":"Avery_Cole:2419834401"}]"#,
        )
        .unwrap();
        assert_eq!(kills[0].killer.name, "Avery_Cole");
        assert_eq!(kills[0].killed.name, "minty_pretzel");

        let commands: Vec<CommandLog> = serde_json::from_str(
            r#"[{"Player":"Avery_Cole:2419834401","Timestamp":1767225800,"Command":":wanted minty"},
                {"Player":"Remote Server","Timestamp":1767225830,"Command":":h Session starting"}]"#,
        )
        .unwrap();
        assert_eq!(commands[0].command, ":wanted minty");
        assert!(!commands[0].player.is_remote_server());
        assert!(commands[1].player.is_remote_server());
    }

    #[test]
    fn moderator_absent_null_or_present() {
        let calls: Vec<ModCall> = serde_json::from_str(
            r#"[{"Caller":"minty_pretzel:5873310294","Moderator":"Avery_Cole:2419834401","Timestamp":1767225900},
                {"Caller":"tow_truck_tim:3310945521","Timestamp":1767226010},
                {"Caller":"tow_truck_tim:3310945521","Moderator":null,"Timestamp":1767226020}]"#,
        )
        .unwrap();
        assert_eq!(
            calls[0].moderator,
            Some(PlayerRef::new("Avery_Cole", Some(2_419_834_401)))
        );
        assert_eq!(calls[1].moderator, None);
        assert_eq!(calls[2].moderator, None);
        assert_eq!(calls[1].caller.id, Some(3_310_945_521));
        let back = serde_json::to_string(&calls[1]).unwrap();
        assert!(!back.contains("Moderator"), "{back}");
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let json =
            r#"{"Killed":"a:1","Killer":"b:2","Timestamp":5,"Weapon":"Taser","Distance":12.5}"#;
        let kill: KillLog = serde_json::from_str(json).unwrap();
        assert_eq!(kill.extra.len(), 2);
        let back = serde_json::to_value(&kill).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(json).unwrap()
        );
    }

    #[test]
    fn malformed_entries_are_errors() {
        for bad in [
            r#"{"Join":"yes","Timestamp":1,"Player":"a:1"}"#,
            r#"{"Join":true,"Timestamp":1.5,"Player":"a:1"}"#,
            r#"{"Join":true,"Player":"a:1"}"#,
        ] {
            assert!(serde_json::from_str::<JoinLog>(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<ModCall>(r#"{"Caller":1,"Timestamp":1}"#).is_err());
    }
}
