//! Server mode with old-draft clients: a hixie-76 and a hixie-75 client (written here on
//! raw sockets, since no registry ships a hixie client any more) run Autobahn's client
//! convention; the cases hixie framing can express run in it, the others are
//! UNIMPLEMENTED for that client, never FAILED.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use wsspec::codec::hixie::{self, HixieDeframer, HixieFrame};

const CASES: &str = "1.1.1,1.1.2,1.1.6,2.1,5.3,7.1.1";
const BUDGET: Duration = Duration::from_secs(60);

/// One hixie connection to `path`; returns the stream and any octets after the handshake.
fn open(port: u16, path: &str, draft76: bool) -> (TcpStream, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let host = format!("127.0.0.1:{port}");
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: {host}\r\n\
         Origin: http://{host}\r\n"
    );
    let mut rng = rand::thread_rng();
    let (key1, _) = hixie::generate_key(&mut rng);
    let (key2, _) = hixie::generate_key(&mut rng);
    if draft76 {
        request.push_str(&format!(
            "Sec-WebSocket-Key1: {key1}\r\nSec-WebSocket-Key2: {key2}\r\n"
        ));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    let key3 = *b"wsspec!!";
    if draft76 {
        bytes.extend_from_slice(&key3);
    }
    s.write_all(&bytes).expect("request");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(n) = wsspec::handshake::head_len(&buf) {
            break n;
        }
        let n = s.read(&mut chunk).expect("response");
        assert!(n > 0, "{path}: closed during the handshake");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = if draft76 {
        "HTTP/1.1 101 WebSocket Protocol Handshake\r\n"
    } else {
        "HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
    };
    assert!(head.starts_with(status), "{path}: {head}");
    let mut rest = buf[head_end..].to_vec();
    if draft76 {
        while rest.len() < 16 {
            let n = s.read(&mut chunk).expect("challenge");
            assert!(n > 0, "{path}: no challenge answer");
            rest.extend_from_slice(&chunk[..n]);
        }
        let want = hixie::challenge_response(&key1, &key2, &key3).expect("keys");
        assert_eq!(&rest[..16], &want[..], "{path}: challenge answer");
        rest.drain(..16);
    }
    (s, rest)
}

/// Read hixie frames until the server ends the connection, echoing text and answering
/// `FF 00`; returns the text messages.
fn session(mut s: TcpStream, mut buf: Vec<u8>, echo: bool, deadline: Instant) -> Vec<String> {
    let mut deframer = HixieDeframer::new(1 << 20);
    let mut got = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        while let Ok(Some((frame, used))) = deframer.next(&buf) {
            buf.drain(..used);
            match frame {
                HixieFrame::Text(t) => {
                    if echo {
                        let mut out = Vec::new();
                        hixie::encode_text(&t, &mut out);
                        let _ = s.write_all(&out);
                    }
                    got.push(String::from_utf8_lossy(&t).into_owned());
                }
                HixieFrame::Close => {
                    let _ = s.write_all(&[0xff, 0x00]);
                }
                HixieFrame::Binary { .. } => {}
            }
        }
        assert!(Instant::now() < deadline, "session did not end in time");
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return got,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn run_client(port: u16, agent: &str, draft76: bool) {
    let deadline = Instant::now() + BUDGET;
    let (s, rest) = open(port, "/getCaseCount", draft76);
    let count: usize = session(s, rest, false, deadline)[0]
        .trim()
        .parse()
        .expect("count");
    assert_eq!(count, CASES.split(',').count());
    for n in 1..=count {
        let (s, rest) = open(port, &format!("/runCase?case={n}&agent={agent}"), draft76);
        session(s, rest, true, deadline);
    }
    // Waits for this agent's last result to be stored, then rewrites the index.
    let (s, rest) = open(port, &format!("/updateReports?agent={agent}"), draft76);
    session(s, rest, false, deadline);
}

#[test]
fn hixie_clients_run_what_their_framing_can_express() {
    let out = tempfile::tempdir().expect("temp dir");
    let mut cmd = std::process::Command::new(common::wsspec_bin());
    cmd.args([
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cases",
        CASES,
        "--out",
    ])
    .arg(out.path());
    let mut server = common::Peer::spawn("wsspec-server", cmd);
    let port: u16 = server
        .url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    run_client(port, "hixie-76-client", true);
    run_client(port, "hixie-75-client", false);
    server.assert_alive();
    let index = common::load_index(out.path());
    for agent in ["hixie-76-client", "hixie-75-client"] {
        assert_eq!(
            common::verdicts(&index, agent).len(),
            6,
            "{agent} in index.json"
        );
    }
    for (agent, stem) in [
        ("hixie-76-client", "hixie_76_client"),
        ("hixie-75-client", "hixie_75_client"),
    ] {
        for (id, want) in [
            ("1.1.1", "OK"),
            ("1.1.2", "OK"),
            ("1.1.6", "OK"),
            ("7.1.1", "OK"),
            ("2.1", "UNIMPLEMENTED"),
            ("5.3", "UNIMPLEMENTED"),
        ] {
            let file = out
                .path()
                .join(format!("{stem}_case_{}.json", id.replace('.', "_")));
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{agent} {id}: {}: {e}", file.display()));
            let v: serde_json::Value = serde_json::from_str(&text).expect("json");
            assert_eq!(v["behavior"], want, "{agent} {id}: {}", v["result"]);
            if want == "OK" {
                assert_eq!(
                    v["behaviorClose"], "OK",
                    "{agent} {id}: {}",
                    v["resultClose"]
                );
            }
            assert_eq!(v["isServer"], true);
        }
    }
}
