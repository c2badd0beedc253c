//! wss:// and TLS listeners against real peers: `wsspec client` over TLS against npm `ws`
//! (`https.createServer`) and PyPI `websockets` (an `ssl` context), verdicts equal to the
//! plain run; the trust flags (`--ca`, `--insecure`, neither); a wss:// URL on a plain
//! server; server mode over TLS with the npm `ws` and PyPI `websockets` client drivers;
//! the reference echo server over TLS.
//!
//! Needs `bash ci/install-peers.sh`; `WSSPEC_SKIP_PEERS=1` skips the tests that need peers.
//! Certificates are generated per test into a temp dir; everything listens on 127.0.0.1.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::clients::{self, Driver};
use common::{Outcome, Peer};

/// The categories of the client-mode runs: framing, pings, fragmentation, a UTF-8 group,
/// the close basics and one limits case; a few seconds per peer.
const CLIENT_CASES: &str = "1.*,2.*,5.*,6.2.*,7.1.*,9.1.1";

/// Server mode's cases for the client drivers. 5.15 and 7.1.5 are left out: websockets'
/// verdicts there depend on TCP timing or are FAILED by design (see server_mode.rs).
const SERVER_CASES: &str = "1.*,2.*,5.*,6.2.*,7.1.*";
const SERVER_EXCLUDE: &str = "5.15,7.1.5";

/// Bound on one client run of [`CLIENT_CASES`].
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// Bound on a run that must fail at once (setup errors) or after the 5 s handshake limit.
const FAIL_TIMEOUT: Duration = Duration::from_secs(60);

type Verdicts = BTreeMap<String, (String, String)>;

/// A generated certificate and key on disk (the library's generator, as
/// `--tls-self-signed` uses it).
struct Pair {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
}

fn pair() -> Pair {
    let dir = tempfile::tempdir().expect("temp dir");
    let generated = wsspec::tls::SelfSigned::generate().expect("a self-signed pair");
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, &generated.cert_pem).expect("write cert.pem");
    std::fs::write(&key, &generated.key_pem).expect("write key.pem");
    Pair {
        _dir: dir,
        cert,
        key,
    }
}

fn wss(port: u16) -> String {
    format!("wss://127.0.0.1:{port}")
}

fn node_present() -> bool {
    common::require(
        clients::node_works()
            && clients::peers_dir()
                .join("node_modules/ws/package.json")
                .is_file(),
        "npm `ws` (ci/peers/node_modules) or node",
    )
}

fn python_present() -> bool {
    common::require(
        clients::peers_dir().join(".venv/bin/python").is_file(),
        "PyPI `websockets` (ci/peers/.venv)",
    )
}

/// npm `ws` echo server; over TLS with `tls`.
fn node_echo(tls: Option<&Pair>) -> Peer {
    let peers = clients::peers_dir();
    let mut cmd = Command::new("node");
    cmd.arg(peers.join("ws_echo.js"))
        .arg("0")
        .current_dir(&peers);
    if let Some(p) = tls {
        cmd.arg("--tls").arg(&p.cert).arg(&p.key);
    }
    Peer::spawn("node-ws", cmd)
}

/// PyPI `websockets` echo server; over TLS with `tls`.
fn python_echo(tls: Option<&Pair>) -> Peer {
    let peers = clients::peers_dir();
    let mut cmd = Command::new(peers.join(".venv/bin/python"));
    cmd.arg("-u")
        .arg(peers.join("websockets_echo.py"))
        .arg("0")
        .current_dir(&peers);
    if let Some(p) = tls {
        cmd.arg("--tls").arg(&p.cert).arg(&p.key);
    }
    Peer::spawn("py-websockets", cmd)
}

/// `wsspec client --url URL --agent AGENT --cases CASES --out DIR EXTRA…`.
fn client(url: &str, agent: &str, cases: &str, extra: &[&str]) -> (Outcome, tempfile::TempDir) {
    let out = tempfile::tempdir().expect("temp dir");
    let dir = out.path().display().to_string();
    let mut args = vec![
        "client", "--url", url, "--agent", agent, "--cases", cases, "--out", &dir,
    ];
    args.extend_from_slice(extra);
    (common::wsspec(&args, RUN_TIMEOUT), out)
}

/// A run that must succeed; its verdicts.
fn verdicts_of(url: &str, agent: &str, cases: &str, extra: &[&str]) -> Verdicts {
    let (run, out) = client(url, agent, cases, extra);
    run.expect_code(0);
    common::verdicts(&common::load_index(out.path()), agent)
}

fn assert_all_clean(what: &str, verdicts: &Verdicts) {
    assert!(!verdicts.is_empty(), "{what}: no verdicts");
    let bad: Vec<_> = verdicts
        .iter()
        .filter(|(_, v)| !common::is_clean(v))
        .collect();
    assert!(bad.is_empty(), "{what}: not OK: {bad:?}");
}

