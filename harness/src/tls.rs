//! TLS settings for `wss://` targets and TLS listeners: certificate and key loading,
//! trust roots, `--insecure`, and self-signed pairs for local runs.
//!
//! The crypto provider is `ring`: it builds with a plain C compiler on stable, unlike
//! aws-lc-rs, which wants cmake and more build time for nothing the suite needs.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The names a generated self-signed certificate is valid for.
pub const SELF_SIGNED_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Why a TLS setting could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A file holds no PEM section of the kind needed.
    #[error("{} holds no PEM {what} (expected a -----BEGIN {marker}----- section)", path.display())]
    NoPem {
        /// The file.
        path: PathBuf,
        /// "certificate" or "private key".
        what: &'static str,
        /// The PEM label expected.
        marker: &'static str,
    },
    /// A file's PEM is malformed.
    #[error("{} is not valid PEM: {detail}", path.display())]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        detail: String,
    },
    /// A certificate was refused as a trust anchor.
    #[error("certificate in {} cannot be trusted: {detail}", path.display())]
    BadCa {
        /// The file.
        path: PathBuf,
        /// What rustls said.
        detail: String,
    },
    /// The certificate and key do not make a usable server identity.
    #[error("certificate {} with key {}: {detail}", cert.display(), key.display())]
    BadPair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        detail: String,
    },
    /// rustls refused the configuration itself.
    #[error("TLS configuration: {0}")]
    Config(String),
    /// The self-signed pair could not be generated.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
}

/// The ring provider every config here uses, so no process-wide default is needed.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn read_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Every certificate in a PEM file; an error naming the file when it holds none.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_file(path)?;
    certs_from_pem(&pem, path)
}

fn certs_from_pem(pem: &[u8], path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoPem {
            path: path.to_path_buf(),
            what: "certificate",
            marker: "CERTIFICATE",
        });
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read_file(path)?;
    key_from_pem(&pem, path)
}

fn key_from_pem(pem: &[u8], path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoPem {
            path: path.to_path_buf(),
            what: "private key",
            marker: "PRIVATE KEY",
        },
        other => TlsError::BadPem {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    })
}

/// How wsspec connects to `wss://` targets. Cheap to clone.
#[derive(Clone)]
pub struct ClientTls {
    config: Arc<rustls::ClientConfig>,
    insecure: bool,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

impl ClientTls {
    /// Verify servers against the built-in roots plus every certificate in `ca_files`; with
    /// `insecure`, accept any certificate (signatures are still checked, so the peer holds
    /// the key it shows).
    ///
    /// The built-in roots are `webpki-roots` (Mozilla's list compiled in) rather than the
    /// system store: the binary is meant to be static and to run in minimal CI containers
    /// that may have no `/etc/ssl`, and the verdicts should not depend on the host. Private
    /// CAs go in with `--ca`.
    pub fn new(ca_files: &[PathBuf], insecure: bool) -> Result<Self, TlsError> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for path in ca_files {
            for cert in load_certs(path)? {
                roots.add(cert).map_err(|e| TlsError::BadCa {
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
            }
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let mut config = if insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider())))
                .with_no_client_auth()
        } else {
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        // WebSocket upgrades are HTTP/1.1 requests (RFC 6455 §4.1); offering it lets a
        // server that multiplexes h2 on the same port pick the right protocol.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ClientTls {
            config: Arc::new(config),
            insecure,
        })
    }

    /// The built-in roots only; shared, built once.
    pub fn default_roots() -> Result<Self, TlsError> {
        static DEFAULT: OnceLock<Result<ClientTls, String>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| ClientTls::new(&[], false).map_err(|e| e.to_string()))
            .clone()
            .map_err(TlsError::Config)
    }

    /// Whether certificates go unchecked.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// The connector for tokio streams.
    pub fn connector(&self) -> tokio_rustls::TlsConnector {
        tokio_rustls::TlsConnector::from(self.config.clone())
    }
}

