//! The reference server's fault-injection switch (`wsspec echo --fault NAME`): every fault
//! is a real defect that wsspec's own conformance cases observe over the network. For each
//! fault, a few cases chosen for it must fail (exit code 1, the named cases FAILED, WRONG
//! CODE, UNCLEAN or FAILED BY CLIENT), and the same cases against the server without a
//! fault must all pass (exit code 0, every case OK or INFORMATIONAL).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{expect_gate_code, load_index, verdicts, wsspec, wsspec_bin, Peer};

/// `{case id: (behavior, behaviorClose)}`.
type Verdicts = BTreeMap<String, (String, String)>;

/// Longest any one `wsspec client` run here may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Probes run at once (the machine has 2 cores, shared).
const PARALLEL: usize = 4;

/// One fault and the cases that catch it.
struct Probe {
    /// The `--fault` name.
    fault: &'static str,
    /// `--cases` patterns run against the faulty server (and, in the union of all probes,
    /// against the correct one).
    cases: &'static str,
    /// Cases that must come out failing against the faulty server.
    catches: &'static [&'static str],
    /// Run the cases one at a time, in catalogue order (for faults whose effect outlasts
    /// the case that triggers them).
    serial: bool,
}

const fn probe(
    fault: &'static str,
    cases: &'static str,
    catches: &'static [&'static str],
) -> Probe {
    Probe {
        fault,
        cases,
        catches,
        serial: false,
    }
}

const PROBES: &[Probe] = &[
    probe("wrong-accept", "1.1.1,2.1", &["1.1.1", "2.1"]),
    probe(
        "any-version",
        "14.1.1,14.2.*",
        &["14.2.1", "14.2.2", "14.2.3"],
    ),
    probe("accept-unmasked", "19.1.*", &["19.1.1", "19.1.2", "19.1.3"]),
    probe(
        "masked-echo",
        "1.1.1,1.1.2,1.2.1",
        &["1.1.1", "1.1.2", "1.2.1"],
    ),
    probe(
        "accept-rsv",
        "3.*",
        &["3.1", "3.2", "3.3", "3.4", "3.5", "3.6"],
    ),
    probe(
        "accept-reserved-opcode",
        "4.*",
        &["4.1.1", "4.1.3", "4.1.5", "4.2.1", "4.2.3", "4.2.5"],
    ),
    probe(
        "accept-orphan-continuation",
        "5.3,5.9,5.10,5.11,5.17",
        &["5.9", "5.10", "5.11", "5.17"],
    ),
    probe("accept-interleaved-data", "5.3,5.18", &["5.18"]),
    probe(
        "accept-long-control",
        "2.4,2.5,19.3.*",
        &["2.5", "19.3.2", "19.3.4", "19.3.6"],
    ),
    probe("accept-fragmented-control", "5.1,5.2,5.6", &["5.1"]),
    probe("empty-pong", "2.1,2.2,2.3,2.4", &["2.2", "2.3", "2.4"]),
    probe(
        "accept-invalid-utf8",
        "6.2.1,6.3.*,6.4.1",
        &["6.3.1", "6.3.2", "6.4.1"],
    ),
    probe("utf8-close-1002", "6.2.1,6.3.*", &["6.3.1", "6.3.2"]),
    probe(
        "accept-invalid-close-code",
        "7.7.1,7.9.*",
        &["7.9.1", "7.9.2", "7.9.3", "7.9.4", "7.9.5", "7.9.6"],
    ),
    probe("accept-invalid-close-reason", "7.3.4,7.5.1", &["7.5.1"]),
    probe("close-1005", "7.3.1,7.3.3", &["7.3.1"]),
    probe("no-close-reply", "7.1.1,7.3.3", &["7.1.1", "7.3.3"]),
    // 7.3.5 sends a 123-octet reason and "crashes" the server; every case after it is
    // refused service although the process and its listener live on.
    Probe {
        fault: "crash-on-long-close-reason",
        cases: "7.3.4,7.3.5,7.7.1,7.7.2,7.7.3",
        catches: &["7.3.5", "7.7.1", "7.7.2", "7.7.3"],
        serial: true,
    },
    // 2.4 and 2.6 send 125-octet pings; the server goes silent on those connections.
    probe("hang-on-full-ping", "2.1,2.4,2.6", &["2.4", "2.6"]),
];

/// Whether a verdict breaks the default `--fail-on` (FAILED, UNCLEAN, WRONG CODE, or the
/// FAILED BY CLIENT close a failing case reports).
fn failing((behavior, close): &(String, String)) -> bool {
    let bad = |v: &str| matches!(v, "FAILED" | "UNCLEAN" | "WRONG CODE" | "FAILED BY CLIENT");
    bad(behavior) || bad(close)
}

