//! Live reads of one server: `/players` (paged, team filter), `/staff`, `/queue`, `/vehicles`,
//! `/bans` and `/emergency` (active 911 calls).

use super::common::{self, page_index, server_labels, show};
use crate::actions::AuditAction;
use crate::discord::{BotError, Context};
use crate::erlc::models::Team;
use crate::views::players::{self, EMERGENCY_SECTIONS, QUEUE_SECTIONS, STAFF_SECTIONS};
use crate::views::{PageTarget, PagedView};

/// A team to filter `/players` by.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum TeamChoice {
    Police,
    Sheriff,
    Fire,
    #[name = "DOT"]
    Dot,
    Civilian,
    Jail,
}

impl From<TeamChoice> for Team {
    fn from(choice: TeamChoice) -> Self {
        match choice {
            TeamChoice::Police => Team::Police,
            TeamChoice::Sheriff => Team::Sheriff,
            TeamChoice::Fire => Team::Fire,
            TeamChoice::Dot => Team::Dot,
            TeamChoice::Civilian => Team::Civilian,
            TeamChoice::Jail => Team::Jail,
        }
    }
}

/// Who is in game now, by team
#[poise::command(slash_command)]
pub async fn players(
    ctx: Context<'_>,
    #[description = "Only this team"] team: Option<TeamChoice>,
    #[description = "Page number"]
    #[min = 1]
    page: Option<u32>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewPlayers).await?;
    let team = team.map(|t| Team::from(t).to_string()).unwrap_or_default();
    let target = PageTarget::new(PagedView::Players, page_index(page), &team);
    common::show_page(ctx, &read, &target).await
}

/// Staff in game now, and the server's staff roster
#[poise::command(slash_command)]
pub async fn staff(
    ctx: Context<'_>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewStaff).await?;
    let snapshot = read.handle.snapshot(STAFF_SECTIONS).await?;
    let online = snapshot.players.unwrap_or_default();
    let message = players::staff(
        &read.record.label,
        &online,
        snapshot.staff.as_ref(),
        &snapshot.info.co_owner_ids,
    );
    show(ctx, &message).await
}

/// Who is waiting in the join queue
#[poise::command(slash_command)]
pub async fn queue(
    ctx: Context<'_>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewQueue).await?;
    let snapshot = read.handle.snapshot(QUEUE_SECTIONS).await?;
    let online = snapshot.players.unwrap_or_default();
    let name_of = |id: u64| {
        online
            .iter()
            .find(|p| p.player.id == Some(id))
            .map(|p| p.player.name.clone())
    };
    let waiting = snapshot.queue.unwrap_or_default();
    show(ctx, &players::queue(&read.record.label, &waiting, &name_of)).await
}

/// Vehicles spawned now: owner, model, plate
#[poise::command(slash_command)]
pub async fn vehicles(
    ctx: Context<'_>,
    #[description = "Page number"]
    #[min = 1]
    page: Option<u32>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewVehicles).await?;
    let target = PageTarget::new(PagedView::Vehicles, page_index(page), "");
    common::show_page(ctx, &read, &target).await
}

/// Players banned from the server
#[poise::command(slash_command)]
pub async fn bans(
    ctx: Context<'_>,
    #[description = "Page number"]
    #[min = 1]
    page: Option<u32>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewBans).await?;
    let target = PageTarget::new(PagedView::Bans, page_index(page), "");
    common::show_page(ctx, &read, &target).await
}

/// Active 911 calls
#[poise::command(slash_command)]
pub async fn emergency(
    ctx: Context<'_>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewEmergency).await?;
    let snapshot = read.handle.snapshot(EMERGENCY_SECTIONS).await?;
    let calls = snapshot.emergency_calls.unwrap_or_default();
    let online = snapshot.players.unwrap_or_default();
    let now = common::now_secs(ctx);
    show(
        ctx,
        &players::emergency_calls(&read.record.label, &calls, &online, now),
    )
    .await
}
