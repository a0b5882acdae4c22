//! The server status object (`GET /v1/server`, and the base of `GET /v2/server`) and the
//! player object (`GET /v1/server/players`, v2 `Players`).

use serde::{Deserialize, Serialize};

use super::{AccVerifiedReq, Extra, Permission, PlayerRef, Team};

/// Server status: the eight fields every server response carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The server's name as set in game; untrusted text.
    #[serde(rename = "Name")]
    pub name: String,
    /// Roblox user id of the server owner.
    #[serde(rename = "OwnerId")]
    pub owner_id: u64,
    /// Roblox user ids of the co-owners.
    #[serde(rename = "CoOwnerIds", default)]
    pub co_owner_ids: Vec<u64>,
    /// Players online now; 0 means the game has shut the server down.
    #[serde(rename = "CurrentPlayers")]
    pub current_players: u32,
    /// Player cap; more people wait in the queue.
    #[serde(rename = "MaxPlayers")]
    pub max_players: u32,
    /// Code players type to join; see [`ServerInfo::join_url`].
    #[serde(rename = "JoinKey")]
    pub join_key: String,
    /// Account verification a player needs before joining.
    #[serde(rename = "AccVerifiedReq")]
    pub acc_verified_req: AccVerifiedReq,
    /// Whether the game keeps team sizes balanced.
    #[serde(rename = "TeamBalance")]
    pub team_balance: bool,
    /// Fields this client does not know, kept so they survive a round trip. Inside
    /// [`super::V2Server`] this also holds the unknown top-level fields of the v2 response.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ServerInfo {
    /// The link that opens the game and joins this server.
    pub fn join_url(&self) -> String {
        format!("https://erlc.gg/join/{}", self.join_key)
    }
}

/// A player currently in the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Player {
    /// Username and user id.
    #[serde(rename = "Player")]
    pub player: PlayerRef,
    /// Staff rank on this server (`Normal` for everyone else).
    #[serde(rename = "Permission")]
    pub permission: Permission,
    /// Only non-civilian teams have one; PRC sends it absent or `null` otherwise.
    #[serde(rename = "Callsign", default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// Current team; `Jail` while jailed.
    #[serde(rename = "Team")]
    pub team: Team,
    /// v2 only; 0 means not wanted.
    #[serde(
        rename = "WantedStars",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub wanted_stars: Option<u32>,
    /// v2 only.
    #[serde(rename = "Location", default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where a player is (v2). Coordinates are world units; the origin is near the map centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// East–west coordinate in world units (negative is west).
    #[serde(rename = "LocationX")]
    pub location_x: f64,
    /// North–south coordinate in world units (negative is north).
    #[serde(rename = "LocationZ")]
    pub location_z: f64,
    /// Postal code of the area, as on the game map.
    #[serde(
        rename = "PostalCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub postal_code: Option<String>,
    /// Nearest street.
    #[serde(
        rename = "StreetName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub street_name: Option<String>,
    /// House or building number; PRC sends `""` when there is none.
    #[serde(
        rename = "BuildingNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub building_number: Option<String>,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1_SERVER: &str = r#"{"Name":"Riverside County RP","OwnerId":1842760391,
        "CoOwnerIds":[3371029946],"CurrentPlayers":27,"MaxPlayers":40,"JoinKey":"RCRPx",
        "AccVerifiedReq":"Email","TeamBalance":true}"#;

    #[test]
    fn decodes_the_v1_server_example() {
        let info: ServerInfo = serde_json::from_str(V1_SERVER).unwrap();
        assert_eq!(info.name, "Riverside County RP");
        assert_eq!(info.owner_id, 1_842_760_391);
        assert_eq!(info.co_owner_ids, [3_371_029_946]);
        assert_eq!((info.current_players, info.max_players), (27, 40));
        assert_eq!(info.acc_verified_req, AccVerifiedReq::Email);
        assert!(info.team_balance);
        assert!(info.extra.is_empty());
        assert_eq!(info.join_url(), "https://erlc.gg/join/RCRPx");
    }

    #[test]
    fn keeps_unknown_server_fields_and_writes_them_back() {
        let json = V1_SERVER.replace(
            "\"TeamBalance\":true",
            "\"TeamBalance\":true,\"VanityURL\":\"rcrp\"",
        );
        let info: ServerInfo = serde_json::from_str(&json).unwrap();
        assert_eq!(
            info.extra.get("VanityURL"),
            Some(&serde_json::json!("rcrp"))
        );
        let back: serde_json::Value = serde_json::to_value(&info).unwrap();
        let original: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn decodes_the_v1_players_example_with_callsign_absent() {
        let players: Vec<Player> = serde_json::from_str(
            r#"[{"Player":"Avery_Cole:2419834401","Permission":"Server Moderator","Callsign":"1A-12","Team":"Police"},
                {"Player":"minty_pretzel:5873310294","Permission":"Normal","Team":"Civilian"}]"#,
        )
        .unwrap();
        assert_eq!(players[0].callsign.as_deref(), Some("1A-12"));
        assert_eq!(players[0].permission, Permission::Moderator);
        assert_eq!(players[0].team, Team::Police);
        assert_eq!(players[1].callsign, None);
        assert_eq!(players[1].player.id, Some(5_873_310_294));
        assert_eq!(players[1].wanted_stars, None);
        assert_eq!(players[1].location, None);
    }

    #[test]
    fn callsign_null_is_none() {
        let p: Player = serde_json::from_str(
            r#"{"Player":"a:1","Permission":"Normal","Callsign":null,"Team":"Civilian"}"#,
        )
        .unwrap();
        assert_eq!(p.callsign, None);
    }

    #[test]
    fn malformed_players_are_errors_not_panics() {
        for bad in [
            r#"{"Player":5873310294,"Permission":"Normal","Team":"Civilian"}"#,
            r#"{"Permission":"Normal","Team":"Civilian"}"#,
            r#"{"Player":"a:1","Permission":"Normal","Team":"Civilian","Location":{"LocationX":"far"}}"#,
            r#"{"Player":"a:1","Permission":"Normal","Team":"Civilian","WantedStars":-1}"#,
            "[]",
        ] {
            assert!(serde_json::from_str::<Player>(bad).is_err(), "{bad}");
        }
    }
}
