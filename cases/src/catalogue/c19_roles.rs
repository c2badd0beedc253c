//! Category 19, Role rules Autobahn misses: masking of client frames, length encodings,
//! control-frame size for every control opcode, the close codes registered after RFC 6455
//! and the codes that must never be on the wire, and the shape of the server's own frames.
//!
//! The engine checks every frame the server sends (no mask, RSV 0, known opcode, minimal
//! length, control frames ≤ 125 bytes) and fails the case naming the defect; the 19.5 cases
//! are plain echoes whose value is that check.

use super::common::{fill, protocol_error, send, HELLO};
use super::CaseBuilder;
use crate::model::{
    opcode, Case, Chop, ClosePayload, Event, Expected, ExpectedClose, FrameSpec, LengthForm, Mask,
    Payload, Step, Verdict, VerdictRule,
};

/// RFC 6455 §5.7's masking key, and "Hello" masked with it.
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const MASKED_HELLO: [u8; 5] = [0x7f, 0x9f, 0x4d, 0x51, 0x58];

/// 19.1: client frames must be masked; any key, even all zeros, is legal.
fn masking() -> Vec<Case> {
    const SUB: (&str, &str) = ("19.1", "Client masking");
    let unmasked = "The server must close the connection on an unmasked frame: it fails it \
         with 1002 (or drops TCP) and never echoes the frame.";
    vec![
        CaseBuilder::new(
            "19.1.1",
            "An unmasked text frame from the client.",
            unmasked,
        )
        .spec("RFC 6455 §5.1")
        .steps(vec![
            send(FrameSpec::text(HELLO).mask(Mask::Unmasked)),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(protocol_error()),
        CaseBuilder::new("19.1.2", "An unmasked ping from the client.", unmasked)
            .spec("RFC 6455 §5.1")
            .steps(vec![
                send(FrameSpec::ping(HELLO).mask(Mask::Unmasked)),
                Step::KillAfter(1000),
            ])
            .expect(Expected::ok(vec![]))
            .close(protocol_error()),
        CaseBuilder::new(
            "19.1.3",
            "A masked text message, then an unmasked one.",
            "The first message is echoed; the unmasked frame fails the connection (1002 or a \
             TCP drop) and is not echoed. Failing before the first echo went out is \
             NON-STRICT (as in Autobahn's 3.2 and 4.1.3: both frames arrive together).",
        )
        .spec("RFC 6455 §5.1")
        .steps(vec![
            send(FrameSpec::text("masked")),
            send(FrameSpec::text("unmasked").mask(Mask::Unmasked)),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![Event::text("masked")]).or(Verdict::NonStrict, vec![]))
        .close(protocol_error()),
        CaseBuilder::new(
            "19.1.4",
            "A masked text frame whose masking key is all zeros.",
            "A zero key is a legal key (it leaves the payload unchanged): the server echoes \
             the message.",
        )
        .spec("RFC 6455 §5.3")
        .steps(vec![
            send(FrameSpec::text(HELLO).mask(Mask::Fixed([0; 4]))),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![Event::text(HELLO)])),
        CaseBuilder::new(
            "19.1.5",
            "A masked ping with an empty payload (mask bit and key present, no payload).",
            "The key masks nothing but must still be read: the server answers with an empty \
             pong.",
        )
        .spec("RFC 6455 §5.3")
        .steps(vec![
            send(FrameSpec::ping("").mask(Mask::Fixed(KEY))),
            Step::CloseAfter(1000),
        ])
        .expect(Expected::ok(vec![Event::pong("")])),
        CaseBuilder::new(
            "19.1.6",
            "A masked empty binary frame followed, in the same write, by a masked text frame.",
            "The server consumes the four key octets of the empty frame and echoes both \
             messages in order.",
        )
        .spec("RFC 6455 §5.3")
        .steps(vec![
            send(FrameSpec::binary("").mask(Mask::Fixed(KEY))),
            send(FrameSpec::text(HELLO)),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![Event::binary(""), Event::text(HELLO)])),
    ]
    .into_iter()
    .map(|b| b.sub(SUB.0, SUB.1).build())
    .collect()
}

/// 19.2: non-minimal and invalid payload length encodings.
fn lengths() -> Vec<Case> {
    const SUB: (&str, &str) = ("19.2", "Payload length encoding");
    let lenient = "RFC 6455 §5.2 says the minimal number of bytes MUST be used: that binds the \
         sender and tells no receiver to fail. Echoing the message and failing with 1002 are \
         both acceptable; the outcome is recorded as informational.";
    let non_minimal: [(&str, &str, FrameSpec, Vec<u8>); 4] = [
        (
            "19.2.1",
            "A 5-byte text frame whose length uses the 16-bit form (126, 0x0005).",
            FrameSpec::text(HELLO).length_form(LengthForm::Extended16),
            HELLO.as_bytes().to_vec(),
        ),
        (
            "19.2.2",
            "A 125-byte text frame whose length uses the 16-bit form (126, 0x007D).",
            FrameSpec::text(fill(b'*', 125)).length_form(LengthForm::Extended16),
            fill(b'*', 125),
        ),
        (
            "19.2.3",
            "A 5-byte text frame whose length uses the 64-bit form (127, 0x…05).",
            FrameSpec::text(HELLO).length_form(LengthForm::Extended64),
            HELLO.as_bytes().to_vec(),
        ),
        (
            "19.2.4",
            "A 65535-byte text frame whose length uses the 64-bit form (127, 0x…FFFF).",
            FrameSpec::text(fill(b'*', 65_535)).length_form(LengthForm::Extended64),
            fill(b'*', 65_535),
        ),
    ];
    let mut out: Vec<Case> = non_minimal
        .into_iter()
        .map(|(id, description, frame, text)| {
            CaseBuilder::new(id, description, lenient)
                .sub(SUB.0, SUB.1)
                .spec("RFC 6455 §5.2")
                .steps(vec![send(frame), Step::CloseAfter(2000)])
                .expect(Expected::ok(vec![Event::text(text)]).or(Verdict::Ok, vec![]))
                .close(ExpectedClose::me_then(&[1000, 1002], false))
                .rule(VerdictRule::Informational)
                .build()
        })
        .collect();
    // 127, then a 64-bit length with the most significant bit set (2^63 + 5), key, "Hello".
    let mut msb = vec![0x81, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 5];
    msb.extend_from_slice(&KEY);
    msb.extend_from_slice(&MASKED_HELLO);
    out.push(
        CaseBuilder::new(
            "19.2.5",
            "A text frame whose 64-bit length has the most significant bit set \
             (0x8000000000000005), then the 5 payload bytes.",
            "The most significant bit MUST be 0: the server fails the connection with 1002 \
             (1009, for a length it will not accept, is tolerated) or drops TCP, and echoes \
             nothing.",
        )
        .sub(SUB.0, SUB.1)
        .spec("RFC 6455 §5.2")
        .steps(vec![
            Step::SendRaw {
                bytes: msb,
                chop: Chop::Whole,
            },
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(ExpectedClose::peer_fails(&[1002, 1009]))
        .build(),
    );
    out
}

/// 19.3: the 125-byte limit of each control opcode.
fn control_sizes() -> Vec<Case> {
    const SUB: (&str, &str) = ("19.3", "Control frame size");
    let out = vec![
        // Ping: 125 is answered, 126 fails.
        CaseBuilder::new(
            "19.3.1",
            "A ping with exactly 125 payload bytes.",
            "The server answers with a pong carrying the same 125 bytes.",
        )
        .spec("RFC 6455 §5.5")
        .steps(vec![
            send(FrameSpec::ping(fill(b'p', 125))),
            Step::CloseAfter(1000),
        ])
        .expect(Expected::ok(vec![Event::pong(fill(b'p', 125))])),
        CaseBuilder::new(
            "19.3.2",
            "A ping with 126 payload bytes (16-bit length form).",
            "Control frames carry at most 125 bytes: the server fails the connection with \
             1002 and sends no pong.",
        )
        .spec("RFC 6455 §5.5")
        .steps(vec![
            send(FrameSpec::ping(fill(b'p', 126))),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(protocol_error()),
        // Pong: 125 is ignored, 126 fails.
        CaseBuilder::new(
            "19.3.3",
            "An unsolicited pong with exactly 125 payload bytes, then the harness closes.",
            "The pong needs no answer: nothing is received and the close (1000) completes \
             cleanly.",
        )
        .spec("RFC 6455 §5.5")
        .steps(vec![
            send(FrameSpec::pong(fill(b'q', 125))),
            Step::Close(ClosePayload::code(1000)),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![])),
        CaseBuilder::new(
            "19.3.4",
            "An unsolicited pong with 126 payload bytes.",
            "Control frames carry at most 125 bytes, pongs included: the server fails the \
             connection with 1002.",
        )
        .spec("RFC 6455 §5.5")
        .steps(vec![
            send(FrameSpec::pong(fill(b'q', 126))),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(protocol_error()),
        // Close: 125 (code + 123-byte reason) is answered, 126 fails.
        CaseBuilder::new(
            "19.3.5",
            "A close frame of exactly 125 bytes: code 1000 and a 123-byte reason.",
            "The server answers the close (1000) and closes cleanly.",
        )
        .spec("RFC 6455 §5.5")
        .steps(vec![
            Step::Close(ClosePayload::Code {
                code: 1000,
                reason: fill(b'r', 123),
            }),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .rule(VerdictRule::WrongCodeFailsBehavior),
        CaseBuilder::new(
            "19.3.6",
            "A close frame of 126 bytes: code 1000 and a 124-byte reason.",
            "Control frames carry at most 125 bytes: the server fails the connection with \
             1002 instead of a normal close reply.",
        )
        .spec("RFC 6455 §5.5")
        .steps(vec![
            Step::Close(ClosePayload::Code {
                code: 1000,
                reason: fill(b'r', 124),
            }),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(ExpectedClose::me_then(&[1002], false))
        .rule(VerdictRule::WrongCodeFailsBehavior),
    ];
    out.into_iter()
        .map(|b| b.sub(SUB.0, SUB.1).build())
        .collect()
}

/// 19.4: codes registered after the RFC, and codes that never go on the wire.
fn close_codes() -> Vec<Case> {
    const SUB: (&str, &str) = ("19.4", "Close codes after RFC 6455");
    let mut out = Vec::new();
    for (i, (code, name)) in [
        (1012u16, "Service Restart"),
        (1013, "Try Again Later"),
        (1014, "Bad Gateway"),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(
            CaseBuilder::new(
                &format!("19.4.{}", i + 1),
                &format!("Our close frame with code {code} ({name}), registered with IANA."),
                &format!(
                    "The code is valid on the wire: the server answers with {code} (or 1000) \
                     and closes cleanly. Failing with 1002 shows as WRONG CODE."
                ),
            )
            .sub(SUB.0, SUB.1)
            .spec("RFC 6455 §11.7")
            .steps(vec![
                Step::Close(ClosePayload::code(code)),
                Step::KillAfter(1000),
            ])
            .expect(Expected::ok(vec![]))
            .close(ExpectedClose::me_then(&[1000, code], true))
            .build(),
        );
    }
    for (i, code) in [1015u16, 1005, 1006].into_iter().enumerate() {
        out.push(
            CaseBuilder::new(
                &format!("19.4.{}", i + 4),
                &format!("Our close frame with code {code}, which is reserved for local use."),
                &format!(
                    "{code} MUST NOT be set in a close frame: the server fails the connection \
                     with 1002."
                ),
            )
            .sub(SUB.0, SUB.1)
            .spec("RFC 6455 §7.4.1")
            .steps(vec![
                Step::Close(ClosePayload::code(code)),
                Step::KillAfter(1000),
            ])
            .expect(Expected::ok(vec![]))
            .close(ExpectedClose::me_then(&[1002], false))
            .rule(VerdictRule::WrongCodeFailsBehavior)
            .build(),
        );
    }
    out
}

/// 19.5: the frames the server sends back, checked frame by frame by the engine.
fn server_frames() -> Vec<Case> {
    const SUB: (&str, &str) = ("19.5", "Frames the server sends");
    let rows: [(&str, &str, &str, u8, usize); 5] = [
        (
            "19.5.1",
            "A 125-byte binary message.",
            "The echo uses the 7-bit length form, is unmasked and has RSV 0.",
            opcode::BINARY,
            125,
        ),
        (
            "19.5.2",
            "A 126-byte text message.",
            "The echo uses the 16-bit length form (126), is unmasked and has RSV 0.",
            opcode::TEXT,
            126,
        ),
        (
            "19.5.3",
            "A 65535-byte text message.",
            "The echo uses the 16-bit length form (126, 0xFFFF), not the 64-bit one; it is \
             unmasked and has RSV 0.",
            opcode::TEXT,
            65_535,
        ),
        (
            "19.5.4",
            "A 65536-byte binary message.",
            "The echo uses the 64-bit length form (127) with the top bit clear; it is unmasked \
             and has RSV 0.",
            opcode::BINARY,
            65_536,
        ),
        (
            "19.5.5",
            "A 300-byte text message in three fragments of 100 bytes.",
            "The echo, in however many frames, is unmasked, has RSV 0 on every frame, \
             minimal lengths and a correct continuation sequence.",
            opcode::TEXT,
            300,
        ),
    ];
    let mut out: Vec<Case> = rows
        .into_iter()
        .map(|(id, description, expectation, op, len)| {
            let binary = op == opcode::BINARY;
            let payload = fill(if binary { 0xfe } else { b'*' }, len);
            let step = if id == "19.5.5" {
                Step::SendMessage {
                    opcode: op,
                    payload: Payload::Bytes(payload.clone()),
                    fragment_size: 100,
                }
            } else {
                send(FrameSpec::new(op, Payload::Bytes(payload.clone())))
            };
            let event = if binary {
                Event::binary(&payload)
            } else {
                Event::text(&payload)
            };
            CaseBuilder::new(id, description, expectation)
                .sub(SUB.0, SUB.1)
                .spec("RFC 6455 §5.2")
                .steps(vec![step, Step::KillAfter(5000)])
                .expect(Expected::ok(vec![event]))
                .build()
        })
        .collect();
    out.push(
        CaseBuilder::new(
            "19.5.6",
            "Our close frame with code 1000 and a short reason.",
            "The server's close reply is unmasked, has RSV 0, at most 125 bytes, a valid code \
             (1000) and a UTF-8 reason if any; then the server closes TCP.",
        )
        .sub(SUB.0, SUB.1)
        .spec("RFC 6455 §5.5.1")
        .steps(vec![
            Step::Close(ClosePayload::Code {
                code: 1000,
                reason: b"bye".to_vec(),
            }),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .build(),
    );
    out
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = masking();
    out.extend(lengths());
    out.extend(control_sizes());
    out.extend(close_codes());
    out.extend(server_frames());
    out
}
