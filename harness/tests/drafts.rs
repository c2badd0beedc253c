//! Categories 14–19 (opening handshake, hybi-07/-10, hixie-76, hixie-75, browser
//! profiles, role rules) against three real servers: npm `faye-websocket` (with drafts
//! enabled, `ci/peers/faye_echo.js`), npm `ws` and PyPI `websockets`.
//!
//! Every verdict other than OK / INFORMATIONAL must be explained by a row of [`EXPECTED`],
//! and a draft that a server simply does not speak must come out UNIMPLEMENTED, never
//! FAILED ([`REFUSED_DRAFTS`]). All mismatches are reported together, with the rows that
//! would describe what was observed.
//!
//! The tests fail if `wsspec list --cases 14.*` lists nothing (a run of nothing must not
//! pass). Needs `bash ci/install-peers.sh`; set
//! `WSSPEC_SKIP_PEERS=1` to skip when the peers are missing.

mod common;

use std::collections::BTreeMap;

use std::time::Duration;

use common::Peer;
use wsspec_cases::Patterns;

/// `{case id: (behavior, behaviorClose)}`.
type Verdicts = BTreeMap<String, (String, String)>;

/// The categories run against every peer.
const CATEGORIES: &str = "14.*,15.*,16.*,17.*,18.*,19.*";

/// The category whose presence switches these tests on.
const GATE: &str = "14.*";

/// Bound on one run of the categories against one peer.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// What each peer is expected to get where that is not plain OK:
/// `(peer agent, case pattern, allowed verdicts, why)`.
///
/// - The case pattern uses `--cases` syntax (comma list, `*` wildcard, anchored at the
///   start). The first row whose peer and pattern match a case decides it.
/// - Allowed verdicts are `|`-separated alternatives, each `BEHAVIOR` or
///   `BEHAVIOR/CLOSE` (`*` matches anything). `BEHAVIOR` alone allows a `behaviorClose`
///   of OK, INFORMATIONAL, UNIMPLEMENTED or the same word as the behavior.
/// - A case no row matches must be OK or INFORMATIONAL with an OK or INFORMATIONAL close.
/// - A row that matches no case of its peer is stale and reported.
///
/// Filled from runs of categories 14–19 (as in the working tree on 2026-11-29) against the
/// pinned peers. Rows allow exactly what was observed, so a verdict that changes (a wsspec
/// fix, a new peer version) shows up as a mismatch to look at.
const EXPECTED: &[(&str, &str, &str, &str)] = &[
    // --- faye-websocket 0.11.4 (drafts enabled) ---
    (
        "faye-websocket",
        "14.2.1,14.2.2,14.2.3",
        "NON-STRICT",
        "faye refuses an unsupported version with `400 Unsupported WebSocket version: N` and \
         no Sec-WebSocket-Version list",
    ),
    (
        "faye-websocket",
        "14.3.2,14.3.3,14.3.4,14.3.5",
        "FAILED/FAILED",
        "faye never decodes Sec-WebSocket-Key: an empty, non-base64, 15- or 17-octet key is \
         answered with 101",
    ),
    (
        "faye-websocket",
        "14.3.6",
        "FAILED/FAILED",
        "two Sec-WebSocket-Key headers: faye hashes node's joined value `k1, k2` and answers 101",
    ),
    (
        "faye-websocket",
        "14.4.2,14.4.3",
        "FAILED/FAILED",
        "faye upgrades an HTTP/1.0 request and one without Host",
    ),
    (
        "faye-websocket",
        "14.5.9",
        "UNIMPLEMENTED",
        "node's HTTP parser drops a request with bare LF line ends without an answer",
    ),
    (
        "faye-websocket",
        "15.*",
        "UNIMPLEMENTED",
        "faye speaks version 13 only: 7 and 8 get `400 Unsupported WebSocket version`",
    ),
    (
        "faye-websocket",
        "18.4,18.5,18.6",
        "UNIMPLEMENTED",
        "Firefox 6, Firefox 7-10 and Chrome 14-15 spoke versions 7/8, which faye refuses",
    ),
    (
        "faye-websocket",
        "19.1.1,19.1.2,19.1.3",
        "OK/WRONG CODE",
        "faye answers an unmasked client frame with close 1003, not 1002",
    ),
    (
        "faye-websocket",
        "19.4.1,19.4.2,19.4.3",
        "OK/WRONG CODE",
        "faye does not know the IANA codes 1012-1014 and answers them with 1002",
    ),
    // --- npm ws 8.23.0 ---
    (
        "node-ws",
        "14.4.2,14.4.3",
        "FAILED/FAILED",
        "ws upgrades an HTTP/1.0 request and one without Host",
    ),
    (
        "node-ws",
        "14.5.9",
        "UNIMPLEMENTED",
        "node's HTTP parser refuses bare LF line ends with 400",
    ),
    (
        "node-ws",
        "15.1.1,15.1.5",
        "UNIMPLEMENTED",
        "ws speaks versions 8 and 13: version 7 gets 400 with `Sec-WebSocket-Version: 13, 8`",
    ),
    (
        "node-ws",
        "16.1.*,16.2.*,16.4.*,16.5.*,16.6.*,17.*",
        "UNIMPLEMENTED",
        "ws dropped hixie-75/-76: `400 Missing or invalid Sec-WebSocket-Key header` (the \
         16.3.x requests, which must be refused, are OK)",
    ),
    (
        "node-ws",
        "18.1,18.2,18.3,18.4",
        "UNIMPLEMENTED",
        "Chrome 4-13, Safari 5, Firefox 4 (hixie) and Firefox 6 (version 7) are refused by ws",
    ),
    // --- PyPI websockets 17.4 ---
    (
        "py-websockets",
        "14.2.1,14.2.2,14.2.3",
        "NON-STRICT",
        "websockets refuses an unsupported version with 400 and no Sec-WebSocket-Version list",
    ),
    (
        "py-websockets",
        "14.4.3",
        "FAILED/FAILED",
        "websockets upgrades a request without Host",
    ),
    (
        "py-websockets",
        "14.5.9",
        "UNIMPLEMENTED",
        "websockets closes a request with bare LF line ends without an answer",
    ),
    (
        "py-websockets",
        "15.*",
        "UNIMPLEMENTED",
        "websockets speaks version 13 only: 7 and 8 get 400 without a version list",
    ),
    (
        "py-websockets",
        "16.1.*,16.2.*,16.4.*,16.5.*,16.6.*,17.*",
        "UNIMPLEMENTED",
        "websockets refuses hixie-75/-76: 400 `missing Sec-WebSocket-Key header`, or a TCP \
         close without an answer when key3 follows the head in the same write",
    ),
    (
        "py-websockets",
        "18.1,18.2,18.3,18.4,18.5,18.6",
        "UNIMPLEMENTED",
        "every browser generation before version 13 is refused by websockets",
    ),
    (
        "py-websockets",
        "19.1.3",
        "NON-STRICT",
        "the masked and the unmasked frame arrive in one write: websockets fails the \
         connection (1002 `incorrect masking`) before it echoes the first message",
    ),
];

