//! The network fuzzer end to end: no finding against the reference server (the model
//! agrees with a conforming server), injected faults found and minimized, case files
//! replayed and run as suite cases, non-loopback targets refused.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{load_index, verdicts, wsspec, wsspec_bin, wsspec_echo_peer, Peer};

/// A fuzz run's `summary.json`.
fn summary(out: &Path) -> serde_json::Value {
    let path = out.join("summary.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The case files a fuzz run wrote.
fn findings(out: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(out.join("findings")) else {
        return Vec::new();
    };
    let mut v: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    v.sort();
    v
}

/// The reference server with one injected fault.
fn faulty_echo(fault: &str) -> Peer {
    let mut cmd = Command::new(wsspec_bin());
    cmd.args(["echo", "--listen", "127.0.0.1:0", "--fault", fault]);
    Peer::spawn(&format!("wsspec-echo-{fault}"), cmd)
}

#[test]
fn the_reference_server_gives_no_finding() {
    let mut echo = wsspec_echo_peer();
    let out = tempfile::tempdir().unwrap();
    let run = wsspec(
        &[
            "fuzz",
            "--url",
            &echo.url(),
            "--duration",
            "10s",
            "--seed",
            "1",
            "--quiet",
            "--out",
            out.path().to_str().unwrap(),
        ],
        Duration::from_secs(120),
    );
    let files = findings(out.path());
    let described: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    assert!(
        files.is_empty(),
        "findings against the reference server:\n{}\n--- stdout ---\n{}",
        described.join("\n"),
        run.stdout
    );
    run.expect_code(0);
    let s = summary(out.path());
    let sequences = s["sequences"].as_u64().unwrap();
    assert!(sequences >= 100, "only {sequences} sequences in 10 s");
    assert!(s["reactions"].as_u64().unwrap() >= 20, "{s}");
    assert!(s["server_gone"].is_null());
    echo.assert_alive();
}

/// A valid hand-written case: a fragmented text message, a ping between its fragments,
/// then our close.
const HAND_WRITTEN: &str = r#"{
  "format": "wsspec-fuzz-case/1",
  "id": "hand.ping-in-fragments",
  "description": "A ping between the fragments of a text message, then a close with 3000.",
  "opening": "standard",
  "actions": [
    {"action": "frame", "opcode": 1, "fin": false, "rsv": 0, "mask": "random",
     "length": "minimal", "payload": {"kind": "text", "text": "Hello, "}, "write": "whole"},
    {"action": "ping", "payload": {"kind": "text", "text": "are you there?"}},
    {"action": "frame", "opcode": 0, "fin": true, "rsv": 0, "mask": "random",
     "length": "minimal", "payload": {"kind": "text", "text": "world!"}, "write": {"chop": 1}},
    {"action": "delay", "ms": 50},
    {"action": "close", "kind": "code", "code": 3000, "reason": {"kind": "text", "text": "bye"}}
  ]
}"#;

#[test]
fn replay_passes_on_a_correct_server_and_fails_on_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hand.json");
    std::fs::write(&file, HAND_WRITTEN).unwrap();
    let file = file.to_str().unwrap();

    let echo = wsspec_echo_peer();
    let run = wsspec(
        &["replay", file, "--url", &echo.url()],
        Duration::from_secs(30),
    );
    run.expect_code(0);
    assert!(run.stdout.contains("passes"), "{}", run.stdout);

    // Pongs without the ping's payload: the case sees it.
    let broken = faulty_echo("empty-pong");
    let run = wsspec(
        &["replay", file, "--url", &broken.url()],
        Duration::from_secs(30),
    );
    run.expect_code(1);
    assert!(run.stdout.contains("still fails"), "{}", run.stdout);
}

