//! A small poise 0.7.1 bot that runs in-process against the fake Discord, only to prove the
//! harness: each command exercises one Discord feature, a few break Discord's rules on purpose.

use std::sync::Arc;

use poise::serenity_prelude as serenity;
use serde_json::json;
use tokio::task::JoinHandle;

use crate::support::fake_discord::FakeDiscord;
use crate::support::fake_discord::state::ids;

pub struct Data {
    log_channel: serenity::ChannelId,
}

pub type Error = Box<dyn std::error::Error + Send + Sync>;
type Context<'a> = poise::Context<'a, Data, Error>;
type AppContext<'a> = poise::ApplicationContext<'a, Data, Error>;

/// Discord's error code from a refused request, or the error text.
fn discord_code(error: &serenity::Error) -> String {
    match error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            response.error.code.to_string()
        }
        other => other.to_string(),
    }
}

/// Show the server status
#[poise::command(slash_command, guild_only)]
async fn status(ctx: Context<'_>) -> Result<(), Error> {
    let summary = ctx.guild().map(|g| {
        format!(
            "{}: {} roles, {} channels",
            g.name,
            g.roles.len(),
            g.channels.len()
        )
    });
    let embed = serenity::CreateEmbed::new()
        .title("Server status")
        .description(summary.ok_or("the guild is not in the cache")?);
    let reply = poise::CreateReply::default()
        .embed(embed)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    ctx.send(reply).await?;
    Ok(())
}

/// Say something only you can see
#[poise::command(slash_command, ephemeral)]
async fn secret(ctx: Context<'_>) -> Result<(), Error> {
    ctx.say("only you can see this").await?;
    Ok(())
}

/// Take a while, then answer
#[poise::command(slash_command)]
async fn slow(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer().await?;
    ctx.say("finished the slow work").await?;
    Ok(())
}

