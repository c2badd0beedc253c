//! Server mode driven in-process by a tiny raw-socket client.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use wsspec_cases::{LengthForm, Patterns, Verdict};

use super::http::read_head;
use super::*;
use crate::codec::{apply_mask, encode_header, FrameHeader};
use crate::handshake::{parse_head, status};

/// Every test finishes well within this.
const TEST_LIMIT: Duration = Duration::from_secs(30);

struct Running {
    server: Server,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    task: JoinHandle<Result<Stopped, ServerError>>,
}

async fn start(cases: &str) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::new(ServerConfig {
        cases: server_cases(&Patterns::parse(cases), &Patterns::parse("")),
        out: ReportDir::create(dir.path()).unwrap(),
        limits: Limits::default(),
        skip_for_agent: None,
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn({
        let server = server.clone();
        async move { server.run(listener, std::future::pending()).await }
    });
    Running {
        server,
        addr,
        dir,
        task,
    }
}

fn upgrade_request(target: &str) -> String {
    format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// A raw client connection after its opening handshake.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// Send `request`; returns the response status, head and (for a 101) the connection.
async fn open(addr: SocketAddr, request: &str) -> (u16, String, Option<Client>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let (head, leftover) = read_head(&mut stream, Duration::from_secs(10))
        .await
        .unwrap();
    let code = status(&parse_head(&head).unwrap()).unwrap().0;
    let head = String::from_utf8(head).unwrap();
    let client = (code == 101).then_some(Client {
        stream,
        buf: leftover,
    });
    (code, head, client)
}

impl Client {
    /// The next frame (header, unmasked payload), or `None` at EOF.
    async fn frame(&mut self) -> Option<(FrameHeader, Vec<u8>)> {
        loop {
            if let Some(h) = FrameHeader::parse(&self.buf) {
                let end = h.header_len + h.len as usize;
                if self.buf.len() >= end {
                    let mut payload = self.buf[h.header_len..end].to_vec();
                    if let Some(key) = h.mask {
                        apply_mask(&mut payload, key, 0);
                    }
                    self.buf.drain(..end);
                    return Some((h, payload));
                }
            }
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Send one masked frame, as a client must.
    async fn send(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        let key = [0x12, 0x34, 0x56, 0x78];
        let mut out = Vec::new();
        encode_header(
            &mut out,
            fin,
            0,
            opcode,
            Some(key),
            payload.len() as u64,
            LengthForm::Minimal,
        );
        let start = out.len();
        out.extend_from_slice(payload);
        apply_mask(&mut out[start..], key, 0);
        let _ = self.stream.write_all(&out).await;
    }

    /// Echo data frames as they come (same opcode and FIN), pong pings, answer the close;
    /// returns the text messages received, ending when the server drops TCP.
    async fn echo_until_closed(mut self) -> (Vec<Vec<u8>>, Option<Vec<u8>>) {
        let mut data = Vec::new();
        while let Some((h, payload)) = self.frame().await {
            assert!(h.mask.is_none(), "server frames must be unmasked");
            match h.opcode {
                0x0..=0x2 => {
                    self.send(h.fin, h.opcode, &payload).await;
                    data.push(payload);
                }
                0x9 => self.send(true, 0xA, &payload).await,
                0x8 => {
                    let code = payload.get(..2).unwrap_or(&[]).to_vec();
                    self.send(true, 0x8, &code).await;
                    // The server closes TCP first.
                    assert!(self.frame().await.is_none());
                    return (data, Some(payload));
                }
                _ => {}
            }
        }
        (data, None)
    }
}

/// A control request: its messages and the close payload.
async fn control(addr: SocketAddr, target: &str) -> (Vec<String>, Vec<u8>) {
    let (code, head, client) = open(addr, &upgrade_request(target)).await;
    assert_eq!(code, 101, "{head}");
    assert!(head.contains(&format!("Server: {}\r\n", http::SERVER_NAME)));
    let (data, close) = client.unwrap().echo_until_closed().await;
    let texts = data
        .into_iter()
        .map(|d| String::from_utf8(d).unwrap())
        .collect();
    (texts, close.expect("a close frame"))
}

/// The status of a refused upgrade.
async fn refused(addr: SocketAddr, target: &str) -> u16 {
    let (code, head, client) = open(addr, &upgrade_request(target)).await;
    assert!(client.is_none(), "{target} was accepted: {head}");
    code
}

/// A plain HTTP exchange: the whole response, read until the server closes.
async fn http_get(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
}

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, f)
        .await
        .expect("test timed out")
}

#[test]
fn only_default_openings_and_the_clients_own_offers_run_as_server() {
    let all = server_cases(&Patterns::parse("*"), &Patterns::parse(""));
    assert!(!all.is_empty());
    assert!(all
        .iter()
        .all(|c| matches!(c.category.number, 1..=10 | 12 | 13 | 20 | 21)));
    assert_eq!(
        all.len(),
        308 + 216 + 56,
        "Autobahn's categories 1-7, 9 and 10 and the 7 client handshake cases of category \
         20; the 216 compression cases of 12 and 13; category 21 but its 9 invalid offers"
    );
    // An invalid offer a server must decline cannot be made by a client under test.
    assert!(all.iter().all(|c| c
        .compression
        .as_ref()
        .is_none_or(|z| z.negotiation != wsspec_cases::Negotiation::MustDecline)));
    // Handshake cases pick their own opening; role rules (19) assume wsspec is the client.
    for other in ["14.*", "18.*", "19.*"] {
        assert!(server_cases(&Patterns::parse(other), &Patterns::parse("")).is_empty());
    }
}

#[test]
fn case_info_is_python_json() {
    let case = server_cases(&Patterns::parse("1.1.1"), &Patterns::parse(""))[0];
    let info = case_info(case);
    assert!(
        info.starts_with("{\"id\": \"1.1.1\", \"description\": \""),
        "{info}"
    );
    assert_eq!(python_json_str("a§😀"), "\"a\\u00a7\\ud83d\\ude00\"");
}

#[tokio::test]
async fn case_count_and_info() {
    bounded(async {
        let s = start("1.1.*,2.1").await;
        let (msgs, close) = control(s.addr, "/getCaseCount").await;
        assert_eq!(msgs, vec![s.server.cases().len().to_string()]);
        assert_eq!(msgs, vec!["9".to_string()]);
        assert!(close.is_empty(), "control connections close without a code");

        let (msgs, _) = control(s.addr, "/getCaseInfo?case=1").await;
        let info: serde_json::Value = serde_json::from_str(&msgs[0]).unwrap();
        assert_eq!(info["id"], "1.1.1");
        assert!(info["description"].as_str().unwrap().contains("text frame"));
        let (msgs, _) = control(s.addr, "/getCaseInfo?casetuple=2.1").await;
        assert!(msgs[0].starts_with("{\"id\": \"2.1\""), "{msgs:?}");

        for bad in [
            "/getCaseInfo?case=10",
            "/getCaseInfo?case=0",
            "/getCaseInfo?case=x",
            "/getCaseInfo?casetuple=9.9.9",
            "/getCaseInfo",
        ] {
            assert_eq!(refused(s.addr, bad).await, 500, "{bad}");
        }
    })
    .await;
}

#[tokio::test]
async fn run_case_stores_and_writes_the_result() {
    bounded(async {
        let s = start("1.1.*").await;
        let (code, head, client) = open(
            s.addr,
            &upgrade_request("/runCase?casetuple=1.1.1&agent=raw+client"),
        )
        .await;
        assert_eq!(code, 101, "{head}");
        let (echoed, close) = client.unwrap().echo_until_closed().await;
        assert_eq!(echoed, vec![Vec::<u8>::new()]);
        assert_eq!(close.unwrap()[..2], 1000u16.to_be_bytes());

        let (msgs, _) = control(s.addr, "/getCaseStatus?case=1&agent=raw+client").await;
        assert_eq!(msgs, vec!["{\"behavior\": \"OK\"}".to_string()]);
        let results = s.server.results();
        assert_eq!(results["raw client"]["1.1.1"].behavior, Verdict::Ok);

        let file = s.dir.path().join("raw_client_case_1_1_1.json");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert_eq!(json["isServer"], true);
        assert_eq!(json["case"], 1);
        assert_eq!(json["agent"], "raw client");
        assert!(json["httpRequest"]
            .as_str()
            .unwrap()
            .starts_with("GET /runCase?casetuple=1.1.1&agent=raw+client HTTP/1.1"));
        assert!(json["httpResponse"]
            .as_str()
            .unwrap()
            .starts_with("HTTP/1.1 101"));
        // The index is refreshed as each case finishes, before any updateReports.
        let index = std::fs::read_to_string(s.dir.path().join("index.json")).unwrap();
        assert!(index.contains("\"raw client\""), "{index}");

        // case=N is the 1-based index into the selected list.
        let (_, _, client) = open(s.addr, &upgrade_request("/runCase?case=2&agent=b")).await;
        client.unwrap().echo_until_closed().await;
        let (msgs, _) = control(s.addr, "/getCaseStatus?casetuple=1.1.2&agent=b").await;
        assert_eq!(msgs, vec!["{\"behavior\": \"OK\"}".to_string()]);
        let json = std::fs::read_to_string(s.dir.path().join("b_case_1_1_2.json")).unwrap();
        assert!(json.contains("\"case\": 2,"), "{json}");
    })
    .await;
}

#[tokio::test]
async fn missing_or_bad_parameters_are_refused() {
    bounded(async {
        let s = start("1.1.*").await;
        for (target, code) in [
            ("/runCase?case=1", 500),
            ("/runCase?agent=a", 500),
            ("/runCase?case=1&agent=", 500),
            ("/runCase?case=99&agent=a", 500),
            ("/getCaseStatus?case=1", 500),
            ("/updateReports", 500),
            ("/runCase?case=1&agent=%zz", 400),
            ("/runCase?case=1&agent=%ff", 400),
            ("/nosuchpath", 404),
            ("/", 404),
        ] {
            assert_eq!(refused(s.addr, target).await, code, "{target}");
        }
        let long = format!("/runCase?case=1&agent={}", "a".repeat(MAX_AGENT_LEN + 1));
        assert_eq!(refused(s.addr, &long).await, 400);
        // A version the server does not speak: 426 with the versions it does.
        let (code, head, _) = open(
            s.addr,
            &upgrade_request("/getCaseCount").replace("Version: 13", "Version: 9"),
        )
        .await;
        assert_eq!(code, 426);
        assert!(head.contains("Sec-WebSocket-Version: 13, 8, 7"));
        // An oversized head is refused, not read forever.
        let huge = format!("GET /?{} HTTP/1.1\r\n", "a".repeat(20_000));
        assert!(http_get(s.addr, &huge).await.starts_with("HTTP/1.1 431 "));
        assert!(s.server.results().is_empty());
    })
    .await;
}

#[tokio::test]
async fn plain_http_serves_the_page_and_reports_only() {
    bounded(async {
        let s = start("1.1.1").await;
        let page = http_get(s.addr, &get("/")).await;
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.contains("Content-Type: text/html; charset=utf-8\r\n"));
        assert!(page.contains("/getCaseCount") && page.contains("'done'"));
        assert!(!page.contains("src=\"http"), "the page is self-contained");

        std::fs::write(s.dir.path().join("x.json"), b"{}").unwrap();
        let file = http_get(s.addr, &get("/reports/x.json")).await;
        assert!(file.starts_with("HTTP/1.1 200 OK\r\n") && file.ends_with("\r\n\r\n{}"));
        assert!(file.contains("Content-Type: application/json\r\n"));
        for path in [
            "/reports/../x.json",
            "/reports/%2e%2e/x.json",
            "/reports/..%2fx.json",
            "/reports/nope.json",
            "/reports/sub/x.json",
            "/reports/.hidden",
            "/other",
            "/favicon.ico",
        ] {
            let r = http_get(s.addr, &get(path)).await;
            assert!(r.starts_with("HTTP/1.1 404 "), "{path}: {r}");
        }
        let r = http_get(s.addr, &get("/a%zz")).await;
        assert!(r.starts_with("HTTP/1.1 400 "), "{r}");
        let r = http_get(s.addr, "POST / HTTP/1.1\r\nHost: h\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 405 "), "{r}");
        let r = http_get(s.addr, "garbage\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 400 "), "{r}");
    })
    .await;
}

