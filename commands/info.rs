//! Live reads of one server: `/players` (paged, team filter), `/staff`, `/queue`, `/vehicles`,
//! `/bans` and `/emergency` (active 911 calls).

use super::common::{self, page_index, server_labels, show};
use crate::discord::{BotError, Context};
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

impl TeamChoice {
    /// The team as PRC names it (what the view matches, ignoring case).
    pub fn prc_name(self) -> &'static str {
        match self {
            Self::Police => "Police",
            Self::Sheriff => "Sheriff",
            Self::Fire => "Fire",
            Self::Dot => "DOT",
            Self::Civilian => "Civilian",
            Self::Jail => "Jail",
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
    let read = common::server_read(ctx, server.as_deref(), "view.players").await?;
    let team = team.map_or("", TeamChoice::prc_name);
    let target = PageTarget::new(PagedView::Players, page_index(page), team);
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
    let read = common::server_read(ctx, server.as_deref(), "view.staff").await?;
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
    let read = common::server_read(ctx, server.as_deref(), "view.queue").await?;
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
    let read = common::server_read(ctx, server.as_deref(), "view.vehicles").await?;
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
    let read = common::server_read(ctx, server.as_deref(), "view.bans").await?;
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
    let read = common::server_read(ctx, server.as_deref(), "view.emergency").await?;
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
