//! The `wsspec` command line: setup errors exit 2 with one line on stderr before any case
//! runs; reports are Autobahn-compatible and accumulate agents. Uses the built-in reference
//! server (`wsspec echo`), so no external peer is needed.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Bound on any small run in this file.
const SMALL: Duration = Duration::from_secs(120);

/// The cases of the small runs: quick, and all OK against a conformant server.
const SMALL_CASES: &str = "1.1.1,1.1.2,2.1,7.1.1";
const SMALL_IDS: &[&str] = &["1.1.1", "1.1.2", "2.1", "7.1.1"];

/// Asserts a setup error: exit code 2 and exactly one non-empty line on stderr.
fn assert_setup_error(out: &common::Outcome) -> String {
    out.expect_code(2);
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "{}: expected a one-line error on stderr, got:\n{}",
        out.what,
        out.stderr
    );
    lines[0].to_string()
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A TCP listener that counts connections that sent any byte (a WebSocket handshake) and
/// drops every connection. Stops when dropped.
struct CountingListener {
    port: u16,
    talked: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    worker: Option<thread::JoinHandle<()>>,
}

impl CountingListener {
    fn start() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = l.local_addr().expect("local addr").port();
        l.set_nonblocking(true).expect("nonblocking");
        let talked = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (t, s) = (Arc::clone(&talked), Arc::clone(&stop));
        let worker = thread::spawn(move || {
            // Bounded even if the test forgets to stop it.
            let deadline = Instant::now() + Duration::from_secs(300);
            while !s.load(Ordering::Relaxed) && Instant::now() < deadline {
                match l.accept() {
                    Ok((mut conn, _)) => {
                        let _ = conn.set_nonblocking(false);
                        let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut b = [0u8; 1];
                        if matches!(conn.read(&mut b), Ok(n) if n > 0) {
                            t.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => break,
                }
            }
        });
        CountingListener {
            port,
            talked,
            stop,
            worker: Some(worker),
        }
    }
}

impl Drop for CountingListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn client_run(url: &str, agent: &str, cases: &str, out: &Path) -> common::Outcome {
    let out_dir = out.display().to_string();
    common::wsspec(
        &[
            "client", "--url", url, "--agent", agent, "--cases", cases, "--out", &out_dir,
        ],
        SMALL,
    )
}

#[test]
fn unreachable_url_is_a_setup_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let url = format!("ws://127.0.0.1:{}", closed_port());
    let run = client_run(&url, "nobody", "1.1.1", &out);
    assert_setup_error(&run);
    assert!(
        !out.join("index.json").exists(),
        "an unreachable URL must not produce an index.json"
    );
}

#[test]
fn no_matching_case_is_a_setup_error() {
    let mut echo = common::wsspec_echo_peer();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let run = client_run(&echo.url(), "nobody", "99.*", &out);
    echo.assert_alive();
    let line = assert_setup_error(&run);
    assert!(
        line.to_lowercase().contains("no case matched"),
        "stderr should say \"no case matched\", got: {line}"
    );
    assert!(!out.join("index.json").exists());
}

#[test]
fn unwritable_out_dir_fails_before_any_case_runs() {
    let peer = CountingListener::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("a-regular-file");
    std::fs::write(&file, b"not a directory").expect("write file");
    let out = file.join("reports");
    let url = format!("ws://127.0.0.1:{}", peer.port);
    let run = client_run(&url, "nobody", "1.*", &out);
    assert_setup_error(&run);
    assert_eq!(
        peer.talked.load(Ordering::Relaxed),
        0,
        "wsspec talked to the peer although the output directory is unwritable"
    );
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["client"][..],
        &["client", "--url", "ws://127.0.0.1:9", "--jobs", "many"][..],
        &["no-such-command"][..],
    ] {
        let run = common::wsspec(args, SMALL);
        run.expect_code(2);
    }
}

#[test]
fn list_prints_one_tab_separated_line_per_case() {
    let run = common::wsspec(&["list", "--cases", "1.1.*"], SMALL);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        8,
        "list --cases 1.1.* printed:\n{}",
        run.stdout
    );
    for (i, line) in lines.iter().enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            fields.len(),
            4,
            "not `<id>\\t<category>\\t<rule>\\t<description>`: {line:?}"
        );
        assert_eq!(fields[0], format!("1.1.{}", i + 1), "line {line:?}");
        assert!(fields[2].starts_with("RFC 6455"), "rule source: {line:?}");
        assert!(fields.iter().all(|f| !f.is_empty()), "{line:?}");
    }
}

