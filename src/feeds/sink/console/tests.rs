use std::io;
use std::sync::{Arc, Mutex};

use futures::executor::block_on;

use super::*;
use crate::events::catalog::EventPayload;
use crate::events::fixtures::{event, player};
use crate::feeds::batch::{BatchConfig, Batcher};

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn mod_call_message() -> Message {
    let mut batcher = Batcher::new(BatchConfig::default());
    let new = event(
        2,
        EventPayload::ModCallNew {
            call_key: "1-17".into(),
            caller: player("Caller_1", 1, "Civilian"),
        },
    );
    batcher.push_event(&[9], &new, 0);
    batcher.flush_all().remove(0).message
}

#[test]
fn prints_readable_plain_text_without_colour() {
    let out = Shared::default();
    let sink = ConsoleSink::new(out.clone(), false).with_channel_name(9, "modcalls");
    let id = block_on(sink.create(9, &mod_call_message(), "nonce")).unwrap();
    let text = out.text();
    assert!(!text.contains('\x1b'), "{text}");
    let expected = [
        format!("── #modcalls · message {id} "),
        "▌ Mod call\n".to_owned(),
        "▌ Caller_1 needs a moderator at 22:13:20 UTC\n".to_owned(),
        "▌ Caller: Caller_1   Status: Waiting for a moderator\n".to_owned(),
        "▌ main · modcall/new · 2023-11-14 22:13:20 UTC\n".to_owned(),
        "  [Claim] [Resolve]\n".to_owned(),
    ];
    let mut rest = text.as_str();
    for piece in &expected {
        let at = rest
            .find(piece.as_str())
            .unwrap_or_else(|| panic!("{piece:?} missing in order from:\n{text}"));
        rest = &rest[at + piece.len()..];
    }
    block_on(sink.edit(9, &id, &mod_call_message())).unwrap();
    assert!(
        out.text()
            .contains(&format!("#modcalls · message {id} edited"))
    );
}

#[test]
fn colours_bars_and_buttons_when_on() {
    let out = Shared::default();
    let sink = ConsoleSink::new(out.clone(), true);
    block_on(sink.create(9, &mod_call_message(), "n")).unwrap();
    let text = out.text();
    assert!(text.contains("── channel 9 · message 1"));
    assert!(
        text.contains("\x1b[38;2;241;196;15m▌"),
        "the bar takes the card's colour"
    );
    assert!(text.contains("\x1b[38;2;88;101;242m[Claim]"));
}

#[test]
fn no_color_is_honoured() {
    assert!(colour_wanted(None));
    assert!(colour_wanted(Some(OsStr::new(""))));
    assert!(!colour_wanted(Some(OsStr::new("1"))));
}

#[test]
fn game_text_cannot_drive_the_terminal() {
    let out = Shared::default();
    let sink = ConsoleSink::new(out.clone(), false);
    let hostile = event(
        1,
        EventPayload::PlayerJoin {
            player: player("a\x1b[2Jb\rc", 1, "Police"),
        },
    );
    let mut batcher = Batcher::new(BatchConfig::default());
    batcher.push_event(&[1], &hostile, 0);
    let message = batcher.flush_all().remove(0).message;
    block_on(sink.create(1, &message, "n")).unwrap();
    let text = out.text();
    assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    assert!(text.contains("a[2Jb c joined"), "{text}");
}

#[test]
fn long_lines_wrap_at_spaces() {
    assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
    assert_eq!(
        wrap("\x1b[1maa\x1b[22m bb", 5),
        vec!["\x1b[1maa\x1b[22m bb"]
    );
    assert_eq!(wrap("abcdefgh ij", 4), vec!["abcdefgh", "ij"]);
    assert_eq!(wrap("", 4), vec![""]);
}

#[test]
fn wrapping_keeps_leading_and_inner_spaces() {
    assert_eq!(wrap("  ab   cd", 20), vec!["  ab   cd"]);
}
