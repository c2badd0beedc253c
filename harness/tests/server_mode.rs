//! Server mode against real clients: `wsspec server` speaks Autobahn's fuzzingserver URL
//! protocol, and three real client drivers (npm `ws`, PyPI `websockets`, headless Chromium
//! on the served browser page) run the server-mode catalogue of categories 1–10 and 20
//! against one server at the same time, each under its own agent name. The compression
//! categories in server mode are `compression_server_mode.rs`'s.
//!
//! Needs `bash ci/install-peers.sh` (npm `ws` and `playwright-core`, PyPI `websockets`,
//! Debian chromium); set `WSSPEC_SKIP_PEERS=1` to skip the tests when they are missing.
//! Every test fails if the binary has no server mode. Run in release mode: the limits/performance cases push 16 MiB messages.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::clients::{
    chromium_driver, drivers_present, py_driver, run_concurrently, run_with_browser, start_server,
    ws_driver,
};
use serde_json::Value;
use wsspec_cases::Patterns;

/// `{case id: (behavior, behaviorClose)}`.
type Verdicts = BTreeMap<String, (String, String)>;

/// Agent name of the npm `ws` driver (`ci/peers/ws_client.js`).
const WS: &str = "node-ws-client";
/// Agent name of the PyPI `websockets` driver (`ci/peers/websockets_client.py`).
const PY: &str = "py-websockets-client";
/// Agent name of headless Chromium on the served page (`ci/peers/chromium_run.js`).
const CHROMIUM: &str = "chromium-headless";

