//! One connection type for plain TCP and TLS, so every case, the reference server and
//! server mode run unchanged over `ws://` and `wss://`.
//!
//! The types are enums rather than boxed trait objects: the plain variant calls straight
//! into tokio's TCP halves (no allocation, no extra copy, a predictable branch), so the
//! codec speed over TCP stays what it was. TLS halves come from `tokio::io::split`, whose
//! lock is uncontended because each connection is driven by one task.
//!
//! TLS buffers what `write` accepts: a write can return before its records reach the
//! socket (tokio-rustls documents this), so code that then waits for the peer must flush
//! first. [`Stream::write_flushed`] does both; over TCP the flush is a no-op.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::engine::{Limits, Target};
use crate::tls::{ClientTls, ServerTls};

/// A TLS session over TCP, client or server side.
type TlsTcp = tokio_rustls::TlsStream<TcpStream>;

/// A connected stream: plain TCP or TLS over TCP.
#[derive(Debug)]
pub enum Stream {
    /// `ws://`, `http://`.
    Plain(TcpStream),
    /// `wss://`, `https://` (boxed: a TLS session is large and moved around).
    Tls(Box<TlsTcp>),
}

/// The reading half of a [`Stream`].
#[derive(Debug)]
pub enum ReadHalf {
    /// Of a plain TCP stream.
    Plain(OwnedReadHalf),
    /// Of a TLS stream.
    Tls(tokio::io::ReadHalf<Box<TlsTcp>>),
}

/// The writing half of a [`Stream`]. `shutdown` is a TCP half-close, preceded over TLS by
/// a `close_notify` alert.
#[derive(Debug)]
pub enum WriteHalf {
    /// Of a plain TCP stream.
    Plain(OwnedWriteHalf),
    /// Of a TLS stream.
    Tls(tokio::io::WriteHalf<Box<TlsTcp>>),
}

impl Stream {
    /// Whether this is TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Split into halves that can be used at the same time (as in one `select!`).
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Plain(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Plain(r), WriteHalf::Plain(w))
            }
            Stream::Tls(s) => {
                let (r, w) = tokio::io::split(s);
                (ReadHalf::Tls(r), WriteHalf::Tls(w))
            }
        }
    }

    /// `write_all`, then push out what TLS buffered, so the peer has it all.
    pub async fn write_flushed(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_all(data).await?;
        if self.is_tls() {
            self.flush().await?;
        }
        Ok(())
    }
}

impl WriteHalf {
    /// Whether this is TLS (writes then need a flush).
    pub fn is_tls(&self) -> bool {
        matches!(self, WriteHalf::Tls(_))
    }

    /// `write_all`, then push out what TLS buffered, so the peer has it all.
    pub async fn write_flushed(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_all(data).await?;
        if self.is_tls() {
            self.flush().await?;
        }
        Ok(())
    }
}

/// `AsyncRead` for an enum whose `Plain` and `Tls` variants both read: a plain match, so
/// the plain path calls straight into tokio.
macro_rules! delegate_read {
    ($type:ident) => {
        impl AsyncRead for $type {
            #[inline]
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $type::Plain(s) => Pin::new(s).poll_read(cx, buf),
                    $type::Tls(s) => Pin::new(s).poll_read(cx, buf),
                }
            }
        }
    };
}

/// `AsyncWrite` for an enum whose `Plain` and `Tls` variants both write.
macro_rules! delegate_write {
    ($type:ident) => {
        impl AsyncWrite for $type {
            #[inline]
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                match self.get_mut() {
                    $type::Plain(s) => Pin::new(s).poll_write(cx, buf),
                    $type::Tls(s) => Pin::new(s).poll_write(cx, buf),
                }
            }

            #[inline]
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                match self.get_mut() {
                    $type::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
                    $type::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
                }
            }

            #[inline]
            fn is_write_vectored(&self) -> bool {
                match self {
                    $type::Plain(s) => s.is_write_vectored(),
                    $type::Tls(s) => s.is_write_vectored(),
                }
            }

            #[inline]
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $type::Plain(s) => Pin::new(s).poll_flush(cx),
                    $type::Tls(s) => Pin::new(s).poll_flush(cx),
                }
            }

            #[inline]
            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $type::Plain(s) => Pin::new(s).poll_shutdown(cx),
                    $type::Tls(s) => Pin::new(s).poll_shutdown(cx),
                }
            }
        }
    };
}

delegate_read!(Stream);
delegate_write!(Stream);
delegate_read!(ReadHalf);
delegate_write!(WriteHalf);

// ---- connecting ---------------------------------------------------------------------

/// Why a connection to the server under test could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// TCP connect failed.
    #[error("could not connect to {addr}: {source}")]
    Tcp {
        /// `host:port`.
        addr: String,
        /// What the OS said.
        source: io::Error,
    },
    /// TCP connect did not complete within `Limits::connect`.
    #[error("connecting to {addr} timed out")]
    TcpTimeout {
        /// `host:port`.
        addr: String,
    },
    /// The URL host cannot be a TLS server name.
    #[error("{host:?} cannot be used as a TLS server name")]
    ServerName {
        /// The host.
        host: String,
    },
    /// The TLS handshake failed.
    #[error("TLS handshake with {addr} failed: {detail}")]
    Tls {
        /// `host:port`.
        addr: String,
        /// rustls' reason and a hint at the likely cause.
        detail: String,
    },
    /// The TLS handshake did not complete within `Limits::open_handshake`.
    #[error("TLS handshake with {addr} timed out after {secs} s (no TLS answer: is it a plain ws:// server?)")]
    TlsTimeout {
        /// `host:port`.
        addr: String,
        /// The limit.
        secs: u64,
    },
}

