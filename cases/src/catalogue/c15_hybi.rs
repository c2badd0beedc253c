//! Category 15, hybi-07/08/10: the handshakes of `Sec-WebSocket-Version` 7 and 8 (Firefox
//! 6–10, Chrome 14–15) and a representative framing subset over the version-8 handshake.
//!
//! A server that speaks only version 13 refuses these handshakes (426/400 with its version
//! list); every case of the category is then UNIMPLEMENTED, never FAILED.

use super::common::{fill, protocol_error, send, HELLO};
use super::CaseBuilder;
use crate::model::{
    opcode, Case, ClosePayload, Delivery, Dialect, Event, Expected, ExpectedClose, FrameSpec,
    HandshakeExpect, Opening, Payload, Request, Step,
};

/// An opening in `dialect` with this request, which the server may decline.
fn opening(dialect: Dialect, request: Request) -> Opening {
    Opening {
        dialect,
        request: Some(request),
        delivery: Delivery::Whole,
        expect: HandshakeExpect::AcceptIfSupported,
    }
}

/// 15.1: the version 7 and 8 handshakes and their variants.
fn handshakes() -> Vec<Case> {
    const SUB: (&str, &str) = ("15.1", "hybi-07 and hybi-10 handshakes");
    let v7 = Request::standard(Dialect::Hybi07);
    let v8 = Request::standard(Dialect::Hybi10);
    let table: Vec<(&str, &str, &str, &str, Dialect, Request)> = vec![
        (
            "15.1.1",
            "The hybi-07 handshake (Firefox 6): Sec-WebSocket-Version: 7 and \
             Sec-WebSocket-Origin.",
            "A server speaking version 7 answers 101 with the right Sec-WebSocket-Accept \
             (same algorithm as RFC 6455) and echoes one text message. A refusal naming the \
             supported versions makes the case UNIMPLEMENTED.",
            "draft-ietf-hybi-07 §5.2.2",
            Dialect::Hybi07,
            v7.clone(),
        ),
        (
            "15.1.2",
            "The hybi-10 handshake (Firefox 7–10, Chrome 14–15): Sec-WebSocket-Version: 8 and \
             Sec-WebSocket-Origin.",
            "A server speaking version 8 answers 101 with the right Sec-WebSocket-Accept and \
             echoes one text message; a refusal makes the case UNIMPLEMENTED.",
            "draft-ietf-hybi-10 §5.2.2",
            Dialect::Hybi10,
            v8.clone(),
        ),
        (
            "15.1.3",
            "A version-8 handshake that names its origin with Origin (the RFC 6455 spelling) \
             instead of Sec-WebSocket-Origin.",
            "The origin field is optional for non-browser clients and an unknown field is \
             ignored: a version-8 server answers 101 and echoes one message.",
            "draft-ietf-hybi-10 §5.2.1",
            Dialect::Hybi10,
            v8.clone()
                .remove("Sec-WebSocket-Origin")
                .add("Origin", "{origin}"),
        ),
        (
            "15.1.4",
            "A version-8 handshake with Connection: keep-alive, Upgrade, as Firefox 7–10 sent \
             it.",
            "Connection only has to include the Upgrade token: a version-8 server answers 101 \
             and echoes one message.",
            "draft-ietf-hybi-10 §5.2.1",
            Dialect::Hybi10,
            v8.clone().set("Connection", "keep-alive, Upgrade"),
        ),
        (
            "15.1.5",
            "A version-7 handshake offering Sec-WebSocket-Protocol: chat, superchat.",
            "A version-7 server answers 101 with no subprotocol or exactly one of the offered \
             ones, then echoes one message.",
            "draft-ietf-hybi-07 §5.2.2",
            Dialect::Hybi07,
            v7.add("Sec-WebSocket-Protocol", "chat, superchat"),
        ),
    ];
    table
        .into_iter()
        .map(|(id, description, expectation, spec, dialect, request)| {
            CaseBuilder::new(id, description, expectation)
                .sub(SUB.0, SUB.1)
                .spec(spec)
                .opening(opening(dialect, request))
                .steps(vec![send(FrameSpec::text(HELLO)), Step::KillAfter(1000)])
                .expect(Expected::ok(vec![Event::text(HELLO)]))
                .build()
        })
        .collect()
}

