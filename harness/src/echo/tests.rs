//! End-to-end tests: `serve` on a loopback port, driven by a raw TCP client.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wsspec_cases::{opcode, LengthForm};

use super::{serve, EchoConfig, SERVER_NAME};
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
        let (mut c, head) = Client::open(addr, &request("Connection: Upgrade\r\n", "8"), b"").await;
        assert!(
            head.start_line.starts_with("HTTP/1.1 426 "),
            "{}",
            head.start_line
        );
        assert_eq!(head.header("Sec-WebSocket-Version"), Some("13"));
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