/// Drafts a peer refuses outright: no case matching the pattern may be FAILED (in
/// `behavior` or `behaviorClose`) on that peer, because a server that does not speak a
/// draft is UNIMPLEMENTED there, not broken. `(peer agent, case pattern, why)`.
const REFUSED_DRAFTS: &[(&str, &str, &str)] = &[
    (
        "faye-websocket",
        "15.*,18.4,18.5,18.6",
        "faye-websocket does not speak versions 7 and 8",
    ),
    (
        "node-ws",
        "15.1.1,15.1.5,18.4",
        "ws does not speak version 7",
    ),
    (
        "node-ws",
        "16.*,17.*,18.1,18.2,18.3",
        "ws does not speak hixie-75/-76",
    ),
    (
        "py-websockets",
        "15.*,18.4,18.5,18.6",
        "websockets does not speak versions 7 and 8",
    ),
    (
        "py-websockets",
        "16.*,17.*,18.1,18.2,18.3",
        "websockets does not speak hixie-75/-76",
    ),
];

/// Runs [`CATEGORIES`] against `peer` (agent = the peer's name).
fn run(peer: &mut Peer) -> Verdicts {
    common::run_client(peer, CATEGORIES, RUN_TIMEOUT).0
}

/// Every way `verdicts` of `peer` disagree with [`EXPECTED`] and [`REFUSED_DRAFTS`].
fn mismatches(peer: &str, verdicts: &Verdicts) -> Vec<String> {
    let mut problems = common::unexplained(peer, verdicts, EXPECTED);
    for (p, pattern, why) in REFUSED_DRAFTS.iter().filter(|r| r.0 == peer) {
        let patterns = Patterns::parse(pattern);
        for (id, (b, c)) in verdicts.iter().filter(|(id, _)| patterns.matches(id)) {
            if b == "FAILED" || c == "FAILED" {
                problems.push(format!(
                    "{id}: {b} / {c} on {p}, which refuses this draft ({why}): a draft a \
                     server does not speak gives UNIMPLEMENTED, never FAILED"
                ));
            }
        }
    }
    problems
}

