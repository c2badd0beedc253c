//! End-to-end tests: `serve` on a loopback port, driven by a raw TCP client.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wsspec_cases::{opcode, LengthForm};

use super::{serve, EchoConfig, Fault, SERVER_NAME};
use crate::codec::deflate::{Deflater, Inflater};
use crate::codec::{apply_mask, encode_header, FrameHeader};
use crate::handshake::{accept_key, head_len, parse_head, Head};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out")
}

async fn start(config: EchoConfig) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, config));
    addr
}

fn request(extra: &str, version: &str) -> String {
    format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n{extra}\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: {version}\r\n\r\n"
    )
}

/// A masked frame as a client sends it.
fn masked(fin: bool, rsv: u8, op: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_header(
        &mut out,
        fin,
        rsv,
        op,
        Some(MASK),
        payload.len() as u64,
        LengthForm::Minimal,
    );
    let at = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[at..], MASK, 0);
    out
}

struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    /// Send `req` (plus `then`) and read the response head.
    async fn open(addr: SocketAddr, req: &str, then: &[u8]) -> (Client, Head) {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut bytes = req.as_bytes().to_vec();
        bytes.extend_from_slice(then);
        stream.write_all(&bytes).await.unwrap();
        let mut c = Client {
            stream,
            buf: Vec::new(),
        };
        let len = loop {
            if let Some(len) = head_len(&c.buf) {
                break len;
            }
            assert!(c.read_more().await > 0, "EOF before the response head");
        };
        let head = parse_head(&c.buf[..len]).unwrap();
        c.buf.drain(..len);
        (c, head)
    }

    /// Connect and send `bytes` without reading anything.
    async fn raw(addr: SocketAddr, bytes: &[u8]) -> Client {
        let mut c = Client {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        };
        c.send(bytes).await;
        c
    }

    /// The response head, octet for octet; what follows stays buffered.
    async fn raw_head(&mut self) -> String {
        let len = loop {
            if let Some(len) = head_len(&self.buf) {
                break len;
            }
            assert!(self.read_more().await > 0, "EOF before the response head");
        };
        let head: Vec<u8> = self.buf.drain(..len).collect();
        String::from_utf8(head).unwrap()
    }

    /// The next `n` octets.
    async fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.read_more().await > 0, "EOF before {n} octets");
        }
        self.buf.drain(..n).collect()
    }

    async fn connect(addr: SocketAddr) -> Client {
        let (c, head) = Client::open(addr, &request("Connection: Upgrade\r\n", "13"), b"").await;
        assert_eq!(head.start_line, "HTTP/1.1 101 Switching Protocols");
        c
    }

    async fn read_more(&mut self) -> usize {
        let old = self.buf.len();
        self.buf.resize(old + 65536, 0);
        let n = self.stream.read(&mut self.buf[old..]).await.unwrap_or(0);
        self.buf.truncate(old + n);
        n
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    async fn recv(&mut self) -> (FrameHeader, Vec<u8>) {
        loop {
            if let Some(h) = FrameHeader::parse(&self.buf) {
                let total = h.header_len + h.len as usize;
                if self.buf.len() >= total {
                    let payload = self.buf[h.header_len..total].to_vec();
                    self.buf.drain(..total);
                    return (h, payload);
                }
            }
            assert!(self.read_more().await > 0, "EOF before a complete frame");
        }
    }

    /// Expect a close frame with this code, then EOF.
    async fn expect_close(&mut self, code: u16) {
        let (h, payload) = self.recv().await;
        assert_eq!((h.opcode, h.mask), (opcode::CLOSE, None));
        assert_eq!(
            payload.get(..2),
            Some(&code.to_be_bytes()[..]),
            "{payload:?}"
        );
        self.expect_eof().await;
    }

    async fn expect_eof(&mut self) {
        assert!(self.buf.is_empty(), "unexpected octets {:?}", self.buf);
        assert_eq!(
            self.read_more().await,
            0,
            "expected EOF, got {:?}",
            self.buf
        );
    }
}

#[tokio::test]
async fn handshake_answers_with_the_accept_value() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let (_c, head) = Client::open(addr, &request("Connection: Upgrade\r\n", "13"), b"").await;
        assert_eq!(head.start_line, "HTTP/1.1 101 Switching Protocols");
        assert_eq!(
            head.header("Sec-WebSocket-Accept"),
            Some(accept_key(KEY).as_str())
        );
        assert!(head.has_token("Upgrade", "websocket"));
        assert!(head.has_token("Connection", "upgrade"));
        assert_eq!(head.header("Server"), Some(SERVER_NAME));
        assert_eq!(head.header("Sec-WebSocket-Extensions"), None);
    })
    .await;
}

#[tokio::test]
async fn keep_alive_upgrade_is_accepted_and_pipelined_frames_are_served() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let req = request("Connection: keep-alive, Upgrade\r\n", "13");
        let (mut c, head) = Client::open(addr, &req, &masked(true, 0, 1, b"early")).await;
        assert_eq!(head.start_line, "HTTP/1.1 101 Switching Protocols");
        let (h, payload) = c.recv().await;
        assert_eq!(
            (h.opcode, payload.as_slice()),
            (opcode::TEXT, &b"early"[..])
        );
    })
    .await;
}