/// 15.2: framing over the version-8 handshake (unchanged from hybi-07 to RFC 6455).
fn framing() -> Vec<Case> {
    const SUB: (&str, &str) = ("15.2", "Framing over the hybi-10 handshake");
    let v8 = || Opening::dialect(Dialect::Hybi10);
    let echo = |id: &str, description: &str, spec: &'static str, steps: Vec<Step>, events| {
        CaseBuilder::new(
            id,
            description,
            "Over a version-8 connection the server answers as RFC 6455 prescribes (the wire \
             format did not change), then closes cleanly when asked.",
        )
        .sub(SUB.0, SUB.1)
        .spec(spec)
        .opening(v8())
        .steps(steps)
        .expect(Expected::ok(events))
        .build()
    };
    let big = fill(b'*', 65_536);
    vec![
        echo(
            "15.2.1",
            "One masked text frame.",
            "draft-ietf-hybi-10 §4.2",
            vec![send(FrameSpec::text(HELLO)), Step::KillAfter(1000)],
            vec![Event::text(HELLO)],
        ),
        echo(
            "15.2.2",
            "One masked binary frame of 256 bytes (16-bit length).",
            "draft-ietf-hybi-10 §4.2",
            vec![
                send(FrameSpec::binary(fill(0xfe, 256))),
                Step::KillAfter(1000),
            ],
            vec![Event::binary(fill(0xfe, 256))],
        ),
        echo(
            "15.2.3",
            "One text frame of 65536 bytes (64-bit length).",
            "draft-ietf-hybi-10 §4.2",
            vec![
                send(FrameSpec::new(opcode::TEXT, Payload::Bytes(big.clone()))),
                Step::KillAfter(5000),
            ],
            vec![Event::text(&big)],
        ),
        echo(
            "15.2.4",
            "A ping with a short payload.",
            "draft-ietf-hybi-10 §4.5.2",
            vec![send(FrameSpec::ping(HELLO)), Step::CloseAfter(1000)],
            vec![Event::pong(HELLO)],
        ),
        echo(
            "15.2.5",
            "A text message in three fragments (text, continuation, final continuation).",
            "draft-ietf-hybi-10 §4.4",
            vec![
                send(FrameSpec::text("Hel").fin(false)),
                send(FrameSpec::continuation("lo, ").fin(false)),
                send(FrameSpec::continuation("world!")),
                Step::KillAfter(1000),
            ],
            vec![Event::text(HELLO)],
        ),
        echo(
            "15.2.6",
            "A ping between the first and the last fragment of a text message.",
            "draft-ietf-hybi-10 §4.4",
            vec![
                send(FrameSpec::text("Hello, ").fin(false)),
                send(FrameSpec::ping("in between")),
                send(FrameSpec::continuation("world!")),
                Step::KillAfter(1000),
            ],
            vec![Event::pong("in between"), Event::text(HELLO)],
        ),
        CaseBuilder::new(
            "15.2.7",
            "The harness closes with 1001 and a short reason right after the handshake.",
            "The server answers the close frame (1001 or 1000) and closes the TCP connection \
             cleanly.",
        )
        .sub(SUB.0, SUB.1)
        .spec("draft-ietf-hybi-10 §4.5.1")
        .opening(v8())
        .steps(vec![
            Step::Close(ClosePayload::Code {
                code: 1001,
                reason: b"going away".to_vec(),
            }),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(ExpectedClose::me_then(&[1000, 1001], true))
        .build(),
        CaseBuilder::new(
            "15.2.8",
            "A frame with the reserved opcode 3.",
            "An unknown opcode fails the connection: the server closes with 1002 (or drops \
             TCP) and echoes nothing.",
        )
        .sub(SUB.0, SUB.1)
        .spec("draft-ietf-hybi-10 §4.2")
        .opening(v8())
        .steps(vec![
            send(FrameSpec::new(3, Payload::empty())),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(protocol_error())
        .build(),
        CaseBuilder::new(
            "15.2.9",
            "A text frame with RSV1 set although no extension was negotiated.",
            "A non-zero reserved bit fails the connection: the server closes with 1002 (or \
             drops TCP) and echoes nothing.",
        )
        .sub(SUB.0, SUB.1)
        .spec("draft-ietf-hybi-10 §4.2")
        .opening(v8())
        .steps(vec![
            send(FrameSpec::text(HELLO).rsv(4)),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(protocol_error())
        .build(),
    ]
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = handshakes();
    out.extend(framing());
    out
}
