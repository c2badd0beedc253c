//! TLS flags: `--insecure`/`--ca` for wss:// targets, `--tls-cert`/`--tls-key` or
//! `--tls-self-signed` for listeners.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio::net::TcpListener;
use wsspec::engine::Target;
use wsspec::tls::{ClientTls, SelfSigned, ServerTls, SELF_SIGNED_NAMES};
use wsspec::transport::Listener;

/// File name of the generated certificate in server mode's report directory.
pub const SELF_SIGNED_FILE: &str = "wsspec-selfsigned.pem";

/// TLS options of a command that connects to a server under test.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ClientTlsArgs {
    /// wss:// only: accept any server certificate, e.g. a test server's self-signed one
    /// (a warning is printed; prefer --ca).
    #[arg(long)]
    pub insecure: bool,
    /// wss:// only: also trust the certificates in this PEM file, besides the built-in
    /// Mozilla roots (repeatable).
    #[arg(long, value_name = "FILE")]
    pub ca: Vec<PathBuf>,
}

impl ClientTlsArgs {
    /// How to verify `target`: `None` for a ws:// URL (the flags are then ignored, with a
    /// warning), else the built-in roots plus `--ca`, or nothing with `--insecure`.
    pub fn client_tls(&self, target: &Target) -> anyhow::Result<Option<ClientTls>> {
        if !target.tls {
            if self.insecure || !self.ca.is_empty() {
                eprintln!("wsspec: warning: --insecure and --ca apply to wss:// URLs only; ignored for a ws:// URL");
            }
            return Ok(None);
        }
        if self.insecure {
            eprintln!("wsspec: warning: --insecure: the server's TLS certificate is not verified");
        }
        Ok(Some(ClientTls::new(&self.ca, self.insecure)?))
    }
}

/// TLS options of a command that listens (server mode, the reference server).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ServerTlsArgs {
    /// Serve wss:// (and https://) with this certificate chain, PEM, leaf first. Needs
    /// --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve wss:// (and https://) with a fresh self-signed certificate for localhost,
    /// 127.0.0.1 and ::1. Its PEM is written out for clients to trust (server: into --out
    /// as wsspec-selfsigned.pem; echo: into the temp directory) and the path is printed.
    /// The key never leaves memory.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls_self_signed: bool,
}

impl ServerTlsArgs {
    /// The TLS identity asked for; a generated certificate goes to `cert_out` (the path is
    /// printed on stderr). `None` without TLS flags.
    fn identity(&self, cert_out: &Path) -> anyhow::Result<Option<ServerTls>> {
        if self.tls_self_signed {
            let pair = SelfSigned::generate()?;
            std::fs::write(cert_out, &pair.cert_pem)
                .with_context(|| format!("cannot write {}", cert_out.display()))?;
            eprintln!(
                "wsspec: self-signed certificate for {} written to {} (clients trust it with e.g. --ca {})",
                SELF_SIGNED_NAMES.join(", "),
                cert_out.display(),
                cert_out.display()
            );
            return Ok(Some(ServerTls::from_self_signed(&pair)?));
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(ServerTls::from_pem_files(cert, key)?)),
            // clap's `requires` rules out one without the other.
            _ => Ok(None),
        }
    }

    /// Server mode's listener: a generated certificate goes into the report directory.
    pub fn server_listener(&self, tcp: TcpListener, out: &Path) -> anyhow::Result<Listener> {
        let tls = self.identity(&out.join(SELF_SIGNED_FILE))?;
        Ok(Listener::new(tcp, tls.as_ref()))
    }

    /// The reference server's listener: a generated certificate goes into the temp
    /// directory, named after the port so several servers can run side by side.
    pub fn echo_listener(&self, tcp: TcpListener) -> anyhow::Result<Listener> {
        let port = tcp.local_addr()?.port();
        let cert_out = std::env::temp_dir().join(format!("wsspec-selfsigned-{port}.pem"));
        let tls = self.identity(&cert_out)?;
        Ok(Listener::new(tcp, tls.as_ref()))
    }
}

/// `(WebSocket scheme, HTTP scheme)` of what `listener` serves, for the printed URLs.
pub fn schemes(listener: &Listener) -> (&'static str, &'static str) {
    if listener.is_tls() {
        ("wss", "https")
    } else {
        ("ws", "http")
    }
}