#[tokio::test]
async fn unsupported_version_gets_426() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let (mut c, head) = Client::open(addr, &request("Connection: Upgrade\r\n", "9"), b"").await;
        assert!(
            head.start_line.starts_with("HTTP/1.1 426 "),
            "{}",
            head.start_line
        );
        assert_eq!(head.header("Sec-WebSocket-Version"), Some("13, 8, 7"));
        let body_len: usize = head.header("Content-Length").unwrap().parse().unwrap();
        while c.buf.len() < body_len {
            assert!(c.read_more().await > 0);
        }
        c.buf.drain(..body_len);
        c.expect_eof().await;
    })
    .await;
}

#[tokio::test]
async fn missing_connection_upgrade_gets_400() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let (_c, head) =
            Client::open(addr, &request("Connection: keep-alive\r\n", "13"), b"").await;
        assert!(
            head.start_line.starts_with("HTTP/1.1 400 "),
            "{}",
            head.start_line
        );
    })
    .await;
}

#[tokio::test]
async fn echoes_text_and_binary_at_length_boundaries() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::connect(addr).await;
        c.send(&masked(true, 0, 1, b"Hello")).await;
        let (h, payload) = c.recv().await;
        assert_eq!(
            (h.fin, h.rsv, h.opcode, h.mask),
            (true, 0, opcode::TEXT, None)
        );
        assert_eq!(payload, b"Hello");
        for len in [0usize, 125, 126, 127, 65535, 65536, 1 << 20] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            c.send(&masked(true, 0, 2, &data)).await;
            let (h, payload) = c.recv().await;
            assert_eq!(
                (h.opcode, h.minimal_length),
                (opcode::BINARY, true),
                "{len}"
            );
            assert!(payload == data, "payload of {len} octets differs");
        }
    })
    .await;
}

#[tokio::test]
async fn ping_is_answered_with_an_identical_pong() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::connect(addr).await;
        c.send(&masked(true, 0, opcode::PONG, b"unsolicited")).await;
        c.send(&masked(true, 0, opcode::PING, b"are you there"))
            .await;
        let (h, payload) = c.recv().await;
        assert_eq!(
            (h.opcode, payload.as_slice()),
            (opcode::PONG, &b"are you there"[..])
        );
    })
    .await;
}

#[tokio::test]
async fn ping_inside_a_fragmented_message_is_answered_before_the_echo() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::connect(addr).await;
        c.send(&masked(false, 0, opcode::TEXT, b"frag")).await;
        c.send(&masked(false, 0, opcode::CONTINUATION, b"ment"))
            .await;
        c.send(&masked(true, 0, opcode::PING, b"mid")).await;
        // The message is still open, so the pong must come without the rest of it.
        let (h, payload) = c.recv().await;
        assert_eq!((h.opcode, payload.as_slice()), (opcode::PONG, &b"mid"[..]));
        c.send(&masked(true, 0, opcode::CONTINUATION, b"s")).await;
        let (h, payload) = c.recv().await;
        assert_eq!(
            (h.opcode, h.fin, payload.as_slice()),
            (opcode::TEXT, true, &b"fragments"[..])
        );
    })
    .await;
}

#[tokio::test]
async fn invalid_utf8_fails_before_the_frame_is_complete() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::connect(addr).await;
        let mut payload = "κόσμε".as_bytes().to_vec();
        let valid = payload.len();
        payload.extend_from_slice(b"\xf4\x90\x80\x80edited");
        let frame = masked(true, 0, opcode::TEXT, &payload);
        let header_len = frame.len() - payload.len();
        c.send(&frame[..header_len + valid]).await;
        // F4 alone could still start a valid sequence; 90 makes it > U+10FFFF.
        c.send(&frame[header_len + valid..header_len + valid + 2])
            .await;
        c.expect_close(1007).await;
    })
    .await;
}

#[tokio::test]
async fn header_violations_fail_with_1002() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut unmasked = Vec::new();
        encode_header(&mut unmasked, true, 0, 1, None, 2, LengthForm::Minimal);
        unmasked.extend_from_slice(b"hi");
        let mut non_minimal = Vec::new();
        encode_header(
            &mut non_minimal,
            true,
            0,
            2,
            Some(MASK),
            3,
            LengthForm::Extended16,
        );
        non_minimal.extend_from_slice(b"abc");
        for frame in [
            unmasked,
            non_minimal,
            masked(true, 4, opcode::TEXT, b"rsv"),
            masked(true, 0, 0x3, b""),
            masked(true, 0, 0xb, b""),
            masked(false, 0, opcode::PING, b""),
            masked(true, 0, opcode::PING, &[0; 126]),
            masked(true, 0, opcode::CONTINUATION, b"orphan"),
        ] {
            let mut c = Client::connect(addr).await;
            c.send(&frame).await;
            c.expect_close(1002).await;
        }
    })
    .await;
}

#[tokio::test]
async fn new_message_inside_a_fragmented_one_fails_with_1002() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::connect(addr).await;
        c.send(&masked(false, 0, opcode::TEXT, b"a")).await;
        c.send(&masked(true, 0, opcode::TEXT, b"b")).await;
        c.expect_close(1002).await;
    })
    .await;
}

