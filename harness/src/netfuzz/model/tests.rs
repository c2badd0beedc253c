//! The oracle's rules, one test each, and a cross-check against the catalogue.

use super::*;
use crate::netfuzz::action::{BadUtf8, Bytes, CloseSpec, Payload};

fn text(t: &str) -> Action {
    Action::Message {
        binary: false,
        payload: Payload::text(t),
        fragments: 1,
        write: Write::Whole,
    }
}

fn frame(op: u8, t: &str) -> FrameAction {
    FrameAction::new(op, Payload::text(t))
}

fn ping(t: &str) -> Action {
    Action::Ping {
        payload: Payload::text(t),
    }
}

fn close(code: u16, reason: Payload) -> Action {
    Action::Close(CloseSpec::Code { code, reason })
}

fn run(actions: Vec<Action>) -> Modeled {
    let seq = Sequence {
        opening: OpeningKind::Standard,
        actions,
    };
    model(&seq, "fuzz.test", Timing::default()).expect("models")
}

fn events(m: &Modeled) -> Vec<(Verdict, Vec<Event>)> {
    m.case.expected.alternatives.clone()
}

fn ok_events(m: &Modeled) -> Vec<Vec<Event>> {
    events(m)
        .into_iter()
        .filter(|(v, _)| *v == Verdict::Ok)
        .map(|(_, e)| e)
        .collect()
}

fn accepts(m: &Modeled, e: &[Event]) -> bool {
    events(m).iter().any(|(_, alt)| alt == e)
}

#[test]
fn a_message_is_echoed_with_its_type_and_the_harness_closes_normally() {
    let m = run(vec![
        text("hello"),
        Action::Message {
            binary: true,
            payload: Payload::text("bin"),
            fragments: 3,
            write: Write::Chop(1),
        },
    ]);
    assert_eq!(
        events(&m),
        vec![(
            Verdict::Ok,
            vec![Event::text("hello"), Event::binary("bin")]
        )]
    );
    assert_eq!(m.case.expected_close, ExpectedClose::normal());
    assert_eq!(m.case.rule, VerdictRule::Standard);
    // One outcome only: the engine closes as soon as it is complete.
    assert!(matches!(m.case.steps.last(), Some(Step::CloseAfter(_))));
    // 1 + 3 frames.
    assert_eq!(
        m.case
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Send(_)))
            .count(),
        4
    );
}

#[test]
fn nothing_expected_closes_at_once() {
    let m = run(vec![Action::Pong {
        payload: Payload::text("unsolicited"),
    }]);
    assert_eq!(events(&m), vec![(Verdict::Ok, vec![])]);
    assert_eq!(
        m.case.steps.last(),
        Some(&Step::Close(ClosePayload::code(1000)))
    );
}

#[test]
fn a_ping_is_answered_with_its_payload_but_not_over_125_octets() {
    let m = run(vec![ping("abc")]);
    assert_eq!(ok_events(&m), vec![vec![Event::pong("abc")]]);
    let long = Action::Ping {
        payload: Payload::Fill {
            unit: Bytes(b"x".to_vec()),
            len: 126,
        },
    };
    let m = run(vec![long]);
    assert_eq!(ok_events(&m), vec![vec![]]);
    assert_eq!(m.case.expected_close, ExpectedClose::peer_fails(&[1002]));
    assert!(matches!(m.case.steps.last(), Some(Step::KillAfter(_))));
}

#[test]
fn header_violations_fail_with_1002() {
    let cases = [
        FrameAction {
            rsv: 4,
            ..frame(opcode::TEXT, "rsv")
        },
        frame(3, "reserved data opcode"),
        frame(0xB, "reserved control opcode"),
        FrameAction {
            mask: MaskKind::Unmasked,
            ..frame(opcode::TEXT, "unmasked")
        },
        FrameAction {
            fin: false,
            ..frame(opcode::PING, "fragmented ping")
        },
        frame(opcode::CONTINUATION, "nothing to continue"),
    ];
    for f in cases {
        let m = run(vec![Action::Frame(f.clone())]);
        assert_eq!(ok_events(&m), vec![vec![]], "{f:?}");
        assert_eq!(
            m.case.expected_close,
            ExpectedClose::peer_fails(&[1002]),
            "{f:?}"
        );
    }
}