async fn player_names(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let partial = partial.to_lowercase();
    let choices = (1..=40)
        .map(|i| format!("Player{i:02}"))
        .filter(|name| name.to_lowercase().starts_with(&partial))
        .take(25)
        .map(serenity::AutocompleteChoice::from)
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Breaks the 25-choice limit on purpose.
async fn too_many_names(_ctx: Context<'_>, _partial: &str) -> serenity::CreateAutocompleteResponse {
    let choices = (1..=30)
        .map(|i| serenity::AutocompleteChoice::from(format!("Name{i}")))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Look up a player
#[poise::command(slash_command)]
async fn lookup(
    ctx: Context<'_>,
    #[description = "Player name"]
    #[autocomplete = "player_names"]
    player: String,
    #[description = "Anything else"]
    #[autocomplete = "too_many_names"]
    other: Option<String>,
) -> Result<(), Error> {
    ctx.say(format!("looked up {player} {}", other.unwrap_or_default()))
        .await?;
    Ok(())
}

/// Open a player panel with a Refresh button
#[poise::command(slash_command)]
async fn panel(ctx: Context<'_>) -> Result<(), Error> {
    let button = serenity::CreateButton::new("panel:refresh:Builderman").label("Refresh");
    let row = serenity::CreateActionRow::Buttons(vec![button]);
    ctx.send(
        poise::CreateReply::default()
            .content("Panel for Builderman")
            .components(vec![row]),
    )
    .await?;
    Ok(())
}

/// Buttons are handled here, not with a collector, so they survive restarts.
async fn on_event(
    framework: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let serenity::FullEvent::InteractionCreate {
        interaction: serenity::Interaction::Component(click),
    } = event
    else {
        return Ok(());
    };
    if let Some(target) = click.data.custom_id.strip_prefix("panel:refresh:") {
        let update = serenity::CreateInteractionResponseMessage::new()
            .content(format!("Refreshed {target} for {}", click.user.name))
            .components(vec![]);
        click
            .create_response(
                framework.serenity_context,
                serenity::CreateInteractionResponse::UpdateMessage(update),
            )
            .await?;
    }
    Ok(())
}

#[derive(Debug, poise::Modal)]
#[name = "Ban appeal"]
struct Appeal {
    #[name = "Roblox username"]
    username: String,
    #[name = "Why should we unban you?"]
    #[paragraph]
    reason: Option<String>,
}

/// Appeal a ban through a form
#[poise::command(slash_command)]
async fn appeal(ctx: AppContext<'_>) -> Result<(), Error> {
    use poise::Modal as _;
    if let Some(form) = Appeal::execute(ctx).await? {
        let text = format!(
            "Appeal from {} received: {}",
            form.username,
            form.reason.unwrap_or_default()
        );
        poise::Context::Application(ctx).say(text).await?;
    }
    Ok(())
}

/// Moderation tools
#[poise::command(slash_command, subcommands("note"), subcommand_required)]
async fn moderation(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Leave a note about a member in a channel
#[poise::command(slash_command)]
async fn note(
    ctx: Context<'_>,
    #[description = "Member"] user: serenity::User,
    #[description = "Role involved"] role: serenity::Role,
    #[description = "Where to post"] channel: serenity::GuildChannel,
    #[description = "The note"] text: String,
    #[description = "Severity 1-5"] severity: i64,
    #[description = "Urgent?"] urgent: bool,
) -> Result<(), Error> {
    let content = format!(
        "Note on {} ({}) severity {severity} urgent {urgent}: {text}",
        user.name, role.name
    );
    let post = serenity::CreateMessage::new()
        .content(content)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    channel.id.send_message(ctx, post).await?;
    ctx.say(format!("note saved in #{}", channel.name)).await?;
    Ok(())
}

/// Administration
#[poise::command(slash_command, subcommands("settings"), subcommand_required)]
async fn admin(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Settings
#[poise::command(slash_command, subcommands("show"), subcommand_required)]
async fn settings(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Show the settings
#[poise::command(slash_command)]
async fn show(ctx: Context<'_>) -> Result<(), Error> {
    ctx.say("settings: default").await?;
    Ok(())
}

/// Send a member a direct message
#[poise::command(slash_command)]
async fn dm(ctx: Context<'_>, #[description = "Member"] user: serenity::User) -> Result<(), Error> {
    user.id
        .direct_message(
            ctx,
            serenity::CreateMessage::new().content("hello from the bot"),
        )
        .await?;
    ctx.say("sent").await?;
    Ok(())
}

/// Edit the reply, add follow-ups, edit one and delete another
#[poise::command(slash_command)]
async fn countdown(ctx: Context<'_>) -> Result<(), Error> {
    let first = ctx.say("3").await?;
    first
        .edit(ctx, poise::CreateReply::default().content("2"))
        .await?;
    let shown = first.message().await?;
    let extra = ctx.say(format!("after {}", shown.content)).await?;
    extra
        .edit(
            ctx,
            poise::CreateReply::default().content("follow-up edited"),
        )
        .await?;
    let temporary = ctx.say("temporary").await?;
    temporary.delete(ctx).await?;
    Ok(())
}

/// Export the audit log as a file
#[poise::command(slash_command, ephemeral)]
async fn export(ctx: Context<'_>) -> Result<(), Error> {
    let file = serenity::CreateAttachment::bytes(b"{\"case\":1}\n".to_vec(), "audit.jsonl");
    ctx.send(
        poise::CreateReply::default()
            .content("audit export")
            .attachment(file),
    )
    .await?;
    Ok(())
}

/// Acknowledge twice (breaks Discord's rules on purpose)
#[poise::command(slash_command)]
async fn doubleack(ctx: AppContext<'_>) -> Result<(), Error> {
    let reply = || {
        let message = serenity::CreateInteractionResponseMessage::new().content("first");
        serenity::CreateInteractionResponse::Message(message)
    };
    ctx.interaction
        .create_response(ctx.serenity_context(), reply())
        .await?;
    let outcome = match ctx
        .interaction
        .create_response(ctx.serenity_context(), reply())
        .await
    {
        Ok(()) => "second ack accepted".to_string(),
        Err(e) => format!("second ack refused: {}", discord_code(&e)),
    };
    ctx.data()
        .log_channel
        .say(ctx.serenity_context(), outcome)
        .await?;
    Ok(())
}

/// Post 2,001 characters (breaks Discord's rules on purpose)
#[poise::command(slash_command)]
async fn longpost(ctx: Context<'_>) -> Result<(), Error> {
    // serenity's builders refuse long content locally, so send the raw body.
    let body = json!({ "content": "x".repeat(2001) });
    let outcome = match ctx
        .http()
        .send_message(ctx.data().log_channel, vec![], &body)
        .await
    {
        Ok(_) => "long post accepted".to_string(),
        Err(e) => format!("long post refused: {}", discord_code(&e)),
    };
    ctx.say(outcome).await?;
    Ok(())
}

/// Defer, then open a modal (breaks Discord's rules on purpose)
#[poise::command(slash_command)]
async fn latemodal(ctx: AppContext<'_>) -> Result<(), Error> {
    use poise::Modal as _;
    let ctx_any = poise::Context::Application(ctx);
    ctx_any.defer().await?;
    let outcome = match Appeal::execute(ctx).await {
        Ok(_) => "modal accepted".to_string(),
        Err(e) => format!("modal refused: {}", discord_code(&e)),
    };
    ctx_any.say(outcome).await?;
    Ok(())
}

/// Follow up before acknowledging (breaks Discord's rules on purpose)
#[poise::command(slash_command)]
async fn earlyfollowup(ctx: AppContext<'_>) -> Result<(), Error> {
    let early = serenity::CreateInteractionResponseFollowup::new().content("too early");
    let outcome = match ctx
        .interaction
        .create_followup(ctx.serenity_context(), early)
        .await
    {
        Ok(_) => "follow-up accepted".to_string(),
        Err(e) => format!("follow-up refused: {}", discord_code(&e)),
    };
    poise::Context::Application(ctx).say(outcome).await?;
    Ok(())
}

/// Pin a message (a route the fake does not implement)
#[poise::command(slash_command)]
async fn pin(ctx: Context<'_>) -> Result<(), Error> {
    let outcome = match ctx.channel_id().pin(ctx, serenity::MessageId::new(1)).await {
        Ok(()) => "pinned".to_string(),
        Err(e) => format!("pin failed: {}", discord_code(&e)),
    };
    ctx.say(outcome).await?;
    Ok(())
}

fn commands() -> Vec<poise::Command<Data, Error>> {
    vec![
        status(),
        secret(),
        slow(),
        lookup(),
        panel(),
        appeal(),
        moderation(),
        admin(),
        dm(),
        countdown(),
        export(),
        doubleack(),
        longpost(),
        latemodal(),
        earlyfollowup(),
        pin(),
    ]
}

/// The bot running in a background task.
pub struct RunningBot {
    shard_manager: Arc<serenity::ShardManager>,
    task: JoinHandle<Result<(), serenity::Error>>,
}

impl RunningBot {
    /// Closes the gateway connection and waits for the client to return.
    pub async fn stop(self) {
        self.shard_manager.shutdown_all().await;
        let _ = self.task.await;
    }
}

/// Starts the bot exactly as the real binary will: proxy mode, ratelimiter off.
pub async fn start(fake: &FakeDiscord) -> RunningBot {
    let guild = serenity::GuildId::new(fake.guild_id());
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands(),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            ..Default::default()
        })
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_in_guild(ctx, &framework.options().commands, guild)
                    .await?;
                Ok(Data {
                    log_channel: serenity::ChannelId::new(ids::LOG_CHANNEL),
                })
            })
        })
        .build();
    let http = serenity::HttpBuilder::new(fake.token())
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build();
    let mut client =
        serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::non_privileged())
            .framework(framework)
            .await
            .expect("the serenity client builds against the fake");
    let shard_manager = client.shard_manager.clone();
    let task = tokio::spawn(async move { client.start().await });
    RunningBot {
        shard_manager,
        task,
    }
}