#[tokio::test]
async fn client_close_is_echoed_then_the_server_closes_tcp() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::connect(addr).await;
        let mut body = 1000u16.to_be_bytes().to_vec();
        body.extend_from_slice(b"bye");
        // The ping after the close must be ignored.
        let mut bytes = masked(true, 0, opcode::CLOSE, &body);
        bytes.extend_from_slice(&masked(true, 0, opcode::PING, b"late"));
        c.send(&bytes).await;
        let (h, payload) = c.recv().await;
        assert_eq!(
            (h.opcode, payload.as_slice()),
            (opcode::CLOSE, &[0x03, 0xe8][..])
        );
        c.expect_eof().await;

        let mut c = Client::connect(addr).await;
        c.send(&masked(true, 0, opcode::CLOSE, &4999u16.to_be_bytes()))
            .await;
        c.expect_close(4999).await;

        let mut c = Client::connect(addr).await;
        c.send(&masked(true, 0, opcode::CLOSE, b"")).await;
        let (h, payload) = c.recv().await;
        assert_eq!((h.opcode, payload.len()), (opcode::CLOSE, 0));
        c.expect_eof().await;
    })
    .await;
}

#[tokio::test]
async fn malformed_client_close_fails_with_the_right_code() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        for (payload, code) in [
            (vec![0x03], 1002),
            (1005u16.to_be_bytes().to_vec(), 1002),
            (999u16.to_be_bytes().to_vec(), 1002),
            (vec![0x03, 0xe8, 0xff, 0xfe], 1007),
        ] {
            let mut c = Client::connect(addr).await;
            c.send(&masked(true, 0, opcode::CLOSE, &payload)).await;
            c.expect_close(code).await;
        }
    })
    .await;
}

#[tokio::test]
async fn messages_over_the_limit_fail_with_1009() {
    bounded(async {
        let config = EchoConfig {
            max_message: 1000,
            ..EchoConfig::default()
        };
        let addr = start(config).await;
        let mut c = Client::connect(addr).await;
        c.send(&masked(false, 0, opcode::BINARY, &[1; 600])).await;
        c.send(&masked(true, 0, opcode::CONTINUATION, &[2; 400]))
            .await;
        let (h, payload) = c.recv().await;
        assert_eq!((h.opcode, payload.len()), (opcode::BINARY, 1000));
        c.send(&masked(true, 0, opcode::BINARY, &[0; 1001])).await;
        c.expect_close(1009).await;
    })
    .await;
}

#[tokio::test]
async fn many_small_fragments_make_one_echo() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::connect(addr).await;
        let mut bytes = Vec::new();
        let total = 256 * 1024;
        for i in 0..total / 64 {
            let op = if i == 0 {
                opcode::TEXT
            } else {
                opcode::CONTINUATION
            };
            bytes.extend_from_slice(&masked(i == total / 64 - 1, 0, op, &[b'x'; 64]));
        }
        // Octet-wise chops of the first frames check that pieces may end anywhere.
        for b in &bytes[..200] {
            c.send(std::slice::from_ref(b)).await;
        }
        c.send(&bytes[200..]).await;
        let (h, payload) = c.recv().await;
        assert_eq!((h.opcode, payload.len()), (opcode::TEXT, total));
        assert!(payload.iter().all(|&b| b == b'x'));
    })
    .await;
}

#[tokio::test]
async fn idle_connections_are_closed_with_1001() {
    bounded(async {
        let config = EchoConfig {
            idle_timeout: Duration::from_millis(200),
            ..EchoConfig::default()
        };
        let addr = start(config).await;
        let mut c = Client::connect(addr).await;
        c.expect_close(1001).await;
    })
    .await;
}

/// The hixie-76 example request of the draft (key3 not included).
const HIXIE76: &str = "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: sample\r\n\
    Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n\
    Origin: http://example.com\r\n\r\n";

fn hixie76_head() -> String {
    format!(
        "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Origin: http://example.com\r\n\
         Sec-WebSocket-Location: ws://example.com/demo\r\nSec-WebSocket-Protocol: sample\r\n\
         Server: {SERVER_NAME}\r\n\r\n"
    )
}

fn text(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    crate::codec::hixie::encode_text(payload, &mut out);
    out
}

/// A hixie-76 connection through the draft's example handshake.
async fn hixie76(addr: SocketAddr) -> Client {
    let mut bytes = HIXIE76.as_bytes().to_vec();
    bytes.extend_from_slice(b"^n:ds[4U");
    let mut c = Client::raw(addr, &bytes).await;
    assert_eq!(c.raw_head().await, hixie76_head());
    assert_eq!(c.take(16).await, b"8jKS'y:G*Co,Wxa-");
    c
}

#[tokio::test]
async fn hixie76_draft_example_gets_the_exact_answer() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = hixie76(addr).await;
        c.send(&text(b"Hello")).await;
        assert_eq!(c.take(7).await, text(b"Hello"));
        // Without an Origin the origin is null; the query stays in the location.
        let req = HIXIE76
            .replace("Origin: http://example.com\r\n", "")
            .replace("Sec-WebSocket-Protocol: sample\r\n", "")
            .replace("/demo", "/demo?a=1&b");
        let mut c = Client::raw(addr, req.as_bytes()).await;
        let head = c.raw_head().await;
        assert!(
            head.contains("\r\nSec-WebSocket-Origin: null\r\n")
                && head.contains("\r\nSec-WebSocket-Location: ws://example.com/demo?a=1&b\r\n")
                && !head.contains("Protocol:"),
            "{head}"
        );
    })
    .await;
}

