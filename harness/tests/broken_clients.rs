//! Deliberately broken clients against `wsspec server`: each fault of the raw-socket client
//! in `tests/broken_clients/client.rs` must be caught by the cases meant to catch it, with
//! the verdicts written below, and the same client without the fault must get OK there.
//!
//! The catching tests fail if the binary has no server mode. `WSSPEC_KEEP_REPORTS=1` keeps
//! each run's report directory (its path is printed) for a look at the per-case reports.

#[path = "broken_clients/client.rs"]
mod client;
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use client::Defect;
use common::Peer;
use wsspec_cases::Patterns;

/// `{case id: (behavior, behaviorClose)}`.
type Verdicts = BTreeMap<String, (String, String)>;

/// Bound on one client's whole run over a selection.
const RUN_BUDGET: Duration = Duration::from_secs(240);

/// The server-mode case ids `cases` selects (Autobahn categories 1–10, and the client
/// handshake cases of category 20).
fn ids_of(cases: &str) -> BTreeSet<String> {
    let include = Patterns::parse(cases);
    wsspec_cases::catalogue()
        .iter()
        .filter(|c| c.category.number <= 10 || c.tests_clients_only())
        .filter(|c| include.matches(&c.id))
        .map(|c| c.id.clone())
        .collect()
}

fn okish(v: &str) -> bool {
    v == "OK" || v == "INFORMATIONAL"
}

/// Starts `wsspec server --cases CASES`, runs the correct client and the client with
/// `defect` (one after the other, as two agents), and returns both agents' verdicts.
fn run_pair(cases: &str, defect: Defect) -> (Verdicts, Verdicts) {
    let out = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(common::wsspec_bin());
    cmd.args([
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cases",
        cases,
        "--out",
    ])
    .arg(out.path());
    let mut server = Peer::spawn("wsspec-server", cmd);
    let want = ids_of(cases);

    let broken_agent = format!("broken-{}", format!("{defect:?}").to_lowercase());
    for (agent, d) in [("correct", Defect::None), (broken_agent.as_str(), defect)] {
        let count = client::run(server.port, agent, d, RUN_BUDGET).unwrap_or_else(|e| {
            panic!(
                "client {agent} failed: {e}\n--- server stderr ---\n{}",
                common::tail(&server.stderr_tail(), 8000)
            )
        });
        assert_eq!(count, want.len(), "getCaseCount for --cases {cases}");
    }
    server.assert_alive();
    let index = common::load_index(out.path());
    if std::env::var_os("WSSPEC_KEEP_REPORTS").is_some() {
        eprintln!("reports of {defect:?} kept in {}", out.keep().display());
    }
    let correct = common::verdicts(&index, "correct");
    let broken = common::verdicts(&index, &broken_agent);
    for (agent, v) in [("correct", &correct), (broken_agent.as_str(), &broken)] {
        assert_eq!(
            v.keys().cloned().collect::<BTreeSet<_>>(),
            want,
            "{agent}: index.json cases differ from --cases {cases}"
        );
    }
    (correct, broken)
}

