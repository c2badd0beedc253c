//! permessage-deflate (RFC 7692) in server mode against real clients: `wsspec server`
//! answers each client's own permessage-deflate offer with the case's answers (Autobahn's
//! server accept policies), and three real clients run at once against one server, each
//! under its own agent name: npm `ws` and PyPI `websockets` with compression on, and
//! headless Chromium on the served browser page (Chromium always offers
//! `permessage-deflate; client_max_window_bits`).
//!
//! The cases: in each of the 12 subcategories of categories 12 and 13 the ones with
//! messages of 16 octets to 8 KiB (1–6) and the first fragmented one (11, 8 KiB in
//! 256-octet frames), as the client-mode test `compression.rs` picks them, plus every case
//! of category 21 that runs in server mode (all but the invalid offers a server must
//! decline). All 216 cases of 12/13 are 10 GB of compressed round trips per client: far too
//! much for Chromium's page here.
//!
//! Needs `bash ci/install-peers.sh` (npm `ws` and `playwright-core`, PyPI `websockets`,
//! Debian chromium); set `WSSPEC_SKIP_PEERS=1` to skip the test when they are missing. Run
//! in release mode.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use common::clients::{self, Driver};
use common::Peer;
use serde_json::Value;
use wsspec_cases::{Case, Negotiation, Patterns};

/// `{case id: (behavior, behaviorClose)}`.
type Verdicts = BTreeMap<String, (String, String)>;

/// Agent name of the npm `ws` driver with `--deflate` (`ci/peers/ws_client.js`).
const WS: &str = "node-ws-client-deflate";
/// Agent name of the PyPI `websockets` driver with `--deflate`
/// (`ci/peers/websockets_client.py`).
const PY: &str = "py-websockets-client-deflate";
/// Agent name of headless Chromium on the served page (`ci/peers/chromium_run.js`).
const CHROMIUM: &str = "chromium-headless-deflate";
/// All three, in the order the drivers run.
const AGENTS: [&str; 3] = [WS, PY, CHROMIUM];

/// Bound on one driver's run of [`cases`]; each takes under 90 s here (2 cores, all three
/// at once).
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// Every verdict that is not OK or INFORMATIONAL (in both `behavior` and `behaviorClose`):
/// `(agent, case pattern, allowed verdicts, why)`, read by [`common::unexplained`]. Every
/// other case of every agent must be OK or INFORMATIONAL, and a row that matches no case is
/// stale. Each row was checked in the per-case report.
const EXPECTED: &[(&str, &str, &str, &str)] = &[
    // --- every client: all three offer `permessage-deflate; client_max_window_bits` ---
    (
        WS,
        "21.5.1",
        "UNIMPLEMENTED/UNIMPLEMENTED",
        "the client's offer names client_max_window_bits, so the answer \
         client_max_window_bits=10 is valid for it (RFC 7692 §7.1.2.2) and the case cannot \
         test it",
    ),
    (
        PY,
        "21.5.1",
        "UNIMPLEMENTED/UNIMPLEMENTED",
        "the client's offer names client_max_window_bits, so the answer \
         client_max_window_bits=10 is valid for it (RFC 7692 §7.1.2.2) and the case cannot \
         test it",
    ),
    (
        CHROMIUM,
        "21.5.1",
        "UNIMPLEMENTED/UNIMPLEMENTED",
        "the client's offer names client_max_window_bits, so the answer \
         client_max_window_bits=10 is valid for it (RFC 7692 §7.1.2.2) and the case cannot \
         test it",
    ),
    // --- npm ws 8.23.0, perMessageDeflate: true ---
    (
        WS,
        "21.5.10",
        "FAILED/FAILED",
        "ws accepts the answer `permessage-deflate, permessage-deflate`: its header parser \
         folds both elements under one name, the only-one-extension check passes and \
         `acceptAsClient` uses the first element. It opens the connection (two extensions \
         claiming RSV1 must fail it, RFC 7692 §5) and echoes wsspec's message compressed, \
         with RSV1, which wsspec (having agreed nothing) fails with 1002: data on a \
         connection it had to refuse",
    ),
    // --- headless Chromium (Debian chromium) ---
    (
        CHROMIUM,
        "21.3.20",
        "OK/WRONG CODE",
        "Chromium fails a compressed text that inflates to invalid UTF-8 with close code 1002 \
         ('Invalid UTF-8 in text frame'), not 1007; the same as for uncompressed text in \
         server_mode.rs",
    ),
];

// ------------------------------------------------------------------------------------------
// Setup
// ------------------------------------------------------------------------------------------

/// The cases run: 1–6 and 11 of every subcategory of 12 and 13, and category 21.
fn cases() -> String {
    format!("{},21.*", common::compression_subset().join(","))
}