#[test]
fn case_files_run_as_suite_cases() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hand.json"), HAND_WRITTEN).unwrap();
    let reports = tempfile::tempdir().unwrap();
    let echo = wsspec_echo_peer();
    let run = wsspec(
        &[
            "client",
            "--url",
            &echo.url(),
            "--cases",
            "1.1.1,fuzz.*",
            "--cases-dir",
            dir.path().to_str().unwrap(),
            "--agent",
            "echo",
            "--out",
            reports.path().to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    run.expect_code(0);
    let v = verdicts(&load_index(reports.path()), "echo");
    assert_eq!(
        v.get("fuzz.hand.ping-in-fragments"),
        Some(&("OK".to_string(), "OK".to_string())),
        "{v:?}"
    );
    assert!(v.contains_key("1.1.1"), "{v:?}");

    // The same case against a server that answers pings with empty pongs: the gate fails.
    let broken = faulty_echo("empty-pong");
    let run = wsspec(
        &[
            "client",
            "--url",
            &broken.url(),
            "--cases",
            "fuzz.*",
            "--cases-dir",
            dir.path().to_str().unwrap(),
            "--agent",
            "broken",
            "--out",
            reports.path().to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    run.expect_code(1);
}

#[test]
fn only_loopback_targets_are_fuzzed() {
    for args in [
        vec!["fuzz", "--url", "ws://192.0.2.1:9001", "--duration", "1s"],
        vec!["replay", "nonexistent.json", "--url", "ws://10.0.0.1:80/"],
        vec!["fuzz", "--listen", "0.0.0.0:0", "--max-sequences", "1"],
    ] {
        let run = wsspec(&args, Duration::from_secs(30));
        run.expect_code(2);
        assert!(
            run.stderr.contains("only 127.0.0.0/8 and ::1"),
            "{}",
            run.stderr
        );
    }
}

/// Faults of the reference server the fuzzer must find within 60 s (seed 1), each
/// minimized to at most six actions, and each reproducer replaying: still failing against
/// the faulty server, passing against the correct one.
#[test]
fn injected_faults_are_found_and_minimized() {
    let echo = wsspec_echo_peer();
    for fault in [
        "masked-echo",
        "accept-rsv",
        "empty-pong",
        "accept-invalid-utf8",
        "accept-invalid-close-code",
        "hang-on-full-ping",
    ] {
        let broken = faulty_echo(fault);
        let out = tempfile::tempdir().unwrap();
        let run = wsspec(
            &[
                "fuzz",
                "--url",
                &broken.url(),
                "--duration",
                "60s",
                "--seed",
                "1",
                "--stop-after",
                "1",
                "--quiet",
                "--out",
                out.path().to_str().unwrap(),
            ],
            Duration::from_secs(300),
        );
        run.expect_code(1);
        let s = summary(out.path());
        let first = &s["findings"][0];
        let after = first["found_after_ms"].as_u64().unwrap();
        assert!(after <= 60_000, "{fault}: found after {after} ms");
        let actions = first["actions"].as_u64().unwrap();
        assert!(actions <= 6, "{fault}: {actions} actions: {first}");
        let file = first["path"].as_str().unwrap();
        let replay = wsspec(
            &["replay", file, "--url", &broken.url()],
            Duration::from_secs(30),
        );
        replay.expect_code(1);
        let replay = wsspec(
            &["replay", file, "--url", &echo.url()],
            Duration::from_secs(30),
        );
        replay.expect_code(0);
    }
}

/// `--listen`: generated cases served by Autobahn's client convention to npm `ws`'s client,
/// which must come out without a finding.
#[test]
fn clients_are_fuzzed_through_the_autobahn_convention() {
    if !common::clients::drivers_present(&["ws"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(wsspec_bin());
    cmd.args([
        "fuzz",
        "--listen",
        "127.0.0.1:0",
        "--max-sequences",
        "60",
        "--seed",
        "1",
        "--duration",
        "120s",
        "--quiet",
        "--out",
    ])
    .arg(out.path());
    let server = Peer::spawn("wsspec-fuzz-listen", cmd);
    let driver = common::clients::ws_driver(&server, "node-ws", Duration::from_secs(120));
    common::run_bounded(driver.cmd, driver.timeout, &driver.what).expect_code(0);
    // The fuzzer judges and exits once the client ran every case.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !out.path().join("summary.json").is_file() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let s = summary(out.path());
    let cases = s["cases"].as_u64().unwrap();
    assert!(cases >= 50, "{s}");
    assert_eq!(s["agents"]["node-ws"].as_u64(), Some(cases), "{s}");
    assert_eq!(s["findings"].as_array().map(Vec::len), Some(0), "{s}");
    drop(server);
}