/// `--insecure`: any certificate for any name, but the handshake signature must still
/// verify against the certificate's key.
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A listener's TLS identity. Cheap to clone.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

impl ServerTls {
    /// The certificate chain in `cert` (PEM, leaf first) with the private key in `key`.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let chain = load_certs(cert)?;
        let private = load_key(key)?;
        Self::build(chain, private).map_err(|detail| TlsError::BadPair {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            detail,
        })
    }

    /// A generated pair (see [`SelfSigned`]).
    pub fn from_self_signed(pair: &SelfSigned) -> Result<Self, TlsError> {
        let at = Path::new("<generated>");
        let chain = certs_from_pem(pair.cert_pem.as_bytes(), at)?;
        let private = key_from_pem(pair.key_pem.as_bytes(), at)?;
        Self::build(chain, private).map_err(TlsError::Config)
    }

    fn build(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, String> {
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| e.to_string())?;
        Ok(ServerTls {
            config: Arc::new(config),
        })
    }

    /// The acceptor for tokio streams.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }
}

/// A generated self-signed certificate and its key, both PEM.
#[derive(Clone)]
pub struct SelfSigned {
    /// The certificate: what clients trust (`--ca`, `NODE_EXTRA_CA_CERTS`, ...).
    pub cert_pem: String,
    /// The PKCS#8 private key; kept in memory by the commands, never written.
    pub key_pem: String,
}

impl fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelfSigned")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

impl SelfSigned {
    /// A fresh pair for [`SELF_SIGNED_NAMES`] (ECDSA P-256).
    pub fn generate() -> Result<Self, TlsError> {
        let names: Vec<String> = SELF_SIGNED_NAMES.iter().map(|n| n.to_string()).collect();
        let pair = rcgen::generate_simple_self_signed(names)
            .map_err(|e| TlsError::Generate(e.to_string()))?;
        Ok(SelfSigned {
            cert_pem: pair.cert.pem(),
            key_pem: pair.signing_key.serialize_pem(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let e = load_certs(&missing).unwrap_err().to_string();
        assert!(
            e.contains("nope.pem") && e.starts_with("cannot read"),
            "{e}"
        );
        let e = ClientTls::new(std::slice::from_ref(&missing), false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope.pem"), "{e}");
        let e = ServerTls::from_pem_files(&missing, &missing)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope.pem"), "{e}");
    }

    #[test]
    fn non_pem_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, b"\x00\x01 this is not PEM\n").unwrap();
        let e = load_certs(&junk).unwrap_err().to_string();
        assert!(
            e.contains("junk.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
        let e = load_key(&junk).unwrap_err().to_string();
        assert!(
            e.contains("junk.pem") && e.contains("no PEM private key"),
            "{e}"
        );
        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\n@@@@\n").unwrap();
        let e = load_certs(&broken).unwrap_err().to_string();
        assert!(e.contains("broken.pem"), "{e}");
    }

    #[test]
    fn a_key_is_not_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let pair = SelfSigned::generate().unwrap();
        let key = dir.path().join("key.pem");
        std::fs::write(&key, &pair.key_pem).unwrap();
        let cert = dir.path().join("cert.pem");
        std::fs::write(&cert, &pair.cert_pem).unwrap();
        // Swapped arguments: each file lacks what is asked of it.
        let e = ServerTls::from_pem_files(&key, &cert)
            .unwrap_err()
            .to_string();
        assert!(e.contains("key.pem") && e.contains("certificate"), "{e}");
        assert!(ServerTls::from_pem_files(&cert, &key).is_ok());
        // A self-signed leaf is a usable trust anchor for --ca.
        assert!(ClientTls::new(&[cert], false).is_ok());
    }

    #[test]
    fn generated_pairs_make_servers() {
        let pair = SelfSigned::generate().unwrap();
        assert!(pair.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(ServerTls::from_self_signed(&pair).is_ok());
        assert!(!ClientTls::default_roots().unwrap().is_insecure());
        assert!(ClientTls::new(&[], true).unwrap().is_insecure());
    }
}