/// Start `wsspec echo` (with `fault`, if any), run `cases` against it, return the verdicts
/// and the run's wall time. The gate's exit code must match the verdicts, and the server
/// must still be running afterwards.
fn run(fault: Option<&str>, cases: &str, serial: bool) -> (Verdicts, Duration) {
    let name = fault.unwrap_or("none");
    let mut cmd = Command::new(wsspec_bin());
    cmd.args(["echo", "--listen", "127.0.0.1:0"]);
    if let Some(fault) = fault {
        cmd.args(["--fault", fault]);
    }
    let mut server = Peer::spawn(&format!("echo --fault {name}"), cmd);
    let out = tempfile::tempdir().expect("temp dir");
    let url = server.url();
    let dir = out.path().display().to_string();
    let mut args = vec![
        "client", "--url", &url, "--agent", name, "--cases", cases, "--out", &dir,
    ];
    if serial {
        args.extend(["--jobs", "1"]);
    }
    let outcome = wsspec(&args, RUN_TIMEOUT);
    server.assert_alive();
    let verdicts = verdicts(&load_index(out.path()), name);
    expect_gate_code(&outcome, &verdicts);
    (verdicts, outcome.elapsed)
}

/// What is wrong with the run of `probe` against its faulty server (empty: caught).
fn check(probe: &Probe) -> Vec<String> {
    let (verdicts, elapsed) = run(Some(probe.fault), probe.cases, probe.serial);
    let mut problems = Vec::new();
    let fault = probe.fault;
    if !verdicts.values().any(failing) {
        problems.push(format!(
            "{fault}: no case of {} failed: {verdicts:?}",
            probe.cases
        ));
    }
    for id in probe.catches {
        match verdicts.get(*id) {
            Some(v) if failing(v) => {}
            Some((b, c)) => problems.push(format!("{fault}: {id} is {b} / {c}, not failing")),
            None => problems.push(format!("{fault}: {id} did not run")),
        }
    }
    // The whole run stays within its bounds, crash and hang included.
    if elapsed > Duration::from_secs(40) {
        problems.push(format!("{fault}: the run took {elapsed:?}"));
    }
    eprintln!(
        "{fault}: caught by {:?} in {elapsed:.1?}",
        verdicts
            .iter()
            .filter(|(_, v)| failing(v))
            .map(|(id, v)| format!("{id} {}/{}", v.0, v.1))
            .collect::<Vec<_>>()
    );
    problems
}

#[test]
fn fault_list_names_every_fault() {
    let out = wsspec(&["echo", "--fault", "list"], Duration::from_secs(30));
    out.expect_code(0);
    let names: BTreeSet<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    let probed: BTreeSet<&str> = PROBES.iter().map(|p| p.fault).collect();
    assert_eq!(
        names, probed,
        "every fault needs a probe, and every probe a fault"
    );
    assert!(names.len() >= 12);
    let bad = wsspec(
        &[
            "echo",
            "--listen",
            "127.0.0.1:0",
            "--fault",
            "no-such-fault",
        ],
        Duration::from_secs(30),
    );
    bad.expect_code(2);
    assert!(bad.stderr.contains("--fault list"), "{}", bad.stderr);
}

#[test]
fn every_fault_is_caught_and_the_correct_server_passes_the_same_cases() {
    // The correct server passes every probe's cases (one run over their union).
    let union: Vec<&str> = PROBES.iter().map(|p| p.cases).collect();
    let union = union.join(",");
    let (clean, _) = run(None, &union, false);
    let unclean: Vec<_> = clean
        .iter()
        .filter(|(_, (b, c))| {
            !matches!(b.as_str(), "OK" | "INFORMATIONAL")
                || !matches!(c.as_str(), "OK" | "INFORMATIONAL")
        })
        .collect();
    assert!(
        unclean.is_empty(),
        "the server without a fault fails: {unclean:?}"
    );
    for probe in PROBES {
        for id in probe.catches {
            assert!(clean.contains_key(*id), "{id} is not in {}", probe.cases);
        }
    }

    // Each faulty server is caught; a few run at once.
    let next = Arc::new(Mutex::new(0usize));
    let problems = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..PARALLEL)
        .map(|_| {
            let next = Arc::clone(&next);
            let problems = Arc::clone(&problems);
            thread::spawn(move || loop {
                let i = {
                    let mut next = next.lock().unwrap_or_else(|p| p.into_inner());
                    let i = *next;
                    *next += 1;
                    i
                };
                let Some(probe) = PROBES.get(i) else { break };
                let found = check(probe);
                problems
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(found);
            })
        })
        .collect();
    for w in workers {
        if let Err(panic) = w.join() {
            std::panic::resume_unwind(panic);
        }
    }
    let problems = problems.lock().unwrap_or_else(|p| p.into_inner());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
