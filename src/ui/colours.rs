//! Embed colours shared by cards and replies, so a glance tells what kind of thing happened.
//! Team colours live with the other team facts in [`super::team`].

/// Green: a player joined, a server with players in it, a good result.
pub const JOIN: u32 = 0x2ECC71;
/// Grey: a player left or went off duty.
pub const LEAVE: u32 = 0x7F8C8D;
/// Dark red: a kill (when the killer's team has no colour of its own).
pub const KILL: u32 = 0x8B0000;
/// Purple: an in-game command, by a player or through the bot.
pub const COMMAND: u32 = 0x9B59B6;
/// Discord blurple: staff lists, server overviews and other staff-facing summaries.
pub const STAFF: u32 = 0x5865F2;
/// Yellow: something waits for staff, such as a mod call or a `;staff` alert.
pub const PENDING: u32 = 0xF1C40F;
/// Green: a call answered, a command confirmed, nothing left to do.
pub const ANSWERED: u32 = 0x2ECC71;
/// Dark grey: over or idle, such as an ended call or a server that is offline or empty.
pub const ENDED: u32 = 0x4F545C;
/// Orange: worked only in part, or needs a look (a command not seen in the logs yet).
pub const WARNING: u32 = 0xE67E22;
/// Red: active emergencies, bans, refusals and failures.
pub const DANGER: u32 = 0xC0392B;
/// Light grey: plain information with no judgement in it.
pub const NEUTRAL: u32 = 0x99AAB5;
