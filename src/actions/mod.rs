//! The logic under the slash commands and buttons: permission checks, server lookup, player
//! resolution, safe command building, confirmation of destructive commands, the audit trail
//! around every change, server/feed/permission/audit management, and linked accounts. No Discord types here:
//! commands parse their input, call [`Services`], and render what comes back.

mod activity;
mod audit_action;
mod audit_trail;
mod ban_requests;
mod buttons;
mod case_commands;
mod cases;
mod claims;
mod confirm;
mod dashboard;
mod directory;
mod error;
mod held;
mod history;
mod ingame_cases;
mod leaves;
mod links;
mod manage_audit;
mod manage_feeds;
mod manage_roles;
mod manage_settings;
mod members;
mod mod_action;
mod moderation;
mod permissions;
mod players;
mod servers;
mod shifts;
mod suggest;
mod temp_bans;
pub mod tracking;

use std::sync::Arc;
use std::time::Duration;

use crate::erlc::ErlcClient;
use crate::sandbox::{Sandbox, SandboxOptions};
use crate::store::Store;

pub use activity::{ActivityReport, ActivityRow};
pub use audit_action::AuditAction;
pub use audit_trail::{AuditDraft, begin_audit, complete_audit};
pub use buttons::ModCallStep;
pub use case_commands::{
    CASEABLE_COMMANDS, CaseCommand, CaseCommandKind, DEFAULT_CASE_COMMANDS, TypedTarget,
    canonical_command, is_log_case_line, parse_case_command, wants_case_line,
};
pub use cases::{CASES_PER_PAGE, CaseQuery, CaseRequest, WarnReport};
pub use claims::Claim;
pub use dashboard::ModCallSummary;
pub use directory::ServerDirectory;
pub use error::ActionError;
pub use held::HeldForConfirmation;
pub use history::LogQuery;
pub use ingame_cases::{FiledCase, InGameFiling, InGameLine};
pub use leaves::{LeaveList, MAX_LEAVE_DAYS};
pub use links::{LINK_CODE_TTL, LinkStart, WhoisQuery, redeem_link_code};
pub use manage_feeds::parse_feed_patterns;
pub use manage_roles::parse_capabilities;
pub use manage_settings::CasesSettingsChange;
pub use members::{MemberFuture, MemberLookup, MemberRoles, NoDiscordMembers, RoleFuture};
pub use mod_action::{ActionReport, ModAction};
pub use permissions::Member;
pub use players::{ResolvedPlayer, resolve_online};
pub use servers::{SetupReport, SetupWarning};
pub use shifts::{
    LEADERBOARD_SIZE, SHIFTS_PER_PAGE, ShiftOrigin, ShiftStep, ShiftUpdate, ShiftsChange,
};
pub use temp_bans::parse_duration;

use claims::ModCallClaims;
use confirm::PendingActions;

/// Knobs for [`Services`].
#[derive(Debug, Clone)]
pub struct ServicesOptions {
    /// How the guilds' sandbox simulators start.
    pub sandbox: SandboxOptions,
    /// How long a destructive command waits for its Confirm press. Default 5 minutes.
    pub confirm_ttl: Duration,
    /// How long to look for a sent command in the command logs. Default 6 s.
    pub command_confirm_within: Duration,
}

impl Default for ServicesOptions {
    fn default() -> Self {
        Self {
            sandbox: SandboxOptions::default(),
            confirm_ttl: Duration::from_secs(5 * 60),
            command_confirm_within: Duration::from_secs(6),
        }
    }
}

/// Everything the commands need, one per process. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    directory: ServerDirectory,
    options: ServicesOptions,
    pending: PendingActions,
    claims: ModCallClaims,
    /// Gives and takes the on-shift role; set once Discord is connected.
    member_roles: std::sync::OnceLock<Arc<dyn MemberRoles>>,
}

impl Services {
    /// The services over `store`, reaching real servers through `client`.
    pub fn new(store: Store, client: ErlcClient, options: ServicesOptions) -> Self {
        let sandbox = Sandbox::new(options.sandbox.clone());
        let directory = ServerDirectory::new(store.clone(), client, sandbox);
        let pending = PendingActions::new(store.clone(), options.confirm_ttl);
        Self {
            inner: Arc::new(Inner {
                store,
                directory,
                options,
                pending,
                claims: ModCallClaims::new(),
                member_roles: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The store every action reads and audits to.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Opens a guild's servers, real or sandbox.
    pub fn directory(&self) -> &ServerDirectory {
        &self.inner.directory
    }

    /// Give and take Discord roles through `roles` (the Discord front end, once built). Until
    /// then, and without Discord, role changes are refused in plain words. Set once.
    pub fn set_member_roles(&self, roles: Arc<dyn MemberRoles>) {
        if self.inner.member_roles.set(roles).is_err() {
            tracing::warn!("member roles were already set; keeping the first");
        }
    }

    fn member_roles(&self) -> &dyn MemberRoles {
        match self.inner.member_roles.get() {
            Some(roles) => roles.as_ref(),
            None => &NoDiscordMembers,
        }
    }

    /// The options the services were built with.
    pub fn options(&self) -> &ServicesOptions {
        &self.inner.options
    }

    /// Stop the sandboxes and flush the store (on SIGINT/SIGTERM).
    pub async fn shutdown(&self) -> Result<(), ActionError> {
        self.inner.directory.sandbox().shutdown().await;
        self.inner.store.flush_async().await?;
        Ok(())
    }
}