#[tokio::test]
async fn hixie76_head_is_sent_before_key3_arrives() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::raw(addr, HIXIE76.as_bytes()).await;
        // An HTTP proxy holds key3 back until it sees this head (sockjs test_haproxy).
        let head = c.raw_head().await;
        assert_eq!(head, hixie76_head());
        let head = parse_head(head.as_bytes()).unwrap();
        assert_eq!(head.header("Content-Length"), None);
        assert!(c.buf.is_empty(), "{:?}", c.buf);
        c.send(b"aaaaaaaa").await;
        assert_eq!(
            c.take(16).await,
            b"\xca4\x00\xd8\xa5\x08G\x97,\xd5qZ\xba\xbfC{"
        );
        c.send(&text(b"after")).await;
        assert_eq!(c.take(7).await, text(b"after"));
    })
    .await;
}

#[tokio::test]
async fn hixie76_key3_octet_by_octet() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::raw(addr, HIXIE76.as_bytes()).await;
        assert_eq!(c.raw_head().await, hixie76_head());
        for b in b"^n:ds[4U" {
            c.send(std::slice::from_ref(b)).await;
        }
        assert_eq!(c.take(16).await, b"8jKS'y:G*Co,Wxa-");
    })
    .await;
}

#[tokio::test]
async fn hixie76_key3_and_frames_in_the_same_write_as_the_head() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut bytes = HIXIE76
            .replace("Host:", "Content-Length: 8\r\nHost:")
            .into_bytes();
        bytes.extend_from_slice(b"^n:ds[4U");
        bytes.extend_from_slice(&text(b"first"));
        bytes.extend_from_slice(&text(b"second"));
        let mut c = Client::raw(addr, &bytes).await;
        assert_eq!(c.raw_head().await, hixie76_head());
        assert_eq!(c.take(16).await, b"8jKS'y:G*Co,Wxa-");
        let mut both = text(b"first");
        both.extend_from_slice(&text(b"second"));
        assert_eq!(c.take(both.len()).await, both);
    })
    .await;
}

#[tokio::test]
async fn hixie76_unusable_keys_get_400() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        for (from, to) in [
            ("4 @1  46546xW%0l 1 5", "4@1466546xW%0l15"),
            ("4 @1  46546xW%0l 1 5", "4 @1  46546xW%0l 1 6"),
            ("12998 5 Y3 1  .P00", "x Y  .P"),
            ("12998 5 Y3 1  .P00", "99999999990 "),
            ("Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n", ""),
        ] {
            let mut bytes = HIXIE76.replacen(from, to, 1).into_bytes();
            bytes.extend_from_slice(b"^n:ds[4U");
            let mut c = Client::raw(addr, &bytes).await;
            let head = parse_head(c.raw_head().await.as_bytes()).unwrap();
            assert!(
                head.start_line.starts_with("HTTP/1.1 400 "),
                "{to}: {}",
                head.start_line
            );
            let body_len: usize = head.header("Content-Length").unwrap().parse().unwrap();
            c.take(body_len).await;
            c.expect_eof().await;
        }
    })
    .await;
}

#[tokio::test]
async fn hixie76_echoes_empty_and_large_text_frames() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = hixie76(addr).await;
        c.send(&text(b"")).await;
        assert_eq!(c.take(2).await, [0x00, 0xff]);
        let payload: Vec<u8> = (0..1usize << 20).map(|i| b'a' + (i % 26) as u8).collect();
        let frame = text(&payload);
        c.send(&frame).await;
        assert!(c.take(frame.len()).await == frame, "1 MiB echo differs");
    })
    .await;
}

#[tokio::test]
async fn hixie76_several_frames_per_write_and_a_frame_across_writes() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = hixie76(addr).await;
        let mut bytes = Vec::new();
        for word in [&b"one"[..], b"two", b"three"] {
            bytes.extend_from_slice(&text(word));
        }
        c.send(&bytes).await;
        assert_eq!(c.take(bytes.len()).await, bytes);
        let frame = text("κόσμε split".as_bytes());
        c.send(&frame[..4]).await;
        c.send(&frame[4..9]).await;
        c.send(&frame[9..]).await;
        assert_eq!(c.take(frame.len()).await, frame);
    })
    .await;
}

#[tokio::test]
async fn hixie76_other_frames_are_discarded_and_bad_utf8_replaced() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = hixie76(addr).await;
        let mut bytes = Vec::new();
        crate::codec::hixie::encode_binary(0x80, b"hello", &mut bytes);
        crate::codec::hixie::encode_binary(0x81, &[0xff; 200], &mut bytes);
        bytes.extend_from_slice(b"\x01typed\xff");
        bytes.extend_from_slice(b"\x00a\xc3b\xff");
        c.send(&bytes).await;
        assert_eq!(c.take(7).await, text("a\u{fffd}b".as_bytes()));
    })
    .await;
}

