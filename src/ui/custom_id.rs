//! Button custom ids that carry everything a click needs, so buttons keep working after a
//! restart without collectors: `erlc:<action>:<server label>:<target>`, at most 100 characters.
//! The target is a mod call's key, a Roblox user id, or an opaque confirmation token.

use std::fmt;
use std::str::FromStr;

use super::message::MAX_CUSTOM_ID;
use crate::events::validate_segment;

const PREFIX: &str = "erlc";

/// What a button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ButtonAction {
    /// Mod-call card: a moderator takes the call. Target: the call key.
    ModCallClaim,
    /// Mod-call card: mark the call handled. Target: the call key.
    ModCallResolve,
    /// Player panel: kick the player, after a form asking for a reason. Target: the Roblox
    /// user id (as for every player panel button).
    PlayerKick,
    /// Player panel: ban the player, after a form asking for a reason.
    PlayerBan,
    /// Player panel: send the player a private message typed in a form.
    PlayerPm,
    /// Player panel: mark the player wanted in game.
    PlayerWanted,
    /// Player panel: redraw the panel from the server's current state.
    PlayerRefresh,
    /// A card in a channel (`;staff`, `;report`): show the clicker the player's panel privately,
    /// leaving the card as everyone else sees it.
    PlayerOpen,
    /// Confirmation of a destructive command: send it. Target: an opaque token naming the
    /// pending confirmation.
    CommandConfirm,
    /// Confirmation of a destructive command: drop it unsent. Target: the same token.
    CommandCancel,
    /// Ban request (two-person rule): a member with `ban` approves and the ban runs.
    /// Target: the token naming the held ban.
    BanApprove,
    /// Ban request: a member with `ban` refuses it. Target: the same token.
    BanDeny,
    /// Leave of absence card: a shift admin approves it. Target: the leave's number.
    LoaApprove,
    /// Leave of absence card: a shift admin denies it. Target: the leave's number.
    LoaDeny,
    /// "Add reason" card of a case filed in game without one: open the form for its reason.
    /// Target: the case number.
    CaseReason,
    /// A page button of a paged reply (players, vehicles, bans, logs, audit). Target: an
    /// opaque page token (the views module writes and reads it).
    Page,
}

/// What kind of target an action expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A mod call's stable key (caller and call time), as its events carry it.
    CallKey,
    /// A Roblox user id (digits only).
    RobloxId,
    /// A number the guild's records are numbered by, such as a leave's (digits only).
    Number,
    /// An opaque token another module issued and reads back.
    Token,
}

impl ButtonAction {
    /// Every action, so a word from a click is matched against all of them.
    pub const ALL: [ButtonAction; 16] = [
        Self::ModCallClaim,
        Self::ModCallResolve,
        Self::PlayerKick,
        Self::PlayerBan,
        Self::PlayerPm,
        Self::PlayerWanted,
        Self::PlayerRefresh,
        Self::PlayerOpen,
        Self::CommandConfirm,
        Self::CommandCancel,
        Self::BanApprove,
        Self::BanDeny,
        Self::LoaApprove,
        Self::LoaDeny,
        Self::CaseReason,
        Self::Page,
    ];

    /// The word used in the custom id.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ModCallClaim => "mc_claim",
            Self::ModCallResolve => "mc_resolve",
            Self::PlayerKick => "pl_kick",
            Self::PlayerBan => "pl_ban",
            Self::PlayerPm => "pl_pm",
            Self::PlayerWanted => "pl_wanted",
            Self::PlayerRefresh => "pl_refresh",
            Self::PlayerOpen => "pl_open",
            Self::CommandConfirm => "cmd_confirm",
            Self::CommandCancel => "cmd_cancel",
            Self::BanApprove => "ban_ok",
            Self::BanDeny => "ban_no",
            Self::LoaApprove => "loa_ok",
            Self::LoaDeny => "loa_no",
            Self::CaseReason => "case_reason",
            Self::Page => "page",
        }
    }

    /// What the target segment of this action's ids holds.
    pub fn target_kind(self) -> TargetKind {
        match self {
            Self::ModCallClaim | Self::ModCallResolve => TargetKind::CallKey,
            Self::PlayerKick
            | Self::PlayerBan
            | Self::PlayerPm
            | Self::PlayerWanted
            | Self::PlayerRefresh
            | Self::PlayerOpen => TargetKind::RobloxId,
            Self::LoaApprove | Self::LoaDeny => TargetKind::Number,
            Self::CommandConfirm
            | Self::CommandCancel
            | Self::BanApprove
            | Self::BanDeny
            | Self::CaseReason
            | Self::Page => TargetKind::Token,
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == word)
    }
}