/// Runs `defect` over `cases`: the correct client must get OK (or INFORMATIONAL) in every
/// case, and the broken one exactly `expected` (`(case id, behavior, behaviorClose)`) where
/// listed and OK/INFORMATIONAL elsewhere.
fn check(defect: Defect, cases: &str, expected: &[(&str, &str, &str)]) {
    if !common::assert_server_mode() {
        return;
    }
    let (correct, broken) = run_pair(cases, defect);
    let mut problems = Vec::new();
    for (id, (b, c)) in &correct {
        if !okish(b) || !okish(c) {
            problems.push(format!("correct client {id}: ({b}, {c}), want OK"));
        }
    }
    let expected: BTreeMap<&str, (&str, &str)> =
        expected.iter().map(|(id, b, c)| (*id, (*b, *c))).collect();
    for id in common::sorted_ids(broken.keys()) {
        let (b, c) = &broken[id];
        match expected.get(id.as_str()) {
            Some(&(eb, ec)) if (b.as_str(), c.as_str()) != (eb, ec) => problems.push(format!(
                "{defect:?} {id}: got ({b}, {c}), expected ({eb}, {ec})"
            )),
            Some(_) => {}
            None if okish(b) && okish(c) => {}
            None => problems.push(format!(
                "{defect:?} {id}: got ({b}, {c}), not expected: (\"{id}\", \"{b}\", \"{c}\"),"
            )),
        }
    }
    for id in expected.keys() {
        if !broken.contains_key(*id) {
            problems.push(format!("{defect:?} {id}: expected a verdict, none"));
        }
    }
    assert!(
        !expected.is_empty(),
        "{defect:?}: a broken client must be caught by at least one case"
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// RFC 6455 §5.1: the server MUST fail the connection on an unmasked frame (1002), so no
/// echo arrives: FAILED, and the close code is not the 1000 the case expects.
#[test]
fn never_masks_is_caught_by_framing_cases() {
    check(
        Defect::NeverMasks,
        "1.1.*",
        &[
            ("1.1.1", "FAILED", "WRONG CODE"),
            ("1.1.2", "FAILED", "WRONG CODE"),
            ("1.1.3", "FAILED", "WRONG CODE"),
            ("1.1.4", "FAILED", "WRONG CODE"),
            ("1.1.5", "FAILED", "WRONG CODE"),
            ("1.1.6", "FAILED", "WRONG CODE"),
            ("1.1.7", "FAILED", "WRONG CODE"),
            ("1.1.8", "FAILED", "WRONG CODE"),
        ],
    );
}

/// RFC 6455 §5.5.2: a ping MUST be answered with a pong carrying its payload (2.5 is a
/// 126-octet ping the client must fail on, 2.7/2.8 unsolicited pongs: no pong expected).
#[test]
fn ignores_pings_is_caught_by_ping_cases() {
    check(
        Defect::IgnoresPings,
        "2.*",
        &[
            ("2.1", "FAILED", "OK"),
            ("2.2", "FAILED", "OK"),
            ("2.3", "FAILED", "OK"),
            ("2.4", "FAILED", "OK"),
            ("2.6", "FAILED", "OK"),
            ("2.9", "FAILED", "OK"),
            ("2.10", "FAILED", "OK"),
            ("2.11", "FAILED", "OK"),
        ],
    );
}

/// An echo must keep the message type. No matching echo arrives, so the server drops the
/// connection after its wait instead of closing it: the close is FAILED as well (Autobahn's
/// "failed by the wrong endpoint").
#[test]
fn echoes_text_as_binary_is_caught_by_framing_cases() {
    check(
        Defect::EchoesTextAsBinary,
        "1.1.*",
        &[
            ("1.1.1", "FAILED", "FAILED"),
            ("1.1.2", "FAILED", "FAILED"),
            ("1.1.3", "FAILED", "FAILED"),
            ("1.1.4", "FAILED", "FAILED"),
            ("1.1.5", "FAILED", "FAILED"),
            ("1.1.6", "FAILED", "FAILED"),
            ("1.1.7", "FAILED", "FAILED"),
            ("1.1.8", "FAILED", "FAILED"),
        ],
    );
}

/// RFC 6455 §5.5.1: an endpoint that receives a close MUST answer with a close. 7.1.6 is
/// INFORMATIONAL in both verdicts whatever the client does.
#[test]
fn no_close_reply_is_caught_by_closing_cases() {
    check(
        Defect::NoCloseReply,
        "7.1.*",
        &[
            ("7.1.1", "OK", "UNCLEAN"),
            ("7.1.2", "OK", "UNCLEAN"),
            ("7.1.3", "OK", "UNCLEAN"),
            ("7.1.4", "OK", "UNCLEAN"),
            ("7.1.5", "OK", "UNCLEAN"),
        ],
    );
}

/// RFC 6455 §8.1: invalid UTF-8 in a text message MUST fail the connection (1007). The
/// broken client echoes it instead; the server then fails the connection itself (1007), so
/// the close is FAILED too ("failed by the wrong endpoint").
#[test]
fn accepts_bad_utf8_is_caught_by_utf8_cases() {
    check(
        Defect::AcceptsBadUtf8,
        "6.3.*",
        &[("6.3.1", "FAILED", "FAILED"), ("6.3.2", "FAILED", "FAILED")],
    );
}

/// RFC 6455 §4.1: a client that opens whatever the server answers echoes category 20's
/// probe message, which a conforming client never sees.
#[test]
fn skips_handshake_checks_is_caught_by_client_handshake_cases() {
    let expected: Vec<(String, &str, &str)> = (1..=7)
        .map(|i| (format!("20.{i}"), "FAILED", "OK"))
        .collect();
    let expected: Vec<(&str, &str, &str)> = expected
        .iter()
        .map(|(id, b, c)| (id.as_str(), *b, *c))
        .collect();
    check(Defect::SkipsHandshakeChecks, "20.*", &expected);
}