#[tokio::test]
async fn hixie76_closing_frame_is_answered_then_tcp_closed() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = hixie76(addr).await;
        // The text frame after the closing frame must be ignored.
        let mut bytes = text(b"last");
        bytes.extend_from_slice(&[0xff, 0x00]);
        bytes.extend_from_slice(&text(b"too late"));
        c.send(&bytes).await;
        assert_eq!(c.take(6).await, text(b"last"));
        assert_eq!(c.take(2).await, [0xff, 0x00]);
        c.expect_eof().await;
    })
    .await;
}

const HIXIE75: &str = "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\
    Host: example.com\r\nOrigin: http://example.com\r\n\r\n";

#[tokio::test]
async fn hixie75_exact_answer_echo_and_close() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = Client::raw(addr, HIXIE75.as_bytes()).await;
        assert_eq!(
            c.raw_head().await,
            format!(
                "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
                 Connection: Upgrade\r\nWebSocket-Origin: http://example.com\r\n\
                 WebSocket-Location: ws://example.com/demo\r\nServer: {SERVER_NAME}\r\n\r\n"
            )
        );
        c.send(&text(b"Hello")).await;
        assert_eq!(c.take(7).await, text(b"Hello"));
        // FF 00 means nothing in hixie-75: closing is closing TCP, without a reply.
        c.send(&[0xff, 0x00]).await;
        c.expect_eof().await;

        let req = HIXIE75.replace("\r\n\r\n", "\r\nWebSocket-Protocol: sample\r\n\r\n");
        let mut c = Client::raw(addr, req.as_bytes()).await;
        let head = c.raw_head().await;
        assert!(
            head.ends_with(&format!(
                "WebSocket-Location: ws://example.com/demo\r\nWebSocket-Protocol: sample\r\n\
                 Server: {SERVER_NAME}\r\n\r\n"
            )),
            "{head}"
        );
    })
    .await;
}

#[tokio::test]
async fn hybi_07_and_10_with_sec_websocket_origin_are_served() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        for version in ["8", "7"] {
            let req = request(
                "Connection: Upgrade\r\nSec-WebSocket-Origin: http://example.com\r\n",
                version,
            );
            let (mut c, head) = Client::open(addr, &req, b"").await;
            assert_eq!(head.start_line, "HTTP/1.1 101 Switching Protocols");
            assert_eq!(
                head.header("Sec-WebSocket-Accept"),
                Some(accept_key(KEY).as_str())
            );
            assert_eq!(head.header("Sec-WebSocket-Extensions"), None);
            c.send(&masked(true, 0, opcode::TEXT, b"Hello")).await;
            let (h, payload) = c.recv().await;
            assert_eq!(
                (h.opcode, h.mask, payload.as_slice()),
                (opcode::TEXT, None, &b"Hello"[..])
            );
            c.send(&masked(true, 0, opcode::CLOSE, &1000u16.to_be_bytes()))
                .await;
            c.expect_close(1000).await;
        }
    })
    .await;
}

#[tokio::test]
async fn hixie_timeouts_close_the_connection() {
    bounded(async {
        let config = EchoConfig {
            handshake_timeout: Duration::from_millis(200),
            idle_timeout: Duration::from_millis(200),
            ..EchoConfig::default()
        };
        let addr = start(config).await;
        // key3 never completes: the head, then EOF once the handshake time is up.
        let mut c = Client::raw(addr, HIXIE76.as_bytes()).await;
        assert_eq!(c.raw_head().await, hixie76_head());
        c.send(b"^n:d").await;
        c.expect_eof().await;
        // An idle hixie-76 connection gets the closing frame, a hixie-75 one just EOF.
        let mut c = hixie76(addr).await;
        assert_eq!(c.take(2).await, [0xff, 0x00]);
        c.expect_eof().await;
        let mut c = Client::raw(addr, HIXIE75.as_bytes()).await;
        c.raw_head().await;
        c.expect_eof().await;
    })
    .await;
}

#[tokio::test]
async fn hixie_frames_over_the_limit_close_tcp() {
    bounded(async {
        let config = EchoConfig {
            max_message: 1000,
            ..EchoConfig::default()
        };
        let addr = start(config).await;
        let mut c = hixie76(addr).await;
        c.send(&text(&[b'x'; 1000])).await;
        assert_eq!(c.take(1002).await, text(&[b'x'; 1000]));
        c.send(&text(&[b'z'; 1001])).await;
        c.expect_eof().await;
        let mut c = hixie76(addr).await;
        // A length prefix announcing 5000 octets is refused before they arrive.
        c.send(&[0x80, 0xa7, 0x08]).await;
        c.expect_eof().await;
    })
    .await;
}

// --- permessage-deflate (RFC 7692) -----------------------------------------------------

/// RFC 7692 §7.2.3.1: "Hello" compressed.
const HELLO_Z: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
/// RFC 7692 §7.2.3.2: the second "Hello" with the window shared.
const HELLO_AGAIN_Z: [u8; 5] = [0xf2, 0x00, 0x11, 0x00, 0x00];

/// The full 101 answer to `request` with this `Sec-WebSocket-Extensions` line (if any).
fn answer_with(extensions: Option<&str>) -> String {
    let extensions = extensions
        .map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n"))
        .unwrap_or_default();
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nServer: {SERVER_NAME}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n{extensions}\r\n",
        accept_key(KEY)
    )
}