/// Every verdict of the full concurrent run that is not OK or INFORMATIONAL (in both
/// `behavior` and `behaviorClose`): `(agent, case id, behavior, behaviorClose, why)`. A
/// verdict may list alternatives (`OK|NON-STRICT`) where the client's own timing decides
/// between two outcomes Autobahn both accepts.
/// Every other case of every agent must be OK or INFORMATIONAL. An entry that no longer
/// matches fails the test as stale.
const EXPECTED: &[(&str, &str, &str, &str, &str)] = &[
    (WS, "6.4.1", "NON-STRICT", "OK", "validates UTF-8 once the whole message is in, not fail-fast on the fragment with the bad sequence"),
    (WS, "6.4.2", "NON-STRICT", "OK", "validates UTF-8 once the whole message is in, not fail-fast on the fragment with the bad sequence"),
    (WS, "6.4.3", "NON-STRICT", "OK", "validates UTF-8 once the whole message is in, not fail-fast on the fragment with the bad sequence"),
    (WS, "6.4.4", "NON-STRICT", "OK", "validates UTF-8 once the whole message is in, not fail-fast on the fragment with the bad sequence"),
    (WS, "9.3.1", "FAILED", "FAILED", "ws 8.23 refuses more than its maxBufferedChunks fragments per message: closes 1008 'Too many buffered chunks'"),
    (WS, "9.3.2", "FAILED", "FAILED", "ws 8.23 refuses more than its maxBufferedChunks fragments per message: closes 1008 'Too many buffered chunks'"),
    (WS, "9.4.1", "FAILED", "FAILED", "ws 8.23 refuses more than its maxBufferedChunks fragments per message: closes 1008 'Too many buffered chunks'"),
    (WS, "9.4.2", "FAILED", "FAILED", "ws 8.23 refuses more than its maxBufferedChunks fragments per message: closes 1008 'Too many buffered chunks'"),
    (PY, "3.2", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "3.3", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "3.4", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "4.1.3", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "4.1.4", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "4.1.5", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "4.2.3", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "4.2.4", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "4.2.5", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "5.15", "OK|NON-STRICT", "OK", "websockets may parse the bad frame (read in the same chunk) and fail before `ws.send` of the echo of the message before it runs; Autobahn allows that early failure: OK or NON-STRICT by TCP timing"),
    (PY, "6.4.1", "NON-STRICT", "OK", "validates UTF-8 once the whole message is in, not fail-fast on the fragment with the bad sequence"),
    (PY, "6.4.2", "NON-STRICT", "OK", "validates UTF-8 once the whole message is in, not fail-fast on the fragment with the bad sequence"),
    (PY, "6.4.3", "NON-STRICT", "OK", "validates UTF-8 once the whole message is in, not fail-fast on the fragment with the bad sequence"),
    (PY, "6.4.4", "NON-STRICT", "OK", "validates UTF-8 once the whole message is in, not fail-fast on the fragment with the bad sequence"),
    (PY, "7.1.5", "FAILED", "WRONG CODE", "websockets answers a close that arrives inside a fragmented message, then the fragment after it, with 1002"),
    (PY, "9.3.1", "FAILED", "FAILED", "websockets fails the message with too many fragments (1009), as in Autobahn's run of the same client"),
    (PY, "9.3.2", "FAILED", "FAILED", "websockets fails the message with too many fragments (1009), as in Autobahn's run of the same client"),
    (PY, "9.3.3", "FAILED", "FAILED", "websockets fails the message with too many fragments (1009), as in Autobahn's run of the same client"),
    (PY, "9.4.1", "FAILED", "FAILED", "websockets fails the message with too many fragments (1009), as in Autobahn's run of the same client"),
    (PY, "9.4.2", "FAILED", "FAILED", "websockets fails the message with too many fragments (1009), as in Autobahn's run of the same client"),
    (PY, "9.4.3", "FAILED", "FAILED", "websockets fails the message with too many fragments (1009), as in Autobahn's run of the same client"),
    (CHROMIUM, "3.2", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "3.3", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "3.4", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "4.1.3", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "4.1.4", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "4.1.5", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "4.2.3", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "4.2.4", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "4.2.5", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "5.15", "OK|NON-STRICT", "OK", "Chromium's network service may fail the connection on the bad frame before the page's onmessage has echoed the message before it; Autobahn allows that early failure: OK or NON-STRICT by timing"),
    (CHROMIUM, "6.3.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.3.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.4.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.4.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.4.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.4.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.6.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.6.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.6.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.6.6", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.6.8", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.6.10", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.8.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.8.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.10.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.10.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.10.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.11.5", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.12.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.12.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.12.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.12.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.12.5", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.12.6", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.12.7", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.12.8", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.13.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.13.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.13.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.13.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.13.5", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.5", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.6", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.7", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.8", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.9", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.14.10", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.15.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.16.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.16.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.16.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.17.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.17.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.17.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.17.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.17.5", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.18.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.18.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.18.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.18.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.18.5", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.19.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.19.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.19.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.19.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.19.5", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.20.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.20.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.20.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.20.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.20.5", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.20.6", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.20.7", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.21.1", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.21.2", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.21.3", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.21.4", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.21.5", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.21.6", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.21.7", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
    (CHROMIUM, "6.21.8", "OK", "WRONG CODE", "Chromium fails invalid UTF-8 with close code 1002, not 1007 ('Could not decode a text frame as UTF-8')"),
];

/// Cases of categories 1–10 that server mode does not offer (yet): `(case id, why)`.
const NOT_IN_SERVER_MODE: &[(&str, &str)] = &[];

/// Bound on one driver's run of [`SERVER_CATALOGUE`].
const FULL_RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// Bound on one driver's run of the categories of the concurrency check.
const SHORT_RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// The categories of the three-clients test, as `--cases` patterns: Autobahn's
/// categories 1–10 with roles reversed and category 20 (the client's side of the opening
/// handshake). The compression categories (12, 13, 21) are left out: their 1000-message round
/// trips are far too slow for Chromium's page here, and `compression_server_mode.rs` runs an
/// affordable subset of them.
const SERVER_CATALOGUE: &str = "1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*,20.*";

/// The categories of the concurrency check: pings, fragmentation with pauses (5.19/5.20),
/// fail-fast UTF-8 with pauses (6.4.x) and the closing handshake, which depend on timing.
const CONCURRENCY_CASES: &str = "1.1.*,2.*,5.*,6.4.*,7.*";

// ------------------------------------------------------------------------------------------
// Setup
// ------------------------------------------------------------------------------------------

fn in_categories_1_to_10(id: &str) -> bool {
    id.split('.')
        .next()
        .and_then(|cat| cat.parse::<u32>().ok())
        .is_some_and(|cat| (1..=10).contains(&cat))
}

/// The ids the server runs for `--cases` (a subset of [`SERVER_CATALOGUE`]): Autobahn's
/// categories 1–10 (less [`NOT_IN_SERVER_MODE`]) and the cases that only test clients in
/// category 20.
fn server_case_ids(cases: &str) -> BTreeSet<String> {
    let include = Patterns::parse(cases);
    wsspec_cases::catalogue()
        .iter()
        .filter(|c| {
            in_categories_1_to_10(&c.id) || (c.tests_clients_only() && c.category.number == 20)
        })
        .filter(|c| include.matches(&c.id))
        .filter(|c| !NOT_IN_SERVER_MODE.iter().any(|(id, _)| *id == c.id))
        .map(|c| c.id.clone())
        .collect()
}

/// Whether `v` is one of the `|`-separated `alternatives`.
fn one_of(v: &str, alternatives: &str) -> bool {
    alternatives.split('|').any(|a| a == v)
}

fn okish(v: &str) -> bool {
    v == "OK" || v == "INFORMATIONAL"
}

/// Differences between `agent`'s verdicts and what is expected over `ids`: every id present,
/// no other id, the [`EXPECTED`] rows as written and everything else OK or INFORMATIONAL.
fn verdict_problems(agent: &str, got: &Verdicts, ids: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let missing: Vec<_> = ids.iter().filter(|id| !got.contains_key(*id)).collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{agent}: {} case(s) missing from index.json: {missing:?}",
            missing.len()
        ));
    }
    for id in got.keys().filter(|id| !ids.contains(*id)) {
        problems.push(format!("{agent}: unexpected case {id} in index.json"));
    }
    let expected: BTreeMap<&str, (&str, &str)> = EXPECTED
        .iter()
        .filter(|e| e.0 == agent)
        .map(|e| (e.1, (e.2, e.3)))
        .collect();
    for id in common::sorted_ids(got.keys()) {
        let (b, c) = &got[id];
        match expected.get(id.as_str()) {
            Some((eb, ec)) if !(one_of(b, eb) && one_of(c, ec)) => problems.push(format!(
                "{agent} {id}: got ({b}, {c}), EXPECTED says ({eb}, {ec})"
            )),
            Some(_) => {}
            None if okish(b) && okish(c) => {}
            None => problems.push(format!(
                "{agent} {id}: got ({b}, {c}), not in EXPECTED: (\"{agent}\", \"{id}\", \"{b}\", \"{c}\", \"…\"),"
            )),
        }
    }
    for (id, _) in expected {
        if !got.contains_key(id) && ids.contains(id) {
            problems.push(format!("{agent} {id}: EXPECTED row but no verdict"));
        }
    }
    problems
}

