//! Spawned vehicles (`GET /v1/server/vehicles`, v2 `Vehicles`).

use serde::{Deserialize, Serialize};

use super::Extra;

/// A spawned vehicle. v1 has no plate or colour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    /// `"<year> <model>"`.
    #[serde(rename = "Name")]
    pub name: String,
    /// The owner's plain username (no id).
    #[serde(rename = "Owner")]
    pub owner: String,
    /// Livery; `None` (PRC's `null`) means the standard one.
    #[serde(rename = "Texture", default, skip_serializing_if = "Option::is_none")]
    pub texture: Option<String>,
    /// Licence plate (v2 only).
    #[serde(rename = "Plate", default, skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
    /// Paint colour as a hex code such as `#1F2A44` (v2 only).
    #[serde(rename = "ColorHex", default, skip_serializing_if = "Option::is_none")]
    pub color_hex: Option<String>,
    /// Paint colour's name such as `Navy` (v2 only).
    #[serde(rename = "ColorName", default, skip_serializing_if = "Option::is_none")]
    pub color_name: Option<String>,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_v1_and_v2_vehicles() {
        let v1: Vec<Vehicle> = serde_json::from_str(
            r#"[{"Texture":"Standard","Name":"2019 Falcon Interceptor Utility","Owner":"Avery_Cole"},
                {"Texture":null,"Name":"2015 Bullhorn Prancer","Owner":"minty_pretzel"}]"#,
        )
        .unwrap();
        assert_eq!(v1[0].texture.as_deref(), Some("Standard"));
        assert_eq!(v1[0].plate, None);
        assert_eq!(v1[1].texture, None);

        let v2: Vehicle = serde_json::from_str(
            r##"{"Name":"2019 Falcon Interceptor Utility","Owner":"Avery_Cole","Plate":"RCP 118",
                "Texture":"Standard","ColorHex":"#1F2A44","ColorName":"Navy"}"##,
        )
        .unwrap();
        assert_eq!(v2.plate.as_deref(), Some("RCP 118"));
        assert_eq!(v2.color_hex.as_deref(), Some("#1F2A44"));
        assert_eq!(v2.color_name.as_deref(), Some("Navy"));
        assert_eq!(v2.owner, "Avery_Cole");
    }

    #[test]
    fn owner_must_be_a_string() {
        assert!(serde_json::from_str::<Vehicle>(r#"{"Name":"x","Owner":12}"#).is_err());
    }
}