/// Open with these extension header lines; returns the client and the exact response head.
async fn offer(addr: SocketAddr, lines: &[&str]) -> (Client, String) {
    let extra: String = lines
        .iter()
        .map(|l| format!("Sec-WebSocket-Extensions: {l}\r\n"))
        .collect();
    let req = request(&format!("Connection: Upgrade\r\n{extra}"), "13");
    let mut c = Client::raw(addr, req.as_bytes()).await;
    let head = c.raw_head().await;
    (c, head)
}

/// Autobahn's default offer, answered with plain `permessage-deflate`.
async fn deflate_client(addr: SocketAddr) -> Client {
    let (c, head) = offer(
        addr,
        &["permessage-deflate; client_no_context_takeover; client_max_window_bits"],
    )
    .await;
    assert_eq!(head, answer_with(Some("permessage-deflate")));
    c
}

fn inflate_one(inflater: &mut Inflater, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    inflater
        .write(payload, u64::MAX, &mut |c: &[u8]| out.extend_from_slice(c))
        .unwrap();
    inflater
        .finish(u64::MAX, &mut |c: &[u8]| out.extend_from_slice(c))
        .unwrap();
    out
}

#[tokio::test]
async fn permessage_deflate_offers_get_exact_answers() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        for (lines, answer) in [
            (
                &["permessage-deflate; client_no_context_takeover; client_max_window_bits"][..],
                "permessage-deflate",
            ),
            (&["permessage-deflate"], "permessage-deflate"),
            (
                &["permessage-deflate; server_max_window_bits=10; server_no_context_takeover"],
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
            ),
            // Other extensions are skipped, lines are joined, the first valid offer wins.
            (
                &[
                    "x-webkit-deflate-frame",
                    "permessage-deflate; server_max_window_bits=\"9\", permessage-deflate",
                ],
                "permessage-deflate; server_max_window_bits=9",
            ),
            (
                &["permessage-deflate; server_max_window_bits=7, permessage-deflate; client_max_window_bits"],
                "permessage-deflate",
            ),
        ] {
            let (_c, head) = offer(addr, lines).await;
            assert_eq!(head, answer_with(Some(answer)), "{lines:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn invalid_permessage_deflate_offers_are_declined() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        for line in [
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=09",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; client_no_context_takeover=1",
            // A syntax error declines every offer of the header.
            "permessage-deflate, permessage-deflate; ;",
            "x-webkit-deflate-frame",
        ] {
            let (mut c, head) = offer(addr, &[line]).await;
            assert_eq!(head, answer_with(None), "{line}");
            // Without the extension RSV1 is just a reserved bit.
            c.send(&masked(true, 4, opcode::TEXT, &HELLO_Z)).await;
            c.expect_close(1002).await;
        }
    })
    .await;
}

#[tokio::test]
async fn compressed_hello_is_echoed_compressed() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = deflate_client(addr).await;
        let mut inflater = Inflater::new(15, false);
        c.send(&masked(true, 4, opcode::TEXT, &HELLO_Z)).await;
        let (h, payload) = c.recv().await;
        assert_eq!(
            (h.fin, h.rsv, h.opcode, payload.as_slice()),
            (true, 4, opcode::TEXT, &HELLO_Z[..])
        );
        assert_eq!(inflate_one(&mut inflater, &payload), b"Hello");
        // The client's window is shared across messages (context takeover) and so is the
        // server's: its second "Hello" refers back to the first.
        c.send(&masked(true, 4, opcode::TEXT, &HELLO_AGAIN_Z)).await;
        let (h, payload) = c.recv().await;
        assert_eq!((h.rsv, h.opcode), (4, opcode::TEXT));
        assert!(payload.len() < HELLO_Z.len(), "{payload:02x?}");
        assert_eq!(inflate_one(&mut inflater, &payload), b"Hello");
        // Uncompressed messages are echoed compressed too; a fragmented compressed one has
        // RSV1 on its first frame only; an empty one is the single octet 00.
        c.send(&masked(true, 0, opcode::BINARY, b"plain")).await;
        let (h, payload) = c.recv().await;
        assert_eq!((h.rsv, h.opcode), (4, opcode::BINARY));
        assert_eq!(inflate_one(&mut inflater, &payload), b"plain");
        let mut z = Deflater::new(15, true);
        let frag = z.message(b"fragmented and compressed");
        c.send(&masked(false, 4, opcode::TEXT, &frag[..3])).await;
        c.send(&masked(true, 0, opcode::PING, b"mid")).await;
        c.send(&masked(false, 0, opcode::CONTINUATION, &frag[3..5]))
            .await;
        c.send(&masked(true, 0, opcode::CONTINUATION, &frag[5..]))
            .await;
        let (h, payload) = c.recv().await;
        assert_eq!(
            (h.rsv, h.opcode, payload.as_slice()),
            (0, opcode::PONG, &b"mid"[..])
        );
        let (h, payload) = c.recv().await;
        assert_eq!((h.fin, h.rsv, h.opcode), (true, 4, opcode::TEXT));
        assert_eq!(
            inflate_one(&mut inflater, &payload),
            b"fragmented and compressed"
        );
        c.send(&masked(true, 4, opcode::TEXT, &[0x00])).await;
        let (h, payload) = c.recv().await;
        assert_eq!((h.rsv, payload.as_slice()), (4, &[0x00][..]));
        // The close handshake is as without the extension.
        c.send(&masked(true, 0, opcode::CLOSE, &1000u16.to_be_bytes()))
            .await;
        c.expect_close(1000).await;
    })
    .await;
}

