//! Helpers shared by the integration tests: real peers (spawned, waited for, killed on
//! drop), bounded runs of the `wsspec` binary and of Chromium, and report loading.
//!
//! Every wait here is bounded, and every process a test starts is killed when the test is
//! done with it, even when the test panics.
#![allow(dead_code)]

pub mod clients;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a peer may take to print its `LISTENING <port>` line.
pub const LISTEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Env var that turns a missing peer (or Chromium) into a skipped test instead of a failure.
pub const SKIP_ENV: &str = "WSSPEC_SKIP_PEERS";

/// Autobahn's `behavior` vocabulary.
pub const BEHAVIORS: &[&str] = &[
    "OK",
    "NON-STRICT",
    "FAILED",
    "INFORMATIONAL",
    "UNIMPLEMENTED",
];

/// Autobahn's `behaviorClose` vocabulary.
pub const BEHAVIOR_CLOSES: &[&str] = &[
    "OK",
    "FAILED",
    "WRONG CODE",
    "UNCLEAN",
    "FAILED BY CLIENT",
    "INFORMATIONAL",
    "UNIMPLEMENTED",
];

/// The categories the Autobahn fixtures cover, as `--cases` patterns (`1.*` does not match
/// 10.x: a pattern is anchored at the start and the dot is literal).
/// The cases of categories 12 and 13 CI runs against real peers (the 216 push about 11 GB
/// through a peer): in each of the 12 subcategories the messages of 16 octets to 8 KiB
/// (cases 1–6) and the first fragmented case (11, 8 KiB in 256-octet frames); 84 ids.
pub fn compression_subset() -> Vec<String> {
    let subcategories = (1..=5)
        .map(|s| format!("12.{s}"))
        .chain((1..=7).map(|s| format!("13.{s}")));
    subcategories
        .flat_map(|sub| [1, 2, 3, 4, 5, 6, 11].map(|n| format!("{sub}.{n}")))
        .collect()
}

pub const FIXTURE_CATEGORIES: &str = "1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*";

/// The repository root (`harness/..`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness has a parent directory")
        .to_path_buf()
}

/// Path of the `wsspec` binary under test.
pub fn wsspec_bin() -> &'static str {
    env!("CARGO_BIN_EXE_wsspec")
}

/// Whether missing peers should skip tests rather than fail them.
pub fn skipping_allowed() -> bool {
    std::env::var(SKIP_ENV).map(|v| v == "1").unwrap_or(false)
}

/// Fails the test (or, with `WSSPEC_SKIP_PEERS=1`, prints a notice and returns `false`)
/// when `what` is missing. Returns `true` when the test should go on.
pub fn require(present: bool, what: &str) -> bool {
    if present {
        return true;
    }
    if skipping_allowed() {
        eprintln!("NOTICE: {what} is missing; test skipped because {SKIP_ENV}=1");
        return false;
    }
    panic!(
        "{what} is missing: run `bash ci/install-peers.sh` from the repository root \
         (or set {SKIP_ENV}=1 to skip tests that need real peers)"
    );
}

/// Serialises the heavy tests of one test binary (full catalogue runs): the
/// limits/performance cases measure the peer, so they should not share 2 cores with another
/// full run. A test that panicked while holding the lock does not poison the others.
pub fn heavy_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ------------------------------------------------------------------------------------------
// Bounded process runs
// ------------------------------------------------------------------------------------------

/// What a finished process left behind.
#[derive(Debug)]
pub struct Outcome {
    /// Human-readable name of what ran.
    pub what: String,
    /// Exit status.
    pub status: ExitStatus,
    /// Everything it printed on stdout (lossy UTF-8).
    pub stdout: String,
    /// Everything it printed on stderr (lossy UTF-8).
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Outcome {
    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics with the full output unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "{} exited with {:?}, expected {code}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what,
            self.status,
            tail(&self.stdout, 8000),
            tail(&self.stderr, 8000),
        );
        self
    }
}

/// The last `max` bytes of `s` (on a char boundary).
pub fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// SIGKILL a whole process group (the tests start every child in a group of its own, so
/// this reaches helpers it spawned too, e.g. Chromium's renderer processes).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn drain<R: Read + Send + 'static>(mut r: R) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

