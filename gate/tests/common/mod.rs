//! A small synthetic report directory, written with the reports crate's own writer, so the
//! gate reads real `index.json` and per-case JSON files.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use wsspec_cases::{CloseVerdict, Verdict};
use wsspec_gate::expect::{Expectations, Format};
use wsspec_gate::LoadedReport;
use wsspec_reports::{CaseResult, EventRecord, ExpectedCloseRecord, ReportDir, WireRecord};

/// Whether missing peers skip tests rather than fail them.
pub const SKIP_ENV: &str = "WSSPEC_SKIP_PEERS";

/// A close reason that tries to break out of XML text, CDATA and Markdown.
pub const EVIL_REASON: &str = "bye\u{1}]]><script>alert(1)</script>|`x`\u{ffff}";

/// One synthetic case.
#[derive(Clone)]
pub struct Spec {
    pub id: &'static str,
    pub behavior: Verdict,
    pub close: CloseVerdict,
    pub result: &'static str,
    pub result_close: &'static str,
    pub expected_codes: Vec<u16>,
    pub remote_code: Option<u16>,
    pub remote_reason: Option<String>,
    pub wirelog_frames: usize,
    pub duration: u64,
}

impl Spec {
    /// A clean OK / OK case.
    pub fn ok(id: &'static str) -> Self {
        Spec {
            id,
            behavior: Verdict::Ok,
            close: CloseVerdict::Ok,
            result: "Actual events match at least one expected.",
            result_close: "Connection was properly closed",
            expected_codes: vec![1000],
            remote_code: Some(1000),
            remote_reason: None,
            wirelog_frames: 2,
            duration: 1,
        }
    }

    /// With these verdicts.
    pub fn verdicts(mut self, behavior: Verdict, close: CloseVerdict) -> Self {
        self.behavior = behavior;
        self.close = close;
        self
    }
}

/// The cases of the JUnit fixture: every outcome and status once.
pub fn mixed_cases() -> Vec<Spec> {
    vec![
        Spec::ok("1.1.1"),
        Spec {
            result: "Expected echo of 125 octets, got a close.",
            duration: 12,
            ..Spec::ok("1.1.2").verdicts(Verdict::Failed, CloseVerdict::Ok)
        },
        Spec {
            result: "Pong received for a ping we never sent; the spec leaves this open.",
            result_close: "Connection was properly closed",
            ..Spec::ok("2.1").verdicts(Verdict::Informational, CloseVerdict::Informational)
        },
        Spec {
            result: "Closed after the whole message, not at the first invalid octet.",
            ..Spec::ok("6.4.3").verdicts(Verdict::NonStrict, CloseVerdict::Ok)
        },
        Spec::ok("6.4.4"),
        Spec {
            result_close: "The peer closed with a code outside the allowed list.",
            expected_codes: vec![1002],
            remote_code: Some(1000),
            remote_reason: Some(EVIL_REASON.to_string()),
            duration: 1500,
            ..Spec::ok("7.1.5").verdicts(Verdict::Ok, CloseVerdict::WrongCode)
        },
        Spec {
            result_close: "The connection ended without a closing handshake.",
            remote_code: None,
            wirelog_frames: 30,
            ..Spec::ok("7.1.6").verdicts(Verdict::Ok, CloseVerdict::Unclean)
        },
        Spec {
            result: "The peer did not accept permessage-deflate.",
            result_close: "",
            ..Spec::ok("12.1.1").verdicts(Verdict::Unimplemented, CloseVerdict::Unimplemented)
        },
        Spec {
            result: "Timed out waiting for the echo.",
            ..Spec::ok("9.1.1").verdicts(Verdict::Failed, CloseVerdict::FailedByClient)
        },
    ]
}

/// The expectations the JUnit fixture is judged against.
pub const EXPECT_TOML: &str = r#"# Expectations for the fixture
[[expect]]
cases = ["6.4.3", "6.4.4"]
behavior = "NON-STRICT"
behaviorClose = "OK"
reason = "fails fast only at the end of a message"

