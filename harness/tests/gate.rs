//! The CI gate on real peers: other projects' Autobahn spec files run unchanged and their
//! own `index.json` judges give the same answer on wsspec's report as on Autobahn's; the
//! exit codes 0 (gate passed), 1 (gate failed) and 2 (setup error); baselines; JUnit and
//! the GitHub step summary written by a real run.
//!
//! Needs `bash ci/install-peers.sh` (npm `ws`, PyPI `websockets`, jq); set
//! `WSSPEC_SKIP_PEERS=1` to skip the tests that need them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::Outcome;

/// Bound on one gate run against a peer.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// Autobahn's report on npm ws (agent `node-ws`) and PyPI websockets (`py-websockets`).
fn autobahn_index(peer_dir: &str) -> Option<PathBuf> {
    let path = common::repo_root()
        .join("../shared/reference/autobahn-results")
        .join(peer_dir)
        .join("index.json");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        common::skipping_allowed(),
        "{} is missing: the differential reference is needed",
        path.display()
    );
    None
}

/// `wsspec ARGS` run in `dir` (spec files name relative output directories).
fn wsspec_in(dir: &Path, args: &[&str], timeout: Duration) -> Outcome {
    let mut cmd = Command::new(common::wsspec_bin());
    cmd.args(args).current_dir(dir);
    common::run_bounded(cmd, timeout, &format!("wsspec {}", args.join(" ")))
}

/// `jq ARGS FILE`, stdout.
fn jq(args: &[&str], file: &Path) -> String {
    let out = Command::new("jq")
        .args(args)
        .arg(file)
        .output()
        .expect("jq (installed by ci/install-peers.sh)");
    assert!(
        out.status.success(),
        "jq {args:?} failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// tungstenite-rs's `autobahn/fuzzingclient.json`, in its shape (agent, relative outdir,
/// empty exclusions), with the case list narrowed to the categories Autobahn's reference
/// report on ws covers outside compression (the full list takes minutes against ws).
const TUNGSTENITE_SPEC: &str = r#"{
    "outdir": "./autobahn/server",
    "servers": [
        {
            "agent": "Tungstenite",
            "url": "URL"
        }
    ],
    "cases": ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*"],
    "exclude-cases": [],
    "exclude-agent-cases": {}
}"#;

/// fastwebsockets's `autobahn/fuzzingclient.json`, unchanged but for the URL.
const FASTWEBSOCKETS_SPEC: &str = r#"{
  "outdir": "./autobahn/reports/servers",
  "servers": [
    {
      "agent": "fastwebsockets",
      "url": "URL",
      "options": { "version": 18 }
    }
  ],
  "cases": ["*"],
  "exclude-cases": ["11.*", "12.*", "13.*"],
  "exclude-agent-cases": {}
}"#;

/// A temporary directory holding `template` as fuzzingclient.json, its URL filled in.
fn spec_dir(template: &str, url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = template.replace("URL", url);
    std::fs::write(dir.path().join("fuzzingclient.json"), spec).expect("write spec");
    dir
}

/// tungstenite's CI judge: `jq -S 'del(."Tungstenite" | .. | .duration?)'` on the golden
/// file and on the new index, then a plain diff. The golden file here is Autobahn's own
/// report on the same server, filed under the agent name tungstenite's spec uses.
#[test]
fn tungstenite_spec_and_golden_file_judge_pass_on_real_ws() {
    let _heavy = common::heavy_lock();
    let Some(mut peer) = common::ws_peer() else {
        return;
    };
    let Some(reference) = autobahn_index("ws") else {
        return;
    };
    let dir = spec_dir(TUNGSTENITE_SPEC, &peer.url());
    let expect = common::repo_root().join("ci/expectations/ws.toml");
    let run = wsspec_in(
        dir.path(),
        &[
            "run",
            "--spec",
            "fuzzingclient.json",
            "--expect",
            &expect.display().to_string(),
        ],
        RUN_TIMEOUT,
    );
    peer.assert_alive();
    run.expect_code(0);

    // The golden file as Autobahn would have written it for agent "Tungstenite".
    let golden = dir.path().join("expected-results.json");
    let renamed = jq(
        &[
            r#"{"Tungstenite": (."node-ws" | with_entries(select(.key | test("^(1|2|3|4|5|6|7|9|10)\\.")))
               | map_values(.reportfile |= sub("^node_ws_"; "tungstenite_")))}"#,
        ],
        &reference,
    );
    std::fs::write(&golden, renamed).expect("write golden");
    let filter = r#"del(."Tungstenite" | .. | .duration?)"#;
    let ours = jq(
        &["-S", filter],
        &dir.path().join("autobahn/server/index.json"),
    );
    let theirs = jq(&["-S", filter], &golden);
    let first_difference = ours
        .lines()
        .zip(theirs.lines())
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("wsspec: {a}\nAutobahn: {b}"));
    assert!(
        ours == theirs,
        "tungstenite's judge sees a difference ({} vs {} lines): {first_difference:?}",
        ours.lines().count(),
        theirs.lines().count()
    );
}

