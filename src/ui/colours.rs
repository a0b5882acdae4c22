//! Embed colours shared by cards and replies, so a glance tells what kind of thing happened.
//! Team colours live with the other team facts in [`super::team`].

pub const JOIN: u32 = 0x2ECC71;
pub const LEAVE: u32 = 0x7F8C8D;
pub const KILL: u32 = 0x8B0000;
pub const COMMAND: u32 = 0x9B59B6;
pub const STAFF: u32 = 0x5865F2;
pub const PENDING: u32 = 0xF1C40F;
pub const ANSWERED: u32 = 0x2ECC71;
pub const ENDED: u32 = 0x4F545C;
pub const WARNING: u32 = 0xE67E22;
pub const DANGER: u32 = 0xC0392B;
pub const NEUTRAL: u32 = 0x99AAB5;
