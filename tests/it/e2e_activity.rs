//! End to end: quotas, leave of absence and the activity report through the real binary. A
//! staff member asks for leave; they cannot approve it themselves, another member does, and
//! they are told by DM; `/activity report` then excuses them for the days on leave, and its
//! reply carries a CSV (names neutralised against spreadsheet formulas) and a PNG chart.

use crate::support::e2e::{World, embed_text, sim_config};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::{FakeConfig, StoredMessage, ids};
use crate::support::wait::{WAIT, wait_for};

/// A staff member whose name a spreadsheet would run as a formula.
const FORMULA_STAFF: u64 = 600_000_000_000_000_077;

fn csv_of(message: &StoredMessage) -> String {
    let file = message
        .attachments
        .iter()
        .find(|a| a.file.filename.ends_with(".csv"))
        .unwrap_or_else(|| panic!("no CSV attached: {:?}", message.attachments));
    String::from_utf8(file.file.bytes.clone()).expect("the CSV is UTF-8")
}

fn row_of(csv: &str, member: u64) -> Vec<&str> {
    let line = csv
        .lines()
        .find(|l| l.starts_with(&format!("{member},")))
        .unwrap_or_else(|| panic!("no row for {member} in:\n{csv}"));
    line.split(',').collect()
}

async fn report(world: &World, from: &str, to: &str) -> StoredMessage {
    let options = vec![Opt::sub(
        "report",
        vec![Opt::string("from", from), Opt::string("to", to)],
    )];
    world.slash_ok(ids::OWNER, "activity", options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leave_approved_by_another_member_excuses_the_quota_in_the_report() {
    let mut fake = FakeConfig::default();
    fake.guild = fake
        .guild
        .with_member(FORMULA_STAFF, "=HYPERLINK(\"x\")", &[ids::MODERATOR_ROLE]);
    let world = World::start_with(fake, sim_config(0)).await;
    let mut bot = world.start_bot().await;
    let grant = vec![Opt::sub(
        "set",
        vec![
            Opt::role("role", ids::MODERATOR_ROLE),
            Opt::string("capabilities", "view, shifts"),
        ],
    )];
    world.slash_ok(ids::OWNER, "permissions", grant).await;
    let quota = vec![Opt::group(
        "quota",
        vec![Opt::sub(
            "set",
            vec![
                Opt::role("role", ids::MODERATOR_ROLE),
                Opt::integer("minutes", 70),
            ],
        )],
    )];
    let saved = world.slash_ok(ids::OWNER, "settings", quota).await;
    assert!(
        embed_text(&saved).contains("70 minutes"),
        "{}",
        embed_text(&saved)
    );

    // Both staff members work a (short) shift.
    for member in [ids::MODERATOR, FORMULA_STAFF] {
        for step in ["start", "end"] {
            let done = world
                .slash_as(member, "shift", vec![Opt::sub(step, Vec::new())])
                .await;
            assert!(
                !embed_text(&done).contains("need the"),
                "{}",
                embed_text(&done)
            );
        }
    }

    // A leave over today and tomorrow; a date that does not exist is a clear private error.
    let ask = |from: &str, to: &str| {
        vec![Opt::sub(
            "request",
            vec![
                Opt::string("from", from),
                Opt::string("to", to),
                Opt::string("reason", "exams @everyone"),
            ],
        )]
    };
    let bad = world
        .slash_as(ids::MODERATOR, "loa", ask("2026-13-01", "tomorrow"))
        .await;
    assert!(bad.is_ephemeral());
    assert!(
        embed_text(&bad).contains("not a day of the calendar"),
        "{}",
        embed_text(&bad)
    );
    let card = world
        .slash_ok(ids::MODERATOR, "loa", ask("today", "tomorrow"))
        .await;
    assert!(
        embed_text(&card).contains("Leave request #1"),
        "{}",
        embed_text(&card)
    );
    let overlapping = world
        .slash_as(ids::MODERATOR, "loa", ask("tomorrow", "3d"))
        .await;
    assert!(
        embed_text(&overlapping).contains("shares days"),
        "{}",
        embed_text(&overlapping)
    );
    let approve = card
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with("erlc:loa_ok:"))
        .expect("an Approve button");

    // The one away cannot approve their own leave (they lack shift_admin, too).
    let own = world.click(ids::MODERATOR, card.id, &approve);
    own.await_response(WAIT).await;
    world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.is_ephemeral() && embed_text(m).contains("shift_admin"),
            WAIT,
        )
        .await;

    // The owner approves: the card says so and the member gets a DM.
    let approved = world.click(ids::OWNER, card.id, &approve);
    assert_eq!(approved.await_response(WAIT).await.kind, 6);
    world
        .fake
        .wait_for_message(
            ids::GENERAL_CHANNEL,
            |m| m.id == card.id && embed_text(m).contains("approved"),
            WAIT,
        )
        .await;
    wait_for("the member's DM channel", || {
        world.fake.dm_channel_of(ids::MODERATOR).is_some()
    })
    .await;
    let dm = world
        .fake
        .dm_channel_of(ids::MODERATOR)
        .expect("a DM channel");
    let note = world
        .fake
        .wait_for_message(dm, |m| embed_text(m).contains("was approved"), WAIT)
        .await;
    assert!(
        !embed_text(&note).contains("@everyone"),
        "{}",
        embed_text(&note)
    );
    let listed = world
        .slash_as(ids::MODERATOR, "loa", vec![Opt::sub("list", Vec::new())])
        .await;
    assert!(
        embed_text(&listed).contains("#1"),
        "{}",
        embed_text(&listed)
    );

    // Over the days of leave the member is excused; the other one is not.
    let on_leave = report(&world, "today", "tomorrow").await;
    let csv = csv_of(&on_leave);
    assert!(csv.starts_with("member_id,member,shift_minutes,"), "{csv}");
    let row = row_of(&csv, ids::MODERATOR);
    assert_eq!(row.last(), Some(&"excused (leave)"), "{csv}");
    let other = row_of(&csv, FORMULA_STAFF);
    assert_eq!(other[1], "\"'=HYPERLINK(\"\"x\"\")\"", "{csv}");
    assert_eq!(other.last(), Some(&"in progress"), "{csv}");
    // With yesterday in the period the member owes one day: 70 × 1/7 = 10 minutes.
    let wider = csv_of(&report(&world, "yesterday", "tomorrow").await);
    let row = row_of(&wider, ids::MODERATOR);
    assert_eq!(row[11], "10", "required minutes in:\n{wider}");

    // The chart is a PNG, one bar per staff member.
    let png = on_leave
        .attachments
        .iter()
        .find(|a| a.file.filename.ends_with(".png"))
        .expect("a PNG attached");
    assert!(png.file.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let decoder = png::Decoder::new(png.file.bytes.as_slice());
    let info = decoder.read_info().expect("a valid PNG");
    let (width, height) = (info.info().width, info.info().height);
    assert_eq!((width, height), (900, 90 + 22 * 2));

    // Without shift_admin the report is refused privately.
    let refused = world
        .slash_as(
            ids::MODERATOR,
            "activity",
            vec![Opt::sub("report", Vec::new())],
        )
        .await;
    assert!(refused.is_ephemeral(), "{}", embed_text(&refused));
    world.assert_nothing_pings();
    assert!(bot.stop(WAIT).await.success());
}
