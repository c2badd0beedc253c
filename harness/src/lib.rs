//! wsspec: WebSocket conformance test suite and fuzz harness.
//!
//! `codec` holds the deliberately malformable wire codecs, `engine` runs one declarative
//! case over one connection and judges it, `runner` runs many concurrently and writes the
//! reports, `echo` is the built-in reference server, `server` is server mode (testing
//! clients and browsers with Autobahn's fuzzingserver URL protocol). `transport` carries
//! all of them over plain TCP or TLS, which `tls` configures. `netfuzz` is the network
//! fuzzer: generated action sequences judged by a model of RFC 6455 through the engine.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod echo;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod handshake;
pub mod netfuzz;
pub mod readiness;
pub mod runner;
pub mod server;
pub mod tls;
pub mod transport;
