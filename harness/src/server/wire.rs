//! The few frames a control connection needs: one unmasked text message, an empty close
//! (Autobahn closes its control connections without a status code), and a bounded wait for
//! the client's close before TCP is dropped.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout, timeout_at, Instant};
use wsspec_cases::{Dialect, LengthForm};

use crate::codec::{encode_header, hixie, FrameHeader};
use crate::transport::Stream;

/// Time allowed for a control reply to be written.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time the client has to answer our close before TCP is dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(2);
/// Octets read while waiting for the client's close; more and the connection is dropped.
const CLOSE_READ_LIMIT: usize = 256 * 1024;

/// Opcode of a close frame.
const OP_CLOSE: u8 = 0x8;

/// An unmasked text frame carrying `text` (the server side sends unmasked frames).
pub fn text_frame(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 10);
    encode_header(
        &mut out,
        true,
        0,
        0x1,
        None,
        text.len() as u64,
        LengthForm::Minimal,
    );
    out.extend_from_slice(text.as_bytes());
    out
}

/// A close frame without a status code (the peer sees 1005).
pub const EMPTY_CLOSE: [u8; 2] = [0x80 | OP_CLOSE, 0x00];

/// Send `message` (if any) and an empty close, wait (bounded) for the client's close or
/// EOF, then drop the connection.
pub async fn reply_and_close(mut stream: Stream, message: Option<&str>, leftover: Vec<u8>) {
    let mut out = message.map(text_frame).unwrap_or_default();
    out.extend_from_slice(&EMPTY_CLOSE);
    if !matches!(
        timeout(WRITE_TIMEOUT, stream.write_flushed(&out)).await,
        Ok(Ok(()))
    ) {
        return;
    }
    await_close(&mut stream, leftover).await;
    // RFC 6455 §7.1.1: the server closes TCP first once the closing handshake is done.
    let _ = timeout(WRITE_TIMEOUT, stream.shutdown()).await;
}

/// Read (bounded in octets and time) until the client's close frame is in, or EOF.
async fn await_close(stream: &mut Stream, mut buf: Vec<u8>) {
    let deadline = Instant::now() + CLOSE_WAIT;
    let mut total = buf.len();
    let mut chunk = [0u8; 4096];
    loop {
        // Skip whole frames; stop at a close.
        while let Some(h) = FrameHeader::parse(&buf) {
            if h.opcode == OP_CLOSE {
                return;
            }
            let end = usize::try_from(h.len)
                .ok()
                .and_then(|len| len.checked_add(h.header_len));
            match end {
                Some(end) if end <= buf.len() => {
                    buf.drain(..end);
                }
                Some(end) if end <= CLOSE_READ_LIMIT => break,
                _ => return,
            }
        }
        match timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                total += n;
                if total > CLOSE_READ_LIMIT {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            _ => return,
        }
    }
}

/// Send one hixie text frame (if any) and end the connection the hixie way: `FF 00` and a
/// TCP close for hixie-76, a TCP close for hixie-75.
pub async fn hixie_reply_and_close(mut stream: Stream, dialect: Dialect, message: Option<&str>) {
    let mut out = Vec::new();
    if let Some(m) = message {
        hixie::encode_text(m.as_bytes(), &mut out);
    }
    if dialect == Dialect::Hixie76 {
        hixie::encode_close(&mut out);
    }
    let _ = timeout(WRITE_TIMEOUT, stream.write_flushed(&out)).await;
    let _ = timeout(WRITE_TIMEOUT, stream.shutdown()).await;
}

/// End a hixie connection without a message.
pub async fn hixie_close(stream: Stream, dialect: Dialect) {
    hixie_reply_and_close(stream, dialect, None).await;
}