[[expect]]
cases = "12.*"
behavior = "UNIMPLEMENTED"
reason = "no permessage-deflate"

[[expect]]
cases = "13.*"
behavior = "UNIMPLEMENTED"
reason = "no permessage-deflate"
"#;

/// The fixture's expectations, parsed.
pub fn expectations() -> Expectations {
    Expectations::parse(EXPECT_TOML, Format::Toml, Path::new("fixture.toml"))
        .expect("fixture expectations parse")
}

fn result(agent: &str, number: usize, spec: &Spec) -> CaseResult {
    let mut wirelog = Vec::new();
    for i in 0..spec.wirelog_frames {
        if i % 2 == 0 {
            wirelog.push(WireRecord::TxFrame {
                len: 5,
                payload: format!("msg {i}"),
                opcode: 1,
                fin: true,
                rsv: 0,
                mask: Some("01020304".into()),
                repeat_length: None,
                chopsize: None,
                sync: false,
            });
        } else {
            wirelog.push(WireRecord::RxOctets {
                len: 7,
                hex: format!("8105{i:04x}"),
            });
        }
    }
    CaseResult {
        agent: agent.to_string(),
        behavior: spec.behavior,
        behavior_close: spec.close,
        case: number,
        closed_by_me: true,
        create_stats: true,
        create_wirelog: true,
        description: format!("Synthetic case {}.", spec.id),
        dropped_by_me: false,
        duration: spec.duration,
        expectation: "Echo, then a clean close.".into(),
        expected: BTreeMap::from([(
            "OK".to_string(),
            vec![EventRecord::Message("Hello".into(), false)],
        )]),
        expected_close: ExpectedCloseRecord {
            close_code: spec.expected_codes.clone(),
            closed_by_me: true,
            closed_by_wrong_endpoint_is_fatal: false,
            require_clean: true,
        },
        failed_by_me: false,
        http_request: "GET / HTTP/1.1\r\n\r\n".into(),
        http_response: "HTTP/1.1 101 Switching Protocols\r\n\r\n".into(),
        id: spec.id.to_string(),
        is_server: false,
        local_close_code: Some(1000),
        local_close_reason: None,
        received: vec![EventRecord::Message("Hello".into(), false)],
        remote_close_code: spec.remote_code,
        remote_close_reason: spec.remote_reason.clone(),
        report_compression_ratio: false,
        report_time: false,
        result: spec.result.to_string(),
        result_close: spec.result_close.to_string(),
        rx_frame_stats: BTreeMap::new(),
        rx_octet_stats: BTreeMap::new(),
        started: "2026-11-29T16:58:58.608Z".into(),
        traffic_stats: None,
        tx_frame_stats: BTreeMap::new(),
        tx_octet_stats: BTreeMap::new(),
        was_clean: spec.close != CloseVerdict::Unclean,
        was_close_handshake_timeout: false,
        was_not_clean_reason: (spec.close == CloseVerdict::Unclean)
            .then(|| "peer dropped the TCP connection".to_string()),
        was_open_handshake_timeout: false,
        was_server_connection_drop_timeout: false,
        wirelog,
    }
}

/// Write `cases` for each agent into `dir` and load it back; case 9.1.1's JSON is removed
/// so the missing-file path is exercised.
pub fn write_report(dir: &Path, agents: &[&str], cases: &[Spec]) -> LoadedReport {
    let out = ReportDir::create(dir).expect("report dir");
    for agent in agents {
        let mut entries = BTreeMap::new();
        for (i, spec) in cases.iter().enumerate() {
            let r = result(agent, i + 1, spec);
            let name = out.write_case(&r).expect("write case");
            if spec.id == "9.1.1" {
                std::fs::remove_file(dir.join(&name)).expect("remove 9.1.1");
            }
            entries.insert(spec.id.to_string(), r.index_entry(name));
        }
        out.write_index(agent, &entries).expect("write index");
    }
    LoadedReport::load(dir).expect("load report")
}