/// Why a custom id could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomIdError {
    /// Another bot's or app's component; not ours to handle.
    #[error("this button does not belong to erlc-bot (its id does not start with `erlc:`)")]
    Foreign,
    /// Not four `:`-separated parts; holds how many there were.
    #[error("the button id has {0} parts; expected erlc:<action>:<server>:<target>")]
    WrongShape(usize),
    /// An action word this version does not know; holds the word.
    #[error("the button action `{0}` is unknown; it may come from a newer or older bot version")]
    UnknownAction(String),
    /// The server label is not a valid label; holds why.
    #[error("the server label in the button id is not valid: {0}")]
    BadServer(String),
    /// The target is empty or holds `:`, whitespace or control characters.
    #[error("the button target is empty or contains `:`, spaces or control characters")]
    BadTarget,
    /// A player action whose target is not a number; holds the target.
    #[error("the button target `{0}` is not a Roblox user id")]
    NotARobloxId(String),
    /// A numbered record's action whose target is not a number; holds the target.
    #[error("the button target `{0}` is not a number")]
    NotANumber(String),
    /// Longer than Discord's 100 characters; holds the length.
    #[error("the button id would be {0} characters; Discord allows at most {MAX_CUSTOM_ID}")]
    TooLong(usize),
}

/// A parsed, valid custom id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomId {
    action: ButtonAction,
    server: String,
    target: String,
}

impl CustomId {
    /// Build and validate: the server must be a valid label, the target non-empty without
    /// `:` or whitespace (and a number for player actions), the whole at most 100 characters.
    pub fn new(action: ButtonAction, server: &str, target: &str) -> Result<Self, CustomIdError> {
        validate_segment(server).map_err(|e| CustomIdError::BadServer(e.to_string()))?;
        if target.is_empty()
            || target
                .chars()
                .any(|c| c == ':' || c.is_whitespace() || c.is_control())
        {
            return Err(CustomIdError::BadTarget);
        }
        let digits_only = target.parse::<u64>().is_ok();
        match action.target_kind() {
            TargetKind::RobloxId if !digits_only => {
                return Err(CustomIdError::NotARobloxId(target.to_owned()));
            }
            TargetKind::Number if !digits_only => {
                return Err(CustomIdError::NotANumber(target.to_owned()));
            }
            _ => {}
        }
        let id = Self {
            action,
            server: server.to_owned(),
            target: target.to_owned(),
        };
        let length = id.to_string().chars().count();
        if length > MAX_CUSTOM_ID {
            return Err(CustomIdError::TooLong(length));
        }
        Ok(id)
    }

    /// A player-panel button for a Roblox user.
    pub fn player(
        action: ButtonAction,
        server: &str,
        roblox_id: u64,
    ) -> Result<Self, CustomIdError> {
        Self::new(action, server, &roblox_id.to_string())
    }

