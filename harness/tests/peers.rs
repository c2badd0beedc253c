//! wsspec against real peers: verdict parity with Autobahn|Testsuite on the same servers,
//! run-to-run stability across concurrency levels, and the self-check demo.
//!
//! Needs `bash ci/install-peers.sh` (npm `ws`, PyPI `websockets`); set `WSSPEC_SKIP_PEERS=1`
//! to skip the tests that need them. Run in release mode: the limits/performance cases push
//! 16 MiB messages.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Peer, FIXTURE_CATEGORIES};

/// Where wsspec's verdict on a real peer legitimately differs from Autobahn's:
/// `(peer agent, case id, why)`. Every entry must explain the difference; an entry whose
/// difference no longer occurs fails the test as stale.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[];

/// Cases the demo (wsspec against its own reference server) may judge NON-STRICT:
/// `(case id, why)`. Empty: the reference server is meant to be strictly conformant.
const DEMO_NON_STRICT_ALLOWED: &[(&str, &str)] = &[];

/// Bound on one run of the whole catalogue against one peer.
const FULL_RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs the catalogue's cases in the fixture categories against `peer` and returns the
/// verdicts wsspec reported for `agent`.
fn run_against(
    peer: &mut Peer,
    agent: &str,
    cases: &str,
    jobs: Option<u32>,
    timeout: Duration,
) -> BTreeMap<String, (String, String)> {
    let out = tempfile::tempdir().expect("temp dir");
    let url = peer.url();
    let out_dir = out.path().display().to_string();
    let mut args = vec![
        "client", "--url", &url, "--agent", agent, "--cases", cases, "--out", &out_dir,
    ];
    let jobs_s = jobs.map(|j| j.to_string());
    if let Some(j) = &jobs_s {
        args.extend(["--jobs", j.as_str()]);
    }
    let run = common::wsspec(&args, timeout);
    peer.assert_alive();
    let index = common::load_index(out.path());
    if cases == FIXTURE_CATEGORIES {
        assert_jq_judge_agrees(out.path(), agent);
    }
    let verdicts = common::verdicts(&index, agent);
    common::expect_gate_code(&run, &verdicts);
    verdicts
}