#[test]
fn a_new_message_inside_a_fragmented_one_fails() {
    let m = run(vec![
        Action::Frame(FrameAction {
            fin: false,
            ..frame(opcode::TEXT, "first")
        }),
        Action::Frame(frame(opcode::BINARY, "second")),
    ]);
    assert_eq!(m.case.expected_close, ExpectedClose::peer_fails(&[1002]));
    assert_eq!(ok_events(&m), vec![vec![]]);
}

#[test]
fn a_ping_inside_a_fragmented_message_is_answered_first() {
    let m = run(vec![
        Action::Frame(FrameAction {
            fin: false,
            ..frame(opcode::TEXT, "frag1")
        }),
        ping("p"),
        Action::Frame(frame(opcode::CONTINUATION, "frag2")),
    ]);
    let both = vec![Event::pong("p"), Event::text("frag1frag2")];
    assert!(ok_events(&m).contains(&both));
}

#[test]
fn echoes_and_pongs_may_interleave_in_any_order() {
    let m = run(vec![text("a"), ping("p"), text("b")]);
    let ok = ok_events(&m);
    assert_eq!(ok.len(), 3, "{ok:?}");
    assert!(ok.contains(&vec![Event::pong("p"), Event::text("a"), Event::text("b")]));
    assert!(ok.contains(&vec![Event::text("a"), Event::text("b"), Event::pong("p")]));
    // Messages never reorder.
    assert!(!accepts(
        &m,
        &[Event::text("b"), Event::text("a"), Event::pong("p")]
    ));
    // Several outcomes: the harness waits, then closes if still open.
    assert!(matches!(m.case.steps.last(), Some(Step::CloseAfter(_))));
}

#[test]
fn only_the_last_pings_pong_is_required() {
    let m = run(vec![ping("1"), ping("2")]);
    assert!(accepts(&m, &[Event::pong("1"), Event::pong("2")]));
    assert!(accepts(&m, &[Event::pong("2")]));
    assert!(!accepts(&m, &[Event::pong("1")]));
    assert!(!accepts(&m, &[]));
    assert!(!accepts(&m, &[Event::pong("2"), Event::pong("1")]));
}

#[test]
fn failing_before_earlier_echoes_is_non_strict() {
    let m = run(vec![
        text("a"),
        Action::Frame(FrameAction {
            rsv: 1,
            ..frame(opcode::TEXT, "bad")
        }),
        ping("after"),
    ]);
    assert_eq!(ok_events(&m), vec![vec![Event::text("a")]]);
    assert!(accepts(&m, &[]));
    // Nothing after the violation is ever answered.
    assert!(!accepts(&m, &[Event::text("a"), Event::pong("after")]));
    assert_eq!(m.case.expected_close, ExpectedClose::peer_fails(&[1002]));
}

#[test]
fn invalid_utf8_fails_with_1007_fast_or_late() {
    let bad = Action::Message {
        binary: false,
        payload: Payload::BadUtf8 {
            before: "ok".into(),
            bad: BadUtf8::Surrogate,
            after: "tail".into(),
        },
        fragments: 2,
        write: Write::Whole,
    };
    let m = run(vec![bad.clone()]);
    // Never echoed.
    assert_eq!(ok_events(&m), vec![vec![]]);
    assert!(m.case.expected_close.codes.contains(&1007));
    assert!(!m.case.expected_close.codes.contains(&1002));
    assert!(!m.case.expected_close.require_clean);
    // A ping after it: a fail-fast server never answers it, a late one may.
    let m = run(vec![bad, ping("p")]);
    assert_eq!(ok_events(&m), vec![vec![]]);
    assert!(accepts(&m, &[Event::pong("p")]));
    assert_eq!(m.meta.worlds, 2);
}

#[test]
fn a_text_message_cut_inside_a_character_is_invalid_at_its_end_only() {
    // E2 82 AC split over two frames is the valid "€".
    let m = run(vec![Action::Message {
        binary: false,
        payload: Payload::text("\u{20ac}"),
        fragments: 2,
        write: Write::Whole,
    }]);
    assert_eq!(ok_events(&m), vec![vec![Event::text("\u{20ac}")]]);
    // A message ending in E2 82 is not.
    let m = run(vec![Action::Message {
        binary: false,
        payload: Payload::BadUtf8 {
            before: String::new(),
            bad: BadUtf8::Truncated,
            after: String::new(),
        },
        fragments: 1,
        write: Write::Whole,
    }]);
    assert_eq!(ok_events(&m), vec![vec![]]);
    assert!(m.case.expected_close.codes.contains(&1007));
}

