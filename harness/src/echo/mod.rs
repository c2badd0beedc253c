//! The reference echo server: a strict RFC 6455 server that `wsspec demo` runs the
//! catalogue against. It echoes every message, pongs every ping at once (also in the middle
//! of a fragmented message), fails fast on any violation with the matching close code, and
//! accepts no subprotocol and no extension but permessage-deflate (RFC 7692), with which it
//! inflates compressed messages within its message limit and echoes every message
//! compressed. It also speaks the older drafts, told apart by the request head: hybi-07/-10
//! (versions 7 and 8, RFC 6455 framing), hixie-76 and hixie-75 (sentinel frames, text
//! echoed).

mod fault;
mod handshake;
mod hixie;
mod session;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};

pub use fault::Fault;
pub use handshake::{
    accept_request, check_request, negotiate_deflate, Rejection, Upgrade, SERVER_NAME,
};

use crate::handshake::{head_len, parse_head, MAX_HEAD_LEN};
use crate::transport::{Listener, Stream};

/// Most connections served at once; further ones wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 256;

/// Limits of the reference server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoConfig {
    /// Largest message accepted; a bigger one fails the connection with 1009.
    pub max_message: u64,
    /// Time allowed for the whole opening request to arrive.
    pub handshake_timeout: Duration,
    /// A connection with no input for this long is closed with 1001; also bounds writes.
    pub idle_timeout: Duration,
    /// Time allowed for the client to finish the closing handshake after our close frame.
    pub close_timeout: Duration,
    /// A deliberate defect to inject (a testing aid for the conformance cases and the
    /// fuzzer); `None`, the default, is the conforming server.
    pub fault: Option<Fault>,
}

impl Default for EchoConfig {
    fn default() -> Self {
        EchoConfig {
            max_message: 64 * 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            close_timeout: Duration::from_secs(2),
            fault: None,
        }
    }
}

/// Accept connections forever, one task per connection, at most `MAX_CONNECTIONS` at once.
/// A `TcpListener` serves `ws://`; a TLS [`Listener`] `wss://`.
pub async fn serve(listener: impl Into<Listener>, config: EchoConfig) -> std::io::Result<()> {
    let listener = listener.into();
    let config = Arc::new(config);
    // Set once a crash-like fault fired: from then on every connection is dropped.
    let down = Arc::new(AtomicBool::new(false));
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            // The semaphore is never closed; this is unreachable in practice.
            return Ok(());
        };
        let incoming = match listener.accept().await {
            Ok(incoming) => incoming,
            Err(e) if is_per_connection(&e) => continue,
            Err(_) => {
                // Out of descriptors or memory: back off instead of spinning on accept.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if config.fault.is_some() && down.load(Ordering::Relaxed) {
            // The "crashed" server keeps its listener but serves no one.
            drop(incoming);
            continue;
        }
        let config = config.clone();
        let down = down.clone();
        tokio::spawn(async move {
            // The TLS handshake gets the time the request head would.
            if let Some(stream) = incoming.open(config.handshake_timeout).await {
                serve_one(stream, &config, &down).await;
            }
            drop(permit);
        });
    }
}

/// Accept errors that concern only the connection being accepted (a listener goes on).
pub(crate) fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted
            | ConnectionReset
            | ConnectionRefused
            | Interrupted
            | WouldBlock
            | TimedOut
    )
}

/// Serve one connection (handshake, then echo) until it closes. The stream should have
/// `TCP_NODELAY` set, as [`crate::transport::Incoming::open`] does: small frames (pongs,
/// close replies, short echoes) must not wait for Nagle.
/// A crash-like fault ends only this connection; [`serve`] also drops every later one.
pub async fn serve_connection(stream: Stream, config: Arc<EchoConfig>) {
    serve_one(stream, &config, &AtomicBool::new(false)).await;
}

/// [`serve_connection`], with `down` shared by every connection of the server.
async fn serve_one(mut stream: Stream, config: &EchoConfig, down: &AtomicBool) {
    let mut buf = vec![0u8; session::READ_BUF];
    let Some((head_end, end)) = read_head(&mut stream, &mut buf, config).await else {
        return;
    };
    let head = parse_head(&buf[..head_end]).map_err(|_| Rejection {
        status: 400,
        reason: "malformed HTTP head",
    });
    let verdict = head
        .as_ref()
        .map_err(|r| *r)
        .and_then(|h| handshake::accept_request_with(h, config.fault));
    let deflate = match (&verdict, &head) {
        (Ok(Upgrade::Hybi { .. }), Ok(head)) => negotiate_deflate(head),
        _ => None,
    };
    let deadline = Instant::now() + config.handshake_timeout;
    let response = match &verdict {
        Ok(Upgrade::Hybi { accept }) => handshake::switching_response(
            accept,
            deflate
                .as_ref()
                .map(|(answer, _)| answer.render())
                .as_deref(),
        ),
        Ok(Upgrade::Hixie76 { head, .. } | Upgrade::Hixie75 { head }) => head.clone(),
        Err(rejection) => rejection.response(),
    };
    // hixie-76 too: the head goes out before key3 is awaited, or an HTTP proxy that holds
    // key3 back until the server answers would deadlock with us (protocol-facts §2.5).
    if !matches!(
        timeout_at(deadline, stream.write_flushed(response.as_bytes())).await,
        Ok(Ok(()))
    ) {
        return;
    }
    match verdict {
        Ok(Upgrade::Hybi { .. }) => {
            let agreed = deflate.map(|(_, agreed)| agreed);
            session::run(&mut stream, &mut buf, head_end, end, config, agreed, down).await;
        }
        Ok(Upgrade::Hixie76 { part1, part2, .. }) => {
            let Some((start, end)) =
                hixie::challenge(&mut stream, &mut buf, head_end, end, part1, part2, deadline)
                    .await
            else {
                return;
            };
            hixie::run(
                &mut stream,
                &mut buf,
                start,
                end,
                config,
                hixie::Draft::Hixie76,
            )
            .await;
        }
        Ok(Upgrade::Hixie75 { .. }) => {
            hixie::run(
                &mut stream,
                &mut buf,
                head_end,
                end,
                config,
                hixie::Draft::Hixie75,
            )
            .await;
        }
        Err(_) => session::close(&mut stream, &mut buf, config.close_timeout).await,
    }
}

/// Read until the request head is complete; returns (head length, octets buffered).
/// Octets after the head (a pipelined first frame) stay in `buf`.
async fn read_head(
    stream: &mut Stream,
    buf: &mut [u8],
    config: &EchoConfig,
) -> Option<(usize, usize)> {
    let deadline = Instant::now() + config.handshake_timeout;
    let mut end: usize = 0;
    loop {
        // Only the newly read octets (plus 3 for a line end split across reads) need scanning.
        let from = end.saturating_sub(3);
        match timeout_at(deadline, stream.read(&mut buf[end..])).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => end += n,
        }
        if let Some(len) = head_len(&buf[from..end]).map(|l| l + from) {
            if len <= MAX_HEAD_LEN {
                return Some((len, end));
            }
        }
        if end >= MAX_HEAD_LEN {
            let response = Rejection {
                status: 400,
                reason: "request head too long",
            }
            .response();
            if matches!(
                timeout_at(deadline, stream.write_flushed(response.as_bytes())).await,
                Ok(Ok(()))
            ) {
                session::close(stream, buf, config.close_timeout).await;
            }
            return None;
        }
    }
}
