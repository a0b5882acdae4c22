//! Whole-response tests: the documented v2 example, nested flatten behaviour, malformed input.

use serde_json::{Value, json};

use super::*;

const V2_EXAMPLE: &str = r##"{
  "Name":"Riverside County RP","OwnerId":1842760391,"CoOwnerIds":[3371029946],
  "CurrentPlayers":2,"MaxPlayers":40,"JoinKey":"RCRPx","AccVerifiedReq":"Disabled","TeamBalance":false,
  "Players":[
    {"Player":"Avery_Cole:2419834401","Permission":"Server Moderator","Callsign":"1A-12","Team":"Police",
     "WantedStars":0,"Location":{"LocationX":-412.7,"LocationZ":288.1,"PostalCode":"214",
     "StreetName":"Elm Street","BuildingNumber":"1180"}},
    {"Player":"minty_pretzel:5873310294","Permission":"Normal","Callsign":null,"Team":"Civilian",
     "WantedStars":3,"Location":{"LocationX":1021.4,"LocationZ":-55.9,"PostalCode":"307",
     "StreetName":"Harbor Road","BuildingNumber":""}}
  ],
  "Staff":{"Admins":{"2419834401":"Avery_Cole"},"Mods":[],"Helpers":[]},
  "Queue":[991204331, 5873310294],
  "EmergencyCalls":[
    {"Team":"Police","Caller":5873310294,"Players":[2419834401],"Position":[1018,-60],
     "StartedAt":1767226100,"CallNumber":17,"Description":"shots fired near the docks",
     "PositionDescriptor":"Harbor Road, Postal 307"}
  ],
  "Vehicles":[
    {"Name":"2019 Falcon Interceptor Utility","Owner":"Avery_Cole","Plate":"RCP 118",
     "Texture":"Standard","ColorHex":"#1F2A44","ColorName":"Navy"}
  ]
}"##;

#[test]
fn decodes_the_v2_example() {
    let server: V2Server = serde_json::from_str(V2_EXAMPLE).unwrap();
    assert_eq!(server.info.name, "Riverside County RP");
    assert_eq!(server.info.acc_verified_req, AccVerifiedReq::Disabled);
    assert!(server.extra().is_empty(), "{:?}", server.extra());

    let players = server.players.as_deref().unwrap();
    assert_eq!(players.len(), 2);
    assert_eq!(players[0].wanted_stars, Some(0));
    let location = players[0].location.as_ref().unwrap();
    assert_eq!((location.location_x, location.location_z), (-412.7, 288.1));
    assert_eq!(location.street_name.as_deref(), Some("Elm Street"));
    assert_eq!(players[1].callsign, None);
    assert_eq!(players[1].player.id, Some(5_873_310_294));
    assert_eq!(
        players[1]
            .location
            .as_ref()
            .unwrap()
            .building_number
            .as_deref(),
        Some("")
    );

    let staff = server.staff.as_ref().unwrap();
    assert_eq!(staff.admins.len(), 1);
    assert!(staff.mods.is_empty() && staff.helpers.is_empty());
    assert_eq!(
        server.queue.as_deref(),
        Some(&[991_204_331, 5_873_310_294][..])
    );
    assert_eq!(server.emergency_calls.as_ref().unwrap()[0].call_number, 17);
    assert_eq!(
        server.vehicles.as_ref().unwrap()[0].plate.as_deref(),
        Some("RCP 118")
    );

    // Sections that were not requested are None, not empty.
    assert!(server.join_logs.is_none());
    assert!(server.kill_logs.is_none());
    assert!(server.command_logs.is_none());
    assert!(server.mod_calls.is_none());
}

#[test]
fn v2_round_trips_through_json() {
    let server: V2Server = serde_json::from_str(V2_EXAMPLE).unwrap();
    let written = serde_json::to_value(&server).unwrap();
    assert_eq!(
        serde_json::from_value::<V2Server>(written.clone()).unwrap(),
        server
    );

    // What changes on the way back are only PRC's spellings of "nothing" and integer floats.
    let mut expected: Value = serde_json::from_str(V2_EXAMPLE).unwrap();
    let second_player = expected["Players"][1].as_object_mut().unwrap();
    assert_eq!(second_player.remove("Callsign"), Some(Value::Null));
    expected["Staff"]["Mods"] = json!({});
    expected["Staff"]["Helpers"] = json!({});
    expected["EmergencyCalls"][0]["Position"] = json!([1018.0, -60.0]);
    assert_eq!(written, expected);
}

