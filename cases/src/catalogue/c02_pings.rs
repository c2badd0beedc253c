//! Category 2, Pings/Pongs: ping payload sizes, the 125-byte control limit, unsolicited pongs.

use super::common::{fill, protocol_error, send, BINARY8, HELLO};
use super::CaseBuilder;
use crate::model::{Case, ClosePayload, Event, Expected, FrameSpec, Step};

/// A case that pings once and expects the matching pong.
fn ping_case(id: &str, description: &str, frame: FrameSpec, close_after: u64) -> Case {
    let pong = Event::Pong(frame.payload.to_vec());
    CaseBuilder::new(
        id,
        description,
        "The peer answers with a pong carrying the identical payload, then closes cleanly when asked.",
    )
    .spec("RFC 6455 §5.5.2")
    .steps(vec![send(frame), Step::CloseAfter(close_after)])
    .expect(Expected::ok(vec![pong]))
    .build()
}

/// Ten pings in a row, optionally written one octet at a time.
fn ten_pings(id: &str, description: &str, chopped: bool) -> Case {
    let mut steps = Vec::new();
    let mut pongs = Vec::new();
    for i in 0..10 {
        let payload = format!("payload-{i}");
        let mut frame = FrameSpec::ping(&payload);
        if chopped {
            frame = frame.chop(1);
        }
        steps.push(send(frame));
        pongs.push(Event::pong(&payload));
    }
    steps.push(Step::CloseAfter(3000));
    CaseBuilder::new(
        id,
        description,
        "The peer answers every ping, in order, with a pong of the same payload.",
    )
    .spec("RFC 6455 §5.5.2")
    .steps(steps)
    .expect(Expected::ok(pongs))
    .build()
}

/// An unsolicited pong, which the peer must not answer, followed by a normal close.
fn lone_pong(id: &str, description: &str, payload: &str) -> Case {
    CaseBuilder::new(
        id,
        description,
        "The peer ignores the pong; nothing is received and the close completes cleanly.",
    )
    .spec("RFC 6455 §5.5.3")
    .steps(vec![
        send(FrameSpec::pong(payload)),
        Step::Close(ClosePayload::code(1000)),
        Step::CloseAfter(1000),
    ])
    .expect(Expected::ok(vec![]))
    .build()
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    vec![
        ping_case(
            "2.1",
            "A ping with an empty payload.",
            FrameSpec::ping(""),
            1000,
        ),
        ping_case(
            "2.2",
            "A ping whose payload is a short text.",
            FrameSpec::ping(HELLO),
            1000,
        ),
        ping_case(
            "2.3",
            "A ping whose 8-byte payload is not valid UTF-8.",
            FrameSpec::ping(BINARY8),
            1000,
        ),
        ping_case(
            "2.4",
            "A ping with a 125-byte payload, the largest a control frame may carry.",
            FrameSpec::ping(fill(0xfe, 125)),
            1000,
        ),
        CaseBuilder::new(
            "2.5",
            "A ping with a 126-byte payload, one byte over the control-frame limit.",
            "The peer fails the connection with 1002 and sends no pong.",
        )
        .spec("RFC 6455 §5.5")
        .steps(vec![
            send(FrameSpec::ping(fill(0xfe, 126))),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(protocol_error())
        .build(),
        ping_case(
            "2.6",
            "A ping with a 125-byte payload, written to TCP one octet at a time.",
            FrameSpec::ping(fill(0xfe, 125)).chop(1),
            2000,
        ),
        lone_pong(
            "2.7",
            "A pong with an empty payload that answers no ping.",
            "",
        ),
        lone_pong(
            "2.8",
            "A pong with a payload that answers no ping.",
            "unsolicited pong payload",
        ),
        CaseBuilder::new(
            "2.9",
            "An unsolicited pong, then a ping with its own payload.",
            "The peer ignores the pong and answers the ping with a pong echoing the ping payload.",
        )
        .spec("RFC 6455 §5.5.3")
        .steps(vec![
            send(FrameSpec::pong("unsolicited pong payload")),
            send(FrameSpec::ping("ping payload")),
            Step::CloseAfter(1000),
        ])
        .expect(Expected::ok(vec![Event::pong("ping payload")]))
        .build(),
        ten_pings(
            "2.10",
            "Ten pings back to back, each with a distinct payload.",
            false,
        ),
        ten_pings(
            "2.11",
            "Ten pings back to back, each with a distinct payload, written one octet at a time.",
            true,
        ),
    ]
}
