//! Rendering, validation and safety tests for typed commands, including property tests.

use proptest::prelude::*;

use super::*;
use crate::erlc::PolicyViolation;

fn name(n: &str) -> Target {
    Target::name(n).unwrap()
}

fn targets(list: &str) -> Targets {
    Targets::parse(list).unwrap()
}

#[test]
fn renders_every_command() {
    use GameCommand::*;
    let cases: Vec<(GameCommand, &str)> = vec![
        (Hint("Session starting".into()), ":h Session starting"),
        (
            Message("Server restart in 5".into()),
            ":m Server restart in 5",
        ),
        (
            Pm {
                targets: targets("avery,minty"),
                text: "Hello".into(),
            },
            ":pm avery,minty Hello",
        ),
        (
            Kick {
                targets: targets("avery"),
                reason: None,
            },
            ":kick avery",
        ),
        (
            Kick {
                targets: targets("avery"),
                reason: Some(" RDM\n x ".into()),
            },
            ":kick avery RDM x",
        ),
        (
            Kick {
                targets: targets("avery"),
                reason: Some("\n".into()),
            },
            ":kick avery",
        ),
        (
            Ban {
                target: Target::Id(5_873_310_294),
                reason: Some("exploiting".into()),
            },
            ":ban 5873310294 exploiting",
        ),
        (
            Unban {
                target: name("rdm_enjoyer"),
            },
            ":unban rdm_enjoyer",
        ),
        (Wanted(targets("minty")), ":wanted minty"),
        (Unwanted(targets("minty")), ":unwanted minty"),
        (Jail(targets("a,b")), ":jail a,b"),
        (Unjail(targets("a")), ":unjail a"),
        (Kill(targets("a,b")), ":kill a,b"),
        (Heal(targets("all")), ":heal all"),
        (Refresh(targets("others")), ":refresh others"),
        (Load(targets("a")), ":load a"),
        (
            Teleport {
                targets: targets("a,b"),
                destination: name("Avery_Cole"),
            },
            ":tp a,b Avery_Cole",
        ),
        (Helper(name("minty")), ":helper minty"),
        (Unhelper(name("minty")), ":unhelper minty"),
        (Mod(Target::Id(2_419_834_401)), ":mod 2419834401"),
        (Unmod(name("minty")), ":unmod minty"),
        (Admin(name("minty")), ":admin minty"),
        (Unadmin(name("minty")), ":unadmin minty"),
        (Time(0), ":time 0"),
        (Time(24), ":time 24"),
        (
            GameCommand::Weather(super::Weather::Thunderstorm),
            ":weather thunderstorm",
        ),
        (StartFire(FireKind::Dumpster), ":startfire dumpster"),
        (StopFire, ":stopfire"),
        (StopDumpsterFire, ":stopdumpsterfire"),
        (Priority(300), ":prty 300"),
        (PeaceTimer(0), ":pt 0"),
        (Log("shift started".into()), ":log shift started"),
        (
            LoadLayout("Summer  Event".into()),
            ":loadlayout Summer Event",
        ),
        (UnloadLayout(None), ":unloadlayout"),
        (UnloadLayout(Some("x1".into())), ":unloadlayout x1"),
        (Shutdown, ":shutdown"),
        (Raw(":h raw\ttext".into()), ":h raw\ttext"),
    ];
    for (command, expected) in cases {
        assert_eq!(command.to_text(), expected, "{command:?}");
        assert_eq!(command.to_string(), expected);
        if !matches!(command, Raw(_)) {
            assert_eq!(
                canonical_command_name(expected).as_deref(),
                Some(command.name()),
                "{command:?}"
            );
            assert_eq!(command.to_checked_text().as_deref(), Ok(expected));
        }
    }
}

#[test]
fn raw_name_is_the_name_as_typed() {
    assert_eq!(GameCommand::Raw(":Hint hi".into()).name(), "Hint");
    assert_eq!(GameCommand::Raw("no colon".into()).name(), "");
}

#[test]
fn validation_rejects_what_types_cannot() {
    use GameCommand::*;
    assert_eq!(
        Time(25).validate(),
        Err(CommandBuildError::TimeOutOfRange(25))
    );
    assert_eq!(
        Hint(" \n\t ".into()).validate(),
        Err(CommandBuildError::EmptyText { command: "h" })
    );
    assert_eq!(
        Pm {
            targets: targets("a"),
            text: String::new()
        }
        .validate(),
        Err(CommandBuildError::EmptyText { command: "pm" })
    );
    assert_eq!(
        Ban {
            target: Target::All,
            reason: None
        }
        .validate(),
        Err(CommandBuildError::GroupNotAllowed { command: "ban" })
    );
    assert_eq!(
        Admin(Target::Others).validate(),
        Err(CommandBuildError::GroupNotAllowed { command: "admin" })
    );
    let partial = Unban { target: name("ab") }.validate().unwrap_err();
    assert!(partial.to_string().contains("full username"), "{partial}");
    assert_eq!(
        Teleport {
            targets: targets("a"),
            destination: Target::All
        }
        .validate(),
        Err(CommandBuildError::GroupNotAllowed { command: "tp" })
    );
    assert!(
        Kick {
            targets: targets("all"),
            reason: None
        }
        .validate()
        .is_ok()
    );
    assert!(Time(25).to_checked_text().is_err());
}