#[test]
fn v2_unknown_fields_land_once_at_each_level() {
    let mut body: Value = serde_json::from_str(V2_EXAMPLE).unwrap();
    body["ServerRegion"] = json!("EU");
    body["Bonus"] = json!({"nested": [1, 2]});
    body["Players"][0]["Vip"] = json!(true);
    body["Staff"]["Trainees"] = json!([]);
    body["Players"][0]["Location"]["Zone"] = json!("North");

    let server: V2Server = serde_json::from_value(body.clone()).unwrap();
    let keys: Vec<&String> = server.extra().keys().collect();
    assert_eq!(keys, ["Bonus", "ServerRegion"]);
    let players = server.players.as_ref().unwrap();
    assert_eq!(players[0].extra.get("Vip"), Some(&json!(true)));
    assert!(players[1].extra.is_empty());
    assert_eq!(
        players[0].location.as_ref().unwrap().extra.get("Zone"),
        Some(&json!("North"))
    );
    assert_eq!(server.staff.as_ref().unwrap().extra.len(), 1);

    // Written back exactly once: the serialised object has the same keys as the input.
    let text = serde_json::to_string(&server).unwrap();
    assert_eq!(text.matches("\"ServerRegion\"").count(), 1);
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        back.as_object().unwrap().len(),
        body.as_object().unwrap().len()
    );
    assert_eq!(back["Bonus"], body["Bonus"]);
}

#[test]
fn v2_with_only_base_fields_has_every_section_none() {
    let server: V2Server = serde_json::from_str(
        r#"{"Name":"x","OwnerId":5873310294,"CoOwnerIds":[],"CurrentPlayers":0,"MaxPlayers":40,
            "JoinKey":"k","AccVerifiedReq":"Phone/ID","TeamBalance":true}"#,
    )
    .unwrap();
    assert_eq!(server.info.owner_id, 5_873_310_294);
    assert_eq!(server.info.acc_verified_req, AccVerifiedReq::PhoneId);
    assert!(server.players.is_none() && server.staff.is_none() && server.queue.is_none());
    assert!(server.emergency_calls.is_none() && server.vehicles.is_none());
}

#[test]
fn malformed_v2_bodies_are_errors_not_panics() {
    let mut not_array: Value = serde_json::from_str(V2_EXAMPLE).unwrap();
    not_array["Players"] = json!({"Player": "a:1"});
    let mut numeric_player: Value = serde_json::from_str(V2_EXAMPLE).unwrap();
    numeric_player["Players"][0]["Player"] = json!(2419834401u64);
    let mut missing_base: Value = serde_json::from_str(V2_EXAMPLE).unwrap();
    missing_base.as_object_mut().unwrap().remove("OwnerId");
    let mut bad_staff: Value = serde_json::from_str(V2_EXAMPLE).unwrap();
    bad_staff["Staff"]["Mods"] = json!(["x"]);
    let mut negative_queue: Value = serde_json::from_str(V2_EXAMPLE).unwrap();
    negative_queue["Queue"] = json!([-1]);

    for body in [
        not_array,
        numeric_player,
        missing_base,
        bad_staff,
        negative_queue,
    ] {
        let text = body.to_string();
        assert!(serde_json::from_str::<V2Server>(&text).is_err(), "{text}");
    }
    for text in ["", "[]", "null", "{", "\"x\""] {
        assert!(serde_json::from_str::<V2Server>(text).is_err(), "{text:?}");
    }
}

#[test]
fn command_response_reads_message_and_command_id() {
    let ok: CommandResponse = serde_json::from_str(r#"{"message":"Success"}"#).unwrap();
    assert_eq!(ok.message.as_deref(), Some("Success"));
    assert_eq!(ok.command_id, None);
    let with_id: CommandResponse =
        serde_json::from_str(r#"{"message":"Success","commandId":"c-91","queued":false}"#).unwrap();
    assert_eq!(with_id.command_id.as_deref(), Some("c-91"));
    assert_eq!(with_id.extra.get("queued"), Some(&json!(false)));
    assert_eq!(
        serde_json::to_value(&with_id).unwrap(),
        json!({"message":"Success","commandId":"c-91","queued":false})
    );
    assert_eq!(
        serde_json::from_str::<CommandResponse>("{}").unwrap(),
        CommandResponse::default()
    );
}

#[test]
fn v1_queue_and_lists_use_64_bit_ids() {
    let queue: Vec<u64> = serde_json::from_str("[5873310294, 991204331]").unwrap();
    assert_eq!(queue, [5_873_310_294, 991_204_331]);
}