/// The non-empty lines of a run's stderr.
fn stderr_lines(run: &Outcome) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Client mode over TLS against one library's echo server: the verdicts equal those of the
/// same library over plain TCP (all OK), with the certificate trusted through `--ca`;
/// `exclude` leaves out the library's known divergences (the gate would fail the run).
fn client_matches_plain(
    name: &str,
    tls_peer: &mut Peer,
    plain_peer: &mut Peer,
    ca: &Path,
    exclude: &str,
) {
    let ca = ca.display().to_string();
    let tls_args = ["--ca", &ca, "--exclude", exclude];
    let over_tls = verdicts_of(&wss(tls_peer.port), name, CLIENT_CASES, &tls_args);
    tls_peer.assert_alive();
    let plain = verdicts_of(
        &plain_peer.url(),
        name,
        CLIENT_CASES,
        &["--exclude", exclude],
    );
    plain_peer.assert_alive();
    assert_all_clean(&format!("{name} over TLS"), &over_tls);
    assert_eq!(
        over_tls, plain,
        "{name}: verdicts over TLS differ from those over plain TCP"
    );
}

#[test]
fn client_over_tls_against_node_ws() {
    if !node_present() {
        return;
    }
    let pair = pair();
    let mut tls_peer = node_echo(Some(&pair));
    let mut plain_peer = node_echo(None);
    client_matches_plain("node-ws", &mut tls_peer, &mut plain_peer, &pair.cert, "");

    // --insecure: no --ca needed, and a warning says so.
    let (run, _out) = client(&wss(tls_peer.port), "node-ws", "1.1.*", &["--insecure"]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("warning: --insecure"),
        "no --insecure warning:\n{}",
        run.stderr
    );

    // Neither: the built-in roots do not know the certificate. One line, exit 2, at once.
    let (run, _out) = client(&wss(tls_peer.port), "node-ws", "1.1.*", &[]);
    run.expect_code(2);
    let lines = stderr_lines(&run);
    assert_eq!(
        lines.len(),
        1,
        "expected one error line, got:\n{}",
        run.stderr
    );
    assert!(
        lines[0].contains("certificate") && lines[0].contains("127.0.0.1"),
        "the error does not name the certificate problem: {}",
        lines[0]
    );
    assert!(
        run.elapsed < Duration::from_secs(10),
        "took {:?}",
        run.elapsed
    );
    tls_peer.assert_alive();
}

#[test]
fn client_over_tls_against_python_websockets() {
    if !python_present() {
        return;
    }
    let pair = pair();
    let mut tls_peer = python_echo(Some(&pair));
    let mut plain_peer = python_echo(None);
    // websockets' own divergences, as in Autobahn's run of it (fixtures/autobahn): 5.15
    // NON-STRICT, 7.1.5 FAILED.
    let known = "5.15,7.1.5";
    client_matches_plain(
        "py-websockets",
        &mut tls_peer,
        &mut plain_peer,
        &pair.cert,
        known,
    );

    // A DNS name: SNI `localhost`, checked against the certificate's DNS name.
    let ca = pair.cert.display().to_string();
    let url = format!("wss://localhost:{}", tls_peer.port);
    let v = verdicts_of(&url, "py-websockets", "1.1.*", &["--ca", &ca]);
    assert_all_clean("py-websockets via wss://localhost", &v);
    tls_peer.assert_alive();
}

#[test]
fn wss_url_on_a_plain_server_is_a_clear_error() {
    // A server that answers the ClientHello with HTTP (npm `ws` replies 400 and closes).
    if node_present() {
        let mut plain = node_echo(None);
        let (run, _out) = client(&wss(plain.port), "x", "1.1.1", &[]);
        run.expect_code(2);
        let lines = stderr_lines(&run);
        assert_eq!(lines.len(), 1, "expected one error line:\n{}", run.stderr);
        assert!(
            lines[0].contains("TLS") && lines[0].contains("plain ws://"),
            "unclear error: {}",
            lines[0]
        );
        assert!(
            run.elapsed < Duration::from_secs(10),
            "took {:?}",
            run.elapsed
        );
        plain.assert_alive();
    }
    // A server that waits silently for an HTTP head: bounded by the 5 s handshake limit.
    let mut echo = common::wsspec_echo_peer();
    let (run, _out) = client(&wss(echo.port), "x", "1.1.1", &[]);
    run.expect_code(2);
    let lines = stderr_lines(&run);
    assert_eq!(lines.len(), 1, "expected one error line:\n{}", run.stderr);
    assert!(
        lines[0].contains("TLS handshake timed out"),
        "unclear error: {}",
        lines[0]
    );
    assert!(run.elapsed < FAIL_TIMEOUT, "took {:?}", run.elapsed);
    echo.assert_alive();
}

#[test]
fn bad_tls_files_are_setup_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing-ca.pem").display().to_string();
    let run = common::wsspec(
        &["client", "--url", "wss://127.0.0.1:9", "--ca", &missing],
        FAIL_TIMEOUT,
    );
    run.expect_code(2);
    assert!(run.stderr.contains("missing-ca.pem"), "{}", run.stderr);

    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").expect("write junk.pem");
    let junk = junk.display().to_string();
    let out = dir.path().join("out").display().to_string();
    let run = common::wsspec(
        &[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--out",
            &out,
            "--tls-cert",
            &junk,
            "--tls-key",
            &junk,
        ],
        FAIL_TIMEOUT,
    );
    run.expect_code(2);
    assert!(
        run.stderr.contains("junk.pem") && !run.stdout.contains("LISTENING"),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );

    // The flags that need each other.
    let run = common::wsspec(&["echo", "--tls-cert", &junk], FAIL_TIMEOUT);
    run.expect_code(2);
    assert!(run.stderr.contains("--tls-key"), "{}", run.stderr);
}

