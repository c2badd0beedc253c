//! Category 4, Opcodes: frames with reserved non-control (3–7) and control (11–15) opcodes.

use super::common::{frame, message, protocol_error, send, HELLO};
use super::CaseBuilder;
use crate::model::{Case, Expected, FrameSpec, Step, Verdict};

/// The five variants each subcategory runs: (payload, after a valid echo, octet-wise).
const SHAPES: [(&str, bool, bool); 5] = [
    ("", false, false),
    ("reserved opcode payload", false, false),
    ("", true, false),
    (HELLO, true, false),
    (HELLO, true, true),
];

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let families = [
        ("4.1", "Reserved non-control opcodes", 3u8),
        ("4.2", "Reserved control opcodes", 11u8),
    ];
    let mut out = Vec::new();
    for (sub, title, first) in families {
        for (i, &(payload, after_echo, octets)) in SHAPES.iter().enumerate() {
            let op = first + i as u8;
            let chop = |f: FrameSpec| if octets { f.chop(1) } else { f };
            let body = if payload.is_empty() {
                "an empty payload".to_string()
            } else {
                format!("a {}-byte payload", payload.len())
            };
            let mut steps = Vec::new();
            let (description, expectation, expected);
            if after_echo {
                steps.push(send(chop(FrameSpec::text(HELLO))));
                steps.push(send(chop(frame(op, payload))));
                steps.push(send(chop(FrameSpec::ping(""))));
                description = format!(
                    "A valid text message, then a frame with opcode {op} and {body}, then a ping{}.",
                    if octets { ", all written one octet at a time" } else { "" }
                );
                expectation = "The peer echoes the text, then fails with 1002 on the reserved \
                               opcode and never answers the ping. Failing before the echo is \
                               non-strict.";
                expected = Expected::ok(vec![message(false, HELLO.as_bytes())])
                    .or(Verdict::NonStrict, vec![]);
            } else {
                steps.push(send(frame(op, payload)));
                description = format!("A frame with reserved opcode {op} and {body}.");
                expectation = "The peer fails the connection with 1002.";
                expected = Expected::ok(vec![]);
            }
            steps.push(Step::KillAfter(1000));
            out.push(
                CaseBuilder::new(&format!("{sub}.{}", i + 1), &description, expectation)
                    .sub(sub, title)
                    .spec("RFC 6455 §5.2")
                    .steps(steps)
                    .expect(expected)
                    .close(protocol_error())
                    .build(),
            );
        }
    }
    out
}
