//! Category 5, Fragmentation: fragmented control frames, interleaved pings, orphan
//! continuations and fragments split by pauses.

use super::common::{frame, protocol_error, send, Writes, HELLO};
use super::CaseBuilder;
use crate::model::{opcode, Case, Event, Expected, FrameSpec, Step, Verdict};

/// The writes of the cases that come in three flavours, in Autobahn's order.
const FLAVOURS: [Writes; 3] = [Writes::Plain, Writes::FrameWise, Writes::OctetWise];

fn fragment(op: u8, n: u32, fin: bool) -> FrameSpec {
    frame(op, format!("fragment{n}")).fin(fin)
}

/// A case the peer must fail with 1002 without echoing anything.
fn fails(id: &str, description: &str, frames: Vec<FrameSpec>) -> Case {
    let mut steps: Vec<Step> = frames.into_iter().map(send).collect();
    steps.push(Step::KillAfter(1000));
    CaseBuilder::new(id, description, "The peer fails the connection with 1002.")
        .spec("RFC 6455 §5.4")
        .steps(steps)
        .expect(Expected::ok(vec![]))
        .close(protocol_error())
        .build()
}

/// Two-fragment text messages, with an optional ping in between.
fn two_fragments(id: &str, ping: bool, writes: Writes) -> Case {
    let mut frames = vec![fragment(opcode::TEXT, 1, false)];
    let mut events = Vec::new();
    if ping {
        frames.push(FrameSpec::ping("ping payload"));
        events.push(Event::pong("ping payload"));
    }
    frames.push(fragment(opcode::CONTINUATION, 2, true));
    events.push(Event::text("fragment1fragment2"));
    let mut steps: Vec<Step> = frames.into_iter().map(|f| send(writes.apply(f))).collect();
    steps.push(Step::CloseAfter(1000));
    let description = if ping {
        "A text message in two fragments with a ping between them."
    } else {
        "A text message in two fragments."
    };
    let expectation = if ping {
        "The peer answers the ping at once, then echoes the reassembled message."
    } else {
        "The peer echoes the reassembled message."
    };
    CaseBuilder::new(id, &format!("{description}{}", writes.note()), expectation)
        .spec("RFC 6455 §5.4")
        .steps(steps)
        .expect(Expected::ok(events))
        .build()
}

/// A continuation frame with nothing to continue, then a valid text message.
fn orphan(id: &str, fin: bool, writes: Writes) -> Case {
    let frames = vec![
        writes.apply(frame(opcode::CONTINUATION, "non-continuation payload").fin(fin)),
        writes.apply(FrameSpec::text(HELLO)),
    ];
    let description = format!(
        "A continuation frame with FIN = {fin} while no message is open, then a text message.{}",
        writes.note()
    );
    fails(id, &description, frames)
}

/// 5.19/5.20: five fragments with pings between them and a one-second pause.
fn paused(id: &str, writes: Writes) -> Case {
    let f = |op, n, fin| send(writes.apply(fragment(op, n, fin)));
    let ping = |p: &str| send(writes.apply(FrameSpec::ping(p)));
    let steps = vec![
        f(opcode::TEXT, 1, false),
        f(opcode::CONTINUATION, 2, false),
        ping("pongme 1!"),
        Step::Wait {
            ms: 1000,
            tag: None,
        },
        f(opcode::CONTINUATION, 3, false),
        f(opcode::CONTINUATION, 4, false),
        ping("pongme 2!"),
        f(opcode::CONTINUATION, 5, true),
        Step::CloseAfter(1000),
    ];
    let description = format!(
        "A text message in five fragments: two fragments and a ping, a one-second pause, two \
         more fragments, a second ping, the last fragment.{}",
        writes.note()
    );
    CaseBuilder::new(
        id,
        &description,
        "The peer answers each ping as it arrives (the first one during the pause), then echoes \
         the reassembled message.",
    )
    .spec("RFC 6455 §5.4")
    .steps(steps)
    .expect(Expected::ok(vec![
        Event::pong("pongme 1!"),
        Event::pong("pongme 2!"),
        Event::text("fragment1fragment2fragment3fragment4fragment5"),
    ]))
    .build()
}

/// 5.16/5.17: twice an orphan continuation followed by a two-fragment text message.
fn orphan_twice(id: &str, fin: bool) -> Case {
    let round = [
        fragment(opcode::CONTINUATION, 1, fin),
        fragment(opcode::TEXT, 2, false),
        fragment(opcode::CONTINUATION, 3, true),
    ];
    let frames = round.iter().chain(round.iter()).cloned().collect();
    let description = format!(
        "Twice: a continuation frame with FIN = {fin} and nothing to continue, then a text \
         message in two fragments."
    );
    fails(id, &description, frames)
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = vec![
        fails(
            "5.1",
            "A ping split into two fragments.",
            vec![
                fragment(opcode::PING, 1, false),
                fragment(opcode::CONTINUATION, 2, true),
            ],
        ),
        fails(
            "5.2",
            "A pong split into two fragments.",
            vec![
                fragment(opcode::PONG, 1, false),
                fragment(opcode::CONTINUATION, 2, true),
            ],
        ),
    ];
    for (i, w) in FLAVOURS.iter().enumerate() {
        out.push(two_fragments(&format!("5.{}", 3 + i), false, *w));
        out.push(two_fragments(&format!("5.{}", 6 + i), true, *w));
        out.push(orphan(&format!("5.{}", 9 + i), true, *w));
        out.push(orphan(&format!("5.{}", 12 + i), false, *w));
    }
    out.push(
        CaseBuilder::new(
            "5.15",
            "A text message in two fragments, then a continuation frame with FIN = false and \
             nothing to continue, then a final text frame.",
            "The peer echoes the first message, then fails with 1002 on the orphan continuation. \
             Failing before the echo is non-strict.",
        )
        .spec("RFC 6455 §5.4")
        .steps(vec![
            send(fragment(opcode::TEXT, 1, false)),
            send(fragment(opcode::CONTINUATION, 2, true)),
            send(fragment(opcode::CONTINUATION, 3, false)),
            send(fragment(opcode::TEXT, 4, true)),
            Step::KillAfter(1000),
        ])
        .expect(
            Expected::ok(vec![Event::text("fragment1fragment2")]).or(Verdict::NonStrict, vec![]),
        )
        .close(protocol_error())
        .build(),
    );
    out.push(orphan_twice("5.16", false));
    out.push(orphan_twice("5.17", true));
    out.push(fails(
        "5.18",
        "A text message in two fragments whose second fragment also carries the text opcode.",
        vec![
            fragment(opcode::TEXT, 1, false),
            fragment(opcode::TEXT, 2, true),
        ],
    ));
    out.push(paused("5.19", Writes::Plain));
    out.push(paused("5.20", Writes::FrameWise));
    out
}
