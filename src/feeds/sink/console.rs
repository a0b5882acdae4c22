//! A sink that prints feed messages as readable, coloured terminal text (the demo's output):
//! a header per message with its channel, each embed as a coloured bar with title,
//! description, fields and footer, and buttons as `[Claim] [Resolve]`. Honours NO_COLOR.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::terminal::{Paint, date_time, to_terminal};
use super::{Sink, SinkError, SinkFuture};
use crate::ui::{ButtonStyle, Embed, Message};

const BAR: &str = "▌";
const RULE_WIDTH: usize = 60;
/// Longest printed line after the bar, in visible characters.
const WRAP_WIDTH: usize = 96;
/// Inline fields per line, as Discord shows up to three side by side.
const INLINE_PER_LINE: usize = 3;

/// Whether to colour output, per <https://no-color.org>: any non-empty `NO_COLOR` turns
/// colour off.
pub fn colour_wanted(no_color: Option<&OsStr>) -> bool {
    no_color.is_none_or(OsStr::is_empty)
}

/// Prints messages to a writer.
pub struct ConsoleSink {
    out: Mutex<Box<dyn Write + Send>>,
    paint: Paint,
    channel_names: HashMap<u64, String>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for ConsoleSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSink")
            .field("colour", &self.paint.on)
            .field("channel_names", &self.channel_names)
            .finish_non_exhaustive()
    }
}

impl ConsoleSink {
    /// Print to `out`, with ANSI colours when `colour` is true.
    pub fn new(out: impl Write + Send + 'static, colour: bool) -> Self {
        Self {
            out: Mutex::new(Box::new(out)),
            paint: Paint { on: colour },
            channel_names: HashMap::new(),
            next_id: AtomicU64::new(1),
        }
    }

    /// Standard output, coloured when it is a terminal and `NO_COLOR` is not set.
    pub fn stdout() -> Self {
        let colour = colour_wanted(std::env::var_os("NO_COLOR").as_deref())
            && std::io::stdout().is_terminal();
        Self::new(std::io::stdout(), colour)
    }

    /// Show `name` (e.g. `joins`) instead of the channel id in headers.
    pub fn with_channel_name(mut self, channel_id: u64, name: &str) -> Self {
        self.channel_names.insert(channel_id, name.to_owned());
        self
    }

    fn channel_label(&self, channel_id: u64) -> String {
        match self.channel_names.get(&channel_id) {
            Some(name) => format!("#{}", to_terminal(name, Paint { on: false })),
            None => format!("channel {channel_id}"),
        }
    }

    fn print(&self, header: &str, message: &Message) -> Result<(), SinkError> {
        let text = self.layout(header, message);
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| SinkError::retryable(format!("could not write to the console: {e}")))
    }

    /// The whole printout of one message.
    fn layout(&self, header: &str, message: &Message) -> String {
        let p = self.paint;
        let rule = "─".repeat(RULE_WIDTH.saturating_sub(header.chars().count() + 4));
        let mut text = format!("{}── {header} {rule}{}\n", p.dim(), p.reset());
        if let Some(content) = &message.content {
            text.push_str(&to_terminal(content, p));
            text.push('\n');
        }
        for (position, embed) in message.embeds.iter().enumerate() {
            if position > 0 {
                text.push('\n');
            }
            self.embed(&mut text, embed);
        }
        if !message.buttons.is_empty() {
            let row: Vec<String> = message
                .buttons
                .iter()
                .map(|b| {
                    let label = to_terminal(&b.label, Paint { on: false });
                    format!(
                        "{}{}[{label}]{}",
                        p.bold(),
                        p.fg(style_colour(b.style)),
                        p.reset()
                    )
                })
                .collect();
            text.push_str(&format!("  {}\n", row.join(" ")));
        }
        text.push('\n');
        text
    }

    fn embed(&self, text: &mut String, embed: &Embed) {
        let p = self.paint;
        let bar = format!(
            "{}{BAR}{}",
            p.fg(embed.colour.unwrap_or(0x99AAB5)),
            p.reset()
        );
        let mut line = |body: &str| {
            for piece in body.split('\n').flat_map(|l| wrap(l, WRAP_WIDTH)) {
                text.push_str(&format!("{bar} {piece}{}\n", p.reset()));
            }
        };
        if let Some(title) = &embed.title {
            line(&format!(
                "{}{}{}",
                p.bold(),
                to_terminal(title, p),
                p.normal()
            ));
        }
        if let Some(description) = &embed.description {
            line(&to_terminal(description, p));
        }
        let mut inline: Vec<String> = Vec::new();
        for field in &embed.fields {
            let name = to_terminal(&field.name, p);
            let value = to_terminal(&field.value, p);
            if field.inline && !value.contains('\n') {
                inline.push(format!("{}{name}:{} {value}", p.dim(), p.normal()));
                if inline.len() == INLINE_PER_LINE {
                    line(&inline.join("   "));
                    inline.clear();
                }
                continue;
            }
            if !inline.is_empty() {
                line(&inline.join("   "));
                inline.clear();
            }
            line(&format!("{}{name}:{}", p.dim(), p.normal()));
            line(&format!("  {}", value.replace('\n', "\n  ")));
        }
        if !inline.is_empty() {
            line(&inline.join("   "));
        }
        let footer = [
            embed
                .footer
                .as_deref()
                .map(|f| to_terminal(f, Paint { on: false })),
            embed.timestamp.map(|t| format!("{} UTC", date_time(t))),
        ];
        let footer: Vec<String> = footer.into_iter().flatten().collect();
        if !footer.is_empty() {
            line(&format!("{}{}{}", p.dim(), footer.join(" · "), p.normal()));
        }
    }
}

/// Split a line at spaces so no piece is wider than `width` visible characters (ANSI codes
/// take no room). A single word longer than `width` stays whole.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut current_width = 0;
    let mut started = false;
    for word in line.split(' ') {
        let word_width = visible_width(word);
        if started && current_width > 0 && current_width + 1 + word_width > width {
            pieces.push(std::mem::take(&mut current));
            current_width = 0;
            started = false;
        }
        if started {
            current.push(' ');
            current_width += 1;
        }
        current.push_str(word);
        current_width += word_width;
        started = true;
    }
    pieces.push(current);
    pieces
}

/// Characters a terminal shows, skipping `ESC [ … m` sequences.
fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}

fn style_colour(style: ButtonStyle) -> u32 {
    match style {
        ButtonStyle::Primary => 0x5865F2,
        ButtonStyle::Secondary => 0x99AAB5,
        ButtonStyle::Success => 0x3BA55C,
        ButtonStyle::Danger => 0xED4245,
    }
}

impl Sink for ConsoleSink {
    fn create<'a>(
        &'a self,
        channel_id: u64,
        message: &'a Message,
        _nonce: &'a str,
    ) -> SinkFuture<'a, String> {
        Box::pin(async move {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
            let header = format!("{} · message {id}", self.channel_label(channel_id));
            self.print(&header, message)?;
            Ok(id)
        })
    }

    fn edit<'a>(
        &'a self,
        channel_id: u64,
        message_id: &'a str,
        message: &'a Message,
    ) -> SinkFuture<'a, ()> {
        Box::pin(async move {
            let header = format!(
                "{} · message {} edited",
                self.channel_label(channel_id),
                to_terminal(message_id, Paint { on: false })
            );
            self.print(&header, message)
        })
    }
}

#[cfg(test)]
mod tests;