/// The agent names in the first category row of `index.html`'s result matrix.
fn html_agent_header_cells(html: &str) -> Vec<String> {
    let row = html
        .lines()
        .find(|l| l.contains("class=\"case_category_row\""))
        .unwrap_or_else(|| panic!("index.html has no case_category_row"));
    row.split("<td class=\"agent")
        .skip(1)
        .map(|cell| {
            let text = cell.split_once('>').map(|x| x.1).unwrap_or("");
            text.split("</td>").next().unwrap_or("").to_string()
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------

/// Cases where the client's own timing decides whether it echoes the valid message before
/// failing on the bad frame that follows; Autobahn accepts both (OK and NON-STRICT).
const RACY: &[&str] = &[
    "3.2", "3.3", "3.4", "4.1.3", "4.1.4", "4.1.5", "4.2.3", "4.2.4", "4.2.5", "5.15",
];

/// Verdict parity with Autobahn's fuzzingserver for the same client library, measured here
/// with Autobahn|Testsuite 25.10.1 (`harness/tests/fixtures/autobahn/clients-*.json`, from
/// `wstest -m fuzzingserver` with `ci/peers/ws_client.js` and `websockets_client.py`).
fn autobahn_parity(agent: &str, got: &Verdicts, fixture: &str) -> Vec<String> {
    let path = common::repo_root()
        .join("harness/tests/fixtures/autobahn")
        .join(format!("{fixture}.json"));
    let text = std::fs::read_to_string(&path).expect("client fixture");
    let autobahn: BTreeMap<String, (String, String)> =
        serde_json::from_str(&text).expect("fixture JSON");
    let mut problems = Vec::new();
    for (id, theirs) in &autobahn {
        let Some(ours) = got.get(id) else {
            problems.push(format!("{agent} {id}: not run (Autobahn {theirs:?})"));
            continue;
        };
        let racy = RACY.contains(&id.as_str())
            && ["OK", "NON-STRICT"].contains(&ours.0.as_str())
            && ["OK", "NON-STRICT"].contains(&theirs.0.as_str())
            && ours.1 == theirs.1;
        if ours != theirs && !racy {
            problems.push(format!(
                "{agent} {id}: wsspec {ours:?}, Autobahn fuzzingserver {theirs:?}"
            ));
        }
    }
    problems
}

/// Three real clients at once on the server-mode catalogue of categories 1–10 and 20.
#[test]
fn three_real_clients_concurrently_on_categories_1_to_10_and_20() {
    if !common::assert_server_mode() || !drivers_present(&["ws", "py", "chromium"]) {
        return;
    }
    let _heavy = common::heavy_lock();
    let out = tempfile::tempdir().expect("temp dir");
    let mut server = start_server(out.path(), SERVER_CATALOGUE);

    let drivers = vec![
        ws_driver(&server, WS, FULL_RUN_TIMEOUT),
        py_driver(&server, PY, FULL_RUN_TIMEOUT),
        chromium_driver(&server, CHROMIUM, FULL_RUN_TIMEOUT),
    ];
    let index = run_with_browser(&mut server, drivers, out.path(), &[WS, PY, CHROMIUM]);

    let ids = server_case_ids(SERVER_CATALOGUE);
    assert_eq!(
        ids.iter().filter(|id| in_categories_1_to_10(id)).count() + NOT_IN_SERVER_MODE.len(),
        301,
        "server mode runs Autobahn's categories 1–10"
    );
    assert_eq!(
        ids.len() + NOT_IN_SERVER_MODE.len(),
        308,
        "{SERVER_CATALOGUE} selects Autobahn's 301 cases and category 20's 7"
    );
    let mut problems = Vec::new();
    for agent in [WS, PY, CHROMIUM] {
        let got = common::verdicts(&index, agent);
        problems.extend(verdict_problems(agent, &got, &ids));
    }
    for (agent, fixture) in [(WS, "clients-node-ws"), (PY, "clients-py-websockets")] {
        problems.extend(autobahn_parity(
            agent,
            &common::verdicts(&index, agent),
            fixture,
        ));
    }
    assert!(
        problems.is_empty(),
        "{} verdict problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );

    // Every agent is its own column of the HTML matrix.
    let html = std::fs::read_to_string(out.path().join("index.html")).expect("index.html");
    let cells = html_agent_header_cells(&html);
    assert_eq!(
        cells.len(),
        3,
        "index.html should show three agent columns, found {cells:?}"
    );
    for agent in [WS, PY, CHROMIUM] {
        assert!(
            cells.iter().any(|c| c == agent),
            "index.html has no column for {agent}: {cells:?}"
        );
    }

    // The Chromium agent's cases were really run by Chromium, the others' were not.
    let request_of = |agent: &str| {
        let path = out
            .path()
            .join(format!("{}.json", common::case_file_stem(agent, "1.1.1")));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let report: Value = serde_json::from_str(&text).expect("per-case report is JSON");
        report
            .get("httpRequest")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let chromium_request = request_of(CHROMIUM);
    assert!(
        chromium_request.contains("HeadlessChrome"),
        "{CHROMIUM}'s 1.1.1 request does not come from Chromium:\n{chromium_request}"
    );
    assert!(
        chromium_request.contains(&format!("agent={CHROMIUM}")),
        "{CHROMIUM}'s 1.1.1 request is not a runCase for its agent:\n{chromium_request}"
    );
    for agent in [WS, PY] {
        let request = request_of(agent);
        assert!(
            !request.contains("HeadlessChrome") && request.contains(&format!("agent={agent}")),
            "{agent}'s 1.1.1 request:\n{request}"
        );
    }
}

/// A driver's verdicts do not change when other agents run on the same server at the same
/// time.
#[test]
fn verdicts_alone_equal_verdicts_concurrently() {
    if !common::assert_server_mode() || !drivers_present(&["ws", "py"]) {
        return;
    }
    let _heavy = common::heavy_lock();
    let out = tempfile::tempdir().expect("temp dir");
    let mut server = start_server(out.path(), CONCURRENCY_CASES);

    // Alone, one after the other.
    run_concurrently(vec![ws_driver(&server, "ws-alone", SHORT_RUN_TIMEOUT)]);
    run_concurrently(vec![py_driver(&server, "py-alone", SHORT_RUN_TIMEOUT)]);
    // Together: both libraries and a second ws client at once.
    run_concurrently(vec![
        ws_driver(&server, "ws-together", SHORT_RUN_TIMEOUT),
        py_driver(&server, "py-together", SHORT_RUN_TIMEOUT),
        ws_driver(&server, "ws-together-2", SHORT_RUN_TIMEOUT),
    ]);
    server.assert_alive();

    let index = common::load_index(out.path());
    let ids = server_case_ids(CONCURRENCY_CASES);
    let ws_alone = common::verdicts(&index, "ws-alone");
    let py_alone = common::verdicts(&index, "py-alone");
    assert_eq!(
        ws_alone.keys().cloned().collect::<BTreeSet<_>>(),
        ids,
        "ws-alone ran other cases than {CONCURRENCY_CASES}"
    );
    assert_eq!(
        py_alone.keys().cloned().collect::<BTreeSet<_>>(),
        ids,
        "py-alone ran other cases than {CONCURRENCY_CASES}"
    );
    let mut problems = Vec::new();
    for (alone, alone_v, together) in [
        ("ws-alone", &ws_alone, "ws-together"),
        ("ws-alone", &ws_alone, "ws-together-2"),
        ("py-alone", &py_alone, "py-together"),
    ] {
        let together_v = common::verdicts(&index, together);
        for id in common::sorted_ids(ids.iter()) {
            let library = if alone.starts_with("ws") { WS } else { PY };
            let timing_decides = EXPECTED
                .iter()
                .any(|e| e.0 == library && e.1 == id && e.2.contains('|'));
            let both_allowed = || {
                [alone_v.get(id), together_v.get(id)].iter().all(|v| {
                    v.is_some_and(|(b, c)| {
                        verdict_problems(
                            library,
                            &Verdicts::from([(id.clone(), (b.clone(), c.clone()))]),
                            &BTreeSet::from([id.clone()]),
                        )
                        .is_empty()
                    })
                })
            };
            if alone_v.get(id) != together_v.get(id) && !(timing_decides && both_allowed()) {
                problems.push(format!(
                    "{id}: {alone} {:?} but {together} {:?}",
                    alone_v.get(id),
                    together_v.get(id)
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "verdicts changed with concurrency:\n{}",
        problems.join("\n")
    );
    // The same library under two names is judged the same, and as in the full run.
    let mut table_problems = verdict_problems(WS, &ws_alone, &ids);
    table_problems.extend(verdict_problems(PY, &py_alone, &ids));
    assert!(
        table_problems.is_empty(),
        "alone runs disagree with EXPECTED:\n{}",
        table_problems.join("\n")
    );
}

/// hybi-10 clients are served in their dialect: npm `ws` with `protocolVersion: 8` runs
/// the framing, ping and close cases as it does over version 13.
#[test]
fn a_version_8_client_is_served_like_a_version_13_one() {
    if !common::assert_server_mode() || !drivers_present(&["ws"]) {
        return;
    }
    let out = tempfile::tempdir().expect("temp dir");
    let cases = "1.1.*,2.*,5.3,7.1.1";
    let server = start_server(out.path(), cases);
    let agent = "node-ws-v8";
    let mut driver = ws_driver(&server, agent, SHORT_RUN_TIMEOUT);
    driver.cmd.arg("8");
    let outcome = run_concurrently(vec![driver]);
    outcome[0].expect_code(0);
    let index = common::load_index(out.path());
    let got = common::verdicts(&index, agent);
    assert_eq!(got.len(), server_case_ids(cases).len());
    for (id, v) in &got {
        assert_eq!(v, &("OK".to_string(), "OK".to_string()), "{id}");
    }
    let request = std::fs::read_to_string(out.path().join("node_ws_v8_case_1_1_1.json"))
        .expect("case report");
    assert!(
        request.contains("Sec-WebSocket-Version: 8"),
        "the driver spoke version 8"
    );
}