#[test]
fn server_mode_over_tls_with_node_and_python_clients() {
    if !(node_present() && python_present()) {
        return;
    }
    let out = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(common::wsspec_bin());
    cmd.args([
        "server",
        "--listen",
        "127.0.0.1:0",
        "--tls-self-signed",
        "--out",
    ])
    .arg(out.path())
    .args(["--cases", SERVER_CASES, "--exclude", SERVER_EXCLUDE]);
    let mut server = Peer::spawn("wsspec-server-tls", cmd);
    let cert = out.path().join("wsspec-selfsigned.pem");
    assert!(cert.is_file(), "no {} after LISTENING", cert.display());

    let base = wss(server.port);
    let timeout = Duration::from_secs(300);
    let mut node = Command::new("node");
    node.arg(clients::peers_dir().join("ws_client.js"))
        .args([&base, "node-ws-tls", "--ca"])
        .arg(&cert)
        .current_dir(clients::peers_dir());
    let mut python = Command::new(clients::peers_dir().join(".venv/bin/python"));
    python
        .arg("-u")
        .arg(clients::peers_dir().join("websockets_client.py"))
        .args([&base, "py-websockets-tls", "--ca"])
        .arg(&cert)
        .current_dir(clients::peers_dir());
    clients::run_concurrently(vec![
        Driver {
            what: "ws_client.js over wss".into(),
            cmd: node,
            timeout,
        },
        Driver {
            what: "websockets_client.py over wss".into(),
            cmd: python,
            timeout,
        },
    ]);
    server.assert_alive();

    let expected = wsspec::server::server_cases(
        &wsspec_cases::Patterns::parse(SERVER_CASES),
        &wsspec_cases::Patterns::parse(SERVER_EXCLUDE),
    )
    .len();
    let index = common::load_index(out.path());
    for agent in ["node-ws-tls", "py-websockets-tls"] {
        let v = common::verdicts(&index, agent);
        assert_eq!(v.len(), expected, "{agent}: cases in index.json");
        assert_all_clean(agent, &v);
    }

    // The HTTP side is https too: the browser page.
    let page = https_get(server.port, &cert, "/");
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("<html"),
        "GET / over https: {}",
        common::tail(&page, 400)
    );
}

/// `GET path` over TLS from 127.0.0.1:`port`, trusting `ca`; the whole response (bounded).
fn https_get(port: u16, ca: &Path, path: &str) -> String {
    use tokio::io::AsyncReadExt;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let target = wsspec::engine::Target::parse(&wss(port)).expect("a URL");
        let tls = wsspec::tls::ClientTls::new(&[ca.to_path_buf()], false).expect("--ca");
        let limits = wsspec::engine::Limits::default();
        let mut stream = wsspec::transport::connect(&target, Some(&tls), &limits)
            .await
            .expect("TLS connection to the server");
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        stream
            .write_flushed(request.as_bytes())
            .await
            .expect("request");
        let mut body = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut body));
        // The server closes after the response; an abrupt end after it is fine too.
        let _ = read.await.expect("response within 30 s");
        String::from_utf8_lossy(&body).into_owned()
    })
}

#[test]
fn reference_echo_over_tls() {
    // --tls-self-signed: the certificate lands in the temp directory, named after the port.
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(common::wsspec_bin());
    cmd.args(["echo", "--listen", "127.0.0.1:0", "--tls-self-signed"])
        .env("TMPDIR", tmp.path());
    let mut echo = Peer::spawn("wsspec-echo-tls", cmd);
    let cert = tmp
        .path()
        .join(format!("wsspec-selfsigned-{}.pem", echo.port));
    assert!(cert.is_file(), "no {}", cert.display());
    let ca = cert.display().to_string();
    let v = verdicts_of(
        &wss(echo.port),
        "wsspec-echo",
        "1.*,2.*,3.*,4.*,5.*,6.*,7.*",
        &["--ca", &ca],
    );
    assert_all_clean("wsspec echo over TLS", &v);
    echo.assert_alive();

    // --tls-cert/--tls-key with a pair made elsewhere.
    let pair = pair();
    let mut cmd = Command::new(common::wsspec_bin());
    cmd.args(["echo", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&pair.cert)
        .arg("--tls-key")
        .arg(&pair.key);
    let mut echo = Peer::spawn("wsspec-echo-tls-files", cmd);
    let ca = pair.cert.display().to_string();
    let v = verdicts_of(&wss(echo.port), "wsspec-echo", "1.1.*,2.*", &["--ca", &ca]);
    assert_all_clean("wsspec echo --tls-cert", &v);
    echo.assert_alive();
}
