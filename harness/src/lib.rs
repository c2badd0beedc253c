//! wsspec: WebSocket conformance test suite and fuzz harness.
//!
//! `codec` holds the deliberately malformable wire codecs, `engine` runs one declarative
//! case over one connection and judges it, `runner` runs many concurrently and writes the
//! reports, `echo` is the built-in reference server, `server` is server mode (testing
//! clients and browsers with Autobahn's fuzzingserver URL protocol). `transport` carries
//! all of them over plain TCP or TLS, which `tls` configures.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod echo;
pub mod engine;
pub mod handshake;
pub mod readiness;
pub mod runner;
pub mod server;
pub mod tls;
pub mod transport;
