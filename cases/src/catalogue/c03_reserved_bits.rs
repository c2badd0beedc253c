//! Category 3, Reserved Bits: frames with RSV bits set although no extension was negotiated.

use super::common::{frame, message, protocol_error, send, Writes, BINARY8, HELLO};
use super::CaseBuilder;
use crate::model::{opcode, Case, Expected, FrameSpec, Step, Verdict};

/// A single frame with RSV bits set; the peer must fail at once.
fn lone(id: &str, description: &str, f: FrameSpec) -> Case {
    CaseBuilder::new(
        id,
        description,
        "The peer fails the connection with 1002 and echoes nothing.",
    )
    .spec("RFC 6455 §5.2")
    .steps(vec![send(f), Step::KillAfter(1000)])
    .expect(Expected::ok(vec![]))
    .close(protocol_error())
    .build()
}

/// A valid text message, the same text with RSV bits set, then a ping.
fn after_echo(id: &str, description: &str, rsv: u8, writes: Writes) -> Case {
    CaseBuilder::new(
        id,
        description,
        "The peer echoes the first message, then fails with 1002 on the flagged frame and never \
         answers the ping. Failing before the echo is accepted as non-strict.",
    )
    .spec("RFC 6455 §5.2")
    .steps(vec![
        send(writes.apply(FrameSpec::text(HELLO))),
        send(writes.apply(FrameSpec::text(HELLO).rsv(rsv))),
        send(writes.apply(FrameSpec::ping(""))),
        Step::KillAfter(1000),
    ])
    .expect(Expected::ok(vec![message(false, HELLO.as_bytes())]).or(Verdict::NonStrict, vec![]))
    .close(protocol_error())
    .build()
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    vec![
        lone(
            "3.1",
            "A short text frame with RSV = 1.",
            FrameSpec::text(HELLO).rsv(1),
        ),
        after_echo(
            "3.2",
            "A short text message, the same message with RSV = 2, then a ping.",
            2,
            Writes::Plain,
        ),
        after_echo(
            "3.3",
            "As 3.2 with RSV = 3, each frame written and flushed separately.",
            3,
            Writes::FrameWise,
        ),
        after_echo(
            "3.4",
            "As 3.2 with RSV = 4, every frame written one octet at a time.",
            4,
            Writes::OctetWise,
        ),
        lone(
            "3.5",
            "A short binary frame with RSV = 5.",
            FrameSpec::binary(BINARY8).rsv(5),
        ),
        // Autobahn calls this a ping, but its wire log shows a binary frame; we send what it sends.
        lone(
            "3.6",
            "A binary frame carrying a short text with RSV = 6.",
            frame(opcode::BINARY, HELLO).rsv(6),
        ),
        // Sent raw: the close frame is only a vehicle for the bad bits, not our closing handshake.
        lone(
            "3.7",
            "An empty close frame with RSV = 7.",
            frame(opcode::CLOSE, "").rsv(7),
        ),
    ]
}