#[test]
fn our_close_is_answered_with_its_code_or_1000() {
    let m = run(vec![close(3000, Payload::text("bye"))]);
    assert_eq!(
        m.case.expected_close,
        ExpectedClose::me_then(&[1000, 3000], true)
    );
    assert!(matches!(m.case.steps[0], Step::Close(_)));
    let m = run(vec![Action::Close(CloseSpec::Empty)]);
    assert_eq!(m.case.expected_close, ExpectedClose::me_then(&[1000], true));
}

#[test]
fn bad_closes_fail_with_1002_or_1007() {
    for (spec, codes) in [
        (
            CloseSpec::Code {
                code: 1005,
                reason: Payload::empty(),
            },
            vec![1002],
        ),
        (
            CloseSpec::Code {
                code: 999,
                reason: Payload::empty(),
            },
            vec![1002],
        ),
        (CloseSpec::OneOctet { octet: 3 }, vec![1002]),
        (
            CloseSpec::Code {
                code: 1000,
                reason: Payload::BadUtf8 {
                    before: String::new(),
                    bad: BadUtf8::InvalidOctet,
                    after: String::new(),
                },
            },
            vec![1002, 1007],
        ),
        (
            CloseSpec::Code {
                code: 1000,
                reason: Payload::Fill {
                    unit: Bytes(b"*".to_vec()),
                    len: 124,
                },
            },
            vec![1002],
        ),
    ] {
        let m = run(vec![Action::Close(spec.clone())]);
        assert_eq!(
            m.case.expected_close,
            ExpectedClose::me_then(&codes, false),
            "{spec:?}"
        );
    }
}

#[test]
fn codes_beyond_the_registry_may_be_echoed_or_refused() {
    let m = run(vec![close(5000, Payload::empty())]);
    let codes = &m.case.expected_close.codes;
    assert!(codes.contains(&1000) && codes.contains(&5000) && codes.contains(&1002));
    assert!(!m.case.expected_close.require_clean);
}

#[test]
fn a_close_inside_a_fragmented_message_is_answered_normally() {
    let m = run(vec![
        Action::Frame(FrameAction {
            fin: false,
            ..frame(opcode::TEXT, "frag")
        }),
        close(1000, Payload::empty()),
        text("never sent"),
    ]);
    assert_eq!(m.case.expected_close, ExpectedClose::me_then(&[1000], true));
    // Nothing after the close is sent.
    assert!(matches!(m.case.steps[1], Step::Close(_)));
    assert!(m.case.steps[2..]
        .iter()
        .all(|s| !matches!(s, Step::Send(_))));
}

#[test]
fn a_close_after_a_violation_goes_out_raw() {
    let m = run(vec![
        Action::Frame(FrameAction {
            rsv: 2,
            ..frame(opcode::TEXT, "bad")
        }),
        close(1000, Payload::empty()),
    ]);
    assert!(m.case.steps.iter().all(|s| !matches!(s, Step::Close(_))));
    assert_eq!(m.case.expected_close, ExpectedClose::peer_fails(&[1002]));
}

#[test]
fn a_non_minimal_length_may_be_accepted_or_refused() {
    let m = run(vec![Action::Frame(FrameAction {
        length: LengthKind::Extended16,
        ..frame(opcode::TEXT, "short")
    })]);
    assert!(accepts(&m, &[Event::text("short")]));
    assert!(accepts(&m, &[]));
    let close = &m.case.expected_close;
    assert!(close.codes.contains(&1000) && close.codes.contains(&1002));
    assert_eq!(m.case.rule, VerdictRule::EitherEndpointCloses);
}

#[test]
fn an_abort_is_informational() {
    let m = run(vec![text("a"), Action::Abort { after_ms: 1 }, text("b")]);
    assert_eq!(m.case.rule, VerdictRule::Informational);
    assert!(m.meta.informational);
    assert_eq!(m.case.steps.last(), Some(&Step::KillAfter(0)));
}

#[test]
fn split_frames_are_written_raw_with_a_pause() {
    let m = run(vec![Action::Split {
        frame: frame(opcode::TEXT, "split"),
        at: 3,
        pause_ms: 7,
    }]);
    assert!(matches!(m.case.steps[0], Step::SendRaw { ref bytes, .. } if bytes.len() == 3));
    assert_eq!(m.case.steps[1], Step::Wait { ms: 7, tag: None });
    assert_eq!(ok_events(&m), vec![vec![Event::text("split")]]);
}

