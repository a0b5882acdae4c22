//! Generic JSON decoding of PRC bodies that names the exact field that did not fit.

use serde::de::DeserializeOwned;

use super::error::ErlcError;

/// Decode `body` as `T`. On failure the error names the endpoint (e.g. `GET /v2/server`) and
/// the path of the offending field (e.g. `Players[3].Player`, or `.` for the whole body).
pub fn decode<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T, ErlcError> {
    // Tracking the path costs on every field; only a body that fails needs it, so decode
    // plainly first and go over a failing body again for the error's path.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|err| ErlcError::Decode {
            endpoint: endpoint.to_owned(),
            field: err.path().to_string(),
            detail: err.inner().to_string(),
        })?;
    deserializer.end().map_err(|err| ErlcError::Decode {
        endpoint: endpoint.to_owned(),
        field: ".".into(),
        detail: err.to_string(),
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)] // fields exist only to be decoded
    struct Server {
        name: String,
        players: Vec<Player>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Player {
        player: String,
        team: u32,
    }

    fn field_of(err: ErlcError) -> (String, String) {
        match err {
            ErlcError::Decode {
                endpoint, field, ..
            } => (endpoint, field),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn names_the_deep_field_and_endpoint() {
        let body = br#"{"Name":"x","Players":[{"Player":"a:1","Team":1},{"Player":"b:2","Team":"Police"}]}"#;
        let err = decode::<Server>("GET /v2/server", body).unwrap_err();
        assert_eq!(
            field_of(err),
            ("GET /v2/server".into(), "Players[1].Team".into())
        );
    }

    #[test]
    fn whole_body_problems_point_at_the_root() {
        let err = decode::<Server>("GET /v2/server", b"not json").unwrap_err();
        assert_eq!(field_of(err).1, ".");
        let err =
            decode::<Server>("GET /v2/server", br#"{"Name":"x","Players":[]} extra"#).unwrap_err();
        assert_eq!(field_of(err).1, ".");
        let err = decode::<Server>("GET /v2/server", br#"{"Players":[]}"#).unwrap_err();
        assert_eq!(field_of(err).1, ".");
    }

    #[test]
    fn good_bodies_decode() {
        let server: Server = decode(
            "GET /v2/server",
            br#"{"Name":"x","Players":[{"Player":"a:1","Team":2}],"Extra":true}"#,
        )
        .unwrap();
        assert_eq!(server.players.len(), 1);
    }
}
