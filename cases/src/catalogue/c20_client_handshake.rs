//! Category 20, the client's side of the opening handshake (RFC 6455 §4.1), server mode
//! only: wsspec answers the client's request wrongly, then sends a text message. A client
//! that opened the connection anyway echoes it, and fails the case; a conforming client
//! fails the connection without ever treating it as open.

use super::common::must_refuse;
use crate::model::{Case, ServerAnswer};

/// (answer, what is wrong, the rule).
const ANSWERS: &[(ServerAnswer, &str, &str)] = &[
    (
        ServerAnswer::WrongAccept,
        "a Sec-WebSocket-Accept computed from another key",
        "RFC 6455 §4.1 (client requirement 4)",
    ),
    (
        ServerAnswer::NoUpgrade,
        "no Upgrade header",
        "RFC 6455 §4.1 (client requirement 2)",
    ),
    (
        ServerAnswer::UpgradeNotWebsocket,
        "Upgrade: h2c instead of websocket",
        "RFC 6455 §4.1 (client requirement 2)",
    ),
    (
        ServerAnswer::NoConnection,
        "no Connection header",
        "RFC 6455 §4.1 (client requirement 3)",
    ),
    (
        ServerAnswer::Status200,
        "status 200 OK instead of 101",
        "RFC 6455 §4.1 (client requirement 1)",
    ),
    (
        ServerAnswer::UnofferedSubprotocol,
        "a Sec-WebSocket-Protocol the client did not offer",
        "RFC 6455 §4.1 (client requirement 6)",
    ),
    (
        ServerAnswer::UnofferedExtension,
        "a Sec-WebSocket-Extensions the client did not offer",
        "RFC 6455 §4.1 (client requirement 5)",
    ),
];

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    ANSWERS
        .iter()
        .enumerate()
        .map(|(i, (answer, wrong, spec))| {
            must_refuse(
                &format!("20.{}", i + 1),
                &format!(
                    "wsspec answers the client's opening request with {wrong}, then sends a \
                     text message."
                ),
                *answer,
            )
            .spec(spec)
            .build()
        })
        .collect()
}