#[test]
fn too_many_outcomes_are_refused() {
    let mut actions: Vec<Action> = (0..8).map(|i| text(&i.to_string())).collect();
    actions.extend((0..5).map(|i| ping(&i.to_string())));
    let seq = Sequence {
        opening: OpeningKind::Standard,
        actions,
    };
    assert!(model(&seq, "x", Timing::default()).is_err());
}

/// The catalogue's own frame-level cases, turned into actions, must be judged by the model
/// at least as leniently as the catalogue judges them: every OK event sequence of the
/// catalogue is acceptable to the model, and every close code the catalogue allows too.
#[test]
fn the_model_accepts_what_the_catalogue_accepts() {
    let mut checked = 0;
    for c in wsspec_cases::catalogue() {
        if c.rule == VerdictRule::Informational {
            continue;
        }
        let Some(actions) = crate::netfuzz::action::case_actions(c) else {
            continue;
        };
        // Timed cases judge when events arrive (tags); the model has no tags.
        if c.expected
            .alternatives
            .iter()
            .any(|(_, e)| e.iter().any(|e| matches!(e, Event::Timeout(_))))
        {
            continue;
        }
        let seq = Sequence {
            opening: OpeningKind::Standard,
            actions,
        };
        let Ok(m) = model(&seq, "x", Timing::default()) else {
            continue;
        };
        for (v, alt) in &c.expected.alternatives {
            if *v == Verdict::Ok {
                assert!(
                    accepts(&m, alt),
                    "{}: the catalogue's OK events {alt:?} are not acceptable to the model {:?}",
                    c.id,
                    events(&m)
                );
            }
        }
        for code in &c.expected_close.codes {
            assert!(
                m.case.expected_close.codes.contains(code),
                "{}: code {code} allowed by the catalogue, not by the model {:?}",
                c.id,
                m.case.expected_close
            );
        }
        checked += 1;
    }
    assert!(checked > 150, "only {checked} catalogue cases checked");
}

#[test]
fn two_violations_in_one_frame_may_be_reported_either_way() {
    // An invalid code and an invalid reason (websockets reports the reason: 1007).
    let m = run(vec![close(
        999,
        Payload::BadUtf8 {
            before: String::new(),
            bad: BadUtf8::Surrogate,
            after: String::new(),
        },
    )]);
    assert_eq!(
        m.case.expected_close,
        ExpectedClose::me_then(&[1002, 1007], false)
    );
    // RSV bits on a text frame that is also invalid UTF-8.
    let m = run(vec![Action::Frame(FrameAction {
        rsv: 1,
        ..FrameAction::new(
            opcode::TEXT,
            Payload::BadUtf8 {
                before: String::new(),
                bad: BadUtf8::InvalidOctet,
                after: String::new(),
            },
        )
    })]);
    assert_eq!(
        m.case.expected_close,
        ExpectedClose::peer_fails(&[1002, 1007])
    );
    // RSV bits on valid text: 1002 only.
    let m = run(vec![Action::Frame(FrameAction {
        rsv: 1,
        ..frame(opcode::TEXT, "fine")
    })]);
    assert_eq!(m.case.expected_close, ExpectedClose::peer_fails(&[1002]));
}

#[test]
fn a_pause_keeps_the_engine_from_closing_early() {
    // A message, then a frame split by a pause: the echo is complete before the split
    // frame is, so closing on completion would cut the frame.
    let m = run(vec![
        text("a"),
        Action::Split {
            frame: FrameAction {
                fin: false,
                ..frame(opcode::TEXT, "")
            },
            at: 3,
            pause_ms: 5,
        },
    ]);
    assert_eq!(ok_events(&m), vec![vec![Event::text("a")]]);
    assert!(m.case.expected.alternatives.len() > 1);
    assert!(matches!(m.case.steps.last(), Some(Step::CloseAfter(_))));
}

#[test]
fn unsupported_versions_must_be_refused() {
    let seq = Sequence {
        opening: OpeningKind::UnsupportedVersion,
        actions: vec![text("ignored")],
    };
    let m = model(&seq, "x", Timing::default()).unwrap();
    assert_eq!(m.case.opening.expect, HandshakeExpect::RefuseVersion);
    assert!(m.case.steps.is_empty());
}
