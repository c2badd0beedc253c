//! TLS flags: `--insecure`/`--ca` for wss:// targets, `--tls-cert`/`--tls-key` for listeners.

/// TLS options of a command that connects to a server under test.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ClientTlsArgs {}

/// TLS options of a command that listens (server mode, the reference server).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ServerTlsArgs {}