/// Runs `cmd` to completion with stdin closed, stdout and stderr captured, in a process
/// group of its own. Panics (after killing the group) when it outlives `timeout`.
pub fn run_bounded(mut cmd: Command, timeout: Duration, what: &str) -> Outcome {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let pid = child.id();
    let out_rx = drain(child.stdout.take().expect("piped stdout"));
    let err_rx = drain(child.stderr.take().expect("piped stderr"));
    let (status_tx, status_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = status_tx.send(child.wait());
    });

    let status = match status_rx.recv_timeout(timeout) {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => panic!("waiting for {what}: {e}"),
        Err(_) => {
            kill_group(pid);
            let _ = status_rx.recv_timeout(Duration::from_secs(10));
            let stderr = err_rx
                .recv_timeout(Duration::from_secs(5))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            panic!(
                "{what} did not finish within {timeout:?}; killed it\n--- stderr ---\n{}",
                tail(&stderr, 8000)
            );
        }
    };

    // The process has exited; whatever it left running may still hold the pipes open.
    let grace = Duration::from_secs(10);
    let collect = |rx: &mpsc::Receiver<Vec<u8>>| match rx.recv_timeout(grace) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(RecvTimeoutError::Timeout) => {
            kill_group(pid);
            rx.recv_timeout(Duration::from_secs(5))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        }
        Err(RecvTimeoutError::Disconnected) => String::new(),
    };
    let stdout = collect(&out_rx);
    let stderr = collect(&err_rx);

    Outcome {
        what: what.to_string(),
        status,
        stdout,
        stderr,
        elapsed: start.elapsed(),
    }
}

/// Asserts that `wsspec list --cases PATTERN` lists cases, so a run of them cannot be
/// silently empty; returns true so callers read as a guard.
pub fn assert_listed(test: &str, pattern: &str) -> bool {
    let out = wsspec(&["list", "--cases", pattern], Duration::from_secs(60));
    assert!(
        out.code() == Some(0) && out.stdout.lines().any(|l| !l.trim().is_empty()),
        "{test}: `wsspec list --cases {pattern}` lists nothing"
    );
    true
}

/// Asserts that the binary has server mode (`wsspec server --help` succeeds); returns true
/// so callers read as a guard.
pub fn assert_server_mode() -> bool {
    let mut cmd = Command::new(wsspec_bin());
    cmd.args(["server", "--help"]);
    let out = run_bounded(cmd, Duration::from_secs(30), "wsspec server --help");
    assert!(out.status.success(), "`wsspec server --help` fails");
    true
}

/// Runs `wsspec ARGS…` to completion, bounded by `timeout`.
pub fn wsspec<S: AsRef<str>>(args: &[S], timeout: Duration) -> Outcome {
    let mut cmd = Command::new(wsspec_bin());
    cmd.args(args.iter().map(AsRef::as_ref));
    let what = format!(
        "wsspec {}",
        args.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" ")
    );
    run_bounded(cmd, timeout, &what)
}

// ------------------------------------------------------------------------------------------
// Peers
// ------------------------------------------------------------------------------------------

