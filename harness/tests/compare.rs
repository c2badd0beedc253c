//! `wsspec compare` and `wsspec diff` on reports of real peers: the matrix over npm `ws`,
//! PyPI `websockets` and npm `faye-websocket` in the terminal and as `compare.html`, loaded
//! in headless Chromium (no script errors, no requests, three server columns, a
//! screenshot); and diffs of a run against itself and against a worsened copy.
//!
//! Needs `bash ci/install-peers.sh` and `/usr/bin/chromium`; `WSSPEC_SKIP_PEERS=1` skips.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

/// A fast selection that still spans several categories, disagreements and the browser row.
const CASES: &str = "1.1.*,2.*,6.4.*,7.1.*,18.*";
/// The diff selection: cases whose verdicts do not depend on timing.
const DIFF_CASES: &str = "1.1.*,2.*,7.1.*";
const RUN_TIMEOUT: Duration = Duration::from_secs(180);
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

fn path_str(p: &Path) -> String {
    p.display().to_string()
}

/// Runs `cases` against `peer` (agent = the peer's name) into a new report directory. The
/// run's exit code is the gate's verdict (0 or 1); either way the report must be complete.
fn run_peer(peer: &mut common::Peer, cases: &str) -> tempfile::TempDir {
    let _serial = common::heavy_lock();
    let out = tempfile::tempdir().expect("temp dir");
    let (url, dir) = (peer.url(), path_str(out.path()));
    let args = [
        "client",
        "--url",
        &url,
        "--agent",
        peer.name(),
        "--cases",
        cases,
        "--out",
        &dir,
    ];
    let run = common::wsspec(&args, RUN_TIMEOUT);
    peer.assert_alive();
    if run.code() != Some(1) {
        run.expect_code(0);
    }
    assert!(
        out.path().join("index.json").is_file(),
        "{}: no index.json",
        run.what
    );
    out
}

/// Every `href="…"` of a page that is not an in-page anchor, unescaped enough for paths.
fn file_links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| !href.starts_with('#'))
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

#[test]
fn compare_three_servers_renders_in_chromium() {
    let Some(mut ws) = common::ws_peer() else {
        return;
    };
    let Some(mut py) = common::websockets_peer() else {
        return;
    };
    let Some(mut faye) = common::faye_peer(&[]) else {
        return;
    };
    if !common::clients::drivers_present(&["chromium"]) {
        return;
    }
    let ws_dir = run_peer(&mut ws, CASES);
    let py_dir = run_peer(&mut py, CASES);
    let faye_dir = run_peer(&mut faye, CASES);
    let cases = common::verdicts(&common::load_index(ws_dir.path()), "node-ws").len();
    assert!(cases >= 30, "the selection ran only {cases} cases");

    let work = tempfile::tempdir().expect("temp dir");
    // A subdirectory that does not exist yet: compare creates it, and links must climb out.
    let html = work.path().join("out/compare.html");
    let json = work.path().join("out/compare.json");
    let run = common::wsspec(
        &[
            "compare",
            &path_str(ws_dir.path()),
            &path_str(py_dir.path()),
            &path_str(faye_dir.path()),
            "--out",
            &path_str(&html),
            "--json",
            &path_str(&json),
        ],
        CLI_TIMEOUT,
    );
    run.expect_code(0);
    let text = &run.stdout;
    eprintln!("{text}");

    // The terminal matrix: the three servers, and one rate cell per server per category.
    for agent in ["node-ws", "py-websockets", "faye-websocket"] {
        assert!(text.contains(agent), "no {agent} in:\n{text}");
    }
    for (number, title) in [
        (1, "Framing"),
        (2, "Pings/Pongs"),
        (6, "UTF-8 Handling"),
        (7, "Close Handling"),
        (18, "Browser Profiles"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{number:>2}  {title}")))
            .unwrap_or_else(|| panic!("no category line {number} {title} in:\n{text}"));
        let rates = line.split_whitespace().filter(|w| w.contains('/')).count();
        // "Pings/Pongs" itself holds a slash.
        let expected = if title.contains('/') { 4 } else { 3 };
        assert_eq!(rates, expected, "three pass rates expected: {line:?}");
    }
    assert!(text.contains("Browser profile"), "{text}");
    assert!(text.contains("18.11"), "{text}");
    assert!(
        text.contains(&format!("Wrote {}", html.display())),
        "{text}"
    );

    // The JSON export has every case for every server.
    let exported: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("compare.json written"))
            .expect("compare.json is JSON");
    assert_eq!(
        exported["servers"],
        serde_json::json!(["node-ws", "py-websockets", "faye-websocket"])
    );
    let rows = exported["tests"].as_object().map_or(0, |t| t.len());
    assert_eq!(rows, cases, "every case of the selection is a row");

    // Every link of the page resolves to a file next to it or in a report directory.
    let page = std::fs::read_to_string(&html).expect("compare.html written");
    let links = file_links(&page);
    assert!(links.len() > cases * 3, "{} links", links.len());
    let base = html.parent().expect("out dir");
    for link in &links {
        let target = base.join(link);
        assert!(
            target.is_file(),
            "{link} does not resolve ({})",
            target.display()
        );
    }

    // Headless Chromium: it renders, without script errors or requests, with three
    // server columns and one cell per server per case.
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compare");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let png = shots.join("compare.png");
    let _ = std::fs::remove_file(&png);
    let peers = common::clients::peers_dir();
    let mut cmd = Command::new("node");
    cmd.arg(peers.join("screenshot.js"))
        .arg(&html)
        .arg(&png)
        .arg((BROWSER_TIMEOUT.as_millis() / 2).to_string())
        .current_dir(&peers);
    let shot = common::run_bounded(cmd, BROWSER_TIMEOUT, "screenshot.js compare.html");
    shot.expect_code(0);
    let facts: Value = serde_json::from_str(shot.stdout.trim())
        .unwrap_or_else(|e| panic!("screenshot.js printed no JSON ({e}):\n{}", shot.stdout));
    assert_eq!(facts["errors"], serde_json::json!([]), "{facts}");
    assert_eq!(facts["requests"], serde_json::json!([]), "{facts}");
    assert_eq!(facts["serverHeaders"], 3, "{facts}");
    assert_eq!(facts["cells"], 3 * cases, "{facts}");
    // Five categories and the total.
    assert_eq!(facts["rateRows"], 6, "{facts}");
    assert_eq!(facts["browserRows"], 11, "{facts}");
    // The CSS-only filter leaves exactly the disagreeing cases, as the terminal counts them.
    let differing = page.matches("<tr class=\"differs\">").count();
    let said = if differing == 0 {
        "The servers agree on every case they all ran.".to_string()
    } else {
        format!("Cases where the servers disagree ({differing}):")
    };
    assert!(text.contains(&said), "{text}");
    assert_eq!(facts["differingRows"], differing, "{facts}");
    assert_eq!(facts["visibleAfterFilter"], differing, "{facts}");
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000,
        "{} is not a plausible screenshot ({} bytes)",
        png.display(),
        bytes.len()
    );
    eprintln!("screenshot: {}", png.display());
    ws.assert_alive();
    py.assert_alive();
    faye.assert_alive();
}