/// fastwebsockets's CI judge (`server-test.js`): a case fails when its `behavior` is not
/// OK, INFORMATIONAL or NON-STRICT; the script exits 1 when any case fails. On wsspec's
/// report of PyPI websockets it must list exactly what it lists on Autobahn's.
#[test]
fn fastwebsockets_spec_and_judge_agree_with_autobahn_on_real_websockets() {
    let _heavy = common::heavy_lock();
    let Some(mut peer) = common::websockets_peer() else {
        return;
    };
    let Some(reference) = autobahn_index("websockets") else {
        return;
    };
    let dir = spec_dir(FASTWEBSOCKETS_SPEC, &peer.url());
    // No expectations: the gate fails on websockets' FAILED cases, as the judge does.
    let run = wsspec_in(
        dir.path(),
        &["run", "--spec", "fuzzingclient.json"],
        RUN_TIMEOUT,
    );
    peer.assert_alive();
    run.expect_code(1);

    let judge = r#"[to_entries[] | .value | to_entries[]
        | select(.key | test("^(11|12|13)\\.") | not)
        | select(.value.behavior != "OK" and .value.behavior != "INFORMATIONAL"
                 and .value.behavior != "NON-STRICT") | .key] | sort | join(",")"#;
    let ours = jq(
        &["-r", judge],
        &dir.path().join("autobahn/reports/servers/index.json"),
    );
    let theirs = jq(&["-r", judge], &reference);
    assert_eq!(
        ours, theirs,
        "fastwebsockets's judge fails different cases on wsspec's report than on Autobahn's"
    );
    assert!(!ours.trim().is_empty(), "the judge found nothing to fail");
    // The gate lists each of those cases as offending.
    for id in ours.trim().split(',') {
        assert!(
            run.stderr.contains(id),
            "gate output does not list {id}:\n{}",
            run.stderr
        );
    }
    // Only Autobahn's categories ran: the spec's `*` does not reach wsspec's own.
    let index = common::load_index(&dir.path().join("autobahn/reports/servers"));
    let ran = common::verdicts(&index, "fastwebsockets");
    assert!(ran.keys().all(|id| {
        let category: u32 = id.split('.').next().unwrap().parse().unwrap();
        category <= 10
    }));
    assert!(ran.contains_key("9.8.6") && ran.contains_key("1.1.1"));
}