#[tokio::test]
async fn server_no_context_takeover_and_window_bits_are_honoured() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let (mut c, head) = offer(
            addr,
            &["permessage-deflate; server_no_context_takeover; server_max_window_bits=8"],
        )
        .await;
        assert_eq!(
            head,
            answer_with(Some(
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=8"
            ))
        );
        // Window 8: stored blocks only, and each message on its own.
        let stored = [
            0x00, 0x05, 0x00, 0xfa, 0xff, b'H', b'e', b'l', b'l', b'o', 0x00,
        ];
        for _ in 0..2 {
            c.send(&masked(true, 4, opcode::TEXT, &HELLO_Z)).await;
            let (h, payload) = c.recv().await;
            assert_eq!((h.rsv, payload.as_slice()), (4, &stored[..]));
        }
        let (mut c, _) = offer(addr, &["permessage-deflate; server_no_context_takeover"]).await;
        for _ in 0..2 {
            c.send(&masked(true, 4, opcode::TEXT, &HELLO_Z)).await;
            let (_, payload) = c.recv().await;
            assert_eq!(payload, HELLO_Z);
        }
    })
    .await;
}

#[tokio::test]
async fn large_compressed_messages_round_trip() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = deflate_client(addr).await;
        let mut client = Deflater::new(15, false);
        let mut inflater = Inflater::new(15, false);
        for len in [100_000usize, 3 << 20] {
            let data: Vec<u8> = (0..len).map(|i| ((i / 7) % 251) as u8).collect();
            c.send(&masked(true, 4, opcode::BINARY, &client.message(&data)))
                .await;
            let (h, payload) = c.recv().await;
            assert_eq!((h.rsv, h.opcode), (4, opcode::BINARY));
            assert!(
                inflate_one(&mut inflater, &payload) == data,
                "{len} octets differ"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn rsv1_outside_a_first_data_frame_fails_with_1002() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = deflate_client(addr).await;
        c.send(&masked(true, 4, opcode::PING, b"")).await;
        c.expect_close(1002).await;
        let mut c = deflate_client(addr).await;
        c.send(&masked(false, 4, opcode::TEXT, &HELLO_Z[..3])).await;
        c.send(&masked(true, 4, opcode::CONTINUATION, &HELLO_Z[3..]))
            .await;
        c.expect_close(1002).await;
        let mut c = deflate_client(addr).await;
        c.send(&masked(true, 2, opcode::TEXT, &HELLO_Z)).await;
        c.expect_close(1002).await;
    })
    .await;
}

#[tokio::test]
async fn bad_compressed_data_fails_with_1007() {
    bounded(async {
        let addr = start(EchoConfig::default()).await;
        let mut c = deflate_client(addr).await;
        // BTYPE 11 is reserved.
        c.send(&masked(true, 4, opcode::BINARY, &[0xff, 0xff]))
            .await;
        c.expect_close(1007).await;
        // Inflates fine, but not to UTF-8.
        let mut c = deflate_client(addr).await;
        let z = Deflater::new(15, false).message(b"ok \xf4\x90\x80\x80");
        c.send(&masked(true, 4, opcode::TEXT, &z)).await;
        c.expect_close(1007).await;
        // A text message cut inside a character.
        let mut c = deflate_client(addr).await;
        let z = Deflater::new(15, false).message(b"cut \xce");
        c.send(&masked(true, 4, opcode::TEXT, &z)).await;
        c.expect_close(1007).await;
    })
    .await;
}