/// A running peer server: killed (and reaped) on drop.
pub struct Peer {
    name: String,
    child: Child,
    /// The port it printed in its `LISTENING <port>` line.
    pub port: u16,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Peer {
    /// Starts `cmd` and waits (at most [`LISTEN_TIMEOUT`]) for its `LISTENING <port>` line.
    pub fn spawn(name: &str, mut cmd: Command) -> Peer {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start peer {name}: {e}"));

        // Keep the last 64 KiB of stderr for failure messages; never let the pipe fill.
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = err_pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut buf = sink.lock().unwrap_or_else(|p| p.into_inner());
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > 64 * 1024 {
                    let cut = buf.len() - 64 * 1024;
                    buf.drain(..cut);
                }
            }
        });

        // Forward stdout lines until the peer exits; the test only needs the first LISTENING.
        let (tx, rx) = mpsc::channel::<String>();
        let out_pipe = child.stdout.take().expect("piped stdout");
        thread::spawn(move || {
            for line in BufReader::new(out_pipe).lines() {
                let Ok(line) = line else { break };
                // The receiver is gone once the port is known: keep draining regardless.
                let _ = tx.send(line);
            }
        });

        let mut peer = Peer {
            name: name.to_string(),
            child,
            port: 0,
            stderr,
        };
        let deadline = Instant::now() + LISTEN_TIMEOUT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(port) = line.strip_prefix("LISTENING ") {
                        peer.port = port.trim().parse().unwrap_or_else(|_| {
                            panic!("peer {name} printed a bad LISTENING line: {line:?}")
                        });
                        assert_ne!(peer.port, 0, "peer {name} claims to listen on port 0");
                        return peer;
                    }
                    seen.push(line);
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "peer {name} printed no `LISTENING <port>` line within {LISTEN_TIMEOUT:?}\n\
                     stdout so far: {seen:?}\n--- stderr ---\n{}",
                    peer.stderr_tail()
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    let status = peer.child.wait().ok();
                    panic!(
                        "peer {name} exited ({status:?}) before printing `LISTENING <port>`\n\
                         stdout: {seen:?}\n--- stderr ---\n{}",
                        peer.stderr_tail()
                    )
                }
            }
        }
    }

    /// `ws://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The peer's name as given to [`Peer::spawn`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The last part of what the peer printed on stderr.
    pub fn stderr_tail(&self) -> String {
        let buf = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// Panics when the peer has exited (e.g. crashed during a run).
    pub fn assert_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "peer {} exited during the test ({status})\n--- stderr ---\n{}",
                self.name,
                self.stderr_tail()
            );
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Only while the leader is unreaped is its pid certainly still this group's id.
        if let Ok(None) = self.child.try_wait() {
            kill_group(self.child.id());
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// npm `ws` 8.23.0 as configured for the Autobahn reference run; `None` when missing and
/// `WSSPEC_SKIP_PEERS=1`.
pub fn ws_peer() -> Option<Peer> {
    let peers = repo_root().join("ci/peers");
    let installed = peers.join("node_modules/ws/package.json").is_file() && clients::node_works();
    if !require(installed, "npm `ws` (ci/peers/node_modules) or node") {
        return None;
    }
    let mut cmd = Command::new("node");
    cmd.arg(peers.join("ws_echo.js"))
        .arg("0")
        .current_dir(&peers);
    Some(Peer::spawn("node-ws", cmd))
}

/// PyPI `websockets` 17.4 as configured for the Autobahn reference run; `None` when missing
/// and `WSSPEC_SKIP_PEERS=1`.
pub fn websockets_peer() -> Option<Peer> {
    let peers = repo_root().join("ci/peers");
    let python = peers.join(".venv/bin/python");
    if !require(python.is_file(), "PyPI `websockets` (ci/peers/.venv)") {
        return None;
    }
    let mut cmd = Command::new(python);
    cmd.arg("-u")
        .arg(peers.join("websockets_echo.py"))
        .arg("0")
        .current_dir(&peers);
    Some(Peer::spawn("py-websockets", cmd))
}

/// npm `faye-websocket` 0.11.4 with hixie-75/-76 enabled (`ci/peers/faye_echo.js`), with
/// the script's extra `args` (e.g. `--deflate`); `None` when missing and
/// `WSSPEC_SKIP_PEERS=1`.
pub fn faye_peer(args: &[&str]) -> Option<Peer> {
    let peers = repo_root().join("ci/peers");
    let installed = peers
        .join("node_modules/faye-websocket/package.json")
        .is_file()
        && clients::node_works();
    if !installed {
        let what = "npm `faye-websocket` (ci/peers/node_modules) or node";
        if skipping_allowed() {
            eprintln!(
                "NOTICE: {what} is missing; test skipped because {}=1",
                SKIP_ENV
            );
            return None;
        }
        panic!(
            "{what} is missing: run `bash ci/install-peers.sh` from the repository root \
             (or set {}=1 to skip tests that need real peers)",
            SKIP_ENV
        );
    }
    let mut cmd = Command::new("node");
    cmd.arg(peers.join("faye_echo.js"))
        .arg("0")
        .args(args)
        .current_dir(&peers);
    Some(Peer::spawn("faye-websocket", cmd))
}

/// Whether `(behavior, close)` is plain success.
pub fn is_clean((behavior, close): &(String, String)) -> bool {
    matches!(behavior.as_str(), "OK" | "INFORMATIONAL")
        && matches!(close.as_str(), "OK" | "INFORMATIONAL")
}

/// Whether `verdict` is one of the `|`-separated alternatives in `allowed`.
pub fn allows(allowed: &str, (behavior, close): &(String, String)) -> bool {
    let word = |spec: &str, got: &str| spec == "*" || spec == got;
    allowed
        .split('|')
        .map(str::trim)
        .any(|alt| match alt.split_once('/') {
            Some((b, c)) => word(b, behavior) && word(c, close),
            None => {
                word(alt, behavior)
                    && (matches!(close.as_str(), "OK" | "INFORMATIONAL" | "UNIMPLEMENTED")
                        || close == behavior)
            }
        })
}

/// Every way `verdicts` of `peer` disagree with an expectation table of rows
/// `(peer agent, case pattern, allowed verdicts, why)`: a verdict outside its row's allowed
/// set, a non-OK verdict no row explains, and a row that matches no case (stale).
///
/// Patterns use `--cases` syntax; the first row whose peer and pattern match a case
/// decides it. Allowed verdicts are `|`-separated `BEHAVIOR` or `BEHAVIOR/CLOSE` (`*` for
/// anything); `BEHAVIOR` alone allows a close of OK, INFORMATIONAL, UNIMPLEMENTED or the
/// same word.
pub fn unexplained(
    peer: &str,
    verdicts: &BTreeMap<String, (String, String)>,
    table: &[(&str, &str, &str, &str)],
) -> Vec<String> {
    let mut problems = Vec::new();
    let rows: Vec<_> = table.iter().filter(|r| r.0 == peer).collect();
    let mut used = vec![false; rows.len()];
    for id in sorted_ids(verdicts.keys()) {
        let v = &verdicts[id];
        let row = rows
            .iter()
            .position(|r| wsspec_cases::Patterns::parse(r.1).matches(id));
        match row {
            Some(i) => {
                used[i] = true;
                let (_, pattern, allowed, why) = rows[i];
                if !allows(allowed, v) {
                    problems.push(format!(
                        "{id}: {} / {} is not among {allowed:?} (row {pattern:?}: {why})",
                        v.0, v.1
                    ));
                }
            }
            None if !is_clean(v) => problems.push(format!(
                "{id}: {} / {} but no EXPECTED row explains it; add e.g.\n    \
                 ({peer:?}, {id:?}, {:?}, \"<why>\"),",
                v.0,
                v.1,
                if v.1 == "OK" {
                    v.0.clone()
                } else {
                    format!("{}/{}", v.0, v.1)
                }
            )),
            None => {}
        }
    }
    for (row, used) in rows.iter().zip(used) {
        if !used {
            problems.push(format!("stale EXPECTED row (matches no case): {row:?}"));
        }
    }
    problems
}

/// Runs `wsspec client` with `cases` against `peer` (agent = the peer's name), one heavy
/// run at a time; returns the verdicts and the report directory. The peer must survive.
pub fn run_client(
    peer: &mut Peer,
    cases: &str,
    timeout: Duration,
) -> (BTreeMap<String, (String, String)>, tempfile::TempDir) {
    let _serial = heavy_lock();
    let agent = peer.name().to_string();
    let out = tempfile::tempdir().expect("temp dir");
    let url = peer.url();
    let dir = out.path().display().to_string();
    let args = [
        "client", "--url", &url, "--agent", &agent, "--cases", cases, "--out", &dir,
    ];
    let run = wsspec(&args, timeout);
    peer.assert_alive();
    let verdicts = verdicts(&load_index(out.path()), &agent);
    expect_gate_code(&run, &verdicts);
    (verdicts, out)
}

/// The exit code of a `client` run without expectations: 1 exactly when some case breaks
/// the default `--fail-on` (FAILED, UNCLEAN or WRONG CODE in either field), else 0.
pub fn expect_gate_code(run: &Outcome, verdicts: &BTreeMap<String, (String, String)>) {
    let breaks = |v: &str| matches!(v, "FAILED" | "UNCLEAN" | "WRONG CODE" | "FAILED BY CLIENT");
    let failing = verdicts.values().any(|(b, c)| breaks(b) || breaks(c));
    run.expect_code(if failing { 1 } else { 0 });
}

/// The per-case JSON of `agent`'s case `id` in report directory `dir`.
pub fn case_json(dir: &Path, agent: &str, id: &str) -> Value {
    let path = dir.join(format!("{}.json", case_file_stem(agent, id)));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The built-in reference server, `wsspec echo --listen 127.0.0.1:0`.
pub fn wsspec_echo_peer() -> Peer {
    let mut cmd = Command::new(wsspec_bin());
    cmd.args(["echo", "--listen", "127.0.0.1:0"]);
    Peer::spawn("wsspec-echo", cmd)
}

/// `/usr/bin/chromium`; `None` when missing and `WSSPEC_SKIP_PEERS=1`.
pub fn chromium() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/chromium");
    if require(path.is_file(), "Debian chromium (/usr/bin/chromium)") {
        Some(path)
    } else {
        None
    }
}

/// The DOM of `page` after Chromium headless loaded it (`--dump-dom`), bounded by `timeout`.
pub fn chromium_dump_dom(chromium: &Path, page: &Path, timeout: Duration) -> String {
    let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
    let page = page
        .canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", page.display()));
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg("--dump-dom")
    .arg(format!("file://{}", page.display()));
    let out = run_bounded(
        cmd,
        timeout,
        &format!("chromium --dump-dom {}", page.display()),
    );
    out.expect_code(0);
    assert!(
        out.stdout.contains("<html") || out.stdout.contains("<body"),
        "chromium dumped no DOM for {}\n--- stderr ---\n{}",
        page.display(),
        tail(&out.stderr, 4000)
    );
    out.stdout
}

// ------------------------------------------------------------------------------------------
// Reports
// ------------------------------------------------------------------------------------------

/// Autobahn's `cleanForFilename`: lowercase, every char outside `[a-z0-9]` becomes a space,
/// ends stripped, each remaining space becomes `_`.
pub fn clean_agent(agent: &str) -> String {
    let spaced: String = agent
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                ' '
            }
        })
        .collect();
    spaced.trim().replace(' ', "_")
}