    /// Read a custom id from a click.
    pub fn parse(text: &str) -> Result<Self, CustomIdError> {
        let length = text.chars().count();
        if length > MAX_CUSTOM_ID {
            return Err(CustomIdError::TooLong(length));
        }
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            [PREFIX, action, server, target] => {
                let action = ButtonAction::from_word(action)
                    .ok_or_else(|| CustomIdError::UnknownAction((*action).to_owned()))?;
                Self::new(action, server, target)
            }
            [first, ..] if *first != PREFIX => Err(CustomIdError::Foreign),
            _ => Err(CustomIdError::WrongShape(parts.len())),
        }
    }

    /// What the button does.
    pub fn action(&self) -> ButtonAction {
        self.action
    }

    /// The server label the action applies to.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The target as text; its meaning depends on [`ButtonAction::target_kind`].
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The record's number, for actions on numbered records (leaves).
    pub fn number(&self) -> Option<u64> {
        (self.action.target_kind() == TargetKind::Number)
            .then(|| self.target.parse().ok())
            .flatten()
    }

    /// The Roblox user id, for player actions.
    pub fn roblox_id(&self) -> Option<u64> {
        (self.action.target_kind() == TargetKind::RobloxId)
            .then(|| self.target.parse().ok())
            .flatten()
    }
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}:{}:{}:{}",
            self.action.as_str(),
            self.server,
            self.target
        )
    }
}

impl FromStr for CustomId {
    type Err = CustomIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_and_parses() {
        let id =
            CustomId::new(ButtonAction::ModCallClaim, "main", "5873310294-1700000000").unwrap();
        assert_eq!(id.to_string(), "erlc:mc_claim:main:5873310294-1700000000");
        assert_eq!(CustomId::parse(&id.to_string()), Ok(id.clone()));
        assert_eq!(id.roblox_id(), None);
        let kick = CustomId::player(ButtonAction::PlayerKick, "side", 42).unwrap();
        assert_eq!(kick.to_string(), "erlc:pl_kick:side:42");
        assert_eq!(
            "erlc:pl_kick:side:42"
                .parse::<CustomId>()
                .unwrap()
                .roblox_id(),
            Some(42)
        );
    }

    #[test]
    fn malformed_ids_are_errors() {
        use CustomIdError::*;
        assert_eq!(CustomId::parse("other:thing"), Err(Foreign));
        assert_eq!(CustomId::parse(""), Err(Foreign));
        assert_eq!(CustomId::parse("erlc:mc_claim:main"), Err(WrongShape(3)));
        assert_eq!(
            CustomId::parse("erlc:mc_claim:main:a:b"),
            Err(WrongShape(5))
        );
        assert_eq!(
            CustomId::parse("erlc:explode:main:1"),
            Err(UnknownAction("explode".into()))
        );
        assert!(matches!(
            CustomId::parse("erlc:pl_ban:ma in:1"),
            Err(BadServer(_))
        ));
        assert_eq!(CustomId::parse("erlc:mc_claim:main:"), Err(BadTarget));
        assert_eq!(
            CustomId::parse("erlc:pl_ban:main:bob"),
            Err(NotARobloxId("bob".into()))
        );
        assert_eq!(
            CustomId::parse("erlc:loa_ok:_:x1"),
            Err(NotANumber("x1".into()))
        );
        assert_eq!(
            CustomId::parse("erlc:loa_no:_:12").unwrap().number(),
            Some(12)
        );
        assert_eq!(
            CustomId::new(ButtonAction::CommandConfirm, "main", "a:b"),
            Err(BadTarget)
        );
        let long = "t".repeat(90);
        assert!(matches!(
            CustomId::new(ButtonAction::CommandConfirm, "main", &long),
            Err(TooLong(_))
        ));
        assert!(matches!(
            CustomId::parse(&"x".repeat(500)),
            Err(TooLong(500))
        ));
    }

    fn action() -> impl Strategy<Value = ButtonAction> {
        prop::sample::select(ButtonAction::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn round_trip(
            action in action(),
            server in "[A-Za-z0-9_-]{1,32}",
            token in "[!-9;-~]{1,40}",
            roblox in any::<u64>(),
        ) {
            let target = match action.target_kind() {
                TargetKind::RobloxId | TargetKind::Number => roblox.to_string(),
                _ => token,
            };
            let id = CustomId::new(action, &server, &target).unwrap();
            let text = id.to_string();
            prop_assert!(text.chars().count() <= MAX_CUSTOM_ID);
            prop_assert_eq!(CustomId::parse(&text), Ok(id));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,120}") {
            if let Ok(id) = CustomId::parse(&text) {
                prop_assert_eq!(id.to_string(), text);
            }
        }
    }
}