/// Runs, compares, and reports every mismatch at once.
fn check(test: &str, peer: Option<Peer>) {
    let Some(mut peer) = peer else { return };
    let verdicts = run(&mut peer);
    assert!(
        !verdicts.is_empty(),
        "{test}: no verdicts for {}",
        peer.name()
    );
    let name = peer.name().to_string();
    let non_ok: Vec<String> = verdicts
        .iter()
        .filter(|(_, v)| !common::is_clean(v))
        .map(|(id, (b, c))| format!("{id}: {b} / {c}"))
        .collect();
    eprintln!("{name}: {} cases, not OK: {non_ok:#?}", verdicts.len());
    let problems = mismatches(&name, &verdicts);
    assert!(
        problems.is_empty(),
        "{name}: {} mismatch(es) against EXPECTED / REFUSED_DRAFTS:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn drafts_against_faye_websocket() {
    if common::assert_listed("drafts_against_faye_websocket", GATE) {
        check("drafts_against_faye_websocket", common::faye_peer(&[]));
    }
}

#[test]
fn drafts_against_ws() {
    if common::assert_listed("drafts_against_ws", GATE) {
        check("drafts_against_ws", common::ws_peer());
    }
}

#[test]
fn drafts_against_websockets() {
    if common::assert_listed("drafts_against_websockets", GATE) {
        check("drafts_against_websockets", common::websockets_peer());
    }
}

/// The tables themselves: known peers, Autobahn's vocabulary, a reason on every row.
#[test]
fn expectation_tables_are_well_formed() {
    const PEERS: &[&str] = &["faye-websocket", "node-ws", "py-websockets"];
    for (peer, pattern, allowed, why) in EXPECTED {
        assert!(PEERS.contains(peer), "unknown peer {peer:?}");
        assert!(!pattern.trim().is_empty() && !why.trim().is_empty());
        for alt in allowed.split('|').map(str::trim) {
            let (b, c) = alt.split_once('/').unwrap_or((alt, "*"));
            assert!(
                b == "*" || common::BEHAVIORS.contains(&b),
                "{peer} {pattern}: {b:?} is not a behavior"
            );
            assert!(
                c == "*" || common::BEHAVIOR_CLOSES.contains(&c),
                "{peer} {pattern}: {c:?} is not a behaviorClose"
            );
        }
    }
    for (peer, pattern, why) in REFUSED_DRAFTS {
        assert!(PEERS.contains(peer), "unknown peer {peer:?}");
        assert!(!pattern.trim().is_empty() && !why.trim().is_empty());
    }
    // The matcher itself.
    let v = |b: &str, c: &str| (b.to_string(), c.to_string());
    assert!(common::allows(
        "UNIMPLEMENTED",
        &v("UNIMPLEMENTED", "UNIMPLEMENTED")
    ));
    assert!(common::allows("NON-STRICT|OK", &v("OK", "OK")));
    assert!(!common::allows("NON-STRICT", &v("NON-STRICT", "UNCLEAN")));
    assert!(common::allows("*/WRONG CODE", &v("OK", "WRONG CODE")));
    assert!(!common::allows("OK", &v("FAILED", "OK")));
    let mut verdicts = Verdicts::new();
    verdicts.insert("16.1.1".into(), v("FAILED", "FAILED"));
    let found = mismatches("node-ws", &verdicts);
    assert!(
        found.iter().any(|p| p.contains("never FAILED")),
        "{found:?}"
    );
}

/// Runs `wsspec client --draft DRAFT` over `cases` against `peer` and returns the verdicts.
fn run_draft(peer: &mut Peer, draft: &str, cases: &str) -> (Verdicts, String) {
    let out = tempfile::tempdir().expect("temp dir");
    let agent = format!("{}-draft-{draft}", peer.name());
    let run = common::wsspec(
        &[
            "client",
            "--url",
            &peer.url(),
            "--agent",
            &agent,
            "--draft",
            draft,
            "--cases",
            cases,
            "--out",
            &out.path().display().to_string(),
        ],
        RUN_TIMEOUT,
    );
    peer.assert_alive();
    let verdicts = common::verdicts(&common::load_index(out.path()), &agent);
    common::expect_gate_code(&run, &verdicts);
    (verdicts, run.stderr)
}

/// `--draft 8` carries categories 1-10 over the hybi-10 handshake: `ws` speaks version 8
/// and passes as it does over 13; `websockets` refuses 8, so everything is UNIMPLEMENTED,
/// never FAILED.
#[test]
fn draft_8_runs_the_framing_categories_over_hybi_10() {
    let cases = "1.*,2.*,3.1,5.3,7.1.1";
    if let Some(mut ws) = common::ws_peer() {
        let (verdicts, _) = run_draft(&mut ws, "8", cases);
        assert!(verdicts.len() >= 29, "{verdicts:?}");
        for (id, v) in &verdicts {
            assert_eq!(v, &("OK".to_string(), "OK".to_string()), "ws over v8, {id}");
        }
    }
    if let Some(mut websockets) = common::websockets_peer() {
        let (verdicts, _) = run_draft(&mut websockets, "8", cases);
        for (id, v) in &verdicts {
            assert_eq!(
                v,
                &("UNIMPLEMENTED".to_string(), "UNIMPLEMENTED".to_string()),
                "websockets refuses v8, {id}"
            );
        }
    }
}

/// `--draft 76`: hixie framing cannot carry categories 1-10, which are skipped with a
/// note; the categories that pick their own dialect still run.
#[test]
fn draft_76_skips_the_framing_categories_and_says_so() {
    let mut echo = common::wsspec_echo_peer();
    let (verdicts, stderr) = run_draft(&mut echo, "76", "1.1.*,16.1.*");
    assert!(stderr.contains("skipped"), "{stderr}");
    assert!(
        verdicts.keys().all(|id| id.starts_with("16.")),
        "{verdicts:?}"
    );
    assert!(!verdicts.is_empty());
    for (id, v) in &verdicts {
        assert_eq!(v.0, "OK", "{id}");
    }
}
