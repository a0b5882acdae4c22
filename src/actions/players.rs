//! Matching what a moderator typed against the live player list: an exact name, else one
//! name that starts with it (ignoring case), else a user id; anything else is an error that
//! lists the candidates.

use crate::erlc::{CommandBuildError, PlayerRef, Target};

use super::ActionError;

/// A player the command will name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedPlayer {
    /// The full username (or, for an offline ban by id, the id as text).
    pub name: String,
    /// Roblox user id, when known.
    pub id: Option<u64>,
}

impl ResolvedPlayer {
    /// The command target: the full username, or the id when only the id is known. Fails for
    /// a name that is not a plain Roblox username, so it can never reshape the command, and for
    /// a username the game reads as a group word (`All`), so it never reaches everyone.
    pub fn target(&self) -> Result<Target, CommandBuildError> {
        self.target_with(Target::name)
    }

    /// [`ResolvedPlayer::target`] for a command that also takes a user id (ban, unban, staff
    /// permissions): a username the game reads as a group word is sent as the id instead.
    pub fn target_or_id(&self) -> Result<Target, CommandBuildError> {
        self.target_with(|name| Target::name_or_id(name, self.id))
    }

    fn target_with(
        &self,
        by_name: impl FnOnce(&str) -> Result<Target, CommandBuildError>,
    ) -> Result<Target, CommandBuildError> {
        match (self.id, self.name.parse::<u64>()) {
            (Some(id), Ok(same)) if id == same => Ok(Target::Id(id)),
            _ => by_name(&self.name),
        }
    }

    fn from_ref(player: &PlayerRef) -> Self {
        Self {
            name: player.name.clone(),
            id: player.id,
        }
    }
}

fn sorted_names<'a>(players: impl Iterator<Item = &'a PlayerRef>) -> Vec<String> {
    let mut names: Vec<String> = players.map(|p| p.name.clone()).collect();
    names.sort_by_key(|n| n.to_lowercase());
    names
}

/// Find the online player `query` names: a user id, an exact name, one name equal to it
/// ignoring case, or one name starting with it ignoring case.
pub fn resolve_online(query: &str, online: &[PlayerRef]) -> Result<ResolvedPlayer, ActionError> {
    let query = query.trim();
    if query.is_empty() {
        return Err(ActionError::InvalidInput(
            "Name a player (a username, the start of one, or a Roblox user id).".into(),
        ));
    }
    let players: Vec<&PlayerRef> = online.iter().filter(|p| !p.is_remote_server()).collect();
    if let Ok(id) = query.parse::<u64>() {
        if let Some(player) = players.iter().find(|p| p.id == Some(id)) {
            return Ok(ResolvedPlayer::from_ref(player));
        }
    }
    if let Some(player) = players.iter().find(|p| p.name == query) {
        return Ok(ResolvedPlayer::from_ref(player));
    }
    let lower = query.to_lowercase();
    let same: Vec<&PlayerRef> = players
        .iter()
        .copied()
        .filter(|p| p.name.to_lowercase() == lower)
        .collect();
    let candidates = if same.is_empty() {
        players
            .iter()
            .copied()
            .filter(|p| p.name.to_lowercase().starts_with(&lower))
            .collect()
    } else {
        same
    };
    match candidates.as_slice() {
        [one] => Ok(ResolvedPlayer::from_ref(one)),
        [] => Err(ActionError::PlayerNotFound {
            query: query.to_owned(),
            online: sorted_names(players.into_iter()),
        }),
        many => Err(ActionError::AmbiguousPlayer {
            query: query.to_owned(),
            candidates: sorted_names(many.iter().copied()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn online() -> Vec<PlayerRef> {
        vec![
            PlayerRef::new("Avery_Cole", Some(11)),
            PlayerRef::new("avalon", Some(12)),
            PlayerRef::new("Minty", Some(13)),
            PlayerRef::new("Mint", Some(14)),
            PlayerRef::remote_server(),
        ]
    }

    #[test]
    fn exact_then_case_insensitive_then_unique_prefix() {
        let players = online();
        assert_eq!(resolve_online("Mint", &players).unwrap().id, Some(14));
        assert_eq!(resolve_online("MINTY", &players).unwrap().id, Some(13));
        assert_eq!(
            resolve_online(" aver ", &players).unwrap().name,
            "Avery_Cole"
        );
        assert_eq!(resolve_online("13", &players).unwrap().name, "Minty");
    }

    #[test]
    fn ambiguous_and_absent_names_list_the_candidates() {
        let players = online();
        match resolve_online("av", &players) {
            Err(ActionError::AmbiguousPlayer { candidates, .. }) => {
                assert_eq!(candidates, ["avalon", "Avery_Cole"]);
            }
            other => panic!("{other:?}"),
        }
        match resolve_online("zed", &players) {
            Err(ActionError::PlayerNotFound { online, .. }) => {
                assert_eq!(online, ["avalon", "Avery_Cole", "Mint", "Minty"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve_online("  ", &players),
            Err(ActionError::InvalidInput(_))
        ));
    }

    #[test]
    fn targets_refuse_names_that_could_reshape_a_command() {
        let odd = ResolvedPlayer {
            name: "x\n:shutdown".into(),
            id: Some(1),
        };
        assert!(odd.target().is_err());
        let by_id = ResolvedPlayer {
            name: "99".into(),
            id: Some(99),
        };
        assert_eq!(by_id.target().unwrap(), Target::Id(99));
        assert_eq!(by_id.target_or_id().unwrap(), Target::Id(99));
    }

    #[test]
    fn a_player_named_like_a_group_is_named_by_id_or_not_at_all() {
        let players = vec![
            PlayerRef::new("All", Some(21)),
            PlayerRef::new("others", Some(22)),
            PlayerRef::new("Allison", Some(23)),
        ];
        for (query, id) in [("All", 21), ("21", 21), ("OTHERS", 22)] {
            let player = resolve_online(query, &players).unwrap();
            assert_eq!(player.id, Some(id));
            assert!(
                matches!(
                    player.target(),
                    Err(CommandBuildError::GroupWordName { .. })
                ),
                "{query}"
            );
            assert_eq!(player.target_or_id(), Ok(Target::Id(id)), "{query}");
        }
        let allison = resolve_online("allis", &players).unwrap();
        assert_eq!(allison.target().unwrap().to_string(), "Allison");
        let no_id = ResolvedPlayer {
            name: "All".into(),
            id: None,
        };
        assert!(no_id.target_or_id().is_err(), "no id to fall back on");
    }
}
