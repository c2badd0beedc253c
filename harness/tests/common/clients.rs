//! Client drivers for server-mode tests: the npm `ws`, PyPI `websockets` and headless
//! Chromium drivers in `ci/peers/`, run against a `wsspec server` at the same time, each
//! bounded in time.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use super::{chromium, load_index, repo_root, require, run_bounded, wsspec_bin, Outcome, Peer};

/// `ci/peers/`, where the drivers and their packages live.
pub fn peers_dir() -> PathBuf {
    repo_root().join("ci/peers")
}

/// Whether `node` runs.
pub fn node_works() -> bool {
    Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Whether the drivers in `which` (`ws`, `py`, `chromium`) can run; see [`require`].
pub fn drivers_present(which: &[&str]) -> bool {
    let peers = peers_dir();
    which.iter().all(|d| match *d {
        "ws" => require(
            node_works() && peers.join("node_modules/ws/package.json").is_file(),
            "npm `ws` (ci/peers/node_modules) or node",
        ),
        "py" => require(
            peers.join(".venv/bin/python").is_file(),
            "PyPI `websockets` (ci/peers/.venv)",
        ),
        "chromium" => {
            require(
                node_works()
                    && peers
                        .join("node_modules/playwright-core/package.json")
                        .is_file(),
                "npm `playwright-core` (ci/peers/node_modules) or node",
            ) && chromium().is_some()
        }
        other => unreachable!("unknown driver {other}"),
    })
}

/// `wsspec server --listen 127.0.0.1:0 --out DIR --cases P`, killed on drop. Every test
/// names its cases: the server's default would add the compression categories.
pub fn start_server(out: &Path, cases: &str) -> Peer {
    let mut cmd = Command::new(wsspec_bin());
    cmd.args(["server", "--listen", "127.0.0.1:0", "--out"])
        .arg(out)
        .args(["--cases", cases]);
    Peer::spawn("wsspec-server", cmd)
}

/// A driver run: what it is called and the command.
pub struct Driver {
    /// Script and agent, for messages.
    pub what: String,
    /// The command.
    pub cmd: Command,
    /// Bound on its run.
    pub timeout: Duration,
}

/// The npm `ws` driver against `server` as `agent` (arguments after the agent can be added
/// to `cmd`: a protocol version, `--deflate`).
pub fn ws_driver(server: &Peer, agent: &str, timeout: Duration) -> Driver {
    let mut cmd = Command::new("node");
    cmd.arg(peers_dir().join("ws_client.js"))
        .arg(server.url())
        .arg(agent)
        .current_dir(peers_dir());
    Driver {
        what: format!("ws_client.js as {agent}"),
        cmd,
        timeout,
    }
}

/// The PyPI `websockets` driver against `server` as `agent` (`--deflate` can be added).
pub fn py_driver(server: &Peer, agent: &str, timeout: Duration) -> Driver {
    let mut cmd = Command::new(peers_dir().join(".venv/bin/python"));
    cmd.arg("-u")
        .arg(peers_dir().join("websockets_client.py"))
        .arg(server.url())
        .arg(agent)
        .current_dir(peers_dir());
    Driver {
        what: format!("websockets_client.py as {agent}"),
        cmd,
        timeout,
    }
}

/// Headless Chromium on the page `server` serves at `/`, as `agent`. The page's own bound
/// is 30 s shorter than the process bound, so a hung page reports its text.
pub fn chromium_driver(server: &Peer, agent: &str, timeout: Duration) -> Driver {
    let page_ms = timeout.saturating_sub(Duration::from_secs(30)).as_millis();
    let mut cmd = Command::new("node");
    cmd.arg(peers_dir().join("chromium_run.js"))
        .arg(format!("http://127.0.0.1:{}/", server.port))
        .arg(agent)
        .arg(page_ms.to_string())
        .current_dir(peers_dir());
    Driver {
        what: format!("chromium_run.js as {agent}"),
        cmd,
        timeout,
    }
}

/// Runs `drivers` at the same time, each bounded, and returns their outcomes in order once
/// all have finished. Each must exit 0.
pub fn run_concurrently(drivers: Vec<Driver>) -> Vec<Outcome> {
    let handles: Vec<_> = drivers
        .into_iter()
        .map(|d| thread::spawn(move || run_bounded(d.cmd, d.timeout, &d.what)))
        .collect();
    let outcomes: Vec<Outcome> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        .collect();
    for o in &outcomes {
        o.expect_code(0);
    }
    outcomes
}

/// Runs `drivers` (the browser last) against `server` at the same time and returns the
/// report index of `out`, once the server survived, the browser page said it was done and
/// the index holds exactly the `agents`.
pub fn run_with_browser(
    server: &mut Peer,
    drivers: Vec<Driver>,
    out: &Path,
    agents: &[&str],
) -> serde_json::Value {
    let outcomes = run_concurrently(drivers);
    server.assert_alive();
    for o in &outcomes {
        eprintln!("{} took {:.1?}", o.what, o.elapsed);
    }
    let browser = outcomes.last().expect("a browser driver");
    assert!(
        browser.stdout.contains("done"),
        "the browser page did not say done:\n{}",
        browser.stdout
    );
    let index = load_index(out);
    let found: BTreeSet<&str> = index
        .as_object()
        .expect("index.json is an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        found,
        agents.iter().copied().collect::<BTreeSet<_>>(),
        "index.json agents (the browser must run under the agent its page was given)"
    );
    index
}
