//! A testee that dies, hangs, or a user who presses Ctrl-C: the run ends by itself within
//! bounds and leaves a valid report of every finished case.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Poll interval while waiting for report files to appear (a condition, not a guess).
const POLL: Duration = Duration::from_millis(20);

fn spawn_client(url: &str, cases: &str, out: &Path, jobs: &str) -> Child {
    Command::new(common::wsspec_bin())
        .args([
            "client", "--url", url, "--agent", "victim", "--cases", cases,
        ])
        .args(["--jobs", jobs, "--out"])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wsspec client")
}

/// Number of per-case JSON files in `dir`.
fn case_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.contains("_case_") && name.ends_with(".json")
                })
                .count()
        })
        .unwrap_or(0)
}

fn wait_for_case_files(dir: &Path, at_least: usize, within: Duration) {
    let start = Instant::now();
    while case_files(dir) < at_least {
        assert!(
            start.elapsed() < within,
            "fewer than {at_least} case reports after {within:?}"
        );
        thread::sleep(POLL);
    }
}

fn wait_bounded(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for wsspec") {
            return status;
        }
        if start.elapsed() > within {
            let _ = child.kill();
            panic!("wsspec did not finish within {within:?}");
        }
        thread::sleep(POLL);
    }
}

/// Every index entry points at a per-case file that exists and parses.
fn assert_index_consistent(dir: &Path, agent: &str) -> usize {
    let index = common::load_index(dir);
    let cases = index[agent].as_object().expect("agent in index.json");
    for (id, entry) in cases {
        let file = entry["reportfile"].as_str().expect("reportfile");
        let text = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("{id}: report {file} missing: {e}"));
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("per-case JSON");
        assert_eq!(parsed["id"], *id);
    }
    cases.len()
}

#[test]
fn a_testee_that_dies_mid_run_fails_the_rest_fast() {
    let out = tempfile::tempdir().expect("tempdir");
    let mut echo = common::wsspec_echo_peer();
    let url = echo.url();
    let mut client = spawn_client(
        &url,
        "1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*",
        out.path(),
        "2",
    );
    wait_for_case_files(out.path(), 5, Duration::from_secs(60));
    echo.assert_alive();
    drop(echo);
    let killed_at = Instant::now();
    let status = wait_bounded(&mut client, Duration::from_secs(60));
    assert_eq!(
        status.code(),
        Some(1),
        "a dead testee is a verdict (the gate fails), not a setup error"
    );
    assert!(
        killed_at.elapsed() < Duration::from_secs(30),
        "remaining cases must fail fast, took {:?}",
        killed_at.elapsed()
    );
    let total = assert_index_consistent(out.path(), "victim");
    assert_eq!(total, 301, "every case has a verdict");
    let verdicts = common::verdicts(&common::load_index(out.path()), "victim");
    let failed = verdicts.values().filter(|(b, _)| b == "FAILED").count();
    assert!(failed > 0, "cases after the testee died must fail");
}

#[test]
fn a_testee_that_never_answers_becomes_failed_verdicts() {
    // Accepts connections and never says a word; holds them until the test ends.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let stop = Arc::new(AtomicBool::new(false));
    listener.set_nonblocking(true).expect("nonblocking");
    let holder = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut held = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => held.push(s),
                    Err(_) => thread::sleep(POLL),
                }
            }
        })
    };
    let out = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let mut client = spawn_client(
        &format!("ws://127.0.0.1:{port}"),
        "1.*,2.*",
        out.path(),
        "4",
    );
    let status = wait_bounded(&mut client, Duration::from_secs(90));
    stop.store(true, Ordering::Relaxed);
    let _ = holder.join();
    assert_eq!(status.code(), Some(1), "FAILED verdicts fail the gate");
    // Probe (5 s) + one round of handshake time-outs (5 s), then the rest fail at once.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "a hanging testee must not cost a time-out per case: {:?}",
        started.elapsed()
    );
    assert_eq!(assert_index_consistent(out.path(), "victim"), 27);
    let verdicts = common::verdicts(&common::load_index(out.path()), "victim");
    assert!(verdicts
        .values()
        .all(|(b, c)| b == "FAILED" && c == "FAILED"));
}

#[test]
fn ctrl_c_leaves_a_valid_report_of_the_finished_cases() {
    let out = tempfile::tempdir().expect("tempdir");
    let echo = common::wsspec_echo_peer();
    // 9.* keeps the run busy long enough to interrupt it after the first reports.
    let mut client = spawn_client(&echo.url(), "1.*,9.*", out.path(), "1");
    wait_for_case_files(out.path(), 3, Duration::from_secs(60));
    let sent = Command::new("kill")
        .args(["-INT", &client.id().to_string()])
        .status()
        .expect("send SIGINT");
    assert!(sent.success());
    let status = wait_bounded(&mut client, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "interrupted runs exit 130");
    let finished = assert_index_consistent(out.path(), "victim");
    assert!(finished >= 3, "the finished cases are in the index");
    assert!(finished < 70, "the run stopped early ({finished} cases)");
}