#[tokio::test]
async fn a_decompression_bomb_fails_with_1009() {
    bounded(async {
        let limit = 1 << 20;
        let config = EchoConfig {
            max_message: limit,
            ..EchoConfig::default()
        };
        let addr = start(config).await;
        let mut d = Deflater::new(15, false);
        let mut bomb = Vec::new();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..32 {
            d.write(&zeros, &mut bomb);
        }
        d.finish(&mut bomb);
        // Well under the limit on the wire, so only the inflated size can trip it.
        assert!((bomb.len() as u64) < limit / 2, "{}", bomb.len());
        let mut c = deflate_client(addr).await;
        c.send(&masked(true, 4, opcode::BINARY, &bomb)).await;
        c.expect_close(1009).await;
        // The limit itself still passes.
        let mut c = deflate_client(addr).await;
        let exact = Deflater::new(15, false).message(&vec![0u8; limit as usize]);
        c.send(&masked(true, 4, opcode::BINARY, &exact)).await;
        let (h, payload) = c.recv().await;
        assert_eq!((h.rsv, h.opcode), (4, opcode::BINARY));
        assert_eq!(
            inflate_one(&mut Inflater::new(15, false), &payload).len() as u64,
            limit
        );
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// Fault injection (testing aid): each fault is the one defect it names, nothing more.
// ------------------------------------------------------------------------------------------

fn with_fault(fault: Fault) -> EchoConfig {
    EchoConfig {
        fault: Some(fault),
        ..EchoConfig::default()
    }
}

#[test]
fn the_default_server_has_no_fault() {
    assert_eq!(EchoConfig::default().fault, None);
}

#[tokio::test]
async fn masked_echo_masks_small_big_and_compressed_echoes_but_not_control_frames() {
    bounded(async {
        let addr = start(with_fault(Fault::MaskedEcho)).await;
        let mut c = Client::connect(addr).await;
        for len in [5usize, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            c.send(&masked(true, 0, opcode::BINARY, &data)).await;
            let (h, mut payload) = c.recv().await;
            let key = h.mask.expect("the echo is masked");
            apply_mask(&mut payload, key, 0);
            assert!(payload == data, "payload of {len} octets differs");
        }
        c.send(&masked(true, 0, opcode::PING, b"p")).await;
        let (h, payload) = c.recv().await;
        assert_eq!(
            (h.opcode, h.mask, payload.as_slice()),
            (opcode::PONG, None, &b"p"[..])
        );

        let mut c = deflate_client(addr).await;
        c.send(&masked(true, 4, opcode::TEXT, &HELLO_Z)).await;
        let (h, mut payload) = c.recv().await;
        assert_eq!((h.rsv, h.opcode), (4, opcode::TEXT));
        apply_mask(&mut payload, h.mask.expect("the echo is masked"), 0);
        assert_eq!(
            inflate_one(&mut Inflater::new(15, false), &payload),
            b"Hello"
        );
    })
    .await;
}

#[tokio::test]
async fn tolerated_violations_are_echoed_and_others_still_fail() {
    bounded(async {
        let addr = start(with_fault(Fault::AcceptInvalidUtf8)).await;
        let mut c = Client::connect(addr).await;
        c.send(&masked(false, 0, opcode::TEXT, b"\xce")).await;
        c.send(&masked(true, 0, opcode::CONTINUATION, b"\xff!"))
            .await;
        let (h, payload) = c.recv().await;
        assert_eq!(
            (h.opcode, payload.as_slice()),
            (opcode::TEXT, &b"\xce\xff!"[..])
        );
        // Only that rule is off: an RSV bit still fails the connection.
        c.send(&masked(true, 2, opcode::TEXT, b"x")).await;
        c.expect_close(1002).await;

        let addr = start(with_fault(Fault::AcceptUnmasked)).await;
        let mut c = Client::connect(addr).await;
        let mut unmasked = Vec::new();
        encode_header(&mut unmasked, true, 0, 1, None, 2, LengthForm::Minimal);
        unmasked.extend_from_slice(b"hi");
        c.send(&unmasked).await;
        let (h, payload) = c.recv().await;
        assert_eq!((h.opcode, payload.as_slice()), (opcode::TEXT, &b"hi"[..]));

        let addr = start(with_fault(Fault::Utf8Close1002)).await;
        let mut c = Client::connect(addr).await;
        c.send(&masked(true, 0, opcode::TEXT, b"\xff")).await;
        c.expect_close(1002).await;
    })
    .await;
}

#[tokio::test]
async fn a_crash_fault_refuses_service_but_keeps_listening() {
    bounded(async {
        let addr = start(with_fault(Fault::CrashOnLongCloseReason)).await;
        let mut bystander = Client::connect(addr).await;
        // A reason of 100 octets is fine; 101 "crashes" the server.
        let mut c = Client::connect(addr).await;
        let mut close = 1000u16.to_be_bytes().to_vec();
        close.extend_from_slice(&[b'r'; 100]);
        c.send(&masked(true, 0, opcode::CLOSE, &close)).await;
        c.expect_close(1000).await;
        let mut c = Client::connect(addr).await;
        close.push(b'r');
        c.send(&masked(true, 0, opcode::CLOSE, &close)).await;
        c.expect_eof().await;
        // The other connection dies at its next input, and new ones are dropped at once.
        bystander
            .send(&masked(true, 0, opcode::TEXT, b"still there?"))
            .await;
        bystander.expect_eof().await;
        let mut late = Client::raw(addr, request("Connection: Upgrade\r\n", "13").as_bytes()).await;
        late.expect_eof().await;
    })
    .await;
}

#[tokio::test]
async fn a_hang_fault_goes_silent_then_drops_the_connection() {
    bounded(async {
        let addr = start(EchoConfig {
            idle_timeout: Duration::from_millis(500),
            ..with_fault(Fault::HangOnFullPing)
        })
        .await;
        let mut c = Client::connect(addr).await;
        c.send(&masked(true, 0, opcode::PING, &[b'p'; 124])).await;
        let (h, _) = c.recv().await;
        assert_eq!(h.opcode, opcode::PONG);
        c.send(&masked(true, 0, opcode::PING, &[b'p'; 125])).await;
        c.send(&masked(true, 0, opcode::TEXT, b"anyone?")).await;
        // Nothing, not even a close frame, then TCP goes away after the idle timeout.
        let started = tokio::time::Instant::now();
        c.expect_eof().await;
        assert!(started.elapsed() >= Duration::from_millis(400));
        // Other connections are served as usual.
        let mut other = Client::connect(addr).await;
        other.send(&masked(true, 0, opcode::TEXT, b"hi")).await;
        let (h, payload) = other.recv().await;
        assert_eq!((h.opcode, payload.as_slice()), (opcode::TEXT, &b"hi"[..]));
    })
    .await;
}
