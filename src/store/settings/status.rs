//! A server's last known API health, with a plain explanation and what to do about it.

/// Last known health of a server's API access.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum ServerStatus {
    /// The last call worked (also the state of a newly added server).
    Ok,
    /// PRC said the key is invalid or was regenerated (2002) or malformed (2001).
    KeyInvalid,
    /// PRC banned the key (2004).
    KeyBanned,
    /// The key is not allowed to use the API (403 / API pack missing).
    NotAuthorized,
    /// The game server is not running.
    Offline,
    /// Anything else, with PRC's or the transport's words.
    Error(String),
}

impl ServerStatus {
    /// One line saying what the status means.
    pub fn describe(&self) -> String {
        match self {
            Self::Ok => "working".into(),
            Self::KeyInvalid => "the server key is invalid or was regenerated".into(),
            Self::KeyBanned => "the server key is banned from the PRC API".into(),
            Self::NotAuthorized => "the server key may not use the PRC API".into(),
            Self::Offline => "the game server is offline".into(),
            Self::Error(detail) => format!("the last request failed: {detail}"),
        }
    }

    /// What a person can do about it, if anything.
    pub fn fix(&self) -> Option<&'static str> {
        match self {
            Self::Ok => None,
            Self::KeyInvalid => Some(
                "Copy the current key from the private server's settings in ER:LC and save it \
                 again for this server.",
            ),
            Self::KeyBanned => Some(
                "Regenerate the key in the private server's settings in ER:LC, save the new \
                 one, and make sure nothing else uses the key too fast.",
            ),
            Self::NotAuthorized => Some(
                "The private server needs the ER:LC API pack, and the key must come from that \
                 server's settings page.",
            ),
            Self::Offline => {
                Some("Start the private server (join it in Roblox); the bot reconnects by itself.")
            }
            Self::Error(_) => Some("The bot keeps retrying; if this persists, check its logs."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_has_a_fix_and_a_stable_encoding() {
        let all = [
            ServerStatus::Ok,
            ServerStatus::KeyInvalid,
            ServerStatus::KeyBanned,
            ServerStatus::NotAuthorized,
            ServerStatus::Offline,
            ServerStatus::Error("timeout".into()),
        ];
        for status in &all {
            assert_eq!(status.fix().is_none(), *status == ServerStatus::Ok);
            assert!(!status.describe().is_empty());
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(
                &serde_json::from_str::<ServerStatus>(&json).unwrap(),
                status
            );
        }
        assert_eq!(
            serde_json::to_string(&ServerStatus::Error("x".into())).unwrap(),
            r#"{"state":"error","detail":"x"}"#
        );
        assert!(
            ServerStatus::Error("timeout".into())
                .describe()
                .contains("timeout")
        );
    }
}
