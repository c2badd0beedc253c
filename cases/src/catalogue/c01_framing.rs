//! Category 1, Framing: text and binary messages across the three payload length encodings.

use super::common::{fill, message, send};
use super::CaseBuilder;
use crate::model::{opcode, Case, Expected, FrameSpec, Payload, Step};

/// (payload length, TCP chop size, kill-after ms). The lengths straddle the 7-bit,
/// 16-bit and 64-bit length forms; big payloads get more time.
const LENGTHS: &[(usize, Option<usize>, u64)] = &[
    (0, None, 1000),
    (125, None, 1000),
    (126, None, 1000),
    (127, None, 1000),
    (128, None, 1000),
    (65535, None, 10_000),
    (65536, None, 10_000),
    (65536, Some(997), 10_000),
];

/// Which header length form RFC 6455 §5.2 prescribes for this payload length.
fn length_form(len: usize) -> &'static str {
    match len {
        0..=125 => "7-bit length",
        126..=65535 => "16-bit extended length",
        _ => "64-bit extended length",
    }
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let families = [
        ("1.1", "Text messages", opcode::TEXT, b'*'),
        ("1.2", "Binary messages", opcode::BINARY, 0xfe),
    ];
    let mut out = Vec::new();
    for (sub, title, op, byte) in families {
        let binary = op == opcode::BINARY;
        let kind = if binary { "binary" } else { "text" };
        for (i, &(len, chop, kill)) in LENGTHS.iter().enumerate() {
            let payload = fill(byte, len);
            let mut frame = FrameSpec::new(op, Payload::Bytes(payload.clone()));
            let mut description = format!(
                "One unfragmented {kind} frame of {len} payload bytes ({}).",
                length_form(len)
            );
            if let Some(n) = chop {
                frame = frame.chop(n);
                description.push_str(&format!(
                    " The frame is written to TCP in {n}-octet pieces."
                ));
            }
            out.push(
                CaseBuilder::new(
                    &format!("{sub}.{}", i + 1),
                    &description,
                    "The peer echoes the message unchanged; the harness then closes with 1000 and the peer answers cleanly.",
                )
                .sub(sub, title)
                .spec("RFC 6455 §5.2")
                .steps(vec![send(frame), Step::KillAfter(kill)])
                .expect(Expected::ok(vec![message(binary, &payload)]))
                .build(),
            );
        }
    }
    out
}