/// The catalogue's cases that server mode offers for `patterns`, in order.
fn server_cases(patterns: &str) -> Vec<&'static Case> {
    wsspec::server::server_cases(&Patterns::parse(patterns), &Patterns::parse(""))
}

fn category(id: &str) -> u32 {
    id.split('.')
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("case id {id:?} has no category"))
}

/// The three drivers against `server`, each under its agent name, compression on.
fn drivers(server: &Peer) -> Vec<Driver> {
    let mut ws = clients::ws_driver(server, WS, RUN_TIMEOUT);
    ws.cmd.arg("--deflate");
    let mut py = clients::py_driver(server, PY, RUN_TIMEOUT);
    py.cmd.arg("--deflate");
    vec![
        ws,
        py,
        clients::chromium_driver(server, CHROMIUM, RUN_TIMEOUT),
    ]
}

// ------------------------------------------------------------------------------------------
// Reports
// ------------------------------------------------------------------------------------------

fn str_field<'a>(report: &'a Value, key: &str) -> &'a str {
    report.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The values of the `Sec-WebSocket-Extensions` lines of an HTTP head, lowercased.
fn extensions_header(head: &str) -> Option<String> {
    let values: Vec<String> = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
        .map(|(_, v)| v.trim().to_ascii_lowercase())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Problems with a 12/13 case of `agent`: the client offered permessage-deflate with
/// `client_max_window_bits` and wsspec answered with exactly the case's first answer (every
/// answer of 12/13 fits such an offer), and its `trafficStats` count 1000 messages each way
/// with both compression ratios (the binary files barely compress: ratios above 1 occur).
fn negotiation_problems(dir: &Path, agent: &str, case: &Case) -> Vec<String> {
    let id = &case.id;
    let report = common::case_json(dir, agent, id);
    let mut problems = Vec::new();
    let offer = extensions_header(str_field(&report, "httpRequest")).unwrap_or_default();
    if !offer.starts_with("permessage-deflate") || !offer.contains("client_max_window_bits") {
        problems.push(format!(
            "{agent} {id}: the client did not offer permessage-deflate with \
             client_max_window_bits: {offer:?}"
        ));
        return problems;
    }
    let Some(answer) = extensions_header(str_field(&report, "httpResponse")) else {
        problems.push(format!(
            "{agent} {id}: wsspec's answer agrees no extension:\n{}",
            str_field(&report, "httpResponse")
        ));
        return problems;
    };
    let accept = case
        .compression
        .as_ref()
        .and_then(|c| c.server_accepts.first())
        .unwrap_or_else(|| panic!("{id}: a compression case without a server answer"));
    let mut want = vec!["permessage-deflate".to_string()];
    if accept.client_no_context_takeover {
        want.push("client_no_context_takeover".into());
    }
    if let Some(bits) = accept.client_max_window_bits {
        want.push(format!("client_max_window_bits={bits}"));
    }
    let got: Vec<String> = answer.split(';').map(|p| p.trim().to_string()).collect();
    if got != want {
        problems.push(format!(
            "{agent} {id}: wsspec answered {answer:?}, the case's answer is {:?}",
            want.join("; ")
        ));
    }
    let stats = report.get("trafficStats").unwrap_or(&Value::Null);
    let count = |key: &str| stats.get(key).and_then(Value::as_u64);
    let ratio = |key: &str| stats.get(key).and_then(Value::as_f64);
    let counts_ok = ["incomingWebSocketMessages", "outgoingWebSocketMessages"]
        .iter()
        .all(|k| count(k) == Some(1000));
    let ratios_ok = ["incomingCompressionRatio", "outgoingCompressionRatio"]
        .iter()
        .all(|k| ratio(k).is_some_and(|r| r > 0.0));
    if !counts_ok || !ratios_ok {
        problems.push(format!(
            "{agent} {id}: trafficStats lacks 1000 messages each way or a compression ratio: \
             {stats}"
        ));
    }
    problems
}

/// The ` [in/out]` ratios `index.html` shows in `agent`'s cell of case `id`.
fn index_cell_ratios(html: &str, agent: &str, id: &str) -> Option<(f64, f64)> {
    let row = html
        .lines()
        .find(|l| l.contains(&format!(">Case {id}</a></td>")))?;
    let link = format!("href=\"{}.html\"", common::case_file_stem(agent, id));
    let cell = row.split(&link).nth(1)?.split("</td>").next()?;
    let inner = cell.rsplit_once('[')?.1.split_once(']')?.0;
    let (incoming, outgoing) = inner.split_once('/')?;
    Some((incoming.parse().ok()?, outgoing.parse().ok()?))
}

// ------------------------------------------------------------------------------------------
// Test
// ------------------------------------------------------------------------------------------

/// Three real clients at once on 12/13 (84 cases) and category 21 in server mode.
#[test]
fn three_real_clients_concurrently_on_compression() {
    if !common::assert_server_mode() || !clients::drivers_present(&["ws", "py", "chromium"]) {
        return;
    }
    let _heavy = common::heavy_lock();
    let patterns = cases();
    assert!(common::assert_listed("compression_server_mode", &patterns));
    let selected = server_cases(&patterns);
    let ids: BTreeSet<String> = selected.iter().map(|c| c.id.clone()).collect();

    // What the selection holds: 7 cases of each of the 12 subcategories of 12/13, and all
    // of category 21 but the invalid offers (only a server can be tested with those).
    assert_eq!(
        ids.iter()
            .filter(|id| matches!(category(id), 12 | 13))
            .count(),
        84,
        "the 12/13 subset"
    );
    let not_served: Vec<&str> = wsspec_cases::catalogue()
        .iter()
        .filter(|c| category(&c.id) == 21 && !ids.contains(&c.id))
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        !not_served.is_empty()
            && wsspec_cases::catalogue()
                .iter()
                .filter(|c| not_served.contains(&c.id.as_str()))
                .all(|c| c.id.starts_with("21.2.")
                    && c.compression.as_ref().map(|c| c.negotiation)
                        == Some(Negotiation::MustDecline)),
        "category 21 in server mode leaves out exactly the offers a server must decline: \
         {not_served:?}"
    );
    assert!(
        ids.iter().any(|id| id.starts_with("21.5.")),
        "the answers a client must refuse (21.5) run"
    );

    let out = tempfile::tempdir().expect("temp dir");
    let mut server = clients::start_server(out.path(), &patterns);

    let drivers = drivers(&server);
    let index = clients::run_with_browser(&mut server, drivers, out.path(), &AGENTS);

    let html = std::fs::read_to_string(out.path().join("index.html")).expect("index.html");
    let mut problems = Vec::new();
    for agent in AGENTS {
        let got: Verdicts = common::verdicts(&index, agent);
        let ran: BTreeSet<String> = got.keys().cloned().collect();
        if ran != ids {
            problems.push(format!(
                "{agent}: ran unselected cases {:?}; selected cases missing: {:?}",
                ran.difference(&ids).collect::<Vec<_>>(),
                ids.difference(&ran).collect::<Vec<_>>()
            ));
        }
        problems.extend(
            common::unexplained(agent, &got, EXPECTED)
                .into_iter()
                .map(|p| format!("{agent} {p}")),
        );

        for case in &selected {
            let id = &case.id;
            let Some(verdict) = got.get(id) else { continue };
            // A verdict that passes while the harness failed the connection itself (e.g.
            // its own message limit cut an echo off) is judged on the wrong grounds.
            let report = common::case_json(out.path(), agent, id);
            if common::is_clean(verdict) && report.get("failedByMe") == Some(&Value::Bool(true)) {
                problems.push(format!(
                    "{agent} {id}: {verdict:?}, but wsspec failed the connection: {}",
                    str_field(&report, "wasNotCleanReason")
                ));
            }
            if !matches!(category(id), 12 | 13) {
                continue;
            }
            // Compression was agreed and used in every 12/13 case, for every client.
            problems.extend(negotiation_problems(out.path(), agent, case));
            // 12.x cells show Autobahn's ` [in/out]` ratios, from the case's trafficStats.
            if category(id) == 12 {
                let stats = &report["trafficStats"];
                let want = (
                    stats["incomingCompressionRatio"].as_f64(),
                    stats["outgoingCompressionRatio"].as_f64(),
                );
                match (index_cell_ratios(&html, agent, id), want) {
                    (Some((i, o)), (Some(wi), Some(wo)))
                        if (i - wi).abs() <= 0.0005 && (o - wo).abs() <= 0.0005 => {}
                    (shown, _) => problems.push(format!(
                        "{agent} {id}: index.html shows ratios {shown:?}, trafficStats has \
                         {want:?}"
                    )),
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );

    // The Chromium agent's cases were really run by Chromium, the others' were not.
    for agent in AGENTS {
        let request = str_field(
            &common::case_json(out.path(), agent, "12.1.1"),
            "httpRequest",
        )
        .to_string();
        assert_eq!(
            request.contains("HeadlessChrome"),
            agent == CHROMIUM,
            "{agent}'s 12.1.1 request:\n{request}"
        );
        assert!(
            request.contains(&format!("agent={agent}")),
            "{agent}'s 12.1.1 request is not a runCase for its agent:\n{request}"
        );
    }
}
