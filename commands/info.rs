//! Live reads of one server: `/players` (paged, team filter), `/staff`, `/queue`, `/vehicles`,
//! `/bans` and `/emergency` (active 911 calls).

use super::common::{self, server_labels, show};
use crate::actions::AuditAction;
use crate::discord::{BotError, Context};
use crate::erlc::models::{Include, Team};
use crate::views::players::{self, BANS_PER_PAGE, PLAYERS_PER_PAGE, VEHICLES_PER_PAGE};

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

/// Pages count from 1 for people and from 0 in the views.
fn page_index(page: Option<u32>) -> usize {
    page.map_or(0, |p| p.saturating_sub(1) as usize)
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
    let list = read.handle.players().await?;
    let team = team.map(Team::from);
    let (message, _) = players::players_page(
        &read.record.label,
        &list,
        team.as_ref(),
        page_index(page),
        PLAYERS_PER_PAGE,
    );
    show(ctx, &message).await
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
    let snapshot = read
        .handle
        .snapshot(Include::none().players().staff())
        .await?;
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
    let snapshot = read
        .handle
        .snapshot(Include::none().players().queue())
        .await?;
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
    let list = read.handle.vehicles().await?;
    let (message, _) = players::vehicles_page(
        &read.record.label,
        &list,
        page_index(page),
        VEHICLES_PER_PAGE,
    );
    show(ctx, &message).await
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
    let list = read.handle.bans().await?;
    let (message, _) =
        players::bans_page(&read.record.label, &list, page_index(page), BANS_PER_PAGE);
    show(ctx, &message).await
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
    let snapshot = read
        .handle
        .snapshot(Include::none().players().emergency_calls())
        .await?;
    let calls = snapshot.emergency_calls.unwrap_or_default();
    let online = snapshot.players.unwrap_or_default();
    let now = common::now_secs(ctx);
    show(
        ctx,
        &players::emergency_calls(&read.record.label, &calls, &online, now),
    )
    .await
}