#[test]
fn index_json_has_autobahn_shape_and_keeps_agents() {
    let mut echo = common::wsspec_echo_peer();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("reports");

    let first = "My Agent/1.0";
    client_run(&echo.url(), first, SMALL_CASES, &out).expect_code(0);
    echo.assert_alive();

    let index = common::load_index(&out);
    let cases = index
        .get(first)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("index.json has no agent {first:?}: {index}"));
    let mut ids: Vec<&str> = cases.keys().map(String::as_str).collect();
    ids.sort_by_key(|id| common::id_key(id));
    assert_eq!(
        ids, SMALL_IDS,
        "index.json should hold exactly the cases run"
    );

    for (id, r) in cases {
        let stem = common::case_file_stem(first, id);
        assert!(
            stem.starts_with("my_agent_1_0_case_"),
            "agent cleaning: {stem}"
        );
        for key in [
            "behavior",
            "behaviorClose",
            "duration",
            "remoteCloseCode",
            "reportfile",
        ] {
            assert!(r.get(key).is_some(), "case {id}: key `{key}` missing: {r}");
        }
        assert!(
            r["duration"].is_u64(),
            "case {id}: duration not an int: {r}"
        );
        assert!(
            r["remoteCloseCode"].is_null() || r["remoteCloseCode"].is_u64(),
            "case {id}: remoteCloseCode not int or null: {r}"
        );
        assert_eq!(
            r["reportfile"].as_str(),
            Some(format!("{stem}.json").as_str()),
            "case {id}: reportfile"
        );
        for ext in ["json", "html"] {
            let f = out.join(format!("{stem}.{ext}"));
            assert!(f.is_file(), "missing per-case report {}", f.display());
        }
        let per_case: Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("{stem}.json"))).expect("read per-case"),
        )
        .expect("per-case JSON parses");
        assert_eq!(per_case["id"].as_str(), Some(id.as_str()));
        assert_eq!(per_case["agent"].as_str(), Some(first));
        assert_eq!(per_case["behavior"], r["behavior"]);
        assert_eq!(per_case["behaviorClose"], r["behaviorClose"]);
        // The reference server is conformant: these simple cases are all OK.
        assert_eq!(
            (r["behavior"].as_str(), r["behaviorClose"].as_str()),
            (Some("OK"), Some("OK")),
            "case {id} against the reference server"
        );
    }
    assert!(out.join("index.html").is_file(), "index.html missing");

    // A second agent into the same directory keeps the first.
    let second = "second";
    client_run(&echo.url(), second, "1.1.1", &out).expect_code(0);
    echo.assert_alive();
    let index = common::load_index(&out);
    let agents: Vec<&String> = index.as_object().expect("object").keys().collect();
    assert_eq!(agents.len(), 2, "agents after two runs: {agents:?}");
    assert_eq!(common::verdicts(&index, first).len(), SMALL_IDS.len());
    assert_eq!(common::verdicts(&index, second).len(), 1);
    assert!(out
        .join(format!("{}.json", common::case_file_stem(first, "1.1.1")))
        .is_file());
    assert!(out
        .join(format!("{}.json", common::case_file_stem(second, "1.1.1")))
        .is_file());
}

/// What a typical CI judge does (`jq 'del(.[][].duration)'`, then checks each verdict):
/// every case carries behavior and behaviorClose from Autobahn's vocabulary.
#[test]
fn index_is_what_a_ci_judge_reads() {
    let mut echo = common::wsspec_echo_peer();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("reports");
    client_run(&echo.url(), "judge-me", "1.1.*,2.*,5.1,7.1.*", &out).expect_code(0);
    echo.assert_alive();

    let mut index = common::load_index(&out);
    let agents = index.as_object_mut().expect("index.json is an object");
    assert_eq!(agents.len(), 1);
    for (agent, cases) in agents.iter_mut() {
        let cases = cases
            .as_object_mut()
            .unwrap_or_else(|| panic!("agent {agent}: not an object"));
        assert!(!cases.is_empty(), "agent {agent} has no cases");
        for (id, r) in cases.iter_mut() {
            let r = r
                .as_object_mut()
                .unwrap_or_else(|| panic!("{id}: not an object"));
            assert!(r.remove("duration").is_some(), "{id}: no duration");
            let b = r.get("behavior").and_then(Value::as_str);
            let c = r.get("behaviorClose").and_then(Value::as_str);
            assert!(
                b.is_some_and(|b| common::BEHAVIORS.contains(&b)),
                "{id}: behavior {b:?} is not in Autobahn's vocabulary"
            );
            assert!(
                c.is_some_and(|c| common::BEHAVIOR_CLOSES.contains(&c)),
                "{id}: behaviorClose {c:?} is not in Autobahn's vocabulary"
            );
            let mut keys: Vec<&str> = r.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                ["behavior", "behaviorClose", "remoteCloseCode", "reportfile"],
                "{id}: unexpected keys"
            );
        }
    }
}
