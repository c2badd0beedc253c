//! Category 10, Misc: a message fragmented by the sender's own frame size limit.

use super::common::{fill, message};
use super::CaseBuilder;
use crate::model::{opcode, Case, Expected, Payload, Step};

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let text = fill(b'*', 65_536);
    vec![CaseBuilder::new(
        "10.1.1",
        "A 64 KiB text message split by the sender into frames of at most 1300 payload bytes.",
        "The peer reassembles the 51 frames and echoes the message unchanged.",
    )
    .sub("10.1", "Sender-side fragmentation")
    .spec("RFC 6455 §5.4")
    .steps(vec![
        Step::SendMessage {
            opcode: opcode::TEXT,
            payload: Payload::Bytes(text.clone()),
            fragment_size: 1300,
        },
        Step::KillAfter(10_000),
    ])
    .expect(Expected::ok(vec![message(false, &text)]))
    .build()]
}