impl ConnectError {
    /// Whether a time limit ran out (rather than the peer refusing).
    pub fn timed_out(&self) -> bool {
        matches!(
            self,
            ConnectError::TcpTimeout { .. } | ConnectError::TlsTimeout { .. }
        )
    }

    /// The reason without the address (for messages that name the address already).
    pub fn reason(&self) -> String {
        match self {
            ConnectError::Tcp { source, .. } => source.to_string(),
            ConnectError::TcpTimeout { .. } => "connection timed out".into(),
            ConnectError::ServerName { .. } => self.to_string(),
            ConnectError::Tls { detail, .. } => format!("TLS handshake failed: {detail}"),
            ConnectError::TlsTimeout { secs, .. } => format!(
                "TLS handshake timed out after {secs} s (no TLS answer: is it a plain ws:// server?)"
            ),
        }
    }
}

/// rustls' reason for a failed handshake, with what it most likely means.
fn tls_failure(e: &io::Error) -> String {
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(_)) => format!(
            "{e} (trust the server's certificate with --ca FILE, or skip verification with --insecure)"
        ),
        Some(rustls::Error::InvalidMessage(_)) => {
            format!("{e} (the server does not speak TLS on this port: is it a plain ws:// server?)")
        }
        _ if e.kind() == io::ErrorKind::UnexpectedEof => format!(
            "{e} (the server closed the connection during the handshake: is it a plain ws:// server?)"
        ),
        _ => e.to_string(),
    }
}

/// Connect to `target`: TCP within `limits.connect`, then for `wss://` the TLS handshake
/// within `limits.open_handshake` (SNI from the URL host; none for an IP address, whose
/// certificate must then carry it as an IP SAN). `tls` defaults to the built-in roots.
pub async fn connect(
    target: &Target,
    tls: Option<&ClientTls>,
    limits: &Limits,
) -> Result<Stream, ConnectError> {
    let addr = target.connect_addr();
    let tcp = match tokio::time::timeout(limits.connect, TcpStream::connect(&addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(source)) => return Err(ConnectError::Tcp { addr, source }),
        Err(_) => return Err(ConnectError::TcpTimeout { addr }),
    };
    let _ = tcp.set_nodelay(true);
    if !target.tls {
        return Ok(Stream::Plain(tcp));
    }
    let default;
    let tls = match tls {
        Some(t) => t,
        None => {
            default = ClientTls::default_roots().map_err(|e| ConnectError::Tls {
                addr: addr.clone(),
                detail: e.to_string(),
            })?;
            &default
        }
    };
    let name = ServerName::try_from(target.host.clone()).map_err(|_| ConnectError::ServerName {
        host: target.host.clone(),
    })?;
    let handshake = tls.connector().connect(name, tcp);
    match tokio::time::timeout(limits.open_handshake, handshake).await {
        Ok(Ok(s)) => Ok(Stream::Tls(Box::new(s.into()))),
        Ok(Err(e)) => Err(ConnectError::Tls {
            addr,
            detail: tls_failure(&e),
        }),
        Err(_) => Err(ConnectError::TlsTimeout {
            addr,
            secs: limits.open_handshake.as_secs(),
        }),
    }
}

// ---- listening ----------------------------------------------------------------------

/// A TCP listener that hands out [`Stream`]s, with TLS when given an identity.
pub struct Listener {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("tcp", &self.tcp)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl From<TcpListener> for Listener {
    fn from(tcp: TcpListener) -> Self {
        Listener { tcp, tls: None }
    }
}

impl Listener {
    /// Listen on `tcp`, with TLS when `tls` is given.
    pub fn new(tcp: TcpListener, tls: Option<&ServerTls>) -> Self {
        Listener {
            tcp,
            tls: tls.map(ServerTls::acceptor),
        }
    }

    /// Whether connections get TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// The next TCP connection; the TLS handshake waits for [`Incoming::open`], so a slow
    /// client never holds up the accept loop.
    pub async fn accept(&self) -> io::Result<Incoming> {
        let (tcp, _) = self.tcp.accept().await?;
        Ok(Incoming {
            tcp,
            tls: self.tls.clone(),
        })
    }
}

/// An accepted TCP connection whose TLS handshake (if any) is still to come.
pub struct Incoming {
    tcp: TcpStream,
    tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incoming")
            .field("tcp", &self.tcp)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Incoming {
    /// The stream, after the TLS handshake when the listener has TLS; `None` when the
    /// handshake failed or took longer than `limit` (the connection is dropped: there is
    /// no one to tell over a channel that never came up). Small frames (pongs, close
    /// replies, short echoes) must not wait for Nagle, so `TCP_NODELAY` is set first.
    pub async fn open(self, limit: Duration) -> Option<Stream> {
        let _ = self.tcp.set_nodelay(true);
        match self.tls {
            None => Some(Stream::Plain(self.tcp)),
            Some(acceptor) => match tokio::time::timeout(limit, acceptor.accept(self.tcp)).await {
                Ok(Ok(s)) => Some(Stream::Tls(Box::new(s.into()))),
                _ => None,
            },
        }
    }
}