/// Typed commands are judged by the same text rule as raw ones, through what they render.
#[test]
fn destructive_typed_commands_need_confirmation() {
    use GameCommand::*;
    for destructive in [
        Shutdown,
        Ban {
            target: name("rdm_enjoyer"),
            reason: None,
        },
        Admin(name("minty")),
        Unadmin(name("minty")),
        Mod(name("minty")),
        Helper(name("minty")),
        Kill(targets("all")),
        Kick {
            targets: targets("avery,others"),
            reason: None,
        },
        Teleport {
            targets: targets("all"),
            destination: name("avery"),
        },
    ] {
        assert!(is_destructive(&destructive.to_text()), "{destructive:?}");
    }
    for routine in [
        Hint("all of you: hi".into()),
        Message("others welcome".into()),
        Kick {
            targets: targets("avery"),
            reason: None,
        },
        Unban {
            target: name("rdm_enjoyer"),
        },
        Jail(targets("a,b")),
        Weather(super::Weather::Rain),
    ] {
        assert!(!is_destructive(&routine.to_text()), "{routine:?}");
    }
}

#[test]
fn weather_and_fire_words_parse_case_insensitively() {
    assert_eq!("Rain".parse::<Weather>(), Ok(Weather::Rain));
    assert_eq!(" SNOW ".parse::<Weather>(), Ok(Weather::Snow));
    assert_eq!(
        "hail".parse::<Weather>(),
        Err(CommandBuildError::UnknownWeather("hail".into()))
    );
    assert_eq!("building".parse::<FireKind>(), Ok(FireKind::Building));
    assert!("forest".parse::<FireKind>().is_err());
    assert_eq!(Weather::ALL.len(), 5);
    assert_eq!(FireKind::ALL.len(), 4);
}

/// Any text, biased towards characters that could break a command apart.
fn hostile_text() -> impl Strategy<Value = String> {
    let risky = prop::sample::select(vec![
        '\n', '\r', '\t', '\u{0}', '\u{1b}', '\u{7f}', '\u{85}', '\u{2028}', '\u{2029}', ' ', ':',
        ',', ';',
    ]);
    prop::collection::vec(prop_oneof![3 => any::<char>(), 2 => risky], 0..120)
        .prop_map(String::from_iter)
}

fn free_text_commands(text: String) -> Vec<GameCommand> {
    vec![
        GameCommand::Hint(text.clone()),
        GameCommand::Message(text.clone()),
        GameCommand::Pm {
            targets: targets("avery,minty"),
            text: text.clone(),
        },
        GameCommand::Kick {
            targets: targets("avery"),
            reason: Some(text.clone()),
        },
        GameCommand::Ban {
            target: Target::Id(5_873_310_294),
            reason: Some(text.clone()),
        },
        GameCommand::Log(text.clone()),
        GameCommand::LoadLayout(text.clone()),
        GameCommand::UnloadLayout(Some(text)),
    ]
}

proptest! {
    #[test]
    fn free_text_can_never_break_out_of_its_command(text in hostile_text()) {
        let policy = CommandPolicy::default();
        for command in free_text_commands(text) {
            let rendered = command.to_text();
            prop_assert!(!rendered.chars().any(char::is_control), "{rendered:?}");
            let separators = ['\u{2028}', '\u{2029}'];
            prop_assert!(!rendered.contains(separators), "line separator in {:?}", rendered);
            let prefix = format!(":{}", command.name());
            prop_assert!(rendered.starts_with(&prefix), "{:?} does not start with {}", rendered, prefix);
            let canonical = canonical_command_name(&rendered);
            prop_assert_eq!(canonical.as_deref(), Some(command.name()));
            prop_assert_eq!(rendered.trim(), rendered.as_str());
            if rendered.chars().count() <= policy.max_len {
                prop_assert_eq!(policy.check(&rendered), Ok(()));
            } else {
                let too_long = matches!(policy.check(&rendered), Err(PolicyViolation::TooLong { .. }));
                prop_assert!(too_long);
            }
        }
    }

    #[test]
    fn parsed_targets_only_ever_render_safe_characters(
        input in prop_oneof![
            hostile_text(),
            "[A-Za-z0-9_ ,]{0,40}",
            "(all|Others|me|[0-9]{1,12}|[a-z_]{1,22})(,[A-Za-z0-9_: \n]{0,10}){0,3}",
        ]
    ) {
        if let Ok(parsed) = Targets::parse(&input) {
            let rendered = parsed.to_string();
            prop_assert!(
                rendered.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ','),
                "{:?}", rendered
            );
            prop_assert_eq!(Targets::parse(&rendered), Ok(parsed));
        }
    }

    #[test]
    fn policy_check_never_panics(text in hostile_text()) {
        let policy = CommandPolicy::default().with_deny(["shutdown"]);
        let _verdict = policy.check(&text);
    }
}
