//! The frame loop of a hixie-75 / hixie-76 connection: key3 and the challenge response
//! (hixie-76), then text frames echoed, other frames discarded, `FF 00` answered.

use tokio::io::AsyncReadExt;
use tokio::time::{timeout, timeout_at, Instant};

use super::session::{close, write, READ_BUF};
use super::EchoConfig;
use crate::codec::hixie::{
    challenge_from_parts, encode_close, encode_text, HixieDeframer, HixieFrame, MAX_LENGTH_PREFIX,
};
use crate::transport::Stream;

/// Which hixie draft a connection speaks; they differ only in the closing handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Draft {
    /// No closing handshake: `FF 00` is not defined, closing is closing TCP.
    Hixie75,
    /// `FF 00` is the closing frame, answered in kind.
    Hixie76,
}

/// Pending echoes are written once they reach this size instead of waiting for the next read.
const FLUSH_AT: usize = 64 * 1024;

/// Buffers that grew bigger than this for one large frame are released afterwards.
const KEEP_CAPACITY: usize = 1024 * 1024;

/// Wait (until `deadline`) for the 8 octets of key3 after the head in `buf[start..end]`,
/// then write the challenge response. Returns where the frames start and the end of the
/// buffered input; `None` when the client went away or was too slow.
pub(super) async fn challenge(
    stream: &mut Stream,
    buf: &mut [u8],
    start: usize,
    mut end: usize,
    part1: u32,
    part2: u32,
    deadline: Instant,
) -> Option<(usize, usize)> {
    // The head is at most MAX_HEAD_LEN, far below READ_BUF, so 8 more octets always fit.
    while end - start < 8 {
        match timeout_at(deadline, stream.read(&mut buf[end..])).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => end += n,
        }
    }
    let key3: [u8; 8] = buf[start..start + 8].try_into().ok()?;
    let response = challenge_from_parts(part1, part2, &key3);
    let limit = deadline.saturating_duration_since(Instant::now());
    write(stream, &response, limit)
        .await
        .then_some((start + 8, end))
}

/// Echo loop over `buf[start..end]` (octets already received) and whatever follows.
pub(super) async fn run(
    stream: &mut Stream,
    buf: &mut Vec<u8>,
    mut start: usize,
    mut end: usize,
    config: &EchoConfig,
    draft: Draft,
) {
    let max_frame = usize::try_from(config.max_message).unwrap_or(usize::MAX);
    // Room for the largest acceptable frame: type, length prefix, payload, terminator.
    let max_buf = max_frame
        .saturating_add(MAX_LENGTH_PREFIX + 2)
        .max(READ_BUF);
    let io_limit = config.idle_timeout;
    let mut deframer = HixieDeframer::new(max_frame);
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    loop {
        loop {
            match deframer.next_typed(&buf[start..end]) {
                Ok(None) => break,
                Ok(Some((frame_type, frame, used))) => {
                    start += used;
                    match frame {
                        // The drafts replace invalid UTF-8 with U+FFFD instead of failing.
                        HixieFrame::Text(payload) if frame_type == 0x00 => {
                            encode_text(String::from_utf8_lossy(&payload).as_bytes(), &mut out);
                        }
                        // Other sentinel types and length-prefixed frames carry nothing
                        // the drafts define: read and discarded.
                        HixieFrame::Text(_) | HixieFrame::Binary { .. } => {}
                        HixieFrame::Close => {
                            // Anything after the closing frame is ignored.
                            if draft == Draft::Hixie76 {
                                encode_close(&mut out);
                            }
                            if flush(stream, &mut out, io_limit).await {
                                close(stream, buf, config.close_timeout).await;
                            }
                            return;
                        }
                    }
                    if out.len() >= FLUSH_AT && !flush(stream, &mut out, io_limit).await {
                        return;
                    }
                }
                // Hixie has no way to say why: failing the connection is closing TCP.
                Err(_) => {
                    if flush(stream, &mut out, io_limit).await {
                        close(stream, buf, config.close_timeout).await;
                    }
                    return;
                }
            }
        }
        if !flush(stream, &mut out, io_limit).await {
            return;
        }
        if start == end {
            start = 0;
            end = 0;
            if buf.len() > KEEP_CAPACITY {
                *buf = vec![0; READ_BUF];
            }
        } else if start > 0 {
            // Only after a complete frame, so a long partial frame is moved once per frame.
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        if end == buf.len() {
            if buf.len() >= max_buf {
                // The deframer refuses a frame before it needs this much; never reached.
                return;
            }
            let grown = buf.len().saturating_mul(2).min(max_buf);
            buf.resize(grown, 0);
        }
        match timeout(config.idle_timeout, stream.read(&mut buf[end..])).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => end += n,
            Err(_) => {
                if draft == Draft::Hixie76 {
                    encode_close(&mut out);
                }
                if flush(stream, &mut out, config.close_timeout).await {
                    close(stream, buf, config.close_timeout).await;
                }
                return;
            }
        }
    }
}

/// Write and clear the pending output; false when the write failed or timed out.
async fn flush(stream: &mut Stream, out: &mut Vec<u8>, limit: std::time::Duration) -> bool {
    if out.is_empty() {
        return true;
    }
    let ok = write(stream, out, limit).await;
    if out.capacity() > KEEP_CAPACITY {
        *out = Vec::with_capacity(4096);
    } else {
        out.clear();
    }
    ok
}