#[tokio::test]
async fn update_reports_writes_every_agent_and_stop_server_stops() {
    bounded(async {
        let s = start("1.1.1").await;
        for agent in ["first", "second"] {
            let target = format!("/runCase?case=1&agent={agent}");
            let (_, _, client) = open(s.addr, &upgrade_request(&target)).await;
            client.unwrap().echo_until_closed().await;
        }
        // Wait for the second result, then drop index.json to see updateReports rewrite it.
        control(s.addr, "/getCaseStatus?case=1&agent=second").await;
        std::fs::remove_file(s.dir.path().join("index.json")).unwrap();
        let (msgs, close) = control(s.addr, "/updateReports?agent=first").await;
        assert!(msgs.is_empty() && close.is_empty());
        let index: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(s.dir.path().join("index.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(index["first"]["1.1.1"]["behavior"], "OK");
        assert_eq!(index["second"]["1.1.1"]["behavior"], "OK");
        let html = http_get(s.addr, &get("/reports/index.html")).await;
        assert!(html.starts_with("HTTP/1.1 200 OK\r\n") && html.contains(">first</td>"));

        control(s.addr, "/stopServer").await;
        assert_eq!(s.task.await.unwrap().unwrap(), Stopped::StopRequested);
    })
    .await;
}

#[tokio::test]
async fn agents_run_at_once_without_sharing_state() {
    bounded(async {
        let s = start("1.1.*").await;
        let runs = ["a", "b", "c", "d"].map(|agent| {
            let addr = s.addr;
            tokio::spawn(async move {
                for case in 1..=3 {
                    let target = format!("/runCase?case={case}&agent={agent}");
                    let (code, _, client) = open(addr, &upgrade_request(&target)).await;
                    assert_eq!(code, 101);
                    client.unwrap().echo_until_closed().await;
                }
                control(addr, &format!("/getCaseStatus?case=3&agent={agent}")).await
            })
        });
        for run in runs {
            assert_eq!(run.await.unwrap().0, vec!["{\"behavior\": \"OK\"}"]);
        }
        let results = s.server.results();
        assert_eq!(results.len(), 4);
        assert!(results
            .values()
            .all(|cases| cases.len() == 3 && cases.values().all(|e| e.behavior == Verdict::Ok)));
    })
    .await;
}