/// Exit code 0, then 1 for each way the gate can fail, on real ws: a run that matches
/// the committed expectations passes; an expectation changed to a verdict ws does not
/// give fails (unexpected failure); an expectation of failure on a case ws passes fails
/// (unexpected success); a stricter `--fail-on` fails.
#[test]
fn exit_codes_follow_the_gate_on_real_ws() {
    let Some(mut peer) = common::ws_peer() else {
        return;
    };
    let url = peer.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let committed = common::repo_root().join("ci/expectations/ws.toml");
    let cases = "1.1.1,6.4.*,9.3.1";
    let gate = |expect: &Path, extra: &[&str]| {
        let out = dir.path().join("report").display().to_string();
        let expect = expect.display().to_string();
        let mut args = vec![
            "client", "--url", &url, "--agent", "ws", "--cases", cases, "--out", &out, "--expect",
            &expect,
        ];
        args.extend(extra);
        common::wsspec(&args, RUN_TIMEOUT)
    };

    let passed = gate(&committed, &[]);
    passed.expect_code(0);
    assert!(passed.stderr.contains("gate passed"), "{}", passed.stderr);

    // 9.3.1 is FAILED on ws; expecting NON-STRICT instead is an unexpected failure.
    let changed = dir.path().join("changed.toml");
    let text = std::fs::read_to_string(&committed).expect("read ws.toml");
    let edited = text.replacen(
        "cases = [\"9.3.1\", \"9.3.2\", \"9.4.1\", \"9.4.2\"]\nbehavior = \"FAILED\"\nbehaviorClose = \"FAILED\"",
        "cases = [\"9.3.1\", \"9.3.2\", \"9.4.1\", \"9.4.2\"]\nbehavior = \"NON-STRICT\"\nbehaviorClose = \"OK\"",
        1,
    );
    assert_ne!(
        edited, text,
        "ws.toml no longer has the 9.3/9.4 entry this test edits"
    );
    std::fs::write(&changed, edited).expect("write");
    let failed = gate(&changed, &[]);
    failed.expect_code(1);
    assert!(failed.stderr.contains("9.3.1"), "{}", failed.stderr);
    assert!(failed.stderr.contains("gate FAILED"), "{}", failed.stderr);

    // An expectation ws no longer needs: 1.1.1 passes.
    let stale = dir.path().join("stale.toml");
    std::fs::write(
        &stale,
        format!(
            "{text}\n[[expect]]\ncases = [\"1.1.1\"]\nbehavior = \"FAILED\"\nreason = \"test\"\n"
        ),
    )
    .expect("write");
    let unexpected_success = gate(&stale, &[]);
    unexpected_success.expect_code(1);
    assert!(
        unexpected_success.stderr.contains("1.1.1"),
        "{}",
        unexpected_success.stderr
    );

    // Without the 6.4 entry, NON-STRICT passes the default policy but not a stricter one.
    let no_utf8 = dir.path().join("no-utf8.toml");
    let without = text.replacen(
        "cases = [\"6.4.1\", \"6.4.2\", \"6.4.3\", \"6.4.4\"]",
        "cases = [\"6.4.99\"]",
        1,
    );
    std::fs::write(&no_utf8, without).expect("write");
    gate(&no_utf8, &[]).expect_code(0);
    let strict = gate(&no_utf8, &["--fail-on", "failed,non-strict"]);
    strict.expect_code(1);
    assert!(strict.stderr.contains("6.4.1"), "{}", strict.stderr);
    peer.assert_alive();
}