#[test]
fn diff_of_real_runs() {
    let Some(mut ws) = common::ws_peer() else {
        return;
    };
    let first = run_peer(&mut ws, DIFF_CASES);
    let second = run_peer(&mut ws, DIFF_CASES);

    // The same server twice: nothing regressed.
    let run = common::wsspec(
        &["diff", &path_str(first.path()), &path_str(second.path())],
        CLI_TIMEOUT,
    );
    run.expect_code(0);
    assert!(run.stdout.starts_with("== node-ws\n"), "{}", run.stdout);
    assert!(run.stdout.contains("0 regressions"), "{}", run.stdout);
    assert!(!run.stdout.contains("Regressions ("), "{}", run.stdout);

    // A copy where one case got worse, under another agent name (one agent each: paired).
    let mut index = common::load_index(first.path());
    let mut cases = index
        .as_object_mut()
        .and_then(|o| o.remove("node-ws"))
        .expect("node-ws in the index");
    assert_eq!(cases["1.1.3"]["behavior"], "OK", "1.1.3 should pass on ws");
    cases["1.1.3"]["behavior"] = "FAILED".into();
    let worse = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        worse.path().join("index.json"),
        serde_json::json!({ "node-ws@next": cases }).to_string(),
    )
    .expect("write index.json");

    let run = common::wsspec(
        &["diff", &path_str(first.path()), &path_str(worse.path())],
        CLI_TIMEOUT,
    );
    run.expect_code(1);
    let out = &run.stdout;
    assert!(out.starts_with("== node-ws → node-ws@next\n"), "{out}");
    assert!(
        out.contains("Regressions (1):\n  1.1.3  OK/OK → FAILED/OK\n"),
        "{out}"
    );
    assert!(out.contains("1 regressions, 0 improvements"), "{out}");

    // The other way round it is an improvement: exit 0.
    let run = common::wsspec(
        &["diff", &path_str(worse.path()), &path_str(first.path())],
        CLI_TIMEOUT,
    );
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("Improvements (1):\n  1.1.3  FAILED/OK → OK/OK\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn setup_errors_exit_2_with_one_line() {
    let empty = tempfile::tempdir().expect("temp dir");
    let missing = empty.path().join("missing");
    let cases: [(Vec<String>, &str); 4] = [
        (
            vec!["diff".into(), path_str(&missing), path_str(empty.path())],
            "is not a directory",
        ),
        (
            vec![
                "diff".into(),
                path_str(empty.path()),
                path_str(empty.path()),
            ],
            "holds no index.json",
        ),
        (vec!["compare".into()], "no report directories"),
        (
            vec!["compare".into(), path_str(empty.path())],
            "holds no index.json",
        ),
    ];
    for (args, message) in cases {
        let run = common::wsspec(&args, CLI_TIMEOUT);
        run.expect_code(2);
        let err = run.stderr.trim_end();
        assert!(
            err.contains(message) && err.lines().count() == 1,
            "wsspec {args:?}: expected one line with {message:?}, got:\n{err}"
        );
    }
}
