//! Category 1, Framing: text and binary messages of every length encoding.

use super::CaseBuilder;
use crate::model::{Case, Event, Expected, FrameSpec, Step};

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    vec![CaseBuilder::new(
        "1.1.1",
        "Send text message with payload 0.",
        "Receive echo'ed text message (with empty payload). Clean close with normal code.",
    )
    .sub("1.1", "Text Messages")
    .spec("RFC 6455 §5.6")
    .steps(vec![Step::Send(FrameSpec::text("")), Step::KillAfter(1000)])
    .expect(Expected::ok(vec![Event::text("")]))
    .build()]
}