/// The judge other projects run on Autobahn's output (tungstenite's CI: `jq -S` with
/// `duration` deleted, then a plain diff against the expected file) must see wsspec's
/// `index.json` exactly as it sees Autobahn's own report for the same server.
fn assert_jq_judge_agrees(ours: &std::path::Path, agent: &str) {
    let dir = if agent == "node-ws" {
        "ws"
    } else {
        "websockets"
    };
    let reference = common::repo_root()
        .join("../shared/reference/autobahn-results")
        .join(dir)
        .join("index.json");
    if !reference.exists() {
        eprintln!(
            "note: {} absent; jq judge check skipped",
            reference.display()
        );
        return;
    }
    let jq = |filter: &str, file: &std::path::Path| {
        let out = std::process::Command::new("jq")
            .args(["-S", "--arg", "a", agent, filter])
            .arg(file)
            .output()
            .expect("jq (installed by ci/install-peers.sh)");
        assert!(out.status.success(), "jq failed on {}", file.display());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let judged_ours = jq("del(.[][].duration)", &ours.join("index.json"));
    let judged_autobahn = jq(
        r#"{($a): (.[$a] | with_entries(select(.key | test("^(1|2|3|4|5|6|7|9|10)\\."))))} | del(.[][].duration)"#,
        &reference,
    );
    let differing: Vec<(&str, &str)> = judged_ours
        .lines()
        .zip(judged_autobahn.lines())
        .filter(|(a, b)| a != b)
        .take(20)
        .collect();
    assert!(
        judged_ours == judged_autobahn,
        "jq judge sees a different index for {agent} than Autobahn's ({} vs {} lines); \
         first differing lines: {differing:?}",
        judged_ours.lines().count(),
        judged_autobahn.lines().count()
    );
}

/// Compares wsspec's verdicts with Autobahn's for one peer, honouring KNOWN_DIFFERENCES.
fn assert_parity(agent: &str, ours: &BTreeMap<String, (String, String)>) {
    let autobahn = common::autobahn_fixture(agent);
    let allowed: BTreeMap<&str, &str> = KNOWN_DIFFERENCES
        .iter()
        .filter(|(peer, _, _)| *peer == agent)
        .map(|(_, case, why)| (*case, *why))
        .collect();

    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    let fmt = |v: Option<&(String, String)>| match v {
        Some((b, c)) => format!("{b} / {c}"),
        None => "(not run)".to_string(),
    };
    let ids: BTreeSet<&String> = autobahn.keys().chain(ours.keys()).collect();
    for id in common::sorted_ids(ids) {
        let (a, o) = (autobahn.get(id), ours.get(id));
        if a == o {
            continue;
        }
        if a.is_none() {
            problems.push(format!(
                "  {id}: wsspec ran a case Autobahn's report does not have ({})",
                fmt(o)
            ));
            continue;
        }
        if allowed.contains_key(id.as_str()) {
            used.insert(id.as_str());
            continue;
        }
        problems.push(format!("  {id}: wsspec {}, Autobahn {}", fmt(o), fmt(a)));
    }
    for (case, why) in &allowed {
        if !used.contains(case) {
            problems.push(format!(
                "  {case}: listed in KNOWN_DIFFERENCES ({why}) but the verdicts now agree: \
                 remove the stale entry"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} verdict difference(s) between wsspec and Autobahn|Testsuite on {agent} \
         ({} cases compared):\n{}\n(a difference that is right must be listed in \
         KNOWN_DIFFERENCES with its reason)",
        problems.len(),
        autobahn.len(),
        problems.join("\n")
    );
}

#[test]
fn verdicts_match_autobahn_on_node_ws() {
    let Some(mut peer) = common::ws_peer() else {
        return;
    };
    let _heavy = common::heavy_lock();
    let ours = run_against(
        &mut peer,
        "node-ws",
        FIXTURE_CATEGORIES,
        None,
        FULL_RUN_TIMEOUT,
    );
    assert_parity("node-ws", &ours);
}

#[test]
fn verdicts_match_autobahn_on_py_websockets() {
    let Some(mut peer) = common::websockets_peer() else {
        return;
    };
    let _heavy = common::heavy_lock();
    let ours = run_against(
        &mut peer,
        "py-websockets",
        FIXTURE_CATEGORIES,
        None,
        FULL_RUN_TIMEOUT,
    );
    assert_parity("py-websockets", &ours);
}

#[test]
fn verdicts_do_not_depend_on_concurrency() {
    let Some(mut peer) = common::ws_peer() else {
        return;
    };
    let _heavy = common::heavy_lock();
    let cases = "1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*";
    let timeout = Duration::from_secs(300);
    let serial = run_against(&mut peer, "node-ws", cases, Some(1), timeout);
    let parallel = run_against(&mut peer, "node-ws", cases, Some(16), timeout);
    assert!(!serial.is_empty(), "--jobs 1 ran no case");

    let ids: BTreeSet<&String> = serial.keys().chain(parallel.keys()).collect();
    let diffs: Vec<String> = common::sorted_ids(ids)
        .into_iter()
        .filter(|id| serial.get(*id) != parallel.get(*id))
        .map(|id| {
            format!(
                "  {id}: --jobs 1 {:?}, --jobs 16 {:?}",
                serial.get(id),
                parallel.get(id)
            )
        })
        .collect();
    assert!(
        diffs.is_empty(),
        "{} case(s) judged differently with --jobs 1 and --jobs 16 against node-ws:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn demo_judges_the_reference_server_conformant() {
    let _heavy = common::heavy_lock();
    let out = tempfile::tempdir().expect("temp dir");
    let out_dir = out.path().display().to_string();
    let run = common::wsspec(&["demo", "--out", &out_dir], FULL_RUN_TIMEOUT);
    run.expect_code(0);
    assert!(
        !run.stdout.trim().is_empty(),
        "wsspec demo printed no summary on stdout"
    );

    let index = common::load_index(out.path());
    let agents: Vec<String> = index
        .as_object()
        .expect("index.json is an object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(agents.len(), 1, "demo index has agents {agents:?}");
    let verdicts = common::verdicts(&index, &agents[0]);
    // Category 20 tests clients: the demo (wsspec as the client) runs everything else.
    let listed = common::wsspec(&["list"], Duration::from_secs(60))
        .expect_code(0)
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let client_only = wsspec_cases::catalogue()
        .iter()
        .filter(|c| c.tests_clients_only())
        .count();
    assert!(client_only > 0);
    assert_eq!(
        verdicts.len(),
        listed - client_only,
        "the demo should run the whole catalogue but the client-only cases"
    );

    let allowed: BTreeMap<&str, &str> = DEMO_NON_STRICT_ALLOWED.iter().copied().collect();
    let acceptable = ["OK", "INFORMATIONAL"];
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for id in common::sorted_ids(verdicts.keys()) {
        let (b, c) = &verdicts[id];
        let close_ok = acceptable.contains(&c.as_str());
        if acceptable.contains(&b.as_str()) && close_ok {
            continue;
        }
        if b == "NON-STRICT" && close_ok && allowed.contains_key(id.as_str()) {
            used.insert(id.as_str());
            continue;
        }
        problems.push(format!("  {id}: {b} / {c}"));
    }
    for (case, why) in &allowed {
        if !used.contains(case) {
            problems.push(format!(
                "  {case}: listed in DEMO_NON_STRICT_ALLOWED ({why}) but no longer NON-STRICT"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "wsspec demo judged its own reference server non-conformant on {} case(s):\n{}\n\
         --- demo stdout ---\n{}",
        problems.len(),
        problems.join("\n"),
        common::tail(&run.stdout, 4000)
    );
}
