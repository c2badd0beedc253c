//! Shared fixtures for the unit and snapshot tests.

use std::collections::BTreeMap;

use wsspec_cases::{CloseVerdict, Verdict};

use crate::result::{CaseResult, EventRecord, ExpectedCloseRecord, WireRecord};

/// An agent name that tries to break out of both element content and attributes.
pub(crate) const EVIL_AGENT: &str = "<script>alert(1)</script>\"><img onerror=x>";

/// A small, complete result shaped like Autobahn's case 1.1.1 against node `ws`.
pub(crate) fn sample_result(agent: &str) -> CaseResult {
    CaseResult {
        agent: agent.to_string(),
        behavior: Verdict::Ok,
        behavior_close: CloseVerdict::Ok,
        case: 1,
        closed_by_me: true,
        create_stats: true,
        create_wirelog: true,
        description: "Send text message with payload 0.".into(),
        dropped_by_me: false,
        duration: 1,
        expectation:
            "Receive echo'ed text message (with empty payload). Clean close with normal code."
                .into(),
        expected: BTreeMap::from([(
            "OK".to_string(),
            vec![EventRecord::Message(String::new(), false)],
        )]),
        expected_close: ExpectedCloseRecord {
            close_code: vec![1000],
            closed_by_me: true,
            closed_by_wrong_endpoint_is_fatal: false,
            require_clean: true,
        },
        failed_by_me: false,
        http_request: "GET / HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUpgrade: websocket\r\n\r\n".into(),
        http_response: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".into(),
        id: "1.1.1".into(),
        is_server: false,
        local_close_code: Some(1000),
        local_close_reason: None,
        received: vec![EventRecord::Message(String::new(), false)],
        remote_close_code: Some(1000),
        remote_close_reason: None,
        report_compression_ratio: false,
        report_time: false,
        result: "Actual events match at least one expected.".into(),
        result_close: "Connection was properly closed".into(),
        rx_frame_stats: BTreeMap::from([("1".into(), 1), ("8".into(), 1)]),
        rx_octet_stats: BTreeMap::from([("129".into(), 1), ("2".into(), 1), ("4".into(), 1)]),
        started: "2026-11-29T16:58:58.608Z".into(),
        traffic_stats: None,
        tx_frame_stats: BTreeMap::from([("1".into(), 1), ("8".into(), 1)]),
        tx_octet_stats: BTreeMap::from([("242".into(), 1), ("6".into(), 1), ("8".into(), 1)]),
        was_clean: true,
        was_close_handshake_timeout: false,
        was_not_clean_reason: None,
        was_open_handshake_timeout: false,
        was_server_connection_drop_timeout: false,
        wirelog: vec![
            WireRecord::TxFrame {
                len: 0,
                payload: String::new(),
                opcode: 1,
                fin: true,
                rsv: 0,
                mask: Some("e8947c4f".into()),
                repeat_length: None,
                chopsize: None,
                sync: false,
            },
            WireRecord::TxOctets {
                len: 6,
                hex: "8180e8947c4f".into(),
                sync: false,
            },
            WireRecord::KillAfter(1.0),
            WireRecord::RxOctets {
                len: 2,
                hex: "8100".into(),
            },
            WireRecord::RxFrame {
                len: 0,
                payload: String::new(),
                opcode: 1,
                fin: true,
                rsv: 0,
                masked: false,
                mask: None,
            },
        ],
    }
}