/// Base name (no extension) of a per-case report: `<agent clean>_case_<id with _>`.
pub fn case_file_stem(agent: &str, case_id: &str) -> String {
    format!("{}_case_{}", clean_agent(agent), case_id.replace('.', "_"))
}

/// Parses `DIR/index.json`.
pub fn load_index(dir: &Path) -> Value {
    let path = dir.join("index.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// `{case_id: (behavior, behaviorClose)}` of one agent in an index.
pub fn verdicts(index: &Value, agent: &str) -> BTreeMap<String, (String, String)> {
    let cases = index
        .get(agent)
        .and_then(Value::as_object)
        .unwrap_or_else(|| {
            let agents: Vec<_> = index
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            panic!("index.json has no agent {agent:?} (agents: {agents:?})")
        });
    cases
        .iter()
        .map(|(id, r)| {
            let field = |k: &str| {
                r.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("case {id}: `{k}` missing or not a string: {r}"))
                    .to_string()
            };
            (id.clone(), (field("behavior"), field("behaviorClose")))
        })
        .collect()
}

/// Loads a fixture `harness/tests/fixtures/autobahn/<agent>.json`: `{id: [behavior, close]}`.
pub fn autobahn_fixture(agent: &str) -> BTreeMap<String, (String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/autobahn")
        .join(format!("{agent}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str::<BTreeMap<String, (String, String)>>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Sort key for case ids: `9.2.1` before `10.1.1`.
pub use wsspec_cases::model::id_key;

/// Case ids sorted numerically.
pub fn sorted_ids<'a, I: IntoIterator<Item = &'a String>>(ids: I) -> Vec<&'a String> {
    let mut v: Vec<_> = ids.into_iter().collect();
    v.sort_by_key(|id| id_key(id));
    v
}