/// Exit code 2: a port nobody listens on, after `--wait`; and the other setup errors, each
/// before a case runs and with a one-line message naming the problem.
#[test]
fn setup_errors_exit_2() {
    // A port that was free a moment ago and is closed now.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("ws://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("r").display().to_string();

    let started = Instant::now();
    let dead = common::wsspec(
        &[
            "client", "--url", &url, "--wait", "1500ms", "--cases", "1.1.1", "--out", &out,
        ],
        Duration::from_secs(30),
    );
    dead.expect_code(2);
    assert!(started.elapsed() >= Duration::from_millis(1400));
    assert!(
        dead.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        dead.stderr
    );
    assert!(dead.stderr.contains("did not accept"), "{}", dead.stderr);

    let bad_spec = dir.path().join("bad.json");
    std::fs::write(&bad_spec, r#"{"servers": [{"agent": "x"}]}"#).expect("write");
    let spec = common::wsspec(
        &["run", "--spec", &bad_spec.display().to_string()],
        Duration::from_secs(30),
    );
    spec.expect_code(2);
    assert!(spec.stderr.contains("url"), "{}", spec.stderr);

    let none = common::wsspec(
        &["client", "--url", &url, "--cases", "99.*", "--out", &out],
        Duration::from_secs(30),
    );
    none.expect_code(2);
    assert!(none.stderr.contains("no case matched"), "{}", none.stderr);

    let file = dir.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    let unwritable = common::wsspec(
        &[
            "client",
            "--url",
            &url,
            "--cases",
            "1.1.1",
            "--out",
            &file.display().to_string(),
        ],
        Duration::from_secs(30),
    );
    unwritable.expect_code(2);
    assert!(
        unwritable.stderr.contains("a-file"),
        "{}",
        unwritable.stderr
    );

    let bad_expect = dir.path().join("bad.toml");
    std::fs::write(
        &bad_expect,
        "[[expect]]\ncases = [\"1.*\"]\nbehavior = \"FAILED\"\n",
    )
    .expect("write");
    let expect = common::wsspec(
        &[
            "client",
            "--url",
            &url,
            "--cases",
            "1.1.1",
            "--out",
            &out,
            "--expect",
            &bad_expect.display().to_string(),
        ],
        Duration::from_secs(30),
    );
    expect.expect_code(2);
    assert!(expect.stderr.contains("reason"), "{}", expect.stderr);

    let policy = common::wsspec(
        &[
            "client",
            "--url",
            &url,
            "--cases",
            "1.1.1",
            "--out",
            &out,
            "--fail-on",
            "sometimes",
        ],
        Duration::from_secs(30),
    );
    policy.expect_code(2);
    assert!(policy.stderr.contains("sometimes"), "{}", policy.stderr);
    for run in [&dead, &spec, &none, &unwritable, &expect, &policy] {
        assert_eq!(
            run.stderr
                .trim()
                .lines()
                .filter(|l| l.starts_with("wsspec:"))
                .count(),
            1,
            "one error line expected:\n{}",
            run.stderr
        );
    }
}

/// A baseline written from a real report parses back and makes the same run pass; the
/// JUnit file and the step summary of that run list the offending cases of a failing run.
#[test]
fn baseline_junit_and_step_summary_from_a_real_run() {
    let Some(mut peer) = common::websockets_peer() else {
        return;
    };
    let url = peer.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report").display().to_string();
    let junit = dir.path().join("junit.xml");
    let summary = dir.path().join("summary.md");
    let cases = "1.1.*,3.2,6.4.*,7.1.5";

    let mut cmd = Command::new(common::wsspec_bin());
    cmd.args([
        "client",
        "--url",
        &url,
        "--agent",
        "websockets",
        "--cases",
        cases,
        "--out",
        &out,
        "--fail-on",
        "failed,non-strict,wrong-code",
        "--junit",
    ])
    .arg(&junit)
    .env("GITHUB_STEP_SUMMARY", &summary);
    let first = common::run_bounded(cmd, RUN_TIMEOUT, "wsspec client (first)");
    first.expect_code(1);
    let xml = std::fs::read_to_string(&junit).expect("JUnit written");
    assert!(xml.contains("<failure"), "{xml}");
    assert!(xml.contains("7.1.5"), "{xml}");
    let markdown = std::fs::read_to_string(&summary).expect("step summary written");
    for id in ["3.2", "6.4.1", "7.1.5"] {
        assert!(
            markdown.contains(id),
            "{id} missing from the summary:\n{markdown}"
        );
    }

    let baseline = common::wsspec(&["baseline", &out], Duration::from_secs(30));
    baseline.expect_code(0);
    let file = dir.path().join("baseline.toml");
    std::fs::write(&file, &baseline.stdout).expect("write");
    assert!(baseline.stdout.contains("7.1.5"), "{}", baseline.stdout);
    let again = common::wsspec(
        &[
            "client",
            "--url",
            &url,
            "--agent",
            "websockets",
            "--cases",
            cases,
            "--out",
            &out,
            "--fail-on",
            "failed,non-strict,wrong-code",
            "--expect",
            &file.display().to_string(),
        ],
        RUN_TIMEOUT,
    );
    again.expect_code(0);
    peer.assert_alive();
}

/// The ready-made GitHub and GitLab jobs, and the dogfooding script, only use flags that
/// `wsspec client` has (so copying them works), and each gates with an expectations
/// file, JUnit and `--wait`.
#[test]
fn ci_examples_use_real_flags() {
    let help = common::wsspec(&["client", "--help"], Duration::from_secs(30));
    help.expect_code(0);
    let root = common::repo_root();
    for file in [
        "ci/github/wsspec.yml",
        "ci/gitlab/wsspec.gitlab-ci.yml",
        "ci/gate.sh",
    ] {
        let text = std::fs::read_to_string(root.join(file)).expect(file);
        // The command may span lines (YAML folded scalars, shell continuations).
        let start = text
            .find("client --url")
            .unwrap_or_else(|| panic!("{file}: no gate"));
        let command: String = text[start..]
            .lines()
            .take_while(|l| !l.trim().is_empty() && !l.trim_start().starts_with("- name"))
            .collect::<Vec<_>>()
            .join(" ");
        let flags: Vec<&str> = command
            .split_whitespace()
            .filter(|w| w.starts_with("--"))
            .collect();
        for needed in ["--wait", "--expect", "--junit", "--out"] {
            assert!(
                flags.contains(&needed),
                "{file} does not pass {needed}: {command}"
            );
        }
        for flag in flags {
            assert!(
                help.stdout.contains(&format!("{flag} "))
                    || help.stdout.contains(&format!("{flag}\n")),
                "{file} uses {flag}, which `wsspec client` does not have"
            );
        }
    }
}

/// A fuzzingserver spec starts server mode on its `url` (with `webport` and `options`
/// accepted); the npm `ws` client driver runs the cases; `exclude-agent-cases` leaves
/// cases out for that agent only; once a client stops the server, the gate's exit code
/// is the process's.
#[test]
fn fuzzingserver_spec_serves_the_cases_and_gates_the_client() {
    if !common::clients::drivers_present(&["ws"]) {
        return;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = format!(
        r#"{{
   "url": "ws://127.0.0.1:{port}",
   "outdir": "./reports/clients",
   "webport": 8080,
   "options": {{"failByDrop": false}},
   "cases": ["1.1.*", "2.*", "7.1.*"],
   "exclude-cases": ["2.11"],
   "exclude-agent-cases": {{"spec-*": ["7.1.*"], "other": ["1.*"]}}
}}"#
    );
    std::fs::write(dir.path().join("fuzzingserver.json"), spec).expect("write spec");
    let server = {
        let dir = dir.path().to_path_buf();
        std::thread::spawn(move || {
            wsspec_in(
                &dir,
                &["run", "--spec", "fuzzingserver.json"],
                Duration::from_secs(180),
            )
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "server mode never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("ws://127.0.0.1:{port}");
    let peers = common::clients::peers_dir();
    let mut driver = Command::new("node");
    driver
        .arg(peers.join("ws_client.js"))
        .args([url.as_str(), "spec-ws"])
        .current_dir(&peers);
    common::run_bounded(driver, Duration::from_secs(120), "ws_client.js").expect_code(0);
    let mut stop = Command::new("node");
    stop.args([
        "-e",
        &format!(
            "const W = require('ws'); const w = new W('{url}/stopServer'); \
             w.on('close', () => process.exit(0)); w.on('error', () => process.exit(0));"
        ),
    ])
    .current_dir(&peers);
    common::run_bounded(stop, Duration::from_secs(30), "stopServer").expect_code(0);
    let served = server.join().expect("server thread");
    served.expect_code(0);
    assert!(served.stderr.contains("webport"), "{}", served.stderr);
    assert!(served.stderr.contains("gate passed"), "{}", served.stderr);

    let index = common::load_index(&dir.path().join("reports/clients"));
    let verdicts = common::verdicts(&index, "spec-ws");
    assert!(verdicts.contains_key("1.1.1") && verdicts.contains_key("2.10"));
    assert!(!verdicts.contains_key("2.11"), "exclude-cases ignored");
    assert!(
        !verdicts.keys().any(|id| id.starts_with("7.1.")),
        "exclude-agent-cases ignored: {:?}",
        verdicts.keys().collect::<Vec<_>>()
    );
}
